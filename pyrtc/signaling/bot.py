"""``pyrtc bot``: a Python peer that joins a signaling room and echoes data-channel messages.

The bot joins a room with :class:`SignalingClient` and answers every offer sent to it, as
the other participant of the demo page does (the page that presses **Call** offers). For
each caller it runs one :class:`~pyrtc.pc.RTCPeerConnection`: it answers (adding no
track: the media sections of a page that sends camera and microphone are answered
``inactive``, so the page sends the bot no media, and the data channel works), trickles
candidates both ways through the server
and sends every message that arrives on a data channel back on the same channel, strings
as strings and bytes as bytes. Several callers can be served at once; a caller that
leaves, hangs up or fails is forgotten, and a new offer from the same caller replaces its
call.

If the server goes away, the bot reconnects with exponential backoff and gives up with
:class:`BotError` after ``max_retries`` attempts in a row; refused credentials
(``token-*``), a refused origin or a protocol mismatch raise :class:`SignalingError` at
once, since retrying cannot help; so does a server certificate that does not verify
(:class:`ssl.SSLCertVerificationError`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl as ssl_module
from collections.abc import Callable, Sequence

from websockets.exceptions import ConnectionClosed

from pyrtc.errors import Error
from pyrtc.pc import (
    RTCDataChannel,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
    candidate_from_sdp,
    candidate_to_sdp,
)
from pyrtc.signaling.client import SignalingClient
from pyrtc.signaling.errors import SignalingError
from pyrtc.signaling.protocol import (
    Answer,
    Candidate,
    ClientMessage,
    ErrorMessage,
    IceCandidate,
    Offer,
    PeerJoined,
    PeerLeft,
    Ping,
)

__all__ = ["FATAL_CODES", "Bot", "BotError"]

log = logging.getLogger("pyrtc.signaling.bot")

FATAL_CODES = frozenset(
    {
        "token-invalid",
        "token-expired",
        "token-wrong-room",
        "token-wrong-algorithm",
        "bad-origin",
        "bad-message",
        "unsupported-version",
        "not-joined",
        "already-joined",
    }
)
"""Signaling error codes that end the bot: a new connection would be refused the same way."""


class BotError(Error):
    """The bot gave up: ``max_retries`` attempts in a row to (re)join the room failed."""


class _Call:
    """One caller's peer connection: answer, trickle, echo."""

    def __init__(
        self,
        bot: Bot,
        peer: str,
        user: str,
        pc: RTCPeerConnection,
        send: Callable[[ClientMessage], None],
    ) -> None:
        self.peer = peer
        self.user = user
        self.pc = pc
        self._bot = bot
        self._send = send
        self._answered = False
        self._early: list[IceCandidate | None] = []
        pc.on("icecandidate", self._on_icecandidate)
        pc.on("datachannel", self._on_datachannel)
        pc.on("connectionstatechange", self._on_connectionstatechange)
        pc.on("iceconnectionstatechange", self._on_iceconnectionstatechange)

    def __str__(self) -> str:
        return f"{self.user} ({self.peer})"

    async def answer(self, sdp: str) -> None:
        """Apply the caller's offer and send our answer, then the candidates gathered so far
        (a candidate must not reach the caller before the answer it belongs to)."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        for transceiver in self.pc.getTransceivers():
            transceiver.direction = "inactive"  # no media echo yet: ask the caller for none
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        local = self.pc.localDescription
        assert local is not None  # set just above
        self._send(Answer(self.peer, local.sdp))
        self._answered = True
        log.info("%s: answered: %s", self, ", ".join(_sections(local.sdp)))
        for candidate in self._early:
            self._send(Candidate(self.peer, candidate))
        self._early.clear()

    async def add_candidate(self, candidate: IceCandidate | None) -> None:
        """A trickled remote candidate (``None`` or an empty one: end of candidates)."""
        if candidate is None or not candidate.candidate:
            await self.pc.addIceCandidate(None)
            return
        ice = candidate_from_sdp(candidate.candidate)
        ice.sdpMid, ice.sdpMLineIndex = candidate.sdp_mid, candidate.sdp_mline_index
        await self.pc.addIceCandidate(ice)

    def _on_icecandidate(self, candidate: RTCIceCandidate | None) -> None:
        message = None
        if candidate is not None:
            line = "candidate:" + candidate_to_sdp(candidate)
            message = IceCandidate(line, candidate.sdpMid, candidate.sdpMLineIndex)
        if self._answered:
            self._send(Candidate(self.peer, message))
        else:
            self._early.append(message)

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        log.info("%s: data channel %r open", self, channel.label)

        def echo(message: str | bytes) -> None:
            if channel.readyState != "open":
                return
            try:
                channel.send(message)
            except (Error, TypeError) as exc:
                log.warning("%s: cannot echo on %r: %s", self, channel.label, exc)

        channel.on("message", echo)
        channel.on("close", lambda: log.info("%s: data channel %r closed", self, channel.label))

    def _on_iceconnectionstatechange(self) -> None:
        log.info("%s: ICE %s", self, self.pc.iceConnectionState)

    def _on_connectionstatechange(self) -> None:
        state = self.pc.connectionState
        reason = f" ({self.pc.failure_reason})" if state == "failed" else ""
        log.info("%s: connection %s%s", self, state, reason)
        if state in ("failed", "closed"):
            self._bot._end(self, state)


class Bot:
    """Join ``room`` at ``url`` and echo the data channels of everyone who calls.

    ``token`` is called for every (re)connection, so a bot holding a signing secret mints
    a fresh token each time. ``ssl`` is the TLS context for ``wss://`` (default: the
    system's CAs). ``addresses`` pins the local addresses the peer connections
    gather on (default: the host's interfaces). After a lost connection the bot waits
    ``backoff`` seconds, doubling up to ``max_backoff``, and gives up after
    ``max_retries`` failed attempts in a row. A ``ping`` every ``ping_interval`` seconds
    keeps the server's idle timer (60 s by default) from closing a quiet bot.
    """

    def __init__(
        self,
        url: str,
        room: str,
        token: Callable[[], str],
        *,
        ssl: ssl_module.SSLContext | None = None,
        addresses: Sequence[str] | None = None,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        ping_interval: float = 20.0,
    ) -> None:
        self.url = url
        self.room = room
        self._token = token
        self._ssl = ssl
        self._addresses = list(addresses) if addresses is not None else None
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.ping_interval = ping_interval
        self.id: str | None = None
        """Our participant id while joined."""
        self.joined = asyncio.Event()
        """Set while the bot is in the room."""
        self.calls: dict[str, _Call] = {}
        self._outbox: asyncio.Queue[ClientMessage] = asyncio.Queue()
        self._closing: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set (then leave the room and close every call).

        Raises :class:`SignalingError` for a refusal that retrying cannot fix, and
        :class:`BotError` once ``max_retries`` connection attempts in a row failed.
        """
        failures = 0
        while not stop.is_set():
            try:
                client = await SignalingClient.connect(
                    self.url, self.room, self._token(), ssl=self._ssl
                )
            except ssl_module.SSLCertVerificationError:
                raise
            except (OSError, TimeoutError, SignalingError) as exc:
                if isinstance(exc, SignalingError) and exc.code in FATAL_CODES:
                    raise
                failures += 1
                if failures > self.max_retries:
                    raise BotError(
                        f"cannot join {self.room} at {self.url} after {self.max_retries} "
                        f"retries: {exc}"
                    ) from exc
                delay = min(self.backoff * 2 ** (failures - 1), self.max_backoff)
                log.warning("cannot join (%s); retrying in %.1f s", exc, delay)
                await _sleep_unless(stop, delay)
                continue
            failures = 0
            await self._serve(client, stop)
            # Lost: pause before reconnecting, so a server that drops us at once is not hammered.
            await _sleep_unless(stop, self.backoff)

    async def _serve(self, client: SignalingClient, stop: asyncio.Event) -> None:
        """One signaling connection: until it ends (calls are dropped) or ``stop``."""
        self.id = client.id
        self.joined.set()
        log.info("joined room %s as %s (%s)", self.room, client.user, client.id)
        self._outbox = asyncio.Queue()
        tasks = [
            asyncio.create_task(self._receive(client)),
            asyncio.create_task(stop.wait()),
            asyncio.create_task(self._write(client)),
            asyncio.create_task(self._ping()),
        ]
        try:
            await asyncio.wait(tasks[:2], return_when=asyncio.FIRST_COMPLETED)
            receiver = tasks[0]
            if receiver.done():
                exc = receiver.exception()
                if isinstance(exc, SignalingError) and exc.code not in FATAL_CODES:
                    log.warning("signaling connection lost: %s", exc)
                elif exc is not None:
                    raise exc
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.joined.clear()
            self.id = None
            await self._close_calls()
            if stop.is_set():
                await client.leave()
                log.info("left room %s", self.room)
            else:
                await client.close()

    async def _receive(self, client: SignalingClient) -> None:
        while True:
            message = await client.receive()
            match message:
                case Offer(peer, sdp):
                    await self._on_offer(peer, client.peers.get(peer, "?"), sdp)
                case Candidate(peer, candidate):
                    call = self.calls.get(peer)
                    if call is None:
                        log.debug("candidate from %s, who has no call", peer)
                        continue
                    try:
                        await call.add_candidate(candidate)
                    except Error as exc:
                        log.warning("%s: candidate refused: %s", call, exc)
                case PeerJoined(participant):
                    log.info("%s (%s) joined", participant.user, participant.id)
                case PeerLeft(peer):
                    log.info("%s left", peer)
                    call = self.calls.get(peer)
                    if call is not None:
                        self._end(call, "peer left")
                case ErrorMessage(code, text):
                    log.info("server: %s: %s", code, text)
                case Answer(peer, _):
                    log.warning("unexpected answer from %s: the bot never offers", peer)

    async def _on_offer(self, peer: str, user: str, sdp: str) -> None:
        previous = self.calls.get(peer)
        if previous is not None:
            self._end(previous, "replaced by a new offer")
        pc = RTCPeerConnection(addresses=self._addresses, trickle=True)
        call = _Call(self, peer, user, pc, self._outbox.put_nowait)
        self.calls[peer] = call
        log.info("%s calls", call)
        try:
            await call.answer(sdp)
        except (Error, OSError) as exc:  # a bad offer, or no socket to gather on
            log.warning("%s: cannot answer: %s", call, exc)
            self._end(call, "cannot answer")

    def _end(self, call: _Call, why: str) -> None:
        """Forget ``call`` and close its peer connection in the background."""
        if self.calls.get(call.peer) is not call:
            return
        del self.calls[call.peer]
        log.info("%s: call ended (%s)", call, why)
        task = asyncio.create_task(call.pc.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close_calls(self) -> None:
        for call in list(self.calls.values()):
            self._end(call, "bot disconnected")
        await asyncio.gather(*self._closing, return_exceptions=True)

    async def _write(self, client: SignalingClient) -> None:
        """Send the queued messages in order (answers before their candidates)."""
        try:
            while True:
                await client.send(await self._outbox.get())
        except ConnectionClosed:
            pass  # the receiver reports the end of the connection

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            self._outbox.put_nowait(Ping())


def _sections(sdp: str) -> list[str]:
    """``kind state`` per media section of our answer, for the log: ``rejected`` (port 0),
    the direction of a media section, ``accepted`` for the data section."""
    described: list[str] = []
    for section in sdp.split("\r\nm=")[1:]:
        kind, port = [*section.split(maxsplit=2), "", ""][:2]
        state = "accepted" if kind == "application" else "sendrecv"
        for line in section.split("\r\n"):
            if line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
                state = line[2:]
        described.append(f"{kind} {'rejected' if port == '0' else state}")
    return described


async def _sleep_unless(stop: asyncio.Event, delay: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)
