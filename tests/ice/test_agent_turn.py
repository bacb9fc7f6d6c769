"""Relayed candidates: the agent's TURN seam against a small scripted TURN server on the sim."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyrtc.ice.agent import TurnServer
from pyrtc.ice.events import DataReceived, Transmit
from pyrtc.sansio import Address, Event
from pyrtc.sim import Nat, Simulator, TraceRecord
from pyrtc.stun import Class, Message, Method, long_term_key
from pyrtc.turn import encode_channel_data, is_channel_data, parse_channel_data

from .test_agent_support import A_BASES, B_BASES, connect_pair, make_agent

TURN_IP = "198.51.100.200"
LISTEN: Address = (TURN_IP, 3478)
RELAY_PORTS = range(50000, 50004)
USER, PASSWORD, REALM = "alice", "s3cret", "sim"
KEY = long_term_key(USER, REALM, PASSWORD)


@dataclass
class _Allocation:
    relayed: Address
    permissions: set[str] = field(default_factory=set)
    channels: dict[int, Address] = field(default_factory=dict)


class MiniTurnServer:
    """Just enough of RFC 8656 over UDP: Allocate (401 challenge, long-term credentials),
    Refresh, CreatePermission, ChannelBind, Send/Data indications, ChannelData."""

    def __init__(self) -> None:
        self.addresses = [LISTEN] + [(TURN_IP, port) for port in RELAY_PORTS]
        self.allocations: dict[Address, _Allocation] = {}
        self.relayed_datagrams = 0
        self.deallocated = 0
        self._by_relayed: dict[Address, tuple[Address, _Allocation]] = {}
        self._free = list(RELAY_PORTS)
        self._out: list[Transmit] = []

    def receive(self, data: bytes, addr: Address, now: float, local: Address) -> None:
        if local != LISTEN:
            self._from_peer(data, addr, local)
        elif is_channel_data(data):
            allocation = self.allocations[addr]
            channel, payload = parse_channel_data(data)
            self._relay(allocation, payload, allocation.channels[channel])
        else:
            self._from_client(Message.parse(data), addr)

    def _from_client(self, message: Message, client: Address) -> None:
        allocation = self.allocations.get(client)
        attributes = message.attributes
        if message.message_class is Class.INDICATION and message.method == Method.SEND:
            assert allocation is not None
            self._relay(allocation, attributes["DATA"], attributes["XOR-PEER-ADDRESS"])
            return
        if "MESSAGE-INTEGRITY" not in attributes:
            challenge = Message.error_response(
                message, 401, attributes={"REALM": REALM, "NONCE": "n"}
            )
            self._out.append(Transmit(challenge.encode(fingerprint=True), client, LISTEN))
            return
        assert message.verify_integrity(KEY)
        reply: dict[str, object] = {}
        if message.method == Method.ALLOCATE:
            allocation = _Allocation((TURN_IP, self._free.pop(0)))
            self.allocations[client] = allocation
            self._by_relayed[allocation.relayed] = (client, allocation)
            reply = {
                "XOR-RELAYED-ADDRESS": allocation.relayed,
                "XOR-MAPPED-ADDRESS": client,
                "LIFETIME": 600,
            }
        elif message.method == Method.REFRESH:
            reply = {"LIFETIME": attributes.get("LIFETIME", 600)}
            self.deallocated += reply["LIFETIME"] == 0
        elif message.method == Method.CREATE_PERMISSION:
            assert allocation is not None
            allocation.permissions.add(attributes["XOR-PEER-ADDRESS"][0])
        elif message.method == Method.CHANNEL_BIND:
            assert allocation is not None
            peer = attributes["XOR-PEER-ADDRESS"]
            allocation.permissions.add(peer[0])
            allocation.channels[attributes["CHANNEL-NUMBER"]] = peer
        response = Message.success_response(message, reply)
        self._out.append(Transmit(response.encode(KEY, fingerprint=True), client, LISTEN))

    def _relay(self, allocation: _Allocation, payload: bytes, peer: Address) -> None:
        assert peer[0] in allocation.permissions
        self.relayed_datagrams += 1
        self._out.append(Transmit(payload, peer, allocation.relayed))

    def _from_peer(self, data: bytes, peer: Address, relayed: Address) -> None:
        client, allocation = self._by_relayed[relayed]
        if peer[0] not in allocation.permissions:
            return  # RFC 8656 section 9: no permission, dropped
        self.relayed_datagrams += 1
        for number, bound in allocation.channels.items():
            if bound == peer:
                self._out.append(Transmit(encode_channel_data(number, data), client, LISTEN))
                return
        indication = Message(Method.DATA, Class.INDICATION)
        indication.attributes["XOR-PEER-ADDRESS"] = peer
        indication.attributes["DATA"] = data
        self._out.append(Transmit(indication.encode(fingerprint=True), client, LISTEN))

    def datagrams_to_send(self, now: float) -> list[Transmit]:
        out, self._out = self._out, []
        return out

    def get_timer(self) -> float | None:
        return None

    def handle_timer(self, now: float) -> None:
        raise AssertionError("no timers")

    def next_event(self) -> Event | None:
        return None


TURN = TurnServer(LISTEN, USER, PASSWORD)


def test_relay_only_agent_connects_through_turn() -> None:
    sim = Simulator()
    server = MiniTurnServer()
    sim.add_host(server.addresses, server)
    a = make_agent(True, 1, relay_only=True)
    b = make_agent(False, 2)
    sent_from_a: list[TraceRecord] = []
    sim.add_tracer(
        lambda r: sent_from_a.append(r) if r.kind == "send" and r.src in A_BASES else None
    )
    host_a, host_b = connect_pair(sim, a, b, turn_servers=[TURN])
    assert sim.run(lambda: a.state == "completed" and b.state == "completed", 10)
    assert [c.type for c in a.local_candidates] == ["relay"]
    assert a.local_candidates[0].address == TURN_IP
    assert a.selected_pair is not None and b.selected_pair is not None
    assert a.selected_pair[0].type == "relay"
    assert b.selected_pair[1].type == "relay"
    # Everything A sent went to the TURN server: no host or srflx path was ever tried.
    assert sent_from_a and all(r.dst == LISTEN for r in sent_from_a)
    sim.call_later(0.1, lambda: a.send(b"\x80via relay", sim.now))
    sim.call_later(0.1, lambda: b.send(b"\x80back", sim.now))
    sim.run_for(0.5)
    assert [e.data for e in host_b.events_of(DataReceived)] == [b"\x80via relay"]
    assert [e.data for e in host_a.events_of(DataReceived)] == [b"\x80back"]
    assert server.relayed_datagrams > 4


def test_relay_candidate_rescues_blocked_direct_paths() -> None:
    sim = Simulator()
    server = MiniTurnServer()
    sim.add_host(server.addresses, server)
    a, b = make_agent(True, 1), make_agent(False, 2)
    # Symmetric NATs with strict filtering on both sides: only the relay works.
    nat_a = Nat("203.0.113.1", "address-and-port-dependent")
    nat_b = Nat("203.0.113.2", "address-and-port-dependent")
    connect_pair(sim, a, b, a_nat=nat_a, b_nat=nat_b, turn_servers=[TURN])
    assert sim.run(lambda: a.selected_pair is not None and b.selected_pair is not None, 30)
    assert {c.type for c in a.local_candidates} == {"host", "relay"}
    assert "relay" in (a.selected_pair[0].type, b.selected_pair[0].type)


def test_gathering_waits_for_the_allocation() -> None:
    sim = Simulator()
    server = MiniTurnServer()
    sim.add_host(server.addresses, server)
    a = make_agent(True, 1)
    sim.add_host(B_BASES, a)
    a.gather(B_BASES, 0.0, turn_servers=[TURN])
    assert a.gathering_state == "gathering"
    assert sim.run(lambda: a.gathering_state == "complete", 5)
    assert [c.type for c in a.local_candidates] == ["host", "relay"]
    relay = a.local_candidates[1]
    assert (relay.related_address, relay.related_port) == B_BASES[0]  # the mapped address
    a.close(sim.now)
    sim.run_for(1)
    assert server.deallocated == 1  # a Refresh with LIFETIME 0 on close
