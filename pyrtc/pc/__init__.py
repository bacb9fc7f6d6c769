"""RTCPeerConnection with data channels and audio/video: JSEP (RFC 9429), BUNDLE (RFC 8843),
ICE + DTLS + SCTP + SRTP wired into one transport, with aiortc's API names.

>>> from pyrtc.pc import RTCPeerConnection, RTCSessionDescription
"""

from pyrtc.emitter import EventEmitter
from pyrtc.ice import RTCIceServer
from pyrtc.pc.config import (
    RTCConfiguration,
    RTCIceCandidate,
    RTCSessionDescription,
    candidate_from_sdp,
    candidate_to_sdp,
)
from pyrtc.pc.datachannel import RTCDataChannel
from pyrtc.pc.jsep import InvalidAccessError, InvalidStateError
from pyrtc.pc.peerconnection import RTCPeerConnection
from pyrtc.pc.rtp import (
    MediaError,
    RemoteStreamTrack,
    RTCRtpCodecParameters,
    RTCRtpEncodingParameters,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpSendParameters,
    RTCRtpTransceiver,
)
from pyrtc.pc.stack import TransportError, TransportStack
from pyrtc.pc.stats import RTCStatsReport

__all__ = [
    "EventEmitter",
    "InvalidAccessError",
    "InvalidStateError",
    "MediaError",
    "RTCConfiguration",
    "RTCDataChannel",
    "RTCIceCandidate",
    "RTCIceServer",
    "RTCPeerConnection",
    "RTCRtpCodecParameters",
    "RTCRtpEncodingParameters",
    "RTCRtpReceiver",
    "RTCRtpSendParameters",
    "RTCRtpSender",
    "RTCRtpTransceiver",
    "RTCSessionDescription",
    "RTCStatsReport",
    "RemoteStreamTrack",
    "TransportError",
    "TransportStack",
    "candidate_from_sdp",
    "candidate_to_sdp",
]
