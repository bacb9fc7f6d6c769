"""Media codecs: RTP payload formats (packetizers/depacketizers) and the jitter buffer.

Video: VP8 (RFC 7741), VP9 (RFC 9628), H.264 (RFC 6184) and AV1 in native code; audio: Opus
(RFC 7587), G.711 PCMU/PCMA and G.722 (RFC 3551). The media sender/receiver/track layer is a
separate part.
::

    from pyrtc.media import VP8, JitterBuffer, Depacketizer
"""

from pyrtc._native.jitter import Frame, JitterBuffer
from pyrtc._native.packetize_av1 import (
    av1_depacketize,
    av1_is_keyframe,
    av1_packetize,
    av1_payload_info,
    av1_split_obus,
)
from pyrtc._native.packetize_h264 import (
    h264_depacketize,
    h264_is_keyframe,
    h264_packetize,
    h264_payload_info,
    h264_split_annexb,
)
from pyrtc._native.packetize_vp8 import (
    Vp8Descriptor,
    Vp8Packetizer,
    vp8_depacketize,
    vp8_is_keyframe,
    vp8_packetize,
    vp8_payload_info,
)
from pyrtc._native.packetize_vp9 import (
    Vp9Descriptor,
    Vp9Packetizer,
    vp9_depacketize,
    vp9_frame_info,
    vp9_is_keyframe,
    vp9_packetize,
    vp9_payload_info,
)
from pyrtc.media.audio import G722, OPUS, PCMA, PCMU, AudioCodec, opus_samples
from pyrtc.media.depacketizer import Depacketizer
from pyrtc.media.errors import DepacketizeError, PacketizeError
from pyrtc.media.events import KeyframeRequest
from pyrtc.media.h264_profile import (
    DEFAULT_PROFILE_LEVEL_ID,
    H264Profile,
    ProfileLevelId,
    ProfileLevelIdError,
    h264_profiles_match,
)
from pyrtc.media.video import AV1, FRAME_START, H264, KEYFRAME, VP8, VP9, VideoCodec

__all__ = [
    "AV1",
    "DEFAULT_PROFILE_LEVEL_ID",
    "FRAME_START",
    "G722",
    "H264",
    "KEYFRAME",
    "OPUS",
    "PCMA",
    "PCMU",
    "VP8",
    "VP9",
    "AudioCodec",
    "DepacketizeError",
    "Depacketizer",
    "Frame",
    "H264Profile",
    "JitterBuffer",
    "KeyframeRequest",
    "PacketizeError",
    "ProfileLevelId",
    "ProfileLevelIdError",
    "VideoCodec",
    "Vp8Descriptor",
    "Vp8Packetizer",
    "Vp9Descriptor",
    "Vp9Packetizer",
    "av1_depacketize",
    "av1_is_keyframe",
    "av1_packetize",
    "av1_payload_info",
    "av1_split_obus",
    "h264_depacketize",
    "h264_is_keyframe",
    "h264_packetize",
    "h264_payload_info",
    "h264_profiles_match",
    "h264_split_annexb",
    "opus_samples",
    "vp8_depacketize",
    "vp8_is_keyframe",
    "vp8_packetize",
    "vp8_payload_info",
    "vp9_depacketize",
    "vp9_frame_info",
    "vp9_is_keyframe",
    "vp9_packetize",
    "vp9_payload_info",
]
