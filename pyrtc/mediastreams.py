"""Media stream tracks: the aiortc-compatible source/sink interface for audio and video.

A :class:`MediaStreamTrack` is what the RTP sender pulls frames from and what the RTP receiver
hands to the application (W3C Media Capture and Streams, "MediaStreamTrack"). ``await
track.recv()`` returns the next ``av.AudioFrame`` / ``av.VideoFrame`` with ``pts`` and
``time_base`` set, or an encoded ``av.Packet`` for passthrough sources. Once a track has ended,
``recv()`` raises :class:`MediaStreamError`.

:class:`AudioStreamTrack` and :class:`VideoStreamTrack` are real-time dummy sources (silence,
green frames) and the base classes of custom sources: they pace ``recv()`` against a
:class:`MediaClock` (real time by default, a virtual clock in tests).
"""

from __future__ import annotations

import asyncio
import fractions
import uuid
from abc import ABC, abstractmethod
from typing import Any, Protocol

import av

from pyrtc.emitter import EventEmitter
from pyrtc.errors import Error

__all__ = [
    "AUDIO_PTIME",
    "AUDIO_SAMPLE_RATE",
    "VIDEO_CLOCK_RATE",
    "VIDEO_PTIME",
    "VIDEO_TIME_BASE",
    "AudioStreamTrack",
    "MediaClock",
    "MediaStreamError",
    "MediaStreamTrack",
    "RealTimeClock",
    "VideoStreamTrack",
]


AUDIO_PTIME = 0.020
"""Duration of one audio frame (20 ms, the WebRTC default packetization time)."""
AUDIO_SAMPLE_RATE = 48000
VIDEO_CLOCK_RATE = 90000
"""RTP clock rate of every video payload format (RFC 3551 section 5)."""
VIDEO_PTIME = 1 / 30
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)


class MediaStreamError(Error):
    """``recv()`` was called on a track that has ended (or whose source ended)."""


class MediaClock(Protocol):
    """Time source used to pace synthetic tracks; seconds on any monotonic scale."""

    def time(self) -> float: ...

    async def sleep(self, delay: float) -> None: ...


class RealTimeClock:
    """The running event loop's monotonic clock (the default :class:`MediaClock`)."""

    def time(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(delay)


class MediaStreamTrack(EventEmitter, ABC):
    """A single audio or video track (W3C mediacapture-main, MediaStreamTrack).

    Subclasses set ``kind`` and implement :meth:`recv`. ``stop()`` ends the track and emits
    ``"ended"`` once; handlers are registered with ``@track.on("ended")`` (plain functions or
    coroutine functions, the latter run as tasks).
    """

    kind = "unknown"

    def __init__(self) -> None:
        super().__init__()
        self._id = str(uuid.uuid4())
        self._ended = False

    @property
    def id(self) -> str:
        """A random UUID identifying the track (the ``msid`` track id in SDP)."""
        return self._id

    @property
    def readyState(self) -> str:
        """``"live"`` until :meth:`stop` is called, then ``"ended"``."""
        return "ended" if self._ended else "live"

    @abstractmethod
    async def recv(self) -> av.AudioFrame | av.VideoFrame | av.Packet[Any]:
        """Return the next frame (or encoded packet); raise :class:`MediaStreamError` once ended."""

    def stop(self) -> None:
        """End the track: emit ``"ended"`` once, then drop every listener."""
        if self._ended:
            return
        self._ended = True
        self.emit("ended")
        self.remove_all_listeners()


class _Pacer:
    """Timestamps in ``rate`` units advancing by ``step`` per call, released in real time."""

    def __init__(self, clock: MediaClock, rate: int, step: int) -> None:
        self._clock = clock
        self._rate = rate
        self._step = step
        self._start: float | None = None
        self._timestamp = 0

    async def next(self) -> int:
        if self._start is None:
            self._start = self._clock.time()
            return 0
        self._timestamp += self._step
        wait = self._start + self._timestamp / self._rate - self._clock.time()
        if wait > 0:
            await self._clock.sleep(wait)
        return self._timestamp


class AudioStreamTrack(MediaStreamTrack):
    """A real-time audio source that produces silence: 20 ms of s16 stereo at 48 kHz per frame.

    Subclasses override :meth:`recv` and may use :meth:`next_timestamp` for pacing.
    """

    kind = "audio"

    def __init__(self, clock: MediaClock | None = None) -> None:
        super().__init__()
        samples = int(AUDIO_PTIME * AUDIO_SAMPLE_RATE)
        self._pacer = _Pacer(clock or RealTimeClock(), AUDIO_SAMPLE_RATE, samples)

    async def next_timestamp(self) -> tuple[int, fractions.Fraction]:
        """Wait until the next 20 ms frame is due; return its ``pts`` and ``time_base``."""
        if self.readyState != "live":
            raise MediaStreamError("track has ended")
        pts = await self._pacer.next()
        return pts, fractions.Fraction(1, AUDIO_SAMPLE_RATE)

    async def recv(self) -> av.AudioFrame:
        """Return the next frame of silence (``pts`` in samples, ``time_base`` 1/48000)."""
        pts, time_base = await self.next_timestamp()
        frame = av.AudioFrame(
            format="s16", layout="stereo", samples=int(AUDIO_PTIME * AUDIO_SAMPLE_RATE)
        )
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = AUDIO_SAMPLE_RATE
        frame.pts = pts
        frame.time_base = time_base
        return frame


class VideoStreamTrack(MediaStreamTrack):
    """A real-time video source that produces 640x480 green frames at 30 fps.

    Subclasses override :meth:`recv` and call :meth:`next_timestamp` for ``pts`` in the 90 kHz
    RTP video clock, exactly as with aiortc.
    """

    kind = "video"

    def __init__(self, clock: MediaClock | None = None) -> None:
        super().__init__()
        self._pacer = _Pacer(
            clock or RealTimeClock(), VIDEO_CLOCK_RATE, int(VIDEO_PTIME * VIDEO_CLOCK_RATE)
        )

    async def next_timestamp(self) -> tuple[int, fractions.Fraction]:
        """Wait until the next frame is due (1/30 s after the previous one); return its pts."""
        if self.readyState != "live":
            raise MediaStreamError("track has ended")
        return await self._pacer.next(), VIDEO_TIME_BASE

    async def recv(self) -> av.VideoFrame:
        """Return the next green 640x480 yuv420p frame (all-zero planes are green in YUV)."""
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=640, height=480, format="yuv420p")
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts = pts
        frame.time_base = time_base
        return frame
