"""Compound RTCP packets: split, dispatch, validate and serialize (RFC 3550 §6.1, RFC 5506).

By default a reduced-size packet (RFC 5506 §3: one or more packets not starting with SR/RR,
such as a lone NACK) is accepted, and the P bit is accepted on any packet (libwebrtc pads
transport-cc feedback even when it is not last). ``strict=True`` adds the header checks of
RFC 3550 Appendix A.2: the first packet is an SR or RR and only the last packet is padded.
The version is always checked, and the packet lengths must add up to the datagram length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pyrtc.rtcp.app import RtcpAppPacket
from pyrtc.rtcp.base import (
    HEADER,
    RTCP_APP,
    RTCP_BYE,
    RTCP_PSFB,
    RTCP_RR,
    RTCP_RTPFB,
    RTCP_SDES,
    RTCP_SR,
    RTCP_XR,
    RtcpPacket,
    RtcpRawPacket,
)
from pyrtc.rtcp.bye import RtcpByePacket
from pyrtc.rtcp.ccfb import RtcpCcfbPacket
from pyrtc.rtcp.errors import RtcpError
from pyrtc.rtcp.feedback import (
    PSFB_AFB,
    PSFB_FIR,
    PSFB_PLI,
    RTPFB_CCFB,
    RTPFB_NACK,
    RTPFB_TWCC,
    RtcpFirPacket,
    RtcpNackPacket,
    RtcpPliPacket,
    RtcpPsfbPacket,
    RtcpRembPacket,
    RtcpRtpfbPacket,
)
from pyrtc.rtcp.reports import RtcpRrPacket, RtcpSrPacket
from pyrtc.rtcp.sdes import RtcpSdesPacket
from pyrtc.rtcp.twcc import RtcpTransportCcPacket
from pyrtc.rtcp.xr import RtcpXrPacket

__all__ = ["is_rtcp", "parse_compound", "parse_compound_partial", "serialize_compound"]

_Parser = Callable[[bytes, int], RtcpPacket]

_BY_TYPE: dict[int, _Parser] = {
    RTCP_SR: RtcpSrPacket._parse,
    RTCP_RR: RtcpRrPacket._parse,
    RTCP_SDES: RtcpSdesPacket._parse,
    RTCP_BYE: RtcpByePacket._parse,
    RTCP_APP: RtcpAppPacket._parse,
    RTCP_XR: RtcpXrPacket._parse,
}
_RTPFB: dict[int, _Parser] = {
    RTPFB_NACK: RtcpNackPacket._parse,
    RTPFB_CCFB: RtcpCcfbPacket._parse,
    RTPFB_TWCC: RtcpTransportCcPacket._parse,
}
_PSFB: dict[int, _Parser] = {
    PSFB_PLI: RtcpPliPacket._parse,
    PSFB_FIR: RtcpFirPacket._parse,
    PSFB_AFB: RtcpRembPacket._parse,
}


def _parser(packet_type: int, count: int) -> _Parser | None:
    if packet_type == RTCP_RTPFB:
        return _RTPFB.get(count, RtcpRtpfbPacket._parse)
    if packet_type == RTCP_PSFB:
        return _PSFB.get(count, RtcpPsfbPacket._parse)
    return _BY_TYPE.get(packet_type)


# One lookup per packet: index (packet_type << 5) | count.
_PARSERS = [_parser(index >> 5, index & 0x1F) for index in range(256 << 5)]


def is_rtcp(data: bytes) -> bool:
    """Whether a datagram on an RTP/RTCP-muxed port is RTCP (RFC 5761 §4: PT 192-223)."""
    return len(data) >= 2 and data[0] >> 6 == 2 and 192 <= data[1] <= 223


def _parse_one(data: bytes, pos: int) -> tuple[RtcpPacket, int, bool]:
    """Parse the packet at ``pos``; return it, the next offset and whether it was padded."""
    if pos + 4 > len(data):
        raise RtcpError(f"{len(data) - pos} trailing bytes are too short for a header", pos)
    first, packet_type, words = HEADER.unpack_from(data, pos)
    if first & 0xC0 != 0x80:
        raise RtcpError(f"version {first >> 6}, expected 2", pos)
    start = pos + 4
    end = start + 4 * words
    if end > len(data):
        raise RtcpError(f"length says {4 * words} body bytes, {len(data) - start} remain", pos)
    count = first & 0x1F
    if first & 0x20:
        pad = data[end - 1] if end > start else 0
        if pad == 0 or pad > end - start:
            raise RtcpError(f"padding count {pad} invalid for a {end - start}-byte body", pos)
        body = data[start : end - pad]
    else:
        body = data[start:end]
    parse = _PARSERS[(packet_type << 5) | count]
    try:
        packet = RtcpRawPacket(packet_type, count, body) if parse is None else parse(body, count)
    except RtcpError as exc:
        raise RtcpError(f"packet type {packet_type}: {exc}", pos) from exc
    return packet, end, bool(first & 0x20)


def _next_offset(data: bytes, pos: int) -> int | None:
    """Where the packet after the one at ``pos`` starts, or ``None`` if its header is broken."""
    if pos + 4 > len(data) or data[pos] & 0xC0 != 0x80:
        return None
    end = pos + 4 + 4 * int.from_bytes(data[pos + 2 : pos + 4], "big")
    return end if end <= len(data) else None


def parse_compound(data: bytes, *, strict: bool = False) -> list[RtcpPacket]:
    """Parse every RTCP packet of a compound or reduced-size RTCP datagram.

    Raises :class:`RtcpError` (with ``offset`` set to the failing packet's byte offset) on the
    first malformed packet; see the module docstring for what ``strict`` adds.
    """
    packets: list[RtcpPacket] = []
    pos = 0
    n = len(data)
    if n == 0:
        raise RtcpError("empty RTCP datagram", 0)
    while pos < n:
        packet, end, padded = _parse_one(data, pos)
        if strict:
            if not packets and not isinstance(packet, RtcpSrPacket | RtcpRrPacket):
                raise RtcpError("first packet of a compound is not SR or RR", pos)
            if padded and end != n:
                raise RtcpError("only the last packet of a compound may be padded", pos)
        packets.append(packet)
        pos = end
    return packets


def parse_compound_partial(data: bytes) -> tuple[list[RtcpPacket], list[RtcpError]]:
    """Parse what can be parsed: the good packets and one error per packet that was dropped.

    A packet whose header frames correctly but whose body is malformed is skipped and parsing
    continues with the next one; a broken header (bad version, length past the end) ends the
    parse since nothing after it can be located. Reduced-size packets are accepted.
    """
    packets: list[RtcpPacket] = []
    errors: list[RtcpError] = []
    pos = 0
    while pos < len(data):
        try:
            packet, pos, _ = _parse_one(data, pos)
        except RtcpError as exc:
            errors.append(exc)
            next_pos = _next_offset(data, pos)
            if next_pos is None:
                break
            pos = next_pos
        else:
            packets.append(packet)
    return packets, errors


def serialize_compound(packets: Iterable[RtcpPacket]) -> bytes:
    """Serialize packets back to back into one compound (or reduced-size) datagram."""
    return b"".join(bytes(packet) for packet in packets)
