"""Encoders and decoders by SDP encoding name (RFC 4855: names are case-insensitive)."""

from __future__ import annotations

from dataclasses import dataclass

import av

from pyrtc.codecs.audio import (
    G722_CONFIG,
    OPUS_CONFIG,
    PCMA_CONFIG,
    PCMU_CONFIG,
    AudioCodecConfig,
    AudioDecoder,
    AudioEncoder,
)
from pyrtc.codecs.errors import CodecUnavailableError
from pyrtc.codecs.video import (
    AV1_CONFIG,
    H264_CONFIG,
    VIDEO_CLOCK_RATE,
    VP8_CONFIG,
    VP9_CONFIG,
    VideoDecoder,
    VideoEncoder,
    VideoEncoderConfig,
)


@dataclass(frozen=True)
class CodecInfo:
    """An RTP codec as named in SDP ``a=rtpmap`` and the FFmpeg codecs that implement it."""

    name: str
    kind: str  # "audio" or "video"
    clock_rate: int
    channels: int  # 0 for video
    encoder: str
    decoders: tuple[str, ...]  # FFmpeg decoders in order of preference


_VIDEO: dict[str, tuple[CodecInfo, VideoEncoderConfig]] = {
    "VP8": (
        CodecInfo("VP8", "video", VIDEO_CLOCK_RATE, 0, "libvpx", ("libvpx", "vp8")),
        VP8_CONFIG,
    ),
    "VP9": (
        CodecInfo("VP9", "video", VIDEO_CLOCK_RATE, 0, "libvpx-vp9", ("vp9", "libvpx-vp9")),
        VP9_CONFIG,
    ),
    "H264": (CodecInfo("H264", "video", VIDEO_CLOCK_RATE, 0, "libx264", ("h264",)), H264_CONFIG),
    "AV1": (
        # FFmpeg's own "av1" decoder only drives hardware decoders: software ones only
        CodecInfo("AV1", "video", VIDEO_CLOCK_RATE, 0, "libsvtav1", ("libdav1d", "libaom-av1")),
        AV1_CONFIG,
    ),
}
_AUDIO: dict[str, tuple[CodecInfo, AudioCodecConfig]] = {
    "OPUS": (CodecInfo("opus", "audio", 48000, 2, "libopus", ("opus", "libopus")), OPUS_CONFIG),
    "PCMU": (CodecInfo("PCMU", "audio", 8000, 1, "pcm_mulaw", ("pcm_mulaw",)), PCMU_CONFIG),
    "PCMA": (CodecInfo("PCMA", "audio", 8000, 1, "pcm_alaw", ("pcm_alaw",)), PCMA_CONFIG),
    "G722": (CodecInfo("G722", "audio", 8000, 1, "g722", ("g722",)), G722_CONFIG),
}

CODECS: dict[str, CodecInfo] = {info.name: info for info, _ in (*_VIDEO.values(), *_AUDIO.values())}
"""Every codec this module knows, keyed by its usual SDP spelling."""


def codec_info(name: str) -> CodecInfo:
    """Look up a codec by SDP encoding name (any case)."""
    key = name.upper()
    entry = _VIDEO.get(key) or _AUDIO.get(key)
    if entry is None:
        raise CodecUnavailableError(f"unknown codec {name!r}")
    return entry[0]


def _decoder_name(info: CodecInfo) -> str | None:
    available = av.codecs_available
    return next((name for name in info.decoders if name in available), None)


def can_encode(name: str) -> bool:
    """Whether this FFmpeg build has the encoder for ``name``."""
    return codec_info(name).encoder in av.codecs_available


def can_decode(name: str) -> bool:
    """Whether this FFmpeg build has a decoder for ``name``."""
    return _decoder_name(codec_info(name)) is not None


def get_encoder(name: str, bitrate: int | None = None) -> VideoEncoder | AudioEncoder:
    """Create an encoder for SDP codec ``name``; ``bitrate`` in bit/s (initial target for
    video, fixed rate for Opus, ignored by G.711/G.722)."""
    info = codec_info(name)
    if not can_encode(name):
        raise CodecUnavailableError(f"this FFmpeg has no {info.encoder} encoder for {info.name}")
    key = name.upper()
    if key in _VIDEO:
        config = _VIDEO[key][1]
        return VideoEncoder(config) if bitrate is None else VideoEncoder(config, bitrate)
    return AudioEncoder(_AUDIO[key][1], bitrate)


def get_decoder(name: str) -> VideoDecoder | AudioDecoder:
    """Create a decoder for SDP codec ``name``."""
    info = codec_info(name)
    ffmpeg_name = _decoder_name(info)
    if ffmpeg_name is None:
        raise CodecUnavailableError(f"this FFmpeg has no decoder for {info.name}")
    key = name.upper()
    if key in _VIDEO:
        return VideoDecoder(ffmpeg_name)
    config = _AUDIO[key][1]
    if ffmpeg_name != config.decoder:
        config = AudioCodecConfig(
            config.encoder,
            ffmpeg_name,
            config.sample_rate,
            config.clock_rate,
            config.layout,
            config.bitrate,
        )
    return AudioDecoder(config)
