"""Transport-wide congestion control feedback (RTPFB FMT 15).

Implements draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1: a base transport
sequence number, a packet status count, a 24-bit reference time in 64 ms units, a feedback
packet counter, packet status chunks (run-length, 1-bit and 2-bit status vectors) and one
receive delta per received packet (1 byte unsigned or 2 bytes signed, in 250 us units).

pyrtc presents the feedback as ``packets``: one ``(sequence_number, receive_time_us)`` per
reported packet, ``None`` for a packet not received. Receive times are absolute microseconds
in the feedback sender's time base: ``reference_time * 64000`` plus the running sum of deltas.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

from pyrtc.rtcp.base import RTCP_RTPFB, RtcpPacket, need
from pyrtc.rtcp.errors import RtcpError
from pyrtc.rtcp.feedback import RTPFB_TWCC

__all__ = ["RtcpTransportCcPacket", "TwccPacketStatus"]

_FIXED = struct.Struct("!IIHHI")  # SSRCs, base seq, status count, reference time | fb count
_CHUNK = struct.Struct("!H")
_DELTA_US = 250
_REFERENCE_US = 64000
_TICKS_PER_REFERENCE = _REFERENCE_US // _DELTA_US

_NOT_RECEIVED = 0
_SMALL = 1
_LARGE = 2
_RUN_LENGTH_MAX = 0x1FFF
_ONE_BIT_CAPACITY = 14
_TWO_BIT_CAPACITY = 7


class TwccPacketStatus(NamedTuple):
    """One reported packet: its transport-wide sequence number and receive time (or None)."""

    sequence_number: int
    receive_time_us: int | None


@dataclass(slots=True)
class RtcpTransportCcPacket(RtcpPacket):
    """Transport-wide CC feedback (RTPFB FMT 15, draft-holmer-...-01 §3.1).

    ``packets`` must be non-empty and its sequence numbers consecutive modulo 2**16 (the
    first one is the base sequence number). ``reference_time`` is the signed 24-bit reference
    time in 64 ms units; a sender usually takes the first receive time // 64000. Receive times
    are quantised to 250 us on encode; each delta must fit a signed 16-bit count of 250 us
    (about +-8.2 s), else serializing raises ``ValueError`` and the caller starts a new
    feedback packet. On parse, bytes after the last receive delta are ignored (senders that
    zero-pad inside the packet instead of setting the P bit); on serialize padding uses the
    P bit, like libwebrtc.
    """

    ssrc: int
    media_ssrc: int
    reference_time: int
    fb_pkt_count: int
    packets: list[TwccPacketStatus]

    @classmethod
    def _parse(cls, body: bytes, fmt: int) -> RtcpTransportCcPacket:
        need(body, _FIXED.size, "transport-cc feedback")
        ssrc, media_ssrc, base_seq, status_count, ref_and_count = _FIXED.unpack_from(body)
        if status_count == 0:
            raise RtcpError("transport-cc feedback reports no packets")
        reference_time = ref_and_count >> 8
        if reference_time & 0x800000:
            reference_time -= 0x1000000
        symbols, pos = _decode_chunks(body, status_count)
        n = len(body)
        ticks = reference_time * _TICKS_PER_REFERENCE
        packets = []
        seq = base_seq
        for symbol in symbols:
            if symbol == _NOT_RECEIVED:
                packets.append(TwccPacketStatus(seq, None))
            elif symbol == _SMALL:
                if pos >= n:
                    raise RtcpError("transport-cc receive deltas truncated")
                ticks += body[pos]
                pos += 1
                packets.append(TwccPacketStatus(seq, ticks * _DELTA_US))
            elif symbol == _LARGE:
                if pos + 2 > n:
                    raise RtcpError("transport-cc receive deltas truncated")
                ticks += int.from_bytes(body[pos : pos + 2], "big", signed=True)
                pos += 2
                packets.append(TwccPacketStatus(seq, ticks * _DELTA_US))
            else:
                raise RtcpError(f"transport-cc packet {seq} has the reserved status symbol 3")
            seq = (seq + 1) & 0xFFFF
        return cls(ssrc, media_ssrc, reference_time, ref_and_count & 0xFF, packets)

    def _encode(self) -> tuple[int, int, bytes]:
        if not self.packets:
            raise ValueError("transport-cc feedback needs at least one packet")
        if len(self.packets) > 0xFFFF:
            raise ValueError(f"{len(self.packets)} packets exceed the 16-bit status count")
        if not -0x800000 <= self.reference_time <= 0x7FFFFF:
            raise ValueError(f"reference time {self.reference_time} does not fit in 24 bits")
        if not 0 <= self.fb_pkt_count <= 0xFF:
            raise ValueError(f"fb_pkt_count {self.fb_pkt_count} does not fit in 8 bits")
        base_seq = self.packets[0][0] & 0xFFFF
        symbols = []
        deltas = bytearray()
        previous = self.reference_time * _TICKS_PER_REFERENCE
        for index, (seq, receive_time_us) in enumerate(self.packets):
            if (seq - base_seq - index) & 0xFFFF:
                raise ValueError(f"sequence number {seq} at index {index} is not consecutive")
            if receive_time_us is None:
                symbols.append(_NOT_RECEIVED)
                continue
            ticks = (receive_time_us + _DELTA_US // 2) // _DELTA_US
            delta = ticks - previous
            previous = ticks
            if 0 <= delta <= 0xFF:
                symbols.append(_SMALL)
                deltas.append(delta)
            elif -0x8000 <= delta <= 0x7FFF:
                symbols.append(_LARGE)
                deltas += delta.to_bytes(2, "big", signed=True)
            else:
                raise ValueError(f"receive delta of packet {seq} exceeds a signed 16-bit delta")
        chunks = _encode_chunks(symbols)
        body = b"".join(
            (
                _FIXED.pack(
                    self.ssrc,
                    self.media_ssrc,
                    base_seq,
                    len(self.packets),
                    ((self.reference_time & 0xFFFFFF) << 8) | self.fb_pkt_count,
                ),
                struct.pack(f"!{len(chunks)}H", *chunks),
                deltas,
            )
        )
        return RTPFB_TWCC, RTCP_RTPFB, body


def _chunk_symbols(chunk: int, remaining: int) -> list[int]:
    """Status symbols of one packet chunk, at most ``remaining`` of them (draft §3.1.3-3.1.4)."""
    if not chunk & 0x8000:
        return [(chunk >> 13) & 0x03] * min(chunk & _RUN_LENGTH_MAX, remaining)
    if not chunk & 0x4000:
        size = min(_ONE_BIT_CAPACITY, remaining)
        return [(chunk >> (13 - i)) & 0x01 for i in range(size)]
    size = min(_TWO_BIT_CAPACITY, remaining)
    return [(chunk >> (12 - 2 * i)) & 0x03 for i in range(size)]


def _decode_chunks(body: bytes, status_count: int) -> tuple[list[int], int]:
    """The ``status_count`` status symbols and the offset where the receive deltas start."""
    symbols: list[int] = []
    pos = _FIXED.size
    while len(symbols) < status_count:
        if pos + 2 > len(body):
            raise RtcpError("transport-cc packet status chunks truncated")
        symbols += _chunk_symbols(_CHUNK.unpack_from(body, pos)[0], status_count - len(symbols))
        pos += 2
    return symbols, pos


def _encode_chunks(symbols: list[int]) -> list[int]:
    """Pack status symbols into chunks the way libwebrtc's TransportFeedback does.

    A pending chunk grows while it can still be written as a run-length chunk (all symbols
    equal, up to 8191), a 1-bit vector (up to 14 symbols, no large delta) or a 2-bit vector
    (up to 7 symbols). When the next symbol fits none of these the pending chunk is emitted:
    as a run if uniform, as a full 1-bit vector, or as a 2-bit vector of its first 7 symbols
    with the rest carried over.
    """
    chunks = []
    pending: list[int] = []  # the first 14 symbols of the pending chunk
    size = 0
    uniform = True
    large = False
    for symbol in symbols:
        if not (
            size < _TWO_BIT_CAPACITY
            or (size < _ONE_BIT_CAPACITY and not large and symbol != _LARGE)
            or (size < _RUN_LENGTH_MAX and uniform and pending[0] == symbol)
        ):
            if uniform:
                chunks.append((pending[0] << 13) | size)
                pending, size = [], 0
            elif size == _ONE_BIT_CAPACITY:
                chunks.append(_one_bit_chunk(pending))
                pending, size = [], 0
            else:
                chunks.append(_two_bit_chunk(pending[:_TWO_BIT_CAPACITY]))
                pending = pending[_TWO_BIT_CAPACITY:]
                size -= _TWO_BIT_CAPACITY
            uniform = all(s == pending[0] for s in pending)
            large = _LARGE in pending
        if size < _ONE_BIT_CAPACITY:
            pending.append(symbol)
        size += 1
        uniform = uniform and symbol == pending[0]
        large = large or symbol == _LARGE
    if size:
        if uniform:
            chunks.append((pending[0] << 13) | size)
        elif size <= _TWO_BIT_CAPACITY:
            chunks.append(_two_bit_chunk(pending))
        else:
            chunks.append(_one_bit_chunk(pending))
    return chunks


def _one_bit_chunk(symbols: list[int]) -> int:
    chunk = 0x8000
    for i, symbol in enumerate(symbols):
        chunk |= symbol << (13 - i)
    return chunk


def _two_bit_chunk(symbols: list[int]) -> int:
    chunk = 0xC000
    for i, symbol in enumerate(symbols):
        chunk |= symbol << (12 - 2 * i)
    return chunk
