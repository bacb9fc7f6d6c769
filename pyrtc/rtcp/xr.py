"""Extended reports (PT 207, RFC 3611): RRTR and DLRR blocks decoded, other blocks kept raw."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import NamedTuple

from pyrtc.rtcp.base import RTCP_XR, U32, RtcpPacket, need
from pyrtc.rtcp.errors import RtcpError

__all__ = [
    "XR_DLRR",
    "XR_RRTR",
    "DlrrReport",
    "RtcpXrPacket",
    "XrBlock",
    "XrDlrrBlock",
    "XrRawBlock",
    "XrRrtrBlock",
]

XR_RRTR = 4
XR_DLRR = 5

_BLOCK_HEADER = struct.Struct("!BBH")
_NTP = struct.Struct("!Q")
_DLRR_REPORT = struct.Struct("!III")


@dataclass(slots=True)
class XrRrtrBlock:
    """Receiver reference time report block (BT 4, RFC 3611 §4.4): a 64-bit NTP timestamp."""

    ntp_timestamp: int


class DlrrReport(NamedTuple):
    """One DLRR sub-block: receiver SSRC, last RR time (LRR) and delay since it (DLRR)."""

    ssrc: int
    lrr: int
    dlrr: int


@dataclass(slots=True)
class XrDlrrBlock:
    """DLRR report block (BT 5, RFC 3611 §4.5): one sub-block per receiver."""

    reports: list[DlrrReport] = field(default_factory=list)


@dataclass(slots=True)
class XrRawBlock:
    """A report block pyrtc does not decode: block type, type-specific octet and contents."""

    block_type: int
    type_specific: int
    data: bytes


XrBlock = XrRrtrBlock | XrDlrrBlock | XrRawBlock


@dataclass(slots=True)
class RtcpXrPacket(RtcpPacket):
    """Extended report (PT 207, RFC 3611 §2): the originator SSRC and its report blocks."""

    ssrc: int
    blocks: list[XrBlock] = field(default_factory=list)

    @classmethod
    def _parse(cls, body: bytes, count: int) -> RtcpXrPacket:
        need(body, 4, "XR packet")
        blocks: list[XrBlock] = []
        pos = 4
        while pos < len(body):
            if pos + 4 > len(body):
                raise RtcpError("XR report block header truncated")
            block_type, type_specific, words = _BLOCK_HEADER.unpack_from(body, pos)
            start = pos + 4
            pos = start + 4 * words
            if pos > len(body):
                raise RtcpError(f"XR block type {block_type} announces {words} words")
            if block_type == XR_RRTR:
                if words != 2:
                    raise RtcpError(f"XR RRTR block must be 2 words, got {words}")
                blocks.append(XrRrtrBlock(_NTP.unpack_from(body, start)[0]))
            elif block_type == XR_DLRR:
                if words % 3:
                    raise RtcpError(f"XR DLRR block of {words} words is not 3-word sub-blocks")
                reports = _DLRR_REPORT.iter_unpack(body[start:pos])
                blocks.append(XrDlrrBlock([DlrrReport(*report) for report in reports]))
            else:
                blocks.append(XrRawBlock(block_type, type_specific, body[start:pos]))
        return cls(U32.unpack_from(body)[0], blocks)

    def _encode(self) -> tuple[int, int, bytes]:
        parts = [U32.pack(self.ssrc)]
        for block in self.blocks:
            if isinstance(block, XrRrtrBlock):
                parts.append(_BLOCK_HEADER.pack(XR_RRTR, 0, 2) + _NTP.pack(block.ntp_timestamp))
            elif isinstance(block, XrDlrrBlock):
                parts.append(_BLOCK_HEADER.pack(XR_DLRR, 0, 3 * len(block.reports)))
                parts.extend(_DLRR_REPORT.pack(*report) for report in block.reports)
            else:
                if len(block.data) % 4:
                    raise ValueError(f"XR block data of {len(block.data)} bytes is not 32-bit")
                header = (block.block_type, block.type_specific, len(block.data) // 4)
                parts.append(_BLOCK_HEADER.pack(*header) + block.data)
        return 0, RTCP_XR, b"".join(parts)
