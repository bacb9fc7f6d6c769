"""RTP sessions: sans-I/O sender and receiver cores with their RTCP feedback loops.

:class:`RtpSender` and :class:`RtpReceiver` handle one stream each (numbering, history,
NACK/RTX, PLI/FIR, SR/RR, statistics); :class:`RtpSession` puts the streams of one transport
together (RTP/RTCP demultiplexing, routing by SSRC, transport-wide CC feedback);
:class:`GccEstimator` (loss-based and delay-based, :class:`DelayBasedEstimator` alone) and
:class:`LossBasedEstimator` turn their feedback into a target bitrate. See
``docs/rtpsession.md``::

    from pyrtc.rtpsession import RtpReceiver, RtpSender, RtpSession
"""

from pyrtc.rtpsession.bwe import GccEstimator, LossBasedEstimator
from pyrtc.rtpsession.delay_bwe import DelayBasedEstimator
from pyrtc.rtpsession.errors import RtpSessionError
from pyrtc.rtpsession.events import (
    BitrateEstimateReceived,
    ByeReceived,
    FrameReceived,
    KeyframeRequested,
    PacketFeedback,
    ReceiverReportReceived,
    SenderReportReceived,
    TransportFeedbackReceived,
)
from pyrtc.rtpsession.interval import rtcp_interval
from pyrtc.rtpsession.receiver import JitterBufferLike, RtpReceiver
from pyrtc.rtpsession.sender import RtpSender, TransportSequence
from pyrtc.rtpsession.session import RtpSession
from pyrtc.rtpsession.statistics import ReceptionStatistics
from pyrtc.rtpsession.twcc import TwccRecorder

__all__ = [
    "BitrateEstimateReceived",
    "ByeReceived",
    "DelayBasedEstimator",
    "FrameReceived",
    "GccEstimator",
    "JitterBufferLike",
    "KeyframeRequested",
    "LossBasedEstimator",
    "PacketFeedback",
    "ReceiverReportReceived",
    "ReceptionStatistics",
    "RtpReceiver",
    "RtpSender",
    "RtpSession",
    "RtpSessionError",
    "SenderReportReceived",
    "TransportFeedbackReceived",
    "TransportSequence",
    "TwccRecorder",
    "rtcp_interval",
]
