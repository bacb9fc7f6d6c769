"""Source description packets: SDES chunks and items (RFC 3550 §6.5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from pyrtc.rtcp.base import RTCP_SDES, U32, RtcpPacket
from pyrtc.rtcp.errors import RtcpError

__all__ = ["RtcpSdesPacket", "RtcpSourceInfo", "SdesItemType"]


class SdesItemType(IntEnum):
    """SDES item types (RFC 3550 §6.5.1-6.5.8). Parsed items keep any type as a plain int."""

    CNAME = 1
    NAME = 2
    EMAIL = 3
    PHONE = 4
    LOC = 5
    TOOL = 6
    NOTE = 7
    PRIV = 8


@dataclass(slots=True)
class RtcpSourceInfo:
    """One SDES chunk: an SSRC/CSRC and its ``(item_type, value)`` items, in wire order.

    Values are bytes (UTF-8 text per RFC 3550); a PRIV item's value keeps its prefix-length
    octet and prefix (RFC 3550 §6.5.8) undecoded.
    """

    ssrc: int
    items: list[tuple[int, bytes]] = field(default_factory=list)


@dataclass(slots=True)
class RtcpSdesPacket(RtcpPacket):
    """Source description (PT 202, RFC 3550 §6.5): one chunk per source."""

    chunks: list[RtcpSourceInfo] = field(default_factory=list)

    @classmethod
    def _parse(cls, body: bytes, count: int) -> RtcpSdesPacket:
        n = len(body)
        pos = 0
        chunks: list[RtcpSourceInfo] = []
        for _ in range(count):
            if pos + 4 > n:
                raise RtcpError(f"SDES chunk {len(chunks)} truncated")
            ssrc = U32.unpack_from(body, pos)[0]
            pos += 4
            items = []
            while True:
                if pos >= n:
                    raise RtcpError(f"SDES chunk {len(chunks)} has no end-of-list item")
                item_type = body[pos]
                if not item_type:
                    # the null item plus padding up to the next 32-bit boundary (§6.5)
                    pos = (pos + 4) & ~3
                    break
                end = pos + 2 + body[pos + 1] if pos + 1 < n else n + 1
                if end > n:
                    raise RtcpError(f"SDES item of type {item_type} truncated")
                items.append((item_type, body[pos + 2 : end]))
                pos = end
            chunks.append(RtcpSourceInfo(ssrc, items))
        if pos < n and body[pos:].strip(b"\x00"):
            raise RtcpError("SDES packet has non-null bytes after its last chunk")
        return cls(chunks)

    def _encode(self) -> tuple[int, int, bytes]:
        if len(self.chunks) > 31:
            raise ValueError(f"{len(self.chunks)} SDES chunks do not fit in one packet (max 31)")
        parts = []
        for chunk in self.chunks:
            size = 0
            parts.append(U32.pack(chunk.ssrc))
            for item_type, value in chunk.items:
                if not 0 < item_type < 256 or len(value) > 255:
                    raise ValueError(f"SDES item ({item_type}, {len(value)} bytes) out of range")
                parts.append(bytes((item_type, len(value))) + value)
                size += 2 + len(value)
            parts.append(_NULLS[size & 3])
        return len(self.chunks), RTCP_SDES, b"".join(parts)


# the end-of-list null item plus padding, by the items' length modulo 4
_NULLS = (bytes(4), bytes(3), bytes(2), bytes(1))
