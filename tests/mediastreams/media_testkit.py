"""Synthetic media for the tests (no numpy: planes are filled from bytes)."""

from __future__ import annotations

import fractions
import math
import random
from array import array

import av

NOISE_TABLE = bytes(110 + (b * 36) // 256 for b in range(256))


def video_frame(
    index: int, width: int = 320, height: int = 240, noise: bool = False
) -> av.VideoFrame:
    """Frame ``index`` of a moving test pattern (diagonal ramp), pts in 1/90000 at 30 fps.

    With ``noise``, the luma is low-amplitude random noise instead: every frame costs bits,
    so rate control decisions show in the encoded sizes.
    """
    frame = av.VideoFrame(width, height, "yuv420p")
    luma = frame.planes[0]
    if noise:
        data = random.Random(index).randbytes(luma.buffer_size).translate(NOISE_TABLE)
    else:
        rows = [
            bytes(((x + y + 4 * index) * 2) % 256 for x in range(luma.line_size))
            for y in range(0, height, 16)
        ]
        data = b"".join(rows[y // 16] for y in range(height))
    luma.update(data)
    for plane in frame.planes[1:]:
        plane.update(bytes([(64 + 8 * index) % 256]) * plane.buffer_size)
    frame.pts = index * 3000
    frame.time_base = fractions.Fraction(1, 90000)
    return frame


def sine_frames(
    count: int, rate: int = 48000, layout: str = "stereo", freq: float = 440.0, ptime: float = 0.02
) -> list[av.AudioFrame]:
    """``count`` consecutive s16 frames of a sine wave (amplitude 1/2 of full scale)."""
    channels = 2 if layout == "stereo" else 1
    samples = int(rate * ptime)
    frames = []
    for i in range(count):
        pcm = array("h")
        for n in range(i * samples, (i + 1) * samples):
            value = int(16000 * math.sin(2 * math.pi * freq * n / rate))
            pcm.extend([value] * channels)
        frame = av.AudioFrame(format="s16", layout=layout, samples=samples)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = rate
        frame.pts = i * samples
        frame.time_base = fractions.Fraction(1, rate)
        frames.append(frame)
    return frames


def mono_samples(frames: list[av.AudioFrame]) -> list[int]:
    """First channel of s16 packed frames, concatenated."""
    out: list[int] = []
    for frame in frames:
        assert frame.format.name == "s16"
        pcm = array("h")
        pcm.frombytes(bytes(frame.planes[0])[: frame.samples * 2 * len(frame.layout.channels)])
        out.extend(pcm[:: len(frame.layout.channels)])
    return out


def best_correlation(a: list[int], b: list[int], max_lag: int) -> float:
    """Max normalised cross-correlation of ``b`` against ``a`` over lags 0..max_lag."""
    best = -1.0
    for lag in range(max_lag + 1):
        x = a[: len(a) - lag] if lag else a
        y = b[lag : lag + len(x)]
        n = min(len(x), len(y))
        x, y = x[:n], y[:n]
        sxy = sum(p * q for p, q in zip(x, y, strict=True))
        sxx = sum(p * p for p in x)
        syy = sum(q * q for q in y)
        if sxx and syy:
            best = max(best, sxy / math.sqrt(sxx * syy))
    return best


def write_media_file(
    path: str,
    video_codec: str | None = "libx264",
    audio_codec: str | None = "aac",
    video_frames: int = 10,
    audio_seconds: float = 0.3,
    size: tuple[int, int] = (160, 120),
) -> None:
    """Write a short file with PyAV: a 30 fps test pattern and/or a 48 kHz stereo sine."""
    with av.open(path, "w") as container:
        video = audio = None
        if video_codec:
            video = container.add_stream(video_codec, rate=30)
            video.width, video.height = size
            video.pix_fmt = "yuv420p"
            if video_codec == "libx264":
                video.codec_context.options = {"tune": "zerolatency"}  # no B-frames, like WebRTC
        if audio_codec:
            audio = container.add_stream(audio_codec, rate=48000)
            audio.layout = "stereo"
        if video is not None:
            for i in range(video_frames):
                frame = video_frame(i, *size)
                frame.pts = i
                frame.time_base = fractions.Fraction(1, 30)
                for packet in video.encode(frame):
                    container.mux(packet)
            for packet in video.encode(None):
                container.mux(packet)
        if audio is not None:
            for frame in sine_frames(int(audio_seconds / 0.02)):
                for packet in audio.encode(frame):
                    container.mux(packet)
            for packet in audio.encode(None):
                container.mux(packet)


class VirtualClock:
    """Time moves only when a track sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay
