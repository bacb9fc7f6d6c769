"""Video encoders and decoders (VP8, VP9, H.264, AV1) on top of PyAV/FFmpeg.

Encoders are tuned for real-time conversation: no look-ahead, no B-frames, one encoded frame
out per frame in, keyframes only at the start, on resolution changes and on demand
(:meth:`VideoEncoder.request_keyframe`, used for RTCP PLI/FIR, RFC 4585 section 6.3.1 and
RFC 5104 section 4.3.1).

Bitrate changes. VP8 and VP9 are encoded by libvpx driven directly through its C API
(:mod:`pyrtc.codecs.vpx`), which hands a new :attr:`VideoEncoder.target_bitrate` to libvpx's
rate control before the next frame: no keyframe, no reopen. Where that libvpx cannot be used
(none found, or its structure layouts fail the checks), VP8/VP9 fall back to FFmpeg's libvpx
wrapper, which reads the bitrate only when it opens. FFmpeg's libx264 wrapper reconfigures
x264 between frames, so lowering the target (or raising it up to the rate the encoder was
opened with, its VBV ceiling) also takes effect on the next frame without a keyframe. For
SVT-AV1, FFmpeg-libvpx and x264 above its ceiling the new target is applied when the next
keyframe is produced anyway (requested keyframe or resolution change), by reopening the
encoder at that point; :attr:`VideoEncoder.pending_bitrate` tells whether a change is
waiting for that.
"""

from __future__ import annotations

import contextlib
import fractions
import os
from collections.abc import Iterator
from dataclasses import dataclass

import av
from av.video.frame import PictureType

from pyrtc.codecs import vpx
from pyrtc.codecs.base import EncodedFrame
from pyrtc.codecs.errors import CodecError, DecodeError

VIDEO_CLOCK_RATE = 90000
_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
_GOP_SIZE = vpx.KEYFRAME_INTERVAL  # frames; keyframes come from PLI/FIR


@contextlib.contextmanager
def _keep_scheduling_policy() -> Iterator[None]:
    """Undo a scheduling-policy change an encoder makes to the calling thread.

    SVT-AV1 switches the thread that opens or drives it to SCHED_FIFO when it runs as root;
    every thread and process started from that thread would inherit a real-time policy and
    busy threads could then starve the machine. Linux only (elsewhere a no-op).
    """
    if not hasattr(os, "sched_getscheduler"):
        yield
        return
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    try:
        yield
    finally:
        if os.sched_getscheduler(0) != policy:
            os.sched_setscheduler(0, policy, param)


@dataclass(frozen=True)
class VideoEncoderConfig:
    """How to drive one encoder for real-time use."""

    ffmpeg_name: str
    options: dict[str, str]
    live_bitrate: bool  # the FFmpeg wrapper applies ``bit_rate`` changes between frames
    constant_bitrate: bool  # open with minrate = maxrate = bitrate (libvpx's CBR mode)
    libvpx_codec: str | None = None  # "vp8"/"vp9": use pyrtc.codecs.vpx when it loads


# Real-time libvpx as libwebrtc runs it: CBR, a 1 s buffer, undershoot allowed, little overshoot.
_VPX_REALTIME = {
    "deadline": "realtime",
    "lag-in-frames": "0",
    "undershoot-pct": "100",
    "overshoot-pct": "15",
}
VP8_CONFIG = VideoEncoderConfig(
    "libvpx", {**_VPX_REALTIME, "cpu-used": "-6"}, False, True, libvpx_codec="vp8"
)
VP9_CONFIG = VideoEncoderConfig(
    "libvpx-vp9", {**_VPX_REALTIME, "cpu-used": "8"}, False, True, libvpx_codec="vp9"
)
H264_CONFIG = VideoEncoderConfig(
    "libx264",
    {
        "preset": "ultrafast",
        "tune": "zerolatency",
        "profile": "baseline",
        "forced-idr": "1",
    },
    True,
    False,
)
AV1_CONFIG = VideoEncoderConfig(
    "libsvtav1", {"preset": "12", "svtav1-params": "pred-struct=1:rc=2"}, False, False
)


def _pts_90khz(frame: av.VideoFrame) -> int | None:
    if frame.pts is None or frame.time_base is None:
        return None
    tb = frame.time_base
    return int(frame.pts * fractions.Fraction(tb.numerator, tb.denominator) * VIDEO_CLOCK_RATE)


class VideoEncoder:
    """A real-time video encoder: ``encode(frame)`` returns the encoded frame(s) at once.

    The encoder opens on the first frame (its size sets the stream's size) and reopens when
    the size changes. VP8/VP9 run on libvpx directly (:mod:`pyrtc.codecs.vpx`) when it loads,
    everything else (and VP8/VP9 without it) on FFmpeg. Input frames are converted to yuv420p
    when needed; the caller's frame object is left as it was (it may be shared by several
    senders).
    """

    def __init__(
        self, config: VideoEncoderConfig, target_bitrate: int = 1_000_000, framerate: int = 30
    ) -> None:
        if target_bitrate <= 0:
            raise CodecError("target_bitrate must be positive")
        self._config = config
        self._framerate = framerate
        self._target = target_bitrate
        self._applied = target_bitrate
        self._ceiling = target_bitrate
        self._context: av.VideoCodecContext | None = None
        self._libvpx: vpx.VpxEncoder | None = None
        self._size: tuple[int, int] | None = None
        self._last_pts: int | None = None
        self._keyframe_requested = False

    @property
    def clock_rate(self) -> int:
        return VIDEO_CLOCK_RATE

    @property
    def target_bitrate(self) -> int:
        """Bits per second the rate control aims at; set it from the bandwidth estimate.

        A change is applied before the next frame is encoded, or waits for the next keyframe
        where the encoder cannot be retargeted (see :attr:`pending_bitrate`).
        """
        return self._target

    @target_bitrate.setter
    def target_bitrate(self, value: int) -> None:
        if value <= 0:
            raise CodecError("target_bitrate must be positive")
        self._target = value

    @property
    def pending_bitrate(self) -> bool:
        """Whether a bitrate change waits for the next keyframe (see the module docstring)."""
        return self._opened and self._target != self._applied and not self._live_update_possible()

    def request_keyframe(self) -> None:
        """Make the next encoded frame a keyframe (call on RTCP PLI or FIR)."""
        self._keyframe_requested = True

    def encode(
        self, frame: av.AudioFrame | av.VideoFrame, force_keyframe: bool = False
    ) -> list[EncodedFrame]:
        """Encode one frame; returns the encoded frame (an empty list if the encoder dropped it).

        ``timestamp`` of the output is the frame's ``pts`` in 90 kHz units (frames without a
        ``pts`` continue from the previous one at the configured frame rate).
        """
        if not isinstance(frame, av.VideoFrame):
            raise CodecError(f"{self._config.ffmpeg_name} encodes video frames only")
        keyframe = force_keyframe or self._keyframe_requested
        self._keyframe_requested = False
        pts = _pts_90khz(frame)
        if self._last_pts is not None:
            if pts is None:
                pts = self._last_pts + VIDEO_CLOCK_RATE // self._framerate
            pts = max(pts, self._last_pts + 1)  # encoders require increasing timestamps
        elif pts is None:
            pts = 0
        self._last_pts = pts

        size = (frame.width, frame.height)
        if not self._opened or size != self._size or (keyframe and self.pending_bitrate):
            self._open(size)
            keyframe = False  # a freshly opened encoder starts with a keyframe
        elif self._target != self._applied and self._live_update_possible():
            if self._libvpx is not None:
                self._libvpx.set_bitrate(self._target)
            else:
                assert self._context is not None
                self._context.bit_rate = self._target
            self._applied = self._target

        source = frame if frame.format.name == "yuv420p" else frame.reformat(format="yuv420p")
        if self._libvpx is not None:
            return self._libvpx.encode(source, pts, keyframe)
        context = self._context
        assert context is not None
        saved = (source.pts, source.time_base, source.pict_type)
        source.pts = pts
        source.time_base = _TIME_BASE
        source.pict_type = PictureType.I if keyframe else PictureType.NONE
        try:
            with _keep_scheduling_policy():
                packets = context.encode(source)
        except av.FFmpegError as exc:
            raise CodecError(f"{self._config.ffmpeg_name} failed to encode: {exc}") from exc
        finally:
            source.pts, source.time_base, source.pict_type = saved
        return [
            EncodedFrame(
                bytes(packet), pts if packet.pts is None else packet.pts, packet.is_keyframe
            )
            for packet in packets
        ]

    def close(self) -> None:
        """Flush and release the encoder (a later ``encode`` opens a new one)."""
        if self._libvpx is not None:
            self._libvpx.close()  # no look-ahead: nothing is buffered
            self._libvpx = None
        if self._context is not None:
            with contextlib.suppress(av.FFmpegError):  # an encoder that failed has no output
                self._context.encode(None)
            self._context = None

    @property
    def _opened(self) -> bool:
        return self._context is not None or self._libvpx is not None

    def _live_update_possible(self) -> bool:
        if self._libvpx is not None:
            return True
        return self._config.live_bitrate and self._target <= self._ceiling

    def _open(self, size: tuple[int, int]) -> None:
        self.close()
        library = vpx.load() if self._config.libvpx_codec is not None else None
        if library is not None and self._config.libvpx_codec in library.interfaces:
            assert self._config.libvpx_codec is not None
            self._libvpx = vpx.VpxEncoder(
                library, self._config.libvpx_codec, size, self._target, self._framerate
            )
        else:
            self._context = self._open_ffmpeg(size)
        self._size = size
        self._applied = self._ceiling = self._target

    def _open_ffmpeg(self, size: tuple[int, int]) -> av.VideoCodecContext:
        context = av.CodecContext.create(self._config.ffmpeg_name, "w")
        assert isinstance(context, av.VideoCodecContext)
        context.width, context.height = size
        context.pix_fmt = "yuv420p"
        context.time_base = _TIME_BASE
        context.framerate = fractions.Fraction(self._framerate, 1)
        context.gop_size = _GOP_SIZE
        context.bit_rate = self._target
        options = dict(self._config.options)
        if self._config.live_bitrate or self._config.constant_bitrate:
            # x264 lets rate control be reconfigured only when VBV was enabled at open.
            options["maxrate"] = options["bufsize"] = str(self._target)
        if self._config.constant_bitrate:
            options["minrate"] = str(self._target)
        context.options = options
        try:
            with _keep_scheduling_policy():
                context.open()
        except av.FFmpegError as exc:
            raise CodecError(f"cannot open {self._config.ffmpeg_name}: {exc}") from exc
        return context


class VideoDecoder:
    """Decodes one encoded frame (VP8/VP9 frame, H.264 access unit, AV1 temporal unit)."""

    def __init__(self, ffmpeg_name: str) -> None:
        try:
            context = av.CodecContext.create(ffmpeg_name, "r")
        except (av.FFmpegError, ValueError) as exc:
            raise CodecError(f"no FFmpeg decoder {ffmpeg_name!r}: {exc}") from exc
        assert isinstance(context, av.VideoCodecContext)
        # Frame threading would hold decoded frames back by several frames.
        context.thread_type = "SLICE"
        if ffmpeg_name == "libdav1d":
            context.options = {"max_frame_delay": "1"}
        self._context = context
        self._name = ffmpeg_name

    @property
    def clock_rate(self) -> int:
        return VIDEO_CLOCK_RATE

    def decode(self, data: bytes, timestamp: int) -> list[av.VideoFrame]:
        """Decode ``data``; frames get ``pts=timestamp`` and ``time_base`` 1/90000.

        Corrupt or undecodable input (for example a delta frame after loss) raises
        :class:`DecodeError`; the receiver should then request a keyframe.
        """
        packet = av.Packet(data)
        packet.pts = timestamp
        packet.time_base = _TIME_BASE
        try:
            frames = self._context.decode(packet)
        except av.FFmpegError as exc:
            raise DecodeError(f"{self._name} could not decode frame: {exc}") from exc
        out: list[av.VideoFrame] = []
        for frame in frames:
            assert isinstance(frame, av.VideoFrame)
            if frame.pts is None:
                frame.pts = timestamp
            frame.time_base = _TIME_BASE
            out.append(frame)
        return out
