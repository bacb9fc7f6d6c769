"""Sans-I/O DTLS 1.2 connection: records, flights, retransmission timers, events.

:class:`DtlsConnection` is a :class:`pyrtc.sansio.ConnectionCore`. It frames and protects
records (RFC 6347 §4.1), packs handshake flights into datagrams no larger than the MTU,
retransmits them on a doubling timer (RFC 6347 §4.2.4) and fails after a bounded total time.
The handshake itself lives in :mod:`pyrtc.dtls.handshake`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from enum import Enum, auto
from typing import Literal, TextIO

from pyrtc._native.dtls_record import ReplayWindow as NativeReplayWindow
from pyrtc.dtls.certificate import RTCCertificate, RTCDtlsFingerprint
from pyrtc.dtls.errors import AlertError, DtlsError, DtlsParseError
from pyrtc.dtls.events import (
    ApplicationDataReceived,
    ConnectionClosed,
    ConnectionFailed,
    HandshakeCompleted,
)
from pyrtc.dtls.fragments import (
    HANDSHAKE_HEADER_LENGTH,
    Reassembler,
    parse_fragments,
    split_message,
)
from pyrtc.dtls.handshake import FlightItem, Handshake12
from pyrtc.dtls.keying import SrtpKeyingMaterial
from pyrtc.dtls.messages import AlertDescription, ContentType, HandshakeType
from pyrtc.dtls.record import (
    HEADER_LENGTH,
    MAX_SEQUENCE,
    Protection,
    Record,
    build_record,
    parse_records,
)
from pyrtc.dtls.suites import (
    DEFAULT_CIPHER_SUITES,
    DEFAULT_SRTP_PROFILES,
    SRTP_KEY_SALT_LENGTHS,
    SUITES,
)
from pyrtc.sansio import Event

MAX_PLAINTEXT = 2**14
MAX_EARLY_RECORDS = 8
_APPLICATION_DATA = int(ContentType.APPLICATION_DATA)  # a plain int: cheaper on the data path
ALERT_LEVEL_WARNING = 1
ALERT_LEVEL_FATAL = 2


class _Phase(Enum):
    HANDSHAKE = auto()
    ESTABLISHED = auto()
    CLOSED = auto()
    FAILED = auto()


class DtlsConnection:
    """One DTLS 1.2 association with a single peer, client or server role.

    ``remote_fingerprints`` are the peer's SDP fingerprints (RFC 8122); when given, the
    certificate the peer presents must match one of them or the handshake fails.
    ``hello_verify`` makes a server demand a cookie round trip (RFC 6347 §4.2.1) before it
    commits any state. ``key_log`` receives NSS key log lines for Wireshark.
    """

    def __init__(
        self,
        role: Literal["client", "server"],
        certificate: RTCCertificate,
        *,
        remote_fingerprints: list[RTCDtlsFingerprint] | None = None,
        srtp_profiles: Sequence[int] = DEFAULT_SRTP_PROFILES,
        cipher_suites: Sequence[int] = DEFAULT_CIPHER_SUITES,
        mtu: int = 1200,
        hello_verify: bool = False,
        initial_timeout: float = 1.0,
        max_timeout: float = 60.0,
        handshake_timeout: float = 30.0,
        key_log: TextIO | None = None,
    ) -> None:
        if role not in ("client", "server"):
            raise DtlsError(f"role must be 'client' or 'server', not {role!r}")
        if mtu < 256:
            raise DtlsError("mtu below 256 bytes cannot carry a handshake")
        unknown = [s for s in cipher_suites if s not in SUITES] + [
            p for p in srtp_profiles if p not in SRTP_KEY_SALT_LENGTHS
        ]
        if unknown or not cipher_suites:
            raise DtlsError(f"unsupported cipher suites or SRTP profiles: {unknown}")
        self.role = role
        self._mtu = mtu
        self._initial_timeout = initial_timeout
        self._max_timeout = max_timeout
        self._handshake_timeout = handshake_timeout
        self._phase = _Phase.HANDSHAKE
        self._events: deque[Event] = deque()
        self._outgoing: list[bytes] = []
        self._read: dict[int, Protection | None] = {0: None}
        self._replay: dict[int, NativeReplayWindow] = {}
        self._retransmit_trigger = -1
        self._early: list[Record] = []
        self._early_data: list[bytes] = []
        self._write: dict[int, Protection | None] = {0: None}
        self._write_seq: dict[int, int] = {0: 0}
        self._write_epoch = 0
        self._reassembler = Reassembler()
        self._flight: list[FlightItem] = []
        self._flight_is_final = False
        self._timer: float | None = None
        self._timeout = initial_timeout
        self._deadline: float | None = None
        self._now = 0.0
        self._handshake = Handshake12(
            self,
            role == "client",
            certificate,
            remote_fingerprints,
            cipher_suites,
            srtp_profiles,
            hello_verify,
            key_log,
        )
        self.dropped_records = 0
        """Records discarded: garbled, unauthenticated, replayed, unknown epoch or stale."""

    # -- ConnectionCore ------------------------------------------------------------------

    def connect(self, now: float) -> None:
        """Client: start the handshake by sending the ClientHello."""
        if self.role != "client":
            raise DtlsError("only the client role initiates the handshake")
        self._now = now
        self._deadline = now + self._handshake_timeout
        self._handshake.start()

    def receive(self, data: bytes, now: float) -> None:
        """Feed one datagram from the peer; never raises on bad input."""
        plaintext = self.receive_data(data, now)
        if plaintext is not None:
            self._events.append(ApplicationDataReceived(plaintext))

    def receive_data(self, data: bytes, now: float) -> bytes | None:
        """:meth:`receive` for the data path: the plaintext of a datagram that is exactly one
        authentic application_data record is returned instead of queued as an
        :class:`ApplicationDataReceived` event. Anything else goes the general way (its
        events are queued as usual) and ``None`` is returned.

        Once established, such a datagram is checked and opened without building a
        :class:`Record` (replayed or forged ones are dropped and counted)."""
        self._now = now
        if self._phase is _Phase.ESTABLISHED:
            protection = self._read[1]
            assert protection is not None
            opened = protection.open_datagram(_APPLICATION_DATA, 1, self._replay[1], data)
            if opened:
                return opened[0]
            if opened is not None:
                self.dropped_records += 1
                return None
        self._receive_datagram(data)
        return None

    def _receive_datagram(self, data: bytes) -> None:
        if self._phase in (_Phase.CLOSED, _Phase.FAILED):
            return
        try:
            records = parse_records(data)
        except DtlsParseError:
            self.dropped_records += 1
            return
        retransmit = False
        for record in records:
            if self._phase in (_Phase.CLOSED, _Phase.FAILED):
                break
            retransmit |= self._receive_record(record)
        if self._early and self._phase == _Phase.HANDSHAKE and 1 in self._read:
            early, self._early = self._early, []
            for record in early:
                retransmit |= self._receive_record(record)
        if retransmit and self._flight:
            # RFC 6347 §4.2.4: a repeated peer flight means part of ours was lost.
            self._transmit_flight()

    def datagrams_to_send(self, now: float) -> list[bytes]:
        """Datagrams to put on the wire, in order."""
        self._now = now
        out, self._outgoing = self._outgoing, []
        return out

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` should next run, or ``None``."""
        if self._phase != _Phase.HANDSHAKE:
            return None
        candidates = [t for t in (self._timer, self._deadline) if t is not None]
        return min(candidates) if candidates else None

    def handle_timer(self, now: float) -> None:
        """Retransmit the current flight or give up once the handshake deadline has passed."""
        self._now = now
        if self._phase != _Phase.HANDSHAKE:
            return
        if self._deadline is not None and now >= self._deadline:
            self._fail("handshake timed out", None)
            return
        if self._timer is not None and now >= self._timer:
            self._timeout = min(self._timeout * 2, self._max_timeout)
            self._transmit_flight()

    def next_event(self) -> Event | None:
        """The next event for the application, or ``None``."""
        return self._events.popleft() if self._events else None

    # -- application API -----------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Send ``data`` as one application_data record (at most 2^14 bytes)."""
        if self._phase != _Phase.ESTABLISHED:
            raise DtlsError("cannot send application data before the handshake completes")
        if len(data) > MAX_PLAINTEXT:
            raise DtlsError(f"application data of {len(data)} bytes exceeds one record")
        self._outgoing.append(self._protect(ContentType.APPLICATION_DATA, self._write_epoch, data))

    def send_many(self, records: list[bytes]) -> None:
        """:meth:`send` for each of ``records`` in order: the data path's batch form.
        Nothing is sent when one of them is too long for a record."""
        if self._phase != _Phase.ESTABLISHED:
            raise DtlsError("cannot send application data before the handshake completes")
        epoch = self._write_epoch
        protection = self._write[epoch]
        assert protection is not None  # established: the epoch has keys
        sequence = self._write_seq[epoch]
        if sequence + len(records) > MAX_SEQUENCE + 1:
            raise DtlsError("record sequence numbers exhausted for this epoch")
        longest = max(map(len, records), default=0)
        if longest > MAX_PLAINTEXT:
            raise DtlsError(f"application data of {longest} bytes exceeds one record")
        self._outgoing += protection.seal_many(_APPLICATION_DATA, epoch, sequence, records)
        self._write_seq[epoch] = sequence + len(records)

    def close(self) -> None:
        """Send close_notify and stop (RFC 5246 §7.2.1)."""
        if self._phase in (_Phase.CLOSED, _Phase.FAILED):
            return
        self._send_alert(ALERT_LEVEL_WARNING, AlertDescription.CLOSE_NOTIFY)
        self._finish(_Phase.CLOSED)
        self._events.append(ConnectionClosed())

    @property
    def is_established(self) -> bool:
        return self._phase == _Phase.ESTABLISHED

    @property
    def cipher_suite(self) -> int | None:
        """The negotiated cipher suite number, once the ServerHello is settled."""
        return self._handshake.cipher_suite

    def export_keying_material(self, label: str, length: int) -> bytes:
        """RFC 5705 exporter (no context) once the handshake is complete."""
        return self._handshake.export_keying_material(label, length)

    def srtp_keying_material(self) -> SrtpKeyingMaterial | None:
        """DTLS-SRTP master keys and salts (RFC 5764 §4.2), or ``None`` without use_srtp."""
        return self._handshake.srtp_keying_material()

    # -- HandshakeDriver -----------------------------------------------------------------

    def send_flight(self, items: list[FlightItem], expect_reply: bool) -> None:
        self._flight = items
        self._flight_is_final = not expect_reply
        # After our ChangeCipherSpec, alerts too must go out in the new epoch.
        self._write_epoch = max(item.epoch for item in items)
        self._timeout = self._initial_timeout
        self._transmit_flight()
        if self._deadline is None:
            self._deadline = self._now + self._handshake_timeout

    def send_stateless(self, item: FlightItem, record_sequence: int) -> None:
        """HelloVerifyRequest: reuse the ClientHello's record number (RFC 6347 §4.2.1)."""
        fragment = split_message(item.msg_type, item.message_seq, item.body, self._mtu)[0]
        self._outgoing.append(build_record(ContentType.HANDSHAKE, 0, record_sequence, fragment))
        self._write_seq[0] = max(self._write_seq[0], record_sequence + 1)

    def install_keys(self, read: Protection, write: Protection) -> None:
        self._read[1] = read
        self._replay[1] = NativeReplayWindow()
        self._write[1] = write
        self._write_seq[1] = 0

    def handshake_done(self) -> None:
        self._phase = _Phase.ESTABLISHED
        self._write_epoch = 1
        self._early = []
        self._timer = None
        self._deadline = None
        if not self._flight_is_final:
            # The peer sent the last flight; ours is acknowledged and never needed again.
            self._flight = []
        handshake = self._handshake
        assert handshake.cipher_suite is not None
        self._events.append(
            HandshakeCompleted(
                peer_certificate=handshake.peer_certificate_der,
                cipher_suite=handshake.cipher_suite,
                srtp_profile=handshake.srtp_profile,
                srtp_keys=handshake.srtp_keying_material(),
            )
        )
        self._events.extend(ApplicationDataReceived(data) for data in self._early_data)
        self._early_data = []

    # -- records out ---------------------------------------------------------------------

    def _protect(self, content_type: int, epoch: int, payload: bytes) -> bytes:
        sequence = self._write_seq[epoch]
        if sequence > MAX_SEQUENCE:
            raise DtlsError("record sequence numbers exhausted for this epoch")
        self._write_seq[epoch] = sequence + 1
        protection = self._write[epoch]
        if protection is not None:
            return protection.seal(content_type, epoch, sequence, payload)
        return build_record(content_type, epoch, sequence, payload)

    def _transmit_flight(self) -> None:
        """Send the current flight, packing records into datagrams of at most ``mtu`` bytes."""
        records: list[bytes] = []
        for item in self._flight:
            if item.content_type != ContentType.HANDSHAKE:
                records.append(self._protect(item.content_type, item.epoch, item.body))
                continue
            protection = self._write[item.epoch]
            overhead = HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH
            overhead += protection.overhead if protection is not None else 0
            for fragment in split_message(
                item.msg_type, item.message_seq, item.body, self._mtu - overhead
            ):
                records.append(self._protect(ContentType.HANDSHAKE, item.epoch, fragment))
        datagram = b""
        for record in records:
            if datagram and len(datagram) + len(record) > self._mtu:
                self._outgoing.append(datagram)
                datagram = b""
            datagram += record
        if datagram:
            self._outgoing.append(datagram)
        self._timer = None if self._flight_is_final else self._now + self._timeout

    def _send_alert(self, level: int, description: int) -> None:
        self._outgoing.append(
            self._protect(ContentType.ALERT, self._write_epoch, bytes([level, description]))
        )

    # -- records in ----------------------------------------------------------------------

    def _receive_record(self, record: Record) -> bool:
        """Handle one record; True when it shows the peer is retransmitting an old flight."""
        if record.version >> 8 != 0xFE or record.epoch not in self._read:
            if record.epoch == 1 and self._phase == _Phase.HANDSHAKE:
                self._hold_early(record)
            else:
                self.dropped_records += 1
            return False
        protection = self._read[record.epoch]
        payload = record.fragment
        if protection is not None:
            # Replay protection only where records are authenticated: in epoch 0 a forged
            # sequence number could otherwise shadow the genuine records that follow, and
            # the handshake layer already discards repeated messages.
            window = self._replay[record.epoch]
            if window.is_duplicate(record.sequence):
                self.dropped_records += 1
                return False
            try:
                payload = protection.decrypt(record)
            except DtlsParseError:
                self.dropped_records += 1
                return False
            window.mark(record.sequence)
        content_type = record.content_type
        if content_type == ContentType.HANDSHAKE:
            return self._receive_handshake(record, payload)
        if content_type == ContentType.CHANGE_CIPHER_SPEC:
            if payload != b"\x01" or record.epoch != 0 or self._phase != _Phase.HANDSHAKE:
                self.dropped_records += 1
            elif 1 not in self._read:
                self._hold_early(record)  # it overtook the key exchange
            else:
                self._handshake.peer_ccs_received = True
                self._process_handshake(record.sequence)
        elif content_type == ContentType.ALERT:
            self._receive_alert(record, payload)
        elif content_type == ContentType.APPLICATION_DATA and record.epoch > 0:
            if self._phase == _Phase.ESTABLISHED:
                self._events.append(ApplicationDataReceived(payload))
            elif len(self._early_data) < MAX_EARLY_RECORDS:
                # The peer finished first and its data overtook its Finished: release it once
                # our side of the handshake completes.
                self._early_data.append(payload)
            else:
                self.dropped_records += 1
        else:
            self.dropped_records += 1
        return False

    def _hold_early(self, record: Record) -> None:
        """Keep a few records that need the next epoch's keys (RFC 6347 §4.1): a Finished or
        ChangeCipherSpec that overtook the key exchange, instead of waiting for a resend."""
        if len(self._early) < MAX_EARLY_RECORDS:
            self._early.append(record)
        else:
            self.dropped_records += 1

    def _receive_alert(self, record: Record, payload: bytes) -> None:
        if len(payload) != 2 or (self._phase == _Phase.ESTABLISHED and record.epoch == 0):
            self.dropped_records += 1
            return
        level, description = payload
        if description == AlertDescription.CLOSE_NOTIFY:
            if self._phase == _Phase.ESTABLISHED:
                self._send_alert(ALERT_LEVEL_WARNING, AlertDescription.CLOSE_NOTIFY)
            self._finish(_Phase.CLOSED)
            self._events.append(ConnectionClosed())
        elif level == ALERT_LEVEL_FATAL:
            try:
                name = AlertDescription(description).name.lower()
            except ValueError:
                name = str(description)
            self._finish(_Phase.FAILED)
            self._events.append(
                ConnectionFailed(f"peer sent fatal alert {name}", description, remote=True)
            )

    def _receive_handshake(self, record: Record, payload: bytes) -> bool:
        try:
            fragments = parse_fragments(payload)
        except DtlsParseError:
            self.dropped_records += 1
            return False
        retransmit = False
        for fragment in fragments:
            if self._handshake.accepts_any_message_seq and fragment.message_seq != (
                self._reassembler.next_seq
            ):
                # A stateless server takes a ClientHello at whatever message_seq it carries.
                self._reassembler.reset(fragment.message_seq)
            if fragment.message_seq < self._reassembler.next_seq:
                # A peer retransmission carries fresh record numbers; a network duplicate of
                # the record that already made us resend does not resend again. The first old
                # message after that always does, duplicate or not: measured on lossy links,
                # answering only true retransmissions cost handshake time for little traffic.
                if record.epoch > 0 or record.sequence > self._retransmit_trigger:
                    retransmit = True
                    if record.epoch == 0:
                        self._retransmit_trigger = record.sequence
            elif self._phase != _Phase.HANDSHAKE:
                # A new handshake after ours would be renegotiation, which we refuse
                # (RFC 5746 §4.2, §4.4) with one warning per request.
                self.dropped_records += 1
                if fragment.offset == 0 and fragment.msg_type in (
                    HandshakeType.HELLO_REQUEST,
                    HandshakeType.CLIENT_HELLO,
                ):
                    self._send_alert(ALERT_LEVEL_WARNING, AlertDescription.NO_RENEGOTIATION)
            elif not self._reassembler.add(fragment):
                self.dropped_records += 1
        if self._phase == _Phase.HANDSHAKE:
            self._process_handshake(record.sequence)
        return retransmit

    def _process_handshake(self, record_sequence: int) -> None:
        """Feed every complete in-order message to the handshake; fail on its alerts."""
        while self._phase == _Phase.HANDSHAKE:
            message = self._reassembler.peek()
            if message is None:
                return
            if self._handshake.needs_ccs and not self._handshake.peer_ccs_received:
                return
            msg_type, body = message
            seq = self._reassembler.next_seq
            self._reassembler.advance()
            try:
                self._handshake.handle(msg_type, seq, body, record_sequence)
            except AlertError as exc:
                self._fail(exc.reason, exc.description)
            except DtlsParseError as exc:
                self._fail(f"malformed handshake message: {exc}", AlertDescription.DECODE_ERROR)
            if self._handshake.accepts_any_message_seq:
                self._reassembler.reset(seq)

    def _fail(self, reason: str, alert: int | None) -> None:
        if alert is not None:
            self._send_alert(ALERT_LEVEL_FATAL, alert)
        self._finish(_Phase.FAILED)
        self._events.append(ConnectionFailed(reason, alert, remote=False))

    def _finish(self, phase: _Phase) -> None:
        """Leave the connection for good: no timers, no flight, no secrets."""
        self._phase = phase
        self._timer = None
        self._deadline = None
        self._flight = []
        self._early = []
        self._early_data = []
        self._reassembler.reset(0)
        self._handshake.wipe()
        if phase == _Phase.FAILED:
            self._read = {}
            self._write = {0: None}
            self._write_seq = {0: self._write_seq.get(0, 0)}
