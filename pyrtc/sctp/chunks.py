"""SCTP packet and chunk codec (RFC 9260 §3, RFC 3758 §3.2, RFC 6525 §3-4).

:func:`parse_packet` turns bytes into a :class:`Packet` of chunk objects after checking the
CRC-32C checksum (RFC 9260 Appendix B); :func:`serialize_packet` does the reverse. Every chunk
class has ``encode() -> bytes`` (header, value and padding). Chunk types this module does not
know are kept as :class:`UnknownChunk` so the association can apply the rules of RFC 9260
§3.2 (upper two bits of the type). Malformed input only ever raises :class:`SctpParseError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import ClassVar, Self

from pyrtc._native.crc32c import crc32c
from pyrtc._native.sctp_packet import serialize
from pyrtc.sctp.errors import SctpParseError

# Chunk types (RFC 9260 §3.2, RFC 6525 §3.1, RFC 3758 §3.2).
DATA = 0
INIT = 1
INIT_ACK = 2
SACK = 3
HEARTBEAT = 4
HEARTBEAT_ACK = 5
ABORT = 6
SHUTDOWN = 7
SHUTDOWN_ACK = 8
ERROR = 9
COOKIE_ECHO = 10
COOKIE_ACK = 11
SHUTDOWN_COMPLETE = 14
RECONFIG = 130
FORWARD_TSN = 192

# INIT / INIT ACK parameter types (RFC 9260 §3.3.2-3, RFC 3758 §3.1, RFC 5061 §4.2.7).
PARAM_HEARTBEAT_INFO = 1
PARAM_STATE_COOKIE = 7
PARAM_COOKIE_PRESERVATIVE = 9
PARAM_SUPPORTED_EXTENSIONS = 0x8008
PARAM_FORWARD_TSN_SUPPORTED = 0xC000

# RE-CONFIG parameter types (RFC 6525 §4).
PARAM_OUTGOING_SSN_RESET = 13
PARAM_RECONFIG_RESPONSE = 16

# DATA chunk flags (RFC 9260 §3.3.1, RFC 7053 §3).
FLAG_END = 0x01
FLAG_BEGINNING = 0x02
FLAG_UNORDERED = 0x04
FLAG_IMMEDIATE = 0x08

# ABORT / SHUTDOWN COMPLETE flag: the verification tag is the sender's own (RFC 9260 §3.3.7).
FLAG_T = 0x01

COMMON_HEADER_LENGTH = 12
DATA_HEADER_LENGTH = 16

_common_header = struct.Struct("!HHI")
_chunk_header = struct.Struct("!BBH")
_data_header = struct.Struct("!BBHIHHI")
_data_fields = struct.Struct("!IHHI")
_u32 = struct.Struct("!I")
_u16_u16 = struct.Struct("!HH")
_init_fixed = struct.Struct("!IIHHI")
_sack_fixed = struct.Struct("!IIHH")
_reset_fixed = struct.Struct("!III")
_response_fixed = struct.Struct("!II")
_checksum = struct.Struct("<I")

Param = tuple[int, bytes]
"""A raw type-length-value parameter or error cause: ``(type, value)``."""


def _pad(length: int) -> int:
    return -length % 4


def encode_tlvs(items: list[Param]) -> bytes:
    """Encode parameters or error causes as 4-byte aligned TLVs (RFC 9260 §3.2.1).

    The last TLV is left unpadded: its padding is chunk padding, which the Chunk Length does
    not count (RFC 9260 §3.2); ``_frame`` adds it.
    """
    out = bytearray()
    for kind, value in items:
        out += bytes(_pad(len(out)))
        out += _u16_u16.pack(kind, 4 + len(value)) + value
    return bytes(out)


def decode_tlvs(data: bytes) -> list[Param]:
    """Decode 4-byte aligned TLVs; the last one may omit its padding."""
    items: list[Param] = []
    pos = 0
    end = len(data)
    while pos < end:
        if end - pos < 4:
            raise SctpParseError("truncated parameter header")
        kind, length = _u16_u16.unpack_from(data, pos)
        if length < 4 or pos + length > end:
            raise SctpParseError(f"bad parameter length {length}")
        items.append((kind, data[pos + 4 : pos + length]))
        pos += length + _pad(length)
    return items


class Chunk:
    """Base of every chunk; ``TYPE`` is the chunk type byte."""

    __slots__ = ()
    TYPE: ClassVar[int]

    def encode(self) -> bytes:
        raise NotImplementedError


def _frame(kind: int, flags: int, body: bytes) -> bytes:
    return _chunk_header.pack(kind, flags, 4 + len(body)) + body + bytes(_pad(len(body)))


@dataclass(slots=True)
class DataChunk(Chunk):
    """DATA (RFC 9260 §3.3.1); ``flags`` holds the E, B, U and I bits."""

    TYPE: ClassVar[int] = DATA
    tsn: int
    stream_id: int
    ssn: int
    ppid: int
    user_data: bytes
    flags: int = FLAG_BEGINNING | FLAG_END

    def encode(self) -> bytes:
        length = DATA_HEADER_LENGTH + len(self.user_data)
        header = _data_header.pack(
            DATA, self.flags, length, self.tsn, self.stream_id, self.ssn, self.ppid
        )
        return header + self.user_data + bytes(-length % 4)

    @classmethod
    def decode(cls, flags: int, body: bytes) -> DataChunk:
        if len(body) < 12:
            raise SctpParseError("DATA chunk too short")
        tsn, stream_id, ssn, ppid = _data_fields.unpack_from(body)
        return cls(tsn, stream_id, ssn, ppid, body[12:], flags)


@dataclass(slots=True)
class InitChunk(Chunk):
    """INIT (RFC 9260 §3.3.2); ``params`` are raw TLVs, see :func:`find_param`."""

    TYPE: ClassVar[int] = INIT
    NAME: ClassVar[str] = "INIT"
    initiate_tag: int
    a_rwnd: int
    outbound_streams: int
    inbound_streams: int
    initial_tsn: int
    params: list[Param] = field(default_factory=list)

    def encode(self) -> bytes:
        fixed = _init_fixed.pack(
            self.initiate_tag,
            self.a_rwnd,
            self.outbound_streams,
            self.inbound_streams,
            self.initial_tsn,
        )
        return _frame(self.TYPE, 0, fixed + encode_tlvs(self.params))

    @classmethod
    def decode(cls, flags: int, body: bytes) -> Self:
        if len(body) < 16:
            raise SctpParseError(f"{cls.NAME} chunk too short")
        tag, a_rwnd, os_, mis, tsn = _init_fixed.unpack_from(body)
        return cls(tag, a_rwnd, os_, mis, tsn, decode_tlvs(body[16:]))


@dataclass(slots=True)
class InitAckChunk(InitChunk):
    """INIT ACK (RFC 9260 §3.3.3): same layout as INIT, must carry a State Cookie."""

    TYPE: ClassVar[int] = INIT_ACK
    NAME: ClassVar[str] = "INIT ACK"


def find_param(params: list[Param], kind: int) -> bytes | None:
    """Value of the first parameter of type ``kind``, or ``None``."""
    for k, value in params:
        if k == kind:
            return value
    return None


@dataclass(slots=True)
class SackChunk(Chunk):
    """SACK (RFC 9260 §3.3.4); ``gaps`` are (start, end) offsets from the cumulative TSN."""

    TYPE: ClassVar[int] = SACK
    cumulative_tsn: int
    a_rwnd: int
    gaps: list[tuple[int, int]] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)

    def encode(self) -> bytes:
        parts = [
            _sack_fixed.pack(self.cumulative_tsn, self.a_rwnd, len(self.gaps), len(self.duplicates))
        ]
        parts.extend(_u16_u16.pack(start, end) for start, end in self.gaps)
        parts.extend(_u32.pack(tsn) for tsn in self.duplicates)
        return _frame(SACK, 0, b"".join(parts))

    @classmethod
    def decode(cls, flags: int, body: bytes) -> SackChunk:
        if len(body) < 12:
            raise SctpParseError("SACK chunk too short")
        cum, a_rwnd, n_gaps, n_dups = _sack_fixed.unpack_from(body)
        if len(body) != 12 + 4 * n_gaps + 4 * n_dups:
            raise SctpParseError("SACK length does not match its block counts")
        gaps = [_u16_u16.unpack_from(body, 12 + 4 * i) for i in range(n_gaps)]
        base = 12 + 4 * n_gaps
        dups = [_u32.unpack_from(body, base + 4 * i)[0] for i in range(n_dups)]
        return cls(cum, a_rwnd, gaps, dups)


@dataclass(slots=True)
class HeartbeatChunk(Chunk):
    """HEARTBEAT (RFC 9260 §3.3.5): one Heartbeat Info parameter, opaque to the peer."""

    TYPE: ClassVar[int] = HEARTBEAT
    NAME: ClassVar[str] = "HEARTBEAT"
    info: bytes

    def encode(self) -> bytes:
        return _frame(self.TYPE, 0, encode_tlvs([(PARAM_HEARTBEAT_INFO, self.info)]))

    @classmethod
    def decode(cls, flags: int, body: bytes) -> Self:
        info = find_param(decode_tlvs(body), PARAM_HEARTBEAT_INFO)
        if info is None:
            raise SctpParseError(f"{cls.NAME} without Heartbeat Info")
        return cls(info)


@dataclass(slots=True)
class HeartbeatAckChunk(HeartbeatChunk):
    """HEARTBEAT ACK (RFC 9260 §3.3.6): echoes the Heartbeat Info."""

    TYPE: ClassVar[int] = HEARTBEAT_ACK
    NAME: ClassVar[str] = "HEARTBEAT ACK"


@dataclass(slots=True)
class AbortChunk(Chunk):
    """ABORT (RFC 9260 §3.3.7) with error causes (RFC 9260 §3.3.10)."""

    TYPE: ClassVar[int] = ABORT
    causes: list[Param] = field(default_factory=list)
    flags: int = 0

    def encode(self) -> bytes:
        return _frame(self.TYPE, self.flags, encode_tlvs(self.causes))

    @classmethod
    def decode(cls, flags: int, body: bytes) -> AbortChunk:
        return cls(decode_tlvs(body), flags)


@dataclass(slots=True)
class ErrorChunk(Chunk):
    """ERROR (RFC 9260 §3.3.10): error causes reported without closing the association."""

    TYPE: ClassVar[int] = ERROR
    causes: list[Param] = field(default_factory=list)

    def encode(self) -> bytes:
        return _frame(self.TYPE, 0, encode_tlvs(self.causes))

    @classmethod
    def decode(cls, flags: int, body: bytes) -> ErrorChunk:
        return cls(decode_tlvs(body))


@dataclass(slots=True)
class ShutdownChunk(Chunk):
    """SHUTDOWN (RFC 9260 §3.3.8)."""

    TYPE: ClassVar[int] = SHUTDOWN
    cumulative_tsn: int

    def encode(self) -> bytes:
        return _frame(self.TYPE, 0, _u32.pack(self.cumulative_tsn))

    @classmethod
    def decode(cls, flags: int, body: bytes) -> ShutdownChunk:
        if len(body) != 4:
            raise SctpParseError("SHUTDOWN chunk must carry exactly a TSN")
        return cls(_u32.unpack(body)[0])


@dataclass(slots=True)
class _EmptyChunk(Chunk):
    def encode(self) -> bytes:
        return _chunk_header.pack(self.TYPE, 0, 4)

    @classmethod
    def decode(cls, flags: int, body: bytes) -> _EmptyChunk:
        return cls()


@dataclass(slots=True)
class ShutdownAckChunk(_EmptyChunk):
    """SHUTDOWN ACK (RFC 9260 §3.3.9)."""

    TYPE: ClassVar[int] = SHUTDOWN_ACK


@dataclass(slots=True)
class CookieAckChunk(_EmptyChunk):
    """COOKIE ACK (RFC 9260 §3.3.12)."""

    TYPE: ClassVar[int] = COOKIE_ACK


@dataclass(slots=True)
class ShutdownCompleteChunk(Chunk):
    """SHUTDOWN COMPLETE (RFC 9260 §3.3.13); ``flags`` may carry the T bit."""

    TYPE: ClassVar[int] = SHUTDOWN_COMPLETE
    flags: int = 0

    def encode(self) -> bytes:
        return _chunk_header.pack(self.TYPE, self.flags, 4)

    @classmethod
    def decode(cls, flags: int, body: bytes) -> ShutdownCompleteChunk:
        return cls(flags)


@dataclass(slots=True)
class CookieEchoChunk(Chunk):
    """COOKIE ECHO (RFC 9260 §3.3.11): the State Cookie from the INIT ACK, verbatim."""

    TYPE: ClassVar[int] = COOKIE_ECHO
    cookie: bytes

    def encode(self) -> bytes:
        return _frame(self.TYPE, 0, self.cookie)

    @classmethod
    def decode(cls, flags: int, body: bytes) -> CookieEchoChunk:
        return cls(body)


@dataclass(slots=True)
class ForwardTsnChunk(Chunk):
    """FORWARD TSN (RFC 3758 §3.2); ``streams`` lists (stream id, SSN) skipped per stream."""

    TYPE: ClassVar[int] = FORWARD_TSN
    new_cumulative_tsn: int
    streams: list[tuple[int, int]] = field(default_factory=list)

    def encode(self) -> bytes:
        body = _u32.pack(self.new_cumulative_tsn) + b"".join(
            _u16_u16.pack(sid, ssn) for sid, ssn in self.streams
        )
        return _frame(self.TYPE, 0, body)

    @classmethod
    def decode(cls, flags: int, body: bytes) -> ForwardTsnChunk:
        if len(body) < 4 or len(body) % 4:
            raise SctpParseError("bad FORWARD TSN length")
        streams = [_u16_u16.unpack_from(body, pos) for pos in range(4, len(body), 4)]
        return cls(_u32.unpack_from(body)[0], streams)


@dataclass(slots=True)
class OutgoingResetRequest:
    """Outgoing SSN Reset Request parameter (RFC 6525 §4.1); empty ``streams`` means all."""

    request_seq: int
    response_seq: int
    last_tsn: int
    streams: list[int] = field(default_factory=list)

    def to_param(self) -> Param:
        fixed = _reset_fixed.pack(self.request_seq, self.response_seq, self.last_tsn)
        ids = b"".join(struct.pack("!H", s) for s in self.streams)
        return (PARAM_OUTGOING_SSN_RESET, fixed + ids)

    @classmethod
    def from_value(cls, value: bytes) -> OutgoingResetRequest:
        if len(value) < 12 or len(value) % 2:
            raise SctpParseError("bad Outgoing SSN Reset Request length")
        req, resp, last = _reset_fixed.unpack_from(value)
        streams = [struct.unpack_from("!H", value, p)[0] for p in range(12, len(value), 2)]
        return cls(req, resp, last, streams)


# Re-configuration Response results (RFC 6525 §4.4).
RESULT_SUCCESS_NOTHING = 0
RESULT_SUCCESS_PERFORMED = 1
RESULT_DENIED = 2
RESULT_ERROR_WRONG_SSN = 3
RESULT_ERROR_IN_PROGRESS = 4
RESULT_ERROR_BAD_SEQ = 5
RESULT_IN_PROGRESS = 6


@dataclass(slots=True)
class ReconfigResponse:
    """Re-configuration Response parameter (RFC 6525 §4.4), without the optional TSNs."""

    response_seq: int
    result: int

    def to_param(self) -> Param:
        return (PARAM_RECONFIG_RESPONSE, _response_fixed.pack(self.response_seq, self.result))

    @classmethod
    def from_value(cls, value: bytes) -> ReconfigResponse:
        if len(value) not in (8, 16):
            raise SctpParseError("bad Re-configuration Response length")
        return cls(*_response_fixed.unpack_from(value))


ReconfigParam = OutgoingResetRequest | ReconfigResponse | Param


@dataclass(slots=True)
class ReconfigChunk(Chunk):
    """RE-CONFIG (RFC 6525 §3.1): one or two re-configuration parameters."""

    TYPE: ClassVar[int] = RECONFIG
    params: list[ReconfigParam] = field(default_factory=list)

    def encode(self) -> bytes:
        raw = [p if isinstance(p, tuple) else p.to_param() for p in self.params]
        return _frame(self.TYPE, 0, encode_tlvs(raw))

    @classmethod
    def decode(cls, flags: int, body: bytes) -> ReconfigChunk:
        params: list[ReconfigParam] = []
        for kind, value in decode_tlvs(body):
            if kind == PARAM_OUTGOING_SSN_RESET:
                params.append(OutgoingResetRequest.from_value(value))
            elif kind == PARAM_RECONFIG_RESPONSE:
                params.append(ReconfigResponse.from_value(value))
            else:
                params.append((kind, value))
        return cls(params)


@dataclass(slots=True)
class UnknownChunk(Chunk):
    """A chunk of a type this codec does not implement, kept raw (RFC 9260 §3.2)."""

    chunk_type: int
    flags: int
    body: bytes

    def encode(self) -> bytes:
        return _frame(self.chunk_type, self.flags, self.body)


_DECODERS: dict[int, type[Chunk]] = {
    cls.TYPE: cls
    for cls in (
        DataChunk,
        InitChunk,
        InitAckChunk,
        SackChunk,
        HeartbeatChunk,
        HeartbeatAckChunk,
        AbortChunk,
        ShutdownChunk,
        ShutdownAckChunk,
        ErrorChunk,
        CookieEchoChunk,
        CookieAckChunk,
        ShutdownCompleteChunk,
        ReconfigChunk,
        ForwardTsnChunk,
    )
}


@dataclass(slots=True)
class Packet:
    """One SCTP packet: common header (RFC 9260 §3.1) and its chunks."""

    source_port: int
    destination_port: int
    verification_tag: int
    chunks: list[Chunk] = field(default_factory=list)


def decode_chunks(data: bytes, pos: int = COMMON_HEADER_LENGTH) -> list[Chunk]:
    """Decode the chunks that follow the common header."""
    chunks: list[Chunk] = []
    end = len(data)
    while pos < end:
        if end - pos < 4:
            raise SctpParseError("truncated chunk header")
        kind, flags, length = _chunk_header.unpack_from(data, pos)
        if length < 4 or pos + length > end:
            raise SctpParseError(f"bad chunk length {length}")
        if kind == DATA and length >= DATA_HEADER_LENGTH:  # fast path: one copy of the payload
            tsn, sid, ssn, ppid = _data_fields.unpack_from(data, pos + 4)
            chunks.append(DataChunk(tsn, sid, ssn, ppid, data[pos + 16 : pos + length], flags))
            pos += length + _pad(length)
            continue
        body = data[pos + 4 : pos + length]
        decoder = _DECODERS.get(kind)
        if decoder is None:
            chunks.append(UnknownChunk(kind, flags, body))
        else:
            chunks.append(decoder.decode(flags, body))  # type: ignore[attr-defined]
        pos += length + _pad(length)
    return chunks


def packet_checksum(data: bytes) -> int:
    """CRC-32C of a packet with its checksum field taken as zero (RFC 9260 Appendix B)."""
    # Slicing bytes is cheaper than a memoryview here (the native fast path takes bytes).
    return crc32c(data[12:], crc32c(data[:8] + b"\x00\x00\x00\x00"))


def parse_packet(data: bytes) -> Packet:
    """Parse and checksum-verify one SCTP packet (RFC 9260 §3, §6.8)."""
    if len(data) < COMMON_HEADER_LENGTH + 4:
        raise SctpParseError("SCTP packet too short")
    (received,) = _checksum.unpack_from(data, 8)
    if received != packet_checksum(data):
        raise SctpParseError("SCTP checksum mismatch")
    src, dst, tag = _common_header.unpack_from(data)
    return Packet(src, dst, tag, decode_chunks(data))


serialize_packet = serialize
"""``serialize_packet(source_port, destination_port, verification_tag, chunks)``: a packet
of encoded chunks with its checksum filled in (RFC 9260 §3.1, §6.8), built in C in one pass."""


def encode_packet(packet: Packet) -> bytes:
    """Serialize a :class:`Packet` object (convenience over :func:`serialize_packet`)."""
    return serialize_packet(
        packet.source_port,
        packet.destination_port,
        packet.verification_tag,
        [chunk.encode() for chunk in packet.chunks],
    )
