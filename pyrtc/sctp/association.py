"""The sans-I/O SCTP association (RFC 9260) with the WebRTC extensions (RFC 8261, 3758, 6525).

An :class:`Association` is a :class:`pyrtc.sansio.ConnectionCore`: feed it packets with
``receive(data, now)``, drive its timers with ``get_timer()`` / ``handle_timer(now)``, drain
``datagrams_to_send(now)`` (each item one SCTP packet, ready for DTLS) and ``next_event()``.
Both peers may call :meth:`Association.connect` at once (the WebRTC case); the INIT collision
is resolved as RFC 9260 §5.2.1 and §5.2.4 case D describe. A side that never calls
``connect`` answers the peer's INIT statelessly with a signed cookie.
"""

from __future__ import annotations

import enum
import os
import struct
from collections import deque
from dataclasses import dataclass

from pyrtc._native.sctp_packet import parse_data_packet
from pyrtc.sansio import Event
from pyrtc.sctp.chunks import (
    COMMON_HEADER_LENGTH,
    FLAG_IMMEDIATE,
    FLAG_T,
    FORWARD_TSN,
    PARAM_COOKIE_PRESERVATIVE,
    PARAM_FORWARD_TSN_SUPPORTED,
    PARAM_STATE_COOKIE,
    PARAM_SUPPORTED_EXTENSIONS,
    RECONFIG,
    RESULT_DENIED,
    RESULT_ERROR_BAD_SEQ,
    RESULT_IN_PROGRESS,
    RESULT_SUCCESS_NOTHING,
    RESULT_SUCCESS_PERFORMED,
    AbortChunk,
    Chunk,
    CookieAckChunk,
    CookieEchoChunk,
    DataChunk,
    ErrorChunk,
    ForwardTsnChunk,
    HeartbeatAckChunk,
    HeartbeatChunk,
    InitAckChunk,
    InitChunk,
    OutgoingResetRequest,
    ReconfigChunk,
    ReconfigResponse,
    SackChunk,
    ShutdownAckChunk,
    ShutdownChunk,
    ShutdownCompleteChunk,
    UnknownChunk,
    find_param,
    parse_packet,
    serialize_packet,
)
from pyrtc.sctp.cookie import CookieState, StaleCookieError, open_cookie, seal_cookie
from pyrtc.sctp.errors import SctpError, SctpParseError
from pyrtc.sctp.events import (
    AssociationClosed,
    AssociationEstablished,
    MessageReceived,
    OutgoingStreamsReset,
    StreamsReset,
)
from pyrtc.sctp.receiver import Receiver
from pyrtc.sctp.rto import RtoEstimator
from pyrtc.sctp.sender import Adder, ProtocolViolation, Sender
from pyrtc.sctp.serial import tsn_gt

_MASK = 0xFFFFFFFF
_heartbeat_info = struct.Struct("!d8s")

# Chunks that mean something in COOKIE-WAIT, before the peer's INIT ACK (RFC 9260 §5.1).
_BEFORE_INIT_ACK = (InitAckChunk, ErrorChunk, UnknownChunk)

# RE-CONFIG requests answered "Denied": Incoming SSN Reset, SSN/TSN Reset, Add Outgoing
# Streams, Add Incoming Streams (RFC 6525 §4.2, §4.3, §4.5, §4.6).
_UNSUPPORTED_RECONFIG_REQUESTS = (14, 15, 17, 18)

# Error cause codes (RFC 9260 §3.3.10).
CAUSE_INVALID_STREAM = 1
CAUSE_STALE_COOKIE = 3
CAUSE_UNRECOGNIZED_CHUNK = 6
CAUSE_INVALID_MANDATORY_PARAMETER = 7
CAUSE_NO_USER_DATA = 9
CAUSE_USER_ABORT = 12
CAUSE_PROTOCOL_VIOLATION = 13


class State(enum.Enum):
    """Association states (RFC 9260 §4)."""

    CLOSED = "closed"
    COOKIE_WAIT = "cookie-wait"
    COOKIE_ECHOED = "cookie-echoed"
    ESTABLISHED = "established"
    SHUTDOWN_PENDING = "shutdown-pending"
    SHUTDOWN_SENT = "shutdown-sent"
    SHUTDOWN_RECEIVED = "shutdown-received"
    SHUTDOWN_ACK_SENT = "shutdown-ack-sent"


_SENDING_STATES = (State.CLOSED, State.COOKIE_WAIT, State.COOKIE_ECHOED, State.ESTABLISHED)
_RECEIVING_STATES = (State.ESTABLISHED, State.SHUTDOWN_PENDING, State.SHUTDOWN_SENT)
# Queued DATA still goes out after shutdown() and after the peer's SHUTDOWN (§9.2).
_DATA_SENDING_STATES = (State.ESTABLISHED, State.SHUTDOWN_PENDING, State.SHUTDOWN_RECEIVED)


@dataclass(frozen=True)
class SctpConfig:
    """Tunables of an association; defaults follow RFC 9260 §16 and common WebRTC practice.

    ``mtu`` is the largest SCTP packet produced (1200 bytes leaves room for DTLS, UDP and IP
    on any path). ``rto_min`` defaults to 0.4 s rather than RFC 9260's 1 s, as WebRTC stacks
    do. ``max_message_size`` is the largest message the *peer* accepts (from its SDP
    ``a=max-message-size``); :meth:`Association.send` refuses anything larger.
    ``receive_buffer`` bounds what we hold for the application and is our advertised window.
    """

    local_port: int = 5000
    remote_port: int = 5000
    mtu: int = 1200
    receive_buffer: int = 1024 * 1024
    outbound_streams: int = 65535
    inbound_streams: int = 65535
    max_message_size: int = 262144
    rto_initial: float = 1.0
    rto_min: float = 0.4
    rto_max: float = 60.0
    max_init_retransmits: int = 8
    max_retransmits: int = 10
    delayed_ack: float = 0.2
    cookie_lifetime: float = 60.0
    heartbeat_interval: float = 30.0


@dataclass(frozen=True)
class AssociationStats:
    """Counters for diagnostics and tests."""

    packets_received: int
    packets_dropped: int
    packets_sent: int
    retransmissions: int
    fast_retransmissions: int
    t3_expirations: int
    abandoned_messages: int
    cwnd: int
    ssthresh: int
    rto: float
    srtt: float | None


class Association:
    """One SCTP association over a single path (the DTLS transport of RFC 8261)."""

    def __init__(self, config: SctpConfig | None = None) -> None:
        self.config = config or SctpConfig()
        cfg = self.config
        self.state = State.CLOSED
        self._ever_established = False
        self._cookie_key = os.urandom(32)
        self._local_tag = 0
        self._peer_tag = 0
        self._local_tsn = int.from_bytes(os.urandom(4), "big")
        self._initiated = False
        self._init_packet: bytes | None = None
        self._cookie_echo: bytes | None = None
        self._init_retransmits = 0
        self._stale_cookies = 0  # Stale Cookie errors answered with a new INIT (§5.2.6)
        self._outbound_streams = cfg.outbound_streams
        self._inbound_streams = cfg.inbound_streams
        self._peer_reconfig = False

        self._events: deque[Event] = deque()
        self._undelivered_bytes = 0
        self._outbox: list[bytes] = []

        # Sender (RFC 9260 §6, §7) and the RTO shared by every timer (§6.3).
        self._rto = RtoEstimator(cfg.rto_initial, cfg.rto_min, cfg.rto_max)
        self._sender = Sender(self._local_tsn, cfg.mtu, self._rto, self._emit)
        self._error_count = 0

        # Receiver.
        self._receiver: Receiver | None = None
        self._sack_due = False
        self._sack_now = False
        self._packets_unacked = 0
        self._advertised_rwnd = cfg.receive_buffer

        # Stream reconfiguration (RFC 6525).
        self._reconfig_seq = self._local_tsn
        self._peer_reconfig_seq = 0
        self._last_reconfig_response: ReconfigResponse | None = None
        self._closing_streams: set[int] = set()
        self._reset_request: OutgoingResetRequest | None = None
        self._reset_request_sent = False

        # Timers (absolute times or None).
        self._t1_at: float | None = None
        self._t2_at: float | None = None
        self._t3_at: float | None = None
        self._sack_at: float | None = None
        self._heartbeat_at: float | None = None
        self._reconfig_at: float | None = None
        self._heartbeat_nonce: bytes | None = None

        # Statistics.
        self._packets_received = 0
        self._packets_dropped = 0
        self._packets_sent = 0

    # ------------------------------------------------------------------ public API

    def connect(self) -> None:
        """Start the handshake by sending INIT (RFC 9260 §5.1 step A)."""
        if self.state is not State.CLOSED or self._ever_established or self._initiated:
            raise SctpError(f"cannot connect in state {self.state.value}")
        self._initiated = True
        self._local_tag = self._random_tag()
        self._send_init([])
        self._t1_at = -1.0  # armed when the INIT is actually handed out

    def _send_init(self, extra_params: list[tuple[int, bytes]]) -> None:
        """Send INIT (again) and wait for the INIT ACK in COOKIE-WAIT (§5.1 step A)."""
        init = InitChunk(
            self._local_tag,
            self.config.receive_buffer,
            self.config.outbound_streams,
            self.config.inbound_streams,
            self._local_tsn,
            [*extra_params, *self._extension_params()],
        )
        self._init_packet = self._packet(0, [init.encode()])
        self.state = State.COOKIE_WAIT
        self._outbox.append(self._init_packet)

    def send(
        self,
        stream_id: int,
        data: bytes,
        ppid: int,
        *,
        ordered: bool = True,
        max_retransmits: int | None = None,
        lifetime: float | None = None,
    ) -> None:
        """Queue one user message on ``stream_id`` with payload protocol identifier ``ppid``.

        ``max_retransmits`` or ``lifetime`` (seconds, counted from the next
        :meth:`datagrams_to_send`) make the message partially reliable (RFC 3758) when the
        peer supports FORWARD TSN; without them it is reliable. Empty messages are not
        allowed by SCTP (RFC 9260 §6.1); WebRTC sends one zero byte with a special PPID.
        """
        if self.state not in _SENDING_STATES or (self._ever_established and not self.established):
            raise SctpError(f"cannot send in state {self.state.value}")
        if not data:
            raise SctpError("SCTP cannot carry an empty message")
        if len(data) > self.config.max_message_size:
            raise SctpError(
                f"message of {len(data)} bytes exceeds the peer's maximum message size "
                f"{self.config.max_message_size}"
            )
        if not 0 <= stream_id < 65536:
            raise SctpError(f"invalid stream id {stream_id}")
        if self.state is State.ESTABLISHED and stream_id >= self._outbound_streams:
            raise SctpError(f"stream {stream_id} beyond the {self._outbound_streams} negotiated")
        if stream_id in self._closing_streams:
            raise SctpError(f"stream {stream_id} is being reset")
        self._sender.queue(stream_id, data, ppid, ordered, max_retransmits, lifetime)

    def buffered_amount(self, stream_id: int) -> int:
        """Bytes queued on ``stream_id`` that were not yet transmitted once."""
        return self._sender.buffered_amount(stream_id)

    def set_buffered_amount_low_threshold(self, stream_id: int, threshold: int) -> None:
        """Emit :class:`BufferedAmountLow` when ``stream_id`` drains to ``threshold`` or less."""
        self._sender.set_buffered_amount_low_threshold(stream_id, threshold)

    def reset_streams(self, stream_ids: list[int]) -> None:
        """Reset our outgoing ``stream_ids`` (RFC 6525 §5.1.2), e.g. to close data channels.

        Queued messages on those streams are sent first; new sends on them are refused until
        :class:`OutgoingStreamsReset` is reported.
        """
        if self.state is not State.ESTABLISHED:
            raise SctpError(f"cannot reset streams in state {self.state.value}")
        if not self._peer_reconfig:
            raise SctpError("the peer does not support stream reconfiguration")
        self._closing_streams.update(stream_ids)

    def shutdown(self) -> None:
        """Close gracefully once everything queued is acknowledged (RFC 9260 §9.2)."""
        if self.state is State.ESTABLISHED:
            self.state = State.SHUTDOWN_PENDING
        elif self.state in (State.COOKIE_WAIT, State.COOKIE_ECHOED):
            self.abort("shutdown before the association was established")

    def abort(self, reason: str = "") -> None:
        """Send ABORT with a User-Initiated Abort cause and close at once (RFC 9260 §9.1)."""
        self._abort([(CAUSE_USER_ABORT, reason.encode())] if reason else [], reason or "aborted")

    def _abort(self, causes: list[tuple[int, bytes]], reason: str) -> None:
        if self.state is State.CLOSED:
            return
        if self._peer_tag:
            self._outbox.append(self._packet(self._peer_tag, [AbortChunk(causes).encode()]))
        self._close(reason)

    @property
    def established(self) -> bool:
        return self.state is State.ESTABLISHED

    @property
    def peer_supports_forward_tsn(self) -> bool:
        return self._sender.peer_forward_tsn

    def stats(self) -> AssociationStats:
        """Current counters and congestion state."""
        sender = self._sender
        return AssociationStats(
            self._packets_received,
            self._packets_dropped,
            self._packets_sent,
            sender.retransmissions,
            sender.fast_retransmissions,
            sender.t3_expirations,
            sender.abandoned_messages,
            sender.cwnd,
            sender.ssthresh,
            self._rto.rto,
            self._rto.srtt,
        )

    # ------------------------------------------------------------------ sans-I/O interface

    def next_event(self) -> Event | None:
        """The next event for the application, or ``None``."""
        if not self._events:
            return None
        event = self._events.popleft()
        if type(event) is MessageReceived:
            self._undelivered_bytes -= len(event.data)
        return event

    def get_timer(self) -> float | None:
        """Earliest pending deadline, or ``None``."""
        timers = [
            t
            for t in (
                self._t1_at,
                self._t2_at,
                self._t3_at,
                self._sack_at,
                self._heartbeat_at,
                self._reconfig_at,
            )
            if t is not None and t >= 0
        ]
        return min(timers) if timers else None

    def handle_timer(self, now: float) -> None:
        """Run every timer that is due at ``now``."""
        if self._t1_at is not None and 0 <= self._t1_at <= now:
            self._on_t1(now)
        if self._t3_at is not None and self._t3_at <= now:
            self._on_t3(now)
        if self._t2_at is not None and self._t2_at <= now:
            self._on_t2(now)
        if self._sack_at is not None and self._sack_at <= now:
            self._sack_at = None
            self._sack_now = True
        if self._heartbeat_at is not None and self._heartbeat_at <= now:
            self._on_heartbeat_timer(now)
        if self._reconfig_at is not None and self._reconfig_at <= now:
            self._reconfig_at = None
            self._reset_request_sent = False

    def receive(self, data: bytes, now: float) -> None:
        """Process one SCTP packet; malformed or unexpected packets are dropped and counted."""
        self._packets_received += 1
        fields = parse_data_packet(data)
        if fields is not None:  # the data path: one DATA chunk, no chunk list or Packet
            src, dst, tag, flags, tsn, sid, ssn, ppid, user_data = fields
            config = self.config
            if (
                tag == self._local_tag
                and tag
                and src == config.remote_port
                and dst == config.local_port
                and self.state is not State.CLOSED
            ):
                self._on_data(DataChunk(tsn, sid, ssn, ppid, user_data, flags))
                if self._sack_due:
                    self._schedule_sack(now)
                return
        try:
            packet = parse_packet(data)
        except SctpParseError:
            self._packets_dropped += 1
            return
        if (
            packet.source_port != self.config.remote_port
            or packet.destination_port != self.config.local_port
            or not packet.chunks
        ):
            self._packets_dropped += 1
            return
        try:
            self._process(packet.verification_tag, packet.chunks, now)
        except SctpParseError:
            self._packets_dropped += 1

    def datagrams_to_send(self, now: float) -> list[bytes]:
        """Packets to send now: control packets, SACK, FORWARD TSN, RE-CONFIG and DATA."""
        out = self._outbox
        self._outbox = []
        if self._t1_at is not None and self._t1_at < 0 and out:
            self._t1_at = now + self._rto.rto
        self._sender.stamp_lifetimes(now)
        if self.state in (
            State.ESTABLISHED,
            State.SHUTDOWN_PENDING,
            State.SHUTDOWN_SENT,
            State.SHUTDOWN_RECEIVED,
        ):
            self._flush(now, out)
        self._packets_sent += len(out)
        return out

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _random_tag() -> int:
        while True:
            tag = int.from_bytes(os.urandom(4), "big")
            if tag:
                return tag

    def _extension_params(self) -> list[tuple[int, bytes]]:
        return [
            (PARAM_SUPPORTED_EXTENSIONS, bytes([RECONFIG, FORWARD_TSN])),
            (PARAM_FORWARD_TSN_SUPPORTED, b""),
        ]

    def _packet(self, tag: int, chunks: list[bytes]) -> bytes:
        return serialize_packet(self.config.local_port, self.config.remote_port, tag, chunks)

    def _emit(self, event: Event) -> None:
        self._events.append(event)

    def _close(self, reason: str | None) -> None:
        self.state = State.CLOSED
        self._ever_established = True  # a closed association never comes back
        self._t1_at = self._t2_at = self._t3_at = None
        self._sack_at = self._heartbeat_at = self._reconfig_at = None
        self._sack_due = self._sack_now = False
        self._sender.clear()
        self._emit(AssociationClosed(reason))

    def _rx_room(self) -> int:
        assert self._receiver is not None
        return max(
            0, self.config.receive_buffer - self._receiver.held_bytes - self._undelivered_bytes
        )

    def _count_error(self) -> bool:
        """Count one unanswered retransmission; abort past Association.Max.Retrans (§8.1)."""
        self._error_count += 1
        if self._error_count > self.config.max_retransmits:
            self._abort([], "too many retransmissions")
            return True
        return False

    # ------------------------------------------------------------------ input

    def _process(self, tag: int, chunks: list[Chunk], now: float) -> None:
        first = chunks[0]
        if isinstance(first, InitChunk) and not isinstance(first, InitAckChunk):
            if len(chunks) != 1 or tag != 0:
                raise SctpParseError("INIT must be alone with a zero verification tag")
            self._on_init(first, now)
            return
        if self.state is State.CLOSED and not isinstance(first, CookieEchoChunk):
            self._out_of_the_blue(tag, chunks)
            return
        local_tag = self._local_tag
        for chunk in chunks:
            kind = type(chunk)
            if kind is DataChunk and tag == local_tag:  # fast path
                assert isinstance(chunk, DataChunk)
                self._on_data(chunk)
                continue
            if kind is CookieEchoChunk:
                assert isinstance(chunk, CookieEchoChunk)
                if not self._on_cookie_echo(tag, chunk, now):
                    return
                local_tag = self._local_tag
                continue
            if isinstance(chunk, AbortChunk | ShutdownCompleteChunk):
                expected = self._peer_tag if chunk.flags & FLAG_T else self._local_tag
                if not expected or tag != expected:
                    raise SctpParseError("wrong verification tag")
                if isinstance(chunk, AbortChunk):
                    self._on_abort(chunk)
                elif self.state is State.SHUTDOWN_ACK_SENT:
                    self._close(None)
                return
            if not local_tag or tag != local_tag:
                raise SctpParseError("wrong verification tag")
            if not self._dispatch(chunk, now):
                return
        if self._sack_due:
            self._schedule_sack(now)

    def _out_of_the_blue(self, tag: int, chunks: list[Chunk]) -> None:
        """Answer a packet that belongs to no association (RFC 9260 §8.4)."""
        if any(isinstance(c, AbortChunk | ShutdownCompleteChunk) for c in chunks):
            return
        if any(isinstance(c, ShutdownAckChunk) for c in chunks):
            reply: Chunk = ShutdownCompleteChunk(FLAG_T)
        else:
            reply = AbortChunk([], FLAG_T)
        self._outbox.append(self._packet(tag, [reply.encode()]))

    def _dispatch(self, chunk: Chunk, now: float) -> bool:
        """Handle one chunk of an authenticated packet; ``False`` stops the packet."""
        kind = type(chunk)
        if self._receiver is None and kind not in _BEFORE_INIT_ACK:
            return True  # COOKIE-WAIT: nothing but the handshake means anything yet
        if kind is DataChunk:
            assert isinstance(chunk, DataChunk)
            self._on_data(chunk)
        elif kind is SackChunk:
            assert isinstance(chunk, SackChunk)
            self._on_sack(chunk, now)
        elif kind is InitAckChunk:
            assert isinstance(chunk, InitAckChunk)
            self._on_init_ack(chunk, now)
        elif kind is CookieAckChunk:
            if self.state is State.COOKIE_ECHOED:
                self._establish(now)
        elif kind is HeartbeatChunk:
            assert isinstance(chunk, HeartbeatChunk)
            self._outbox.append(
                self._packet(self._peer_tag, [HeartbeatAckChunk(chunk.info).encode()])
            )
        elif kind is HeartbeatAckChunk:
            assert isinstance(chunk, HeartbeatAckChunk)
            self._on_heartbeat_ack(chunk, now)
        elif kind is ForwardTsnChunk:
            assert isinstance(chunk, ForwardTsnChunk)
            self._on_forward_tsn(chunk)
        elif kind is ReconfigChunk:
            assert isinstance(chunk, ReconfigChunk)
            self._on_reconfig(chunk)
        elif kind is ShutdownChunk:
            assert isinstance(chunk, ShutdownChunk)
            self._on_shutdown(chunk, now)
        elif kind is ShutdownAckChunk:
            if self.state in (State.SHUTDOWN_SENT, State.SHUTDOWN_ACK_SENT):
                self._outbox.append(
                    self._packet(self._peer_tag, [ShutdownCompleteChunk().encode()])
                )
                self._close(None)
                return False
        elif kind is ErrorChunk:
            assert isinstance(chunk, ErrorChunk)
            self._on_error(chunk, now)
        elif kind is UnknownChunk:
            assert isinstance(chunk, UnknownChunk)
            return self._on_unknown(chunk)
        return self.state is not State.CLOSED

    def _on_error(self, chunk: ErrorChunk, now: float) -> None:
        """Reported errors change nothing (§3.3.10), except a Stale Cookie answering our
        COOKIE ECHO: INIT again, asking for a longer cookie life (§5.2.6)."""
        if self.state is not State.COOKIE_ECHOED:
            return
        for code, value in chunk.causes:
            if code == CAUSE_STALE_COOKIE and len(value) == 4:
                self._stale_cookies += 1  # not reset by an INIT ACK, unlike T1's count
                if self._stale_cookies > self.config.max_init_retransmits:
                    self._abort([], "handshake timed out")
                    return
                # suggest twice the staleness (ms), as the increment the cookie lacked
                staleness_ms = int.from_bytes(value, "big") // 1000
                increment = min(2 * staleness_ms + 1, 0xFFFFFFFF).to_bytes(4, "big")
                self._cookie_echo = self._receiver = None  # the next INIT ACK sets them
                self._send_init([(PARAM_COOKIE_PRESERVATIVE, increment)])
                self._t1_at = now + self._rto.rto
                return

    def _on_unknown(self, chunk: UnknownChunk) -> bool:
        """Apply the action bits of an unrecognized chunk type (RFC 9260 §3.2)."""
        action = chunk.chunk_type >> 6
        if action in (1, 3):
            cause = (CAUSE_UNRECOGNIZED_CHUNK, chunk.encode())
            self._outbox.append(self._packet(self._peer_tag, [ErrorChunk([cause]).encode()]))
        return action >= 2

    # ---- handshake (RFC 9260 §5)

    def _on_init(self, init: InitChunk, now: float) -> None:
        if init.initiate_tag == 0 or init.outbound_streams == 0 or init.inbound_streams == 0:
            raise SctpParseError("invalid INIT parameters")
        if self._ever_established and self.state is State.CLOSED:
            return
        if self.state in (State.CLOSED,):
            local_tag, local_tsn = self._random_tag(), self._local_tsn
        else:
            # Collision or a late INIT: answer with our existing tag and TSN (§5.2.1, §5.2.2).
            local_tag, local_tsn = self._local_tag, self._local_tsn
        fwd, reconfig = self._peer_extensions(init.params)
        state = CookieState(
            expires=now + self._cookie_lifetime(init),
            local_tag=local_tag,
            peer_tag=init.initiate_tag,
            local_tsn=local_tsn,
            peer_tsn=init.initial_tsn,
            peer_rwnd=init.a_rwnd,
            outbound_streams=min(self.config.outbound_streams, init.inbound_streams),
            inbound_streams=min(self.config.inbound_streams, init.outbound_streams),
            peer_forward_tsn=fwd,
            peer_reconfig=reconfig,
        )
        cookie = seal_cookie(self._cookie_key, state)
        ack = InitAckChunk(
            local_tag,
            self.config.receive_buffer,
            self.config.outbound_streams,
            self.config.inbound_streams,
            local_tsn,
            [(PARAM_STATE_COOKIE, cookie), *self._extension_params()],
        )
        self._outbox.append(self._packet(init.initiate_tag, [ack.encode()]))

    def _cookie_lifetime(self, init: InitChunk) -> float:
        """``cookie_lifetime``, lengthened by the Cookie Preservative an INIT sent after a
        Stale Cookie error asks for (§5.2.6), by at most ``cookie_lifetime`` again."""
        lifetime = self.config.cookie_lifetime
        increment = find_param(init.params, PARAM_COOKIE_PRESERVATIVE)
        if increment is not None and len(increment) == 4:
            lifetime += min(int.from_bytes(increment, "big") / 1000, lifetime)
        return lifetime

    @staticmethod
    def _peer_extensions(params: list[tuple[int, bytes]]) -> tuple[bool, bool]:
        extensions = find_param(params, PARAM_SUPPORTED_EXTENSIONS) or b""
        fwd = (
            FORWARD_TSN in extensions or find_param(params, PARAM_FORWARD_TSN_SUPPORTED) is not None
        )
        return fwd, RECONFIG in extensions

    def _on_init_ack(self, ack: InitAckChunk, now: float) -> None:
        if self.state is not State.COOKIE_WAIT:
            return  # duplicate or late INIT ACK (RFC 9260 §5.2.3)
        cookie = find_param(ack.params, PARAM_STATE_COOKIE)
        if cookie is None or ack.initiate_tag == 0:
            raise SctpParseError("INIT ACK without a State Cookie")
        self._peer_tag = ack.initiate_tag
        if ack.outbound_streams == 0 or ack.inbound_streams == 0:
            # §3.3.3: zero streams either way: destroy the association (and tell the peer)
            self._abort([(CAUSE_INVALID_MANDATORY_PARAMETER, b"")], "INIT ACK with zero streams")
            return
        self._sender.peer_forward_tsn, self._peer_reconfig = self._peer_extensions(ack.params)
        self._outbound_streams = min(self.config.outbound_streams, ack.inbound_streams)
        self._inbound_streams = min(self.config.inbound_streams, ack.outbound_streams)
        self._start_receiver(ack.initial_tsn, ack.a_rwnd)
        self._cookie_echo = self._packet(self._peer_tag, [CookieEchoChunk(cookie).encode()])
        self._outbox.append(self._cookie_echo)
        self.state = State.COOKIE_ECHOED
        self._init_retransmits = 0
        self._t1_at = now + self._rto.rto

    def _start_receiver(self, peer_tsn: int, peer_rwnd: int) -> None:
        self._receiver = Receiver(peer_tsn, self._inbound_streams)
        self._peer_reconfig_seq = peer_tsn
        self._sender.peer_rwnd = self._sender.ssthresh = peer_rwnd

    def _on_cookie_echo(self, tag: int, chunk: CookieEchoChunk, now: float) -> bool:
        """Validate a COOKIE ECHO and establish if appropriate (RFC 9260 §5.1.5, §5.2.4)."""
        try:
            state = open_cookie(self._cookie_key, chunk.cookie, now)
        except StaleCookieError as exc:
            # §5.1.5 step 3: tell the peer how stale (microseconds), with its INIT's tag
            staleness = min(int(exc.staleness * 1e6), 0xFFFFFFFF).to_bytes(4, "big")
            error = ErrorChunk([(CAUSE_STALE_COOKIE, staleness)])
            self._outbox.append(self._packet(exc.peer_tag, [error.encode()]))
            return False
        if tag != state.local_tag:
            raise SctpParseError("COOKIE ECHO verification tag does not match its cookie")
        if self.state is State.CLOSED:
            if self._ever_established:
                return False
            self._local_tag = state.local_tag  # our INIT ACKs always carry self._local_tsn
        elif state.local_tag != self._local_tag:
            return False  # a restart (§5.2.4 case A/C) is not supported
        elif state.peer_tag != self._peer_tag and self.state is State.ESTABLISHED:
            return False
        if self.state is not State.ESTABLISHED:
            self._peer_tag = state.peer_tag
            self._sender.peer_forward_tsn = state.peer_forward_tsn
            self._peer_reconfig = state.peer_reconfig
            self._outbound_streams = state.outbound_streams
            self._inbound_streams = state.inbound_streams
            self._start_receiver(state.peer_tsn, state.peer_rwnd)
            self._establish(now)
        self._outbox.append(self._packet(self._peer_tag, [CookieAckChunk().encode()]))
        return True

    def _establish(self, now: float) -> None:
        self.state = State.ESTABLISHED
        self._ever_established = True
        self._t1_at = None
        self._init_packet = self._cookie_echo = None
        self._error_count = 0
        self._heartbeat_at = now + self.config.heartbeat_interval
        self._emit(
            AssociationEstablished(
                self._outbound_streams, self._inbound_streams, self.config.max_message_size
            )
        )

    def _on_t1(self, now: float) -> None:
        """T1-init / T1-cookie expiry: retransmit INIT or COOKIE ECHO (RFC 9260 §5.1)."""
        packet = self._init_packet if self.state is State.COOKIE_WAIT else self._cookie_echo
        if packet is None:
            self._t1_at = None
            return
        self._init_retransmits += 1
        if self._init_retransmits > self.config.max_init_retransmits:
            self._t1_at = None
            self._abort([], "handshake timed out")
            return
        self._rto.back_off()
        self._outbox.append(packet)
        self._t1_at = now + self._rto.rto

    def _on_abort(self, chunk: AbortChunk) -> None:
        reason = "aborted by peer"
        for code, value in chunk.causes:
            if code == CAUSE_USER_ABORT and value:
                reason = f"aborted by peer: {value.decode('utf-8', 'replace')}"
        self._close(reason)

    # ---- heartbeat (RFC 9260 §8.3)

    def _on_heartbeat_timer(self, now: float) -> None:
        if self.state is not State.ESTABLISHED:
            self._heartbeat_at = None
            return
        if self._heartbeat_nonce is not None and self._count_error():
            return
        self._heartbeat_nonce = os.urandom(8)
        info = _heartbeat_info.pack(now, self._heartbeat_nonce)
        self._outbox.append(self._packet(self._peer_tag, [HeartbeatChunk(info).encode()]))
        self._heartbeat_at = now + self.config.heartbeat_interval + self._rto.rto

    def _on_heartbeat_ack(self, chunk: HeartbeatAckChunk, now: float) -> None:
        if len(chunk.info) != _heartbeat_info.size or self._heartbeat_nonce is None:
            return
        sent_at, nonce = _heartbeat_info.unpack(chunk.info)
        if nonce != self._heartbeat_nonce:
            return
        self._heartbeat_nonce = None
        self._error_count = 0
        if now - sent_at >= 0:
            self._rto.update(now - sent_at)

    # ---- data receiver (RFC 9260 §6.2)

    def _on_data(self, chunk: DataChunk) -> None:
        receiver = self._receiver
        if receiver is None or self.state not in _RECEIVING_STATES:
            return
        if not chunk.user_data:
            cause = (CAUSE_NO_USER_DATA, chunk.tsn.to_bytes(4, "big"))
            self._abort([cause], "DATA chunk without user data")  # RFC 9260 §6.2
            return
        if chunk.stream_id >= self._inbound_streams:
            cause = (CAUSE_INVALID_STREAM, chunk.stream_id.to_bytes(2, "big") + bytes(2))
            self._outbox.append(self._packet(self._peer_tag, [ErrorChunk([cause]).encode()]))
        delivered: list[MessageReceived] = []
        undelivered = self._undelivered_bytes
        room = self.config.receive_buffer - receiver.held_bytes - undelivered
        # The next expected TSN is taken even without room when the application has read
        # everything: what fills the buffer then is waiting for exactly this chunk.
        accepted = receiver.receive(chunk, room, undelivered == 0, delivered)
        if delivered:
            events = self._events
            for message in delivered:
                undelivered += len(message.data)
                events.append(message)
            self._undelivered_bytes = undelivered
        self._sack_due = True
        if not accepted or receiver.has_gaps or chunk.flags & FLAG_IMMEDIATE:
            self._sack_now = True

    def _schedule_sack(self, now: float) -> None:
        """Delayed acknowledgement: every second packet or after ``delayed_ack`` (§6.2).

        In SHUTDOWN-SENT, DATA is answered at once with a SHUTDOWN, restarting T2, and with a
        SACK too when the SHUTDOWN's cumulative ack cannot cover what arrived: gaps or
        duplicates (§9.2).
        """
        self._sack_due = False
        receiver = self._receiver
        if self.state is State.SHUTDOWN_SENT and receiver is not None:
            shutdown = ShutdownChunk(receiver.cumulative_tsn)
            self._outbox.append(self._packet(self._peer_tag, [shutdown.encode()]))
            self._t2_at = now + self._rto.rto
            if receiver.has_gaps or receiver.has_duplicates:
                self._sack_now = True
            return
        self._packets_unacked += 1
        if self._packets_unacked >= 2:
            self._sack_now = True
        if not self._sack_now and self._sack_at is None:
            self._sack_at = now + self.config.delayed_ack

    def _on_forward_tsn(self, chunk: ForwardTsnChunk) -> None:
        if self._receiver is None:
            return
        delivered: list[MessageReceived] = []
        self._receiver.forward_tsn(chunk.new_cumulative_tsn, chunk.streams, delivered)
        for message in delivered:
            self._undelivered_bytes += len(message.data)
            self._events.append(message)
        self._sack_due = self._sack_now = True

    # ---- data sender (RFC 9260 §6.1-6.3, §7; RFC 3758)

    def _on_sack(self, sack: SackChunk, now: float, *, reports_gaps: bool = True) -> None:
        sender = self._sender
        try:
            advanced = sender.on_sack(sack, now, reports_gaps=reports_gaps)
        except ProtocolViolation as exc:
            self._abort([(CAUSE_PROTOCOL_VIOLATION, str(exc).encode())], str(exc))
            return
        self._error_count = 0
        if not sender.outstanding:
            self._t3_at = None
        elif advanced or self._t3_at is None:
            self._t3_at = now + self._rto.rto

    def _on_t3(self, now: float) -> None:
        """T3-rtx expiry (RFC 9260 §6.3.3): the sender marks, the RTO backs off."""
        self._t3_at = None
        if self._count_error():
            return
        self._sender.on_t3(now)
        self._rto.back_off()
        if self._sender.outstanding:
            # Restarted even when nothing is resent (all gap-acked or abandoned): a lost
            # FORWARD TSN or SACK must not leave the association waiting forever (§6.3.3 E3).
            self._t3_at = now + self._rto.rto

    # ---- output

    def _flush(self, now: float, out: list[bytes]) -> None:
        """Bundle control chunks, retransmissions and new DATA into MTU-sized packets."""
        mtu = self.config.mtu
        chunks: list[bytes] = []
        size = COMMON_HEADER_LENGTH
        sent_data = False
        if self._receiver is not None and self._rx_room() >= self._advertised_rwnd + max(
            mtu, self.config.receive_buffer // 4
        ):
            self._sack_now = True  # window update after the application read a lot (§6.2)

        def add(encoded: bytes) -> None:
            nonlocal size
            if size + len(encoded) > mtu and chunks:
                out.append(self._packet(self._peer_tag, chunks))
                chunks.clear()
                size = COMMON_HEADER_LENGTH
            chunks.append(encoded)
            size += len(encoded)

        sender = self._sender
        if self._sack_now or (self._sack_at is not None and sender.has_data_to_send):
            self._add_sack(add)
        self._add_reconfig(add, now)
        sent_data = sender.add_chunks(add, now, self.state in _DATA_SENDING_STATES)
        if self.state is State.SHUTDOWN_PENDING and sender.idle:
            add(ShutdownChunk(self._receiver.cumulative_tsn if self._receiver else 0).encode())
            self.state = State.SHUTDOWN_SENT
            self._t2_at = now + self._rto.rto
        elif self.state is State.SHUTDOWN_RECEIVED and sender.idle:
            add(ShutdownAckChunk().encode())
            self.state = State.SHUTDOWN_ACK_SENT
            self._t2_at = now + self._rto.rto
        if chunks:
            out.append(self._packet(self._peer_tag, chunks))
        if sent_data and self._t3_at is None:
            self._t3_at = now + self._rto.rto

    def _add_sack(self, add: Adder) -> None:
        assert self._receiver is not None
        max_blocks = (self.config.mtu - COMMON_HEADER_LENGTH - 16 - 32 * 4) // 4
        self._advertised_rwnd = self._rx_room()
        add(self._receiver.make_sack(self._advertised_rwnd, max_blocks).encode())
        self._sack_now = False
        self._sack_at = None
        self._packets_unacked = 0

    def _add_reconfig(self, add: Adder, now: float) -> None:
        if self._reset_request is None and self._closing_streams:
            closing = self._closing_streams
            if self._sender.has_pending_on(closing):
                return
            self._reset_request = OutgoingResetRequest(
                self._reconfig_seq,
                (self._peer_reconfig_seq - 1) & _MASK,
                self._sender.last_assigned_tsn,
                sorted(closing),
            )
            self._reset_request_sent = False
        if self._reset_request is not None and not self._reset_request_sent:
            add(ReconfigChunk([self._reset_request]).encode())
            self._reset_request_sent = True
            self._reconfig_at = now + self._rto.rto

    # ---- stream reconfiguration (RFC 6525 §5)

    def _on_reconfig(self, chunk: ReconfigChunk) -> None:
        responses: list[ReconfigResponse] = []
        for param in chunk.params:
            if isinstance(param, OutgoingResetRequest):
                responses.append(self._on_reset_request(param))
            elif isinstance(param, ReconfigResponse):
                self._on_reconfig_response(param)
            elif param[0] in _UNSUPPORTED_RECONFIG_REQUESTS and len(param[1]) >= 4:
                responses.append(self._deny_request(int.from_bytes(param[1][:4], "big")))
        if responses:
            self._outbox.append(
                self._packet(self._peer_tag, [ReconfigChunk(list(responses)).encode()])
            )

    def _check_request_seq(self, seq: int) -> ReconfigResponse | None:
        """The answer to a repeated or out-of-sequence request, else ``None`` (§5.2.1)."""
        if seq == (self._peer_reconfig_seq - 1) & _MASK and self._last_reconfig_response:
            return self._last_reconfig_response
        if seq != self._peer_reconfig_seq:
            return ReconfigResponse(seq, RESULT_ERROR_BAD_SEQ)
        return None

    def _answer_request(self, seq: int, result: int) -> ReconfigResponse:
        self._peer_reconfig_seq = (seq + 1) & _MASK
        response = ReconfigResponse(seq, result)
        self._last_reconfig_response = response
        return response

    def _on_reset_request(self, request: OutgoingResetRequest) -> ReconfigResponse:
        """Reset the peer's outgoing (our incoming) streams (RFC 6525 §5.2.2)."""
        assert self._receiver is not None
        seq = request.request_seq
        early = self._check_request_seq(seq)
        if early is not None:
            return early
        if tsn_gt(request.last_tsn, self._receiver.cumulative_tsn):
            return ReconfigResponse(seq, RESULT_IN_PROGRESS)
        self._receiver.reset_streams(request.streams)
        self._emit(StreamsReset(tuple(request.streams)))
        return self._answer_request(seq, RESULT_SUCCESS_PERFORMED)

    def _deny_request(self, seq: int) -> ReconfigResponse:
        """Refuse a request type we do not implement (RFC 6525 §5.2.3-5.2.6)."""
        return self._check_request_seq(seq) or self._answer_request(seq, RESULT_DENIED)

    def _on_reconfig_response(self, response: ReconfigResponse) -> None:
        request = self._reset_request
        if request is None or response.response_seq != request.request_seq:
            return
        if response.result == RESULT_IN_PROGRESS:
            return  # the timer resends the request
        self._reset_request = None
        self._reconfig_at = None
        self._reconfig_seq = (self._reconfig_seq + 1) & _MASK
        streams = request.streams
        self._closing_streams.difference_update(streams)
        if response.result in (RESULT_SUCCESS_NOTHING, RESULT_SUCCESS_PERFORMED):
            self._sender.reset_ssns(streams)
            self._emit(OutgoingStreamsReset(tuple(streams)))

    # ---- shutdown (RFC 9260 §9.2)

    def _on_shutdown(self, chunk: ShutdownChunk, now: float) -> None:
        """SHUTDOWN (§9.2): its Cumulative TSN Ack counts on every SHUTDOWN received."""
        if self.state in (State.ESTABLISHED, State.SHUTDOWN_PENDING, State.SHUTDOWN_RECEIVED):
            self.state = State.SHUTDOWN_RECEIVED
            sender = self._sender
            self._on_sack(
                SackChunk(chunk.cumulative_tsn, sender.peer_rwnd + sender.flight_size),
                now,
                reports_gaps=False,
            )
        elif self.state is State.SHUTDOWN_SENT:
            self._outbox.append(self._packet(self._peer_tag, [ShutdownAckChunk().encode()]))
            self.state = State.SHUTDOWN_ACK_SENT
            self._t2_at = now + self._rto.rto

    def _on_t2(self, now: float) -> None:
        """T2-shutdown expiry: resend SHUTDOWN or SHUTDOWN ACK (§9.2)."""
        self._t2_at = None
        if self._count_error():
            return
        self._rto.back_off()
        if self.state is State.SHUTDOWN_SENT:
            assert self._receiver is not None
            chunk: Chunk = ShutdownChunk(self._receiver.cumulative_tsn)
        elif self.state is State.SHUTDOWN_ACK_SENT:
            chunk = ShutdownAckChunk()
        else:
            return
        self._outbox.append(self._packet(self._peer_tag, [chunk.encode()]))
        self._t2_at = now + self._rto.rto
