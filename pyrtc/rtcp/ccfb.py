"""RTP congestion control feedback (RTPFB FMT 11, RFC 8888 §3.1).

One report block per RTP stream: its SSRC, the first sequence number covered and one 16-bit
metric per packet (R = received, 2-bit ECN, 13-bit arrival time offset in 1/1024 s before the
report timestamp), then the report timestamp in compact NTP form (middle 32 bits).
Unlike RFC 4585 feedback there is no media-source SSRC field.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import NamedTuple

from pyrtc.rtcp.base import RTCP_RTPFB, U32, RtcpPacket, need
from pyrtc.rtcp.errors import RtcpError
from pyrtc.rtcp.feedback import RTPFB_CCFB

__all__ = ["CCFB_ATO_OVERFLOW", "CcfbMetric", "CcfbReportBlock", "RtcpCcfbPacket"]

CCFB_ATO_OVERFLOW = 0x1FFF
"""Arrival time offset meaning "8189/1024 s or more" (RFC 8888 §3.1)."""

_BLOCK_HEADER = struct.Struct("!IHH")


class CcfbMetric(NamedTuple):
    """One packet's metric: received flag, ECN bits and arrival time offset (1/1024 s)."""

    received: bool
    ecn: int = 0
    arrival_time_offset: int = 0


@dataclass(slots=True)
class CcfbReportBlock:
    """The metrics of one RTP stream, for sequence numbers ``begin_seq`` onwards."""

    ssrc: int
    begin_seq: int
    metrics: list[CcfbMetric] = field(default_factory=list)


@dataclass(slots=True)
class RtcpCcfbPacket(RtcpPacket):
    """Congestion control feedback (RTPFB FMT 11, RFC 8888 §3.1)."""

    ssrc: int
    blocks: list[CcfbReportBlock] = field(default_factory=list)
    report_timestamp: int = 0

    @classmethod
    def _parse(cls, body: bytes, fmt: int) -> RtcpCcfbPacket:
        need(body, 8, "congestion control feedback")
        end = len(body) - 4
        pos = 4
        blocks = []
        while pos < end:
            if pos + 8 > end:
                raise RtcpError("RFC 8888 report block header truncated")
            ssrc, begin_seq, num_reports = _BLOCK_HEADER.unpack_from(body, pos)
            pos += 8
            size = 2 * num_reports
            if pos + size > end:
                raise RtcpError(f"RFC 8888 report block announces {num_reports} metrics")
            metrics = [
                CcfbMetric(bool(word & 0x8000), (word >> 13) & 0x03, word & 0x1FFF)
                for word in struct.unpack_from(f"!{num_reports}H", body, pos)
            ]
            pos += size + (size & 2)  # odd metric counts are padded to 32 bits
            blocks.append(CcfbReportBlock(ssrc, begin_seq, metrics))
        if pos != end:
            raise RtcpError("RFC 8888 report block padding runs past the report timestamp")
        return cls(U32.unpack_from(body)[0], blocks, U32.unpack_from(body, end)[0])

    def _encode(self) -> tuple[int, int, bytes]:
        parts = [U32.pack(self.ssrc)]
        for block in self.blocks:
            parts.append(_BLOCK_HEADER.pack(block.ssrc, block.begin_seq, len(block.metrics)))
            words = []
            for received, ecn, offset in block.metrics:
                if not 0 <= ecn <= 3 or not 0 <= offset <= 0x1FFF:
                    raise ValueError(f"RFC 8888 metric ecn={ecn} offset={offset} out of range")
                words.append((0x8000 if received else 0) | (ecn << 13) | offset)
            if len(words) % 2:
                words.append(0)
            parts.append(struct.pack(f"!{len(words)}H", *words))
        parts.append(U32.pack(self.report_timestamp))
        return RTPFB_CCFB, RTCP_RTPFB, b"".join(parts)
