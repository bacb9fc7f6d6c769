"""A minimal sans-I/O TURN server for the simulator tests (one client, UDP, RFC 8656 rules).

It is a :class:`pyrtc.sim.MultiHomedCore` living at two addresses: the TURN server address
and the relayed address. It grants the allocation, permissions and channels with their
standard lifetimes (600, 300, 600 s), relays both ways, answers retransmitted requests from
a cache, and records in :attr:`ToyTurnServer.lapses` everything that expired: a client that
refreshes on time leaves it empty.
"""

from __future__ import annotations

from typing import Any

from turn_helpers import KEY, NONCE, REALM

from pyrtc.sansio import Address, Event
from pyrtc.stun import Class, Message, Method, StunError
from pyrtc.turn import encode_channel_data, is_channel_data, parse_channel_data

PERMISSION_LIFETIME = 300.0
CHANNEL_LIFETIME = 600.0


class ToyTurnServer:
    def __init__(self, server: Address, relayed: Address) -> None:
        self.server = server
        self.relayed = relayed
        self.client: Address | None = None
        self.expires_at = 0.0
        self.permissions: dict[str, float] = {}
        self.channels: dict[int, tuple[Address, float]] = {}
        self.lapses: list[tuple[float, str]] = []
        self.requests: dict[Method, int] = {}
        self._cache: dict[bytes, bytes] = {}
        self._out: list[tuple[bytes, Address, Address]] = []

    # -- MultiHomedCore -------------------------------------------------------------------------

    def receive(self, data: bytes, addr: Address, now: float, local: Address) -> None:
        self._expire(now)
        if local == self.relayed:
            self._from_peer(data, addr)
        elif is_channel_data(data):
            number, payload = parse_channel_data(data)
            if addr == self.client and number in self.channels:
                self._out.append((payload, self.channels[number][0], self.relayed))
        else:
            try:
                message = Message.parse(data)
            except StunError:
                return
            if message.message_class is Class.REQUEST:
                self._request(message, addr, now)
            elif message.method == Method.SEND and addr == self.client:
                peer = message.attributes["XOR-PEER-ADDRESS"]
                if peer[0] in self.permissions:
                    self._out.append((message.attributes["DATA"], peer, self.relayed))

    def datagrams_to_send(self, now: float) -> list[tuple[bytes, Address, Address]]:
        out, self._out = self._out, []
        return out

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> None:
        pass

    def next_event(self) -> Event | None:
        return None

    # -- behaviour ------------------------------------------------------------------------------

    def _expire(self, now: float) -> None:
        if self.client is not None and now > self.expires_at:
            self.lapses.append((now, "allocation"))
            self.client = None
            self.permissions.clear()
            self.channels.clear()
        for ip, expiry in list(self.permissions.items()):
            if now > expiry:
                self.lapses.append((now, f"permission {ip}"))
                del self.permissions[ip]
        for number, (peer, expiry) in list(self.channels.items()):
            if now > expiry:
                self.lapses.append((now, f"channel {number:#x} {peer}"))
                del self.channels[number]

    def _from_peer(self, data: bytes, peer: Address) -> None:
        if self.client is None or peer[0] not in self.permissions:
            return
        for number, (bound, _) in self.channels.items():
            if bound == peer:
                self._out.append((encode_channel_data(number, data), self.client, self.server))
                return
        indication = Message(
            Method.DATA, Class.INDICATION, attributes={"XOR-PEER-ADDRESS": peer, "DATA": data}
        )
        self._out.append((indication.encode(fingerprint=True), self.client, self.server))

    def _request(self, request: Message, addr: Address, now: float) -> None:
        cached = self._cache.get(request.transaction_id)
        if cached is not None:  # a retransmission: same answer, no second effect
            self._out.append((cached, addr, self.server))
            return
        method = Method(request.method)
        if "USERNAME" not in request.attributes or not request.verify_integrity(KEY):
            response = Message.error_response(
                request, 401, attributes={"REALM": REALM, "NONCE": NONCE}
            ).encode()
        else:
            self.requests[method] = self.requests.get(method, 0) + 1
            response = self._answer(method, request, addr, now)
        self._cache[request.transaction_id] = response
        self._out.append((response, addr, self.server))

    def _answer(self, method: Method, request: Message, addr: Address, now: float) -> bytes:
        attributes: dict[str, Any] = {}
        if method == Method.ALLOCATE:
            if self.client is not None:
                return self._error(request, 437)
            self.client = addr
            lifetime = min(request.attributes.get("LIFETIME", 600), 600)
            self.expires_at = now + lifetime
            attributes = {
                "XOR-RELAYED-ADDRESS": self.relayed,
                "XOR-MAPPED-ADDRESS": addr,
                "LIFETIME": lifetime,
            }
        elif addr != self.client:
            return self._error(request, 437)
        elif method == Method.REFRESH:
            lifetime = min(request.attributes["LIFETIME"], 600)
            if lifetime == 0:
                self.client = None
                self.permissions.clear()
                self.channels.clear()
            self.expires_at = now + lifetime
            attributes = {"LIFETIME": lifetime}
        elif method == Method.CREATE_PERMISSION:
            for peer in request.attributes.get_all("XOR-PEER-ADDRESS"):
                self.permissions[peer[0]] = now + PERMISSION_LIFETIME
        elif method == Method.CHANNEL_BIND:
            number = request.attributes["CHANNEL-NUMBER"]
            peer = request.attributes["XOR-PEER-ADDRESS"]
            self.channels[number] = (peer, now + CHANNEL_LIFETIME)
            self.permissions[peer[0]] = now + PERMISSION_LIFETIME
        else:
            return self._error(request, 400)
        return Message.success_response(request, attributes).encode(KEY, fingerprint=True)

    def _error(self, request: Message, code: int) -> bytes:
        return Message.error_response(request, code).encode(KEY, fingerprint=True)
