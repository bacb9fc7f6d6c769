"""Encoders and decoders for WebRTC's codecs, through PyAV/FFmpeg.

Video: VP8, VP9 (libvpx, encoding driven through its C API when it loads: see
:mod:`pyrtc.codecs.vpx`), H.264 (libx264 encoder, FFmpeg decoder), AV1 (SVT-AV1 encoder,
dav1d decoder); audio: Opus, PCMU/PCMA (G.711), G.722. Encoders turn ``av`` frames into
:class:`EncodedFrame` objects (not RTP-packetized); decoders turn encoded frames back into
``av`` frames. Look them up by SDP encoding name::

    from pyrtc.codecs import get_decoder, get_encoder

    encoder = get_encoder("VP8", bitrate=500_000)
"""

from pyrtc.codecs.audio import AudioDecoder, AudioEncoder
from pyrtc.codecs.base import Decoder, EncodedFrame, Encoder
from pyrtc.codecs.errors import CodecError, CodecUnavailableError, DecodeError
from pyrtc.codecs.registry import (
    CODECS,
    CodecInfo,
    can_decode,
    can_encode,
    codec_info,
    get_decoder,
    get_encoder,
)
from pyrtc.codecs.video import VideoDecoder, VideoEncoder

__all__ = [
    "CODECS",
    "AudioDecoder",
    "AudioEncoder",
    "CodecError",
    "CodecInfo",
    "CodecUnavailableError",
    "DecodeError",
    "Decoder",
    "EncodedFrame",
    "Encoder",
    "VideoDecoder",
    "VideoEncoder",
    "can_decode",
    "can_encode",
    "codec_info",
    "get_decoder",
    "get_encoder",
]
