"""The RTCP common header and the base class of every RTCP packet (RFC 3550 §6.4.1, §6.1).

Every packet class serializes with ``bytes(packet)``. Bodies whose length is not a multiple of
four octets (a transport-cc feedback, or a raw packet whose padding was removed on parse) are
padded with the P bit set and the pad count in the last octet, as RFC 3550 §6.4.1 describes and
libwebrtc does.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pyrtc.rtcp.errors import RtcpError

__all__ = [
    "RTCP_APP",
    "RTCP_BYE",
    "RTCP_PSFB",
    "RTCP_RR",
    "RTCP_RTPFB",
    "RTCP_SDES",
    "RTCP_SR",
    "RTCP_XR",
    "RtcpPacket",
    "RtcpRawPacket",
]

RTCP_SR = 200
RTCP_RR = 201
RTCP_SDES = 202
RTCP_BYE = 203
RTCP_APP = 204
RTCP_RTPFB = 205
RTCP_PSFB = 206
RTCP_XR = 207

HEADER = struct.Struct("!BBH")
U32 = struct.Struct("!I")
U32X2 = struct.Struct("!II")


class RtcpPacket:
    """Base class of every RTCP packet; ``RtcpPacket.parse(data)`` parses a compound packet.

    ``RtcpPacket.parse`` is the aiortc spelling of :func:`pyrtc.rtcp.parse_compound` (lenient
    mode) and returns the list of packets.
    """

    __slots__ = ()

    @classmethod
    def parse(cls, data: bytes) -> list[RtcpPacket]:
        """Parse a compound (or reduced-size) RTCP packet into its packets."""
        from pyrtc.rtcp.compound import parse_compound

        return parse_compound(data)

    def _encode(self) -> tuple[int, int, bytes]:
        """Return ``(count_or_fmt, packet_type, body)`` for the common header."""
        raise NotImplementedError

    def __bytes__(self) -> bytes:
        try:
            count, packet_type, body = self._encode()
            if not 0 <= count <= 31:
                raise ValueError(f"RTCP count/format {count} does not fit in 5 bits")
            first = 0x80 | count
            pad = -len(body) % 4
            if pad:  # RFC 3550 §6.4.1: P bit, the last padding octet counts the padding
                body += bytes(pad - 1) + bytes((pad,))
                first |= 0x20
            return HEADER.pack(first, packet_type, len(body) >> 2) + body
        except (struct.error, OverflowError) as exc:
            raise ValueError(f"cannot serialize {type(self).__name__}: {exc}") from exc


def need(body: bytes, size: int, what: str) -> None:
    """Raise :class:`RtcpError` unless ``body`` holds at least ``size`` bytes."""
    if len(body) < size:
        raise RtcpError(f"{what}: needs {size} bytes, has {len(body)}")


@dataclass(slots=True)
class RtcpRawPacket(RtcpPacket):
    """An RTCP packet of a type pyrtc does not decode, kept as its header fields and body.

    ``count`` is the 5-bit count/subtype/format field, ``body`` the bytes after the common
    header without padding. It serializes back to the same bytes (padding normalised).
    """

    packet_type: int
    count: int
    body: bytes

    def _encode(self) -> tuple[int, int, bytes]:
        return self.count, self.packet_type, self.body
