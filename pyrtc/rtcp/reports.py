"""Sender and receiver reports: SR and RR packets with their report blocks (RFC 3550 §6.4)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pyrtc.rtcp.base import RTCP_RR, RTCP_SR, U32, RtcpPacket, need
from pyrtc.rtcp.errors import RtcpError

__all__ = ["RtcpReceiverInfo", "RtcpRrPacket", "RtcpSenderInfo", "RtcpSrPacket"]

_REPORT_BLOCK = struct.Struct("!IIIIII")
_SENDER_INFO = struct.Struct("!QIII")
_SR_HEAD = struct.Struct("!IQIII")
_PACKETS_LOST_MIN = -(1 << 23)
_PACKETS_LOST_MAX = (1 << 23) - 1


@dataclass(slots=True)
class RtcpReceiverInfo:
    """One reception report block (RFC 3550 §6.4.1), 24 bytes on the wire.

    ``packets_lost`` is the signed 24-bit cumulative number of packets lost; ``lsr`` and
    ``dlsr`` are the middle 32 bits of the last SR's NTP time and the delay since it, in
    1/65536 s (see :func:`pyrtc.rtcp.rtt_from_report`).
    """

    ssrc: int
    fraction_lost: int
    packets_lost: int
    highest_sequence: int
    jitter: int
    lsr: int
    dlsr: int

    def __bytes__(self) -> bytes:
        try:
            return _pack_reports([self])
        except struct.error as exc:
            raise ValueError(f"cannot serialize report block: {exc}") from exc

    @classmethod
    def parse(cls, data: bytes) -> RtcpReceiverInfo:
        """Parse one 24-byte report block."""
        if len(data) != _REPORT_BLOCK.size:
            raise RtcpError(f"report block must be 24 bytes, got {len(data)}")
        return _unpack_reports(data, 0, 1)[0]


def _pack_reports(reports: list[RtcpReceiverInfo]) -> bytes:
    if len(reports) > 31:
        raise ValueError(f"{len(reports)} report blocks do not fit in one packet (max 31)")
    parts = []
    for r in reports:
        if not 0 <= r.fraction_lost <= 0xFF:
            raise ValueError(f"fraction_lost {r.fraction_lost} does not fit in 8 bits")
        if not _PACKETS_LOST_MIN <= r.packets_lost <= _PACKETS_LOST_MAX:
            raise ValueError(f"packets_lost {r.packets_lost} does not fit in 24 bits")
        lost_word = (r.fraction_lost << 24) | (r.packets_lost & 0xFFFFFF)
        parts.append(
            _REPORT_BLOCK.pack(r.ssrc, lost_word, r.highest_sequence, r.jitter, r.lsr, r.dlsr)
        )
    return b"".join(parts)


def _unpack_reports(body: bytes, offset: int, count: int) -> list[RtcpReceiverInfo]:
    reports = []
    for ssrc, lost_word, highest, jitter, lsr, dlsr in _REPORT_BLOCK.iter_unpack(
        body[offset : offset + 24 * count]
    ):
        lost = lost_word & 0xFFFFFF
        if lost & 0x800000:
            lost -= 0x1000000
        reports.append(RtcpReceiverInfo(ssrc, lost_word >> 24, lost, highest, jitter, lsr, dlsr))
    return reports


@dataclass(slots=True)
class RtcpSenderInfo:
    """The sender information of an SR (RFC 3550 §6.4.1): 64-bit NTP time and counters."""

    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int

    def __bytes__(self) -> bytes:
        try:
            return _SENDER_INFO.pack(
                self.ntp_timestamp, self.rtp_timestamp, self.packet_count, self.octet_count
            )
        except struct.error as exc:
            raise ValueError(f"cannot serialize sender info: {exc}") from exc

    @classmethod
    def parse(cls, data: bytes) -> RtcpSenderInfo:
        """Parse the 20-byte sender information block."""
        if len(data) != _SENDER_INFO.size:
            raise RtcpError(f"sender info must be 20 bytes, got {len(data)}")
        return cls(*_SENDER_INFO.unpack(data))


@dataclass(slots=True)
class RtcpSrPacket(RtcpPacket):
    """Sender report (PT 200, RFC 3550 §6.4.1).

    ``extension`` holds the profile-specific extension that may follow the report blocks,
    kept as bytes.
    """

    ssrc: int
    sender_info: RtcpSenderInfo
    reports: list[RtcpReceiverInfo] = field(default_factory=list)
    extension: bytes = b""

    @classmethod
    def _parse(cls, body: bytes, count: int) -> RtcpSrPacket:
        need(body, 24 + 24 * count, f"SR with {count} report blocks")
        ssrc, ntp, rtp, packets, octets = _SR_HEAD.unpack_from(body)
        end = 24 + 24 * count
        return cls(
            ssrc,
            RtcpSenderInfo(ntp, rtp, packets, octets),
            _unpack_reports(body, 24, count),
            body[end:],
        )

    def _encode(self) -> tuple[int, int, bytes]:
        info = self.sender_info
        head = _SR_HEAD.pack(
            self.ssrc, info.ntp_timestamp, info.rtp_timestamp, info.packet_count, info.octet_count
        )
        reports = _pack_reports(self.reports)
        return len(self.reports), RTCP_SR, head + reports + self.extension


@dataclass(slots=True)
class RtcpRrPacket(RtcpPacket):
    """Receiver report (PT 201, RFC 3550 §6.4.2); ``extension`` as for :class:`RtcpSrPacket`."""

    ssrc: int
    reports: list[RtcpReceiverInfo] = field(default_factory=list)
    extension: bytes = b""

    @classmethod
    def _parse(cls, body: bytes, count: int) -> RtcpRrPacket:
        need(body, 4 + 24 * count, f"RR with {count} report blocks")
        end = 4 + 24 * count
        return cls(U32.unpack_from(body)[0], _unpack_reports(body, 4, count), body[end:])

    def _encode(self) -> tuple[int, int, bytes]:
        reports = _pack_reports(self.reports)
        return len(self.reports), RTCP_RR, U32.pack(self.ssrc) + reports + self.extension
