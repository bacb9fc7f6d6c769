"""Goodbye packets (RFC 3550 §6.6)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pyrtc.rtcp.base import RTCP_BYE, RtcpPacket, need
from pyrtc.rtcp.errors import RtcpError

__all__ = ["RtcpByePacket"]


@dataclass(slots=True)
class RtcpByePacket(RtcpPacket):
    """BYE (PT 203, RFC 3550 §6.6): the departing sources and an optional reason.

    ``reason`` is ``None`` when the packet carries no reason field, else its bytes (UTF-8
    text per the RFC, kept undecoded).
    """

    sources: list[int] = field(default_factory=list)
    reason: bytes | None = None

    @classmethod
    def _parse(cls, body: bytes, count: int) -> RtcpByePacket:
        need(body, 4 * count, f"BYE with {count} sources")
        sources = list(struct.unpack_from(f"!{count}I", body))
        pos = 4 * count
        reason = None
        if pos < len(body):
            end = pos + 1 + body[pos]
            if end > len(body):
                raise RtcpError("BYE reason truncated")
            reason = body[pos + 1 : end]
        return cls(sources, reason)

    def _encode(self) -> tuple[int, int, bytes]:
        if len(self.sources) > 31:
            raise ValueError(f"{len(self.sources)} BYE sources do not fit in one packet (max 31)")
        body = struct.pack(f"!{len(self.sources)}I", *self.sources)
        if self.reason is not None:
            if len(self.reason) > 255:
                raise ValueError(f"BYE reason of {len(self.reason)} bytes exceeds 255")
            field_ = bytes((len(self.reason),)) + self.reason
            body += field_ + bytes(-len(field_) % 4)
        return len(self.sources), RTCP_BYE, body
