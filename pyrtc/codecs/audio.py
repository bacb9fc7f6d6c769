"""Audio encoders and decoders (Opus, G.711 PCMU/PCMA, G.722) on top of PyAV/FFmpeg.

Every encoder takes frames of any sample format, layout and rate (they are resampled) and
emits one encoded frame per 20 ms. RTP timestamps follow the payload formats' clock rates:
48 kHz for Opus (RFC 7587 section 4.1), 8 kHz for PCMU/PCMA, and 8 kHz for G.722 although it
samples at 16 kHz (RFC 3551 section 4.5.2). Each encoded frame carries the RMS level of the
20 ms it encodes (:attr:`EncodedFrame.audio_level`), which the RTP sender puts in the
ssrc-audio-level header extension (RFC 6464) and the ``media-source`` statistics.
"""

from __future__ import annotations

import array
import fractions
import math
import operator
from dataclasses import dataclass

import av

from pyrtc.codecs.base import EncodedFrame
from pyrtc.codecs.errors import CodecError, DecodeError

PTIME = 0.020
_FULL_SCALE = 32767.0


def pcm_level(samples: bytes) -> float:
    """The RMS level of signed 16-bit native-endian PCM ``samples`` (any channel layout),
    linear: 1.0 for a full-scale square wave (0 dBov), 0.0 for silence or no samples."""
    pcm = array.array("h")
    pcm.frombytes(samples[: len(samples) & ~1])
    if not pcm:
        return 0.0
    energy = sum(map(operator.mul, pcm, pcm))
    return min(1.0, math.sqrt(energy / len(pcm)) / _FULL_SCALE)


@dataclass(frozen=True)
class AudioCodecConfig:
    """One FFmpeg audio codec as used in RTP."""

    encoder: str
    decoder: str
    sample_rate: int  # what the codec samples at
    clock_rate: int  # RTP timestamp rate
    layout: str
    bitrate: int | None  # None: fixed by the codec (G.711, G.722 at 64 kbit/s)


OPUS_CONFIG = AudioCodecConfig("libopus", "opus", 48000, 48000, "stereo", 64000)
PCMU_CONFIG = AudioCodecConfig("pcm_mulaw", "pcm_mulaw", 8000, 8000, "mono", None)
PCMA_CONFIG = AudioCodecConfig("pcm_alaw", "pcm_alaw", 8000, 8000, "mono", None)
G722_CONFIG = AudioCodecConfig("g722", "g722", 16000, 8000, "mono", None)


class AudioEncoder:
    """Encodes audio into 20 ms frames of one codec."""

    def __init__(self, config: AudioCodecConfig, bitrate: int | None = None) -> None:
        self._config = config
        context = av.CodecContext.create(config.encoder, "w")
        assert isinstance(context, av.AudioCodecContext)
        context.sample_rate = config.sample_rate
        context.layout = config.layout
        context.format = "s16"
        context.time_base = fractions.Fraction(1, config.sample_rate)
        if config.bitrate is not None:
            context.bit_rate = bitrate or config.bitrate
        samples = int(config.sample_rate * PTIME)
        if config.encoder == "libopus":
            context.options = {"application": "voip", "frame_duration": "20"}
        try:
            context.open()
        except av.FFmpegError as exc:
            raise CodecError(f"cannot open {config.encoder}: {exc}") from exc
        self._context = context
        self._resampler = av.AudioResampler(
            format="s16", layout=config.layout, rate=config.sample_rate, frame_size=samples
        )
        self._samples = 0  # samples fed to the codec so far, at config.sample_rate

    @property
    def clock_rate(self) -> int:
        return self._config.clock_rate

    def encode(
        self, frame: av.AudioFrame | av.VideoFrame, force_keyframe: bool = False
    ) -> list[EncodedFrame]:
        """Encode ``frame``; returns every complete 20 ms frame now available (maybe none).

        Timestamps count samples from the first frame at the RTP clock rate.
        ``force_keyframe`` is accepted for interface parity; every audio frame is a keyframe.
        """
        if not isinstance(frame, av.AudioFrame):
            raise CodecError(f"{self._config.encoder} encodes audio frames only")
        scale = self._config.sample_rate // self._config.clock_rate
        out: list[EncodedFrame] = []
        saved = frame.pts
        frame.pts = None  # the resampler's timestamps are not used
        try:
            resampled = self._resampler.resample(frame)
        finally:
            frame.pts = saved
        for chunk in resampled:
            chunk.pts = self._samples
            timestamp = self._samples // scale
            self._samples += chunk.samples
            try:
                packets = self._context.encode(chunk)
            except av.FFmpegError as exc:
                raise CodecError(f"{self._config.encoder} failed to encode: {exc}") from exc
            used = chunk.samples * len(chunk.layout.channels) * 2  # the plane may be padded
            level = pcm_level(bytes(chunk.planes[0])[:used])
            out.extend(EncodedFrame(bytes(packet), timestamp, True, level) for packet in packets)
        return out

    def close(self) -> None:
        """Nothing to flush: every 20 ms frame was emitted when it became complete."""


class AudioDecoder:
    """Decodes one encoded audio frame into s16 (packed) frames at the codec's sample rate."""

    def __init__(self, config: AudioCodecConfig) -> None:
        self._config = config
        try:
            context = av.CodecContext.create(config.decoder, "r")
        except (av.FFmpegError, ValueError) as exc:
            raise CodecError(f"no FFmpeg decoder {config.decoder!r}: {exc}") from exc
        assert isinstance(context, av.AudioCodecContext)
        context.sample_rate = config.sample_rate
        context.layout = config.layout
        self._context = context
        self._resampler = av.AudioResampler(
            format="s16", layout=config.layout, rate=config.sample_rate
        )
        self._time_base = fractions.Fraction(1, config.clock_rate)

    @property
    def clock_rate(self) -> int:
        return self._config.clock_rate

    def decode(self, data: bytes, timestamp: int) -> list[av.AudioFrame]:
        """Decode ``data``; frames get ``pts=timestamp`` in 1/clock_rate units."""
        packet = av.Packet(data)
        try:
            frames = self._context.decode(packet)
        except av.FFmpegError as exc:
            raise DecodeError(f"{self._config.decoder} could not decode frame: {exc}") from exc
        scale = self._config.sample_rate // self._config.clock_rate
        out: list[av.AudioFrame] = []
        offset = 0
        for frame in frames:
            assert isinstance(frame, av.AudioFrame)
            frame.pts = None
            for converted in self._resampler.resample(frame):
                converted.pts = timestamp + offset // scale
                converted.time_base = self._time_base
                offset += converted.samples
                out.append(converted)
        return out
