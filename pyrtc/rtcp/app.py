"""Application-defined packets (RFC 3550 §6.7)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pyrtc.rtcp.base import RTCP_APP, RtcpPacket, need

__all__ = ["RtcpAppPacket"]

_APP_HEADER = struct.Struct("!I4s")


@dataclass(slots=True)
class RtcpAppPacket(RtcpPacket):
    """APP (PT 204, RFC 3550 §6.7): 5-bit ``subtype``, 4-octet ASCII ``name`` and data."""

    subtype: int
    ssrc: int
    name: bytes
    data: bytes = b""

    @classmethod
    def _parse(cls, body: bytes, count: int) -> RtcpAppPacket:
        need(body, 8, "APP packet")
        ssrc, name = _APP_HEADER.unpack_from(body)
        return cls(count, ssrc, name, body[8:])

    def _encode(self) -> tuple[int, int, bytes]:
        if len(self.name) != 4:
            raise ValueError(f"APP name must be 4 bytes, got {self.name!r}")
        return self.subtype, RTCP_APP, _APP_HEADER.pack(self.ssrc, self.name) + self.data
