"""RTCP packets: parse and serialize every packet WebRTC uses (RFC 3550, 4585, 5104, 3611, ...).

``parse_compound(data)`` turns a datagram into a list of packet dataclasses and
``serialize_compound(packets)`` (or ``bytes(packet)``) turns them back into bytes. Malformed
input raises :class:`RtcpError`, a :class:`pyrtc.ParseError`. Class names follow aiortc
(``RtcpSrPacket``, ``RtcpReceiverInfo``, ``RtcpPacket.parse`` ...); see ``docs/rtcp.md``.
"""

from pyrtc.rtcp.app import RtcpAppPacket
from pyrtc.rtcp.base import (
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
from pyrtc.rtcp.ccfb import CCFB_ATO_OVERFLOW, CcfbMetric, CcfbReportBlock, RtcpCcfbPacket
from pyrtc.rtcp.compound import (
    is_rtcp,
    parse_compound,
    parse_compound_partial,
    serialize_compound,
)
from pyrtc.rtcp.errors import RtcpError
from pyrtc.rtcp.feedback import (
    PSFB_AFB,
    PSFB_FIR,
    PSFB_PLI,
    PSFB_RPSI,
    PSFB_SLI,
    RTPFB_CCFB,
    RTPFB_NACK,
    RTPFB_TMMBN,
    RTPFB_TMMBR,
    RTPFB_TWCC,
    FirEntry,
    RtcpFirPacket,
    RtcpNackPacket,
    RtcpPliPacket,
    RtcpPsfbPacket,
    RtcpRembPacket,
    RtcpRtpfbPacket,
)
from pyrtc.rtcp.nack import circular_order, lost_from_nack_pairs, nack_pairs_from_lost
from pyrtc.rtcp.ntp import (
    NTP_UNIX_OFFSET,
    ntp_middle32,
    ntp_to_seconds,
    rtt_from_report,
    seconds_to_ntp,
)
from pyrtc.rtcp.reports import RtcpReceiverInfo, RtcpRrPacket, RtcpSenderInfo, RtcpSrPacket
from pyrtc.rtcp.sdes import RtcpSdesPacket, RtcpSourceInfo, SdesItemType
from pyrtc.rtcp.twcc import RtcpTransportCcPacket, TwccPacketStatus
from pyrtc.rtcp.xr import (
    XR_DLRR,
    XR_RRTR,
    DlrrReport,
    RtcpXrPacket,
    XrBlock,
    XrDlrrBlock,
    XrRawBlock,
    XrRrtrBlock,
)

__all__ = [
    "CCFB_ATO_OVERFLOW",
    "NTP_UNIX_OFFSET",
    "PSFB_AFB",
    "PSFB_FIR",
    "PSFB_PLI",
    "PSFB_RPSI",
    "PSFB_SLI",
    "RTCP_APP",
    "RTCP_BYE",
    "RTCP_PSFB",
    "RTCP_RR",
    "RTCP_RTPFB",
    "RTCP_SDES",
    "RTCP_SR",
    "RTCP_XR",
    "RTPFB_CCFB",
    "RTPFB_NACK",
    "RTPFB_TMMBN",
    "RTPFB_TMMBR",
    "RTPFB_TWCC",
    "XR_DLRR",
    "XR_RRTR",
    "CcfbMetric",
    "CcfbReportBlock",
    "DlrrReport",
    "FirEntry",
    "RtcpAppPacket",
    "RtcpByePacket",
    "RtcpCcfbPacket",
    "RtcpError",
    "RtcpFirPacket",
    "RtcpNackPacket",
    "RtcpPacket",
    "RtcpPliPacket",
    "RtcpPsfbPacket",
    "RtcpRawPacket",
    "RtcpReceiverInfo",
    "RtcpRembPacket",
    "RtcpRrPacket",
    "RtcpRtpfbPacket",
    "RtcpSdesPacket",
    "RtcpSenderInfo",
    "RtcpSourceInfo",
    "RtcpSrPacket",
    "RtcpTransportCcPacket",
    "RtcpXrPacket",
    "SdesItemType",
    "TwccPacketStatus",
    "XrBlock",
    "XrDlrrBlock",
    "XrRawBlock",
    "XrRrtrBlock",
    "circular_order",
    "is_rtcp",
    "lost_from_nack_pairs",
    "nack_pairs_from_lost",
    "ntp_middle32",
    "ntp_to_seconds",
    "parse_compound",
    "parse_compound_partial",
    "rtt_from_report",
    "seconds_to_ntp",
    "serialize_compound",
]
