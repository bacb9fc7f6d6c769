"""MediaStreamTrack, AudioStreamTrack and VideoStreamTrack against a virtual clock."""

from __future__ import annotations

import asyncio
from fractions import Fraction

import av
import pytest

from pyrtc.mediastreams import (
    AudioStreamTrack,
    MediaStreamError,
    MediaStreamTrack,
    VideoStreamTrack,
)


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


async def test_audio_track_silence_paced_at_20ms() -> None:
    clock = VirtualClock()
    track = AudioStreamTrack(clock=clock)
    assert track.kind == "audio" and track.readyState == "live"
    frames = [await track.recv() for _ in range(5)]
    assert [f.pts for f in frames] == [0, 960, 1920, 2880, 3840]
    for frame in frames:
        assert isinstance(frame, av.AudioFrame)
        assert frame.time_base == Fraction(1, 48000)
        assert (frame.sample_rate, frame.samples, frame.format.name) == (48000, 960, "s16")
        assert frame.layout.name == "stereo"
        assert bytes(frame.planes[0]) == bytes(len(bytes(frame.planes[0])))
    assert clock.sleeps == pytest.approx([0.02] * 4)


async def test_pacing_catches_up_without_sleeping_when_late() -> None:
    clock = VirtualClock()
    track = VideoStreamTrack(clock=clock)
    await track.recv()
    clock.now += 1.0  # the consumer stalled for a second
    pts = [(await track.next_timestamp())[0] for _ in range(3)]
    assert pts == [3000, 6000, 9000]
    assert clock.sleeps == []  # all three were already due
    await track.next_timestamp()  # 4/30 s after start, i.e. in the past: no sleep either
    assert clock.sleeps == []


async def test_video_track_green_frames_90khz() -> None:
    clock = VirtualClock()
    track = VideoStreamTrack(clock=clock)
    frames = [await track.recv() for _ in range(4)]
    assert [f.pts for f in frames] == [0, 3000, 6000, 9000]
    assert all(f.time_base == Fraction(1, 90000) for f in frames)
    assert (frames[0].width, frames[0].height) == (640, 480)
    rgb = frames[0].reformat(format="rgb24").planes[0]
    red, green, blue = bytes(rgb)[:3]
    assert green > 100 and red < 20 and blue < 20
    assert clock.sleeps == pytest.approx([1 / 30] * 3)


async def test_stop_ends_track_once_and_recv_raises() -> None:
    track = VideoStreamTrack(clock=VirtualClock())
    calls: list[str] = []

    @track.on("ended")
    def ended() -> None:
        calls.append("sync")

    async def ended_async() -> None:
        calls.append("async")

    track.on("ended", ended_async)
    track.stop()
    track.stop()
    await asyncio.sleep(0)
    assert sorted(calls) == ["async", "sync"]
    assert track.readyState == "ended"
    with pytest.raises(MediaStreamError):
        await track.recv()
    with pytest.raises(MediaStreamError):
        await AudioStreamTrackStopped().recv()


class AudioStreamTrackStopped(AudioStreamTrack):
    def __init__(self) -> None:
        super().__init__(clock=VirtualClock())
        self.stop()


async def test_failing_handler_does_not_break_stop() -> None:
    track = AudioStreamTrack(clock=VirtualClock())
    seen = []
    track.on("ended", lambda: 1 / 0)
    track.on("ended", lambda: seen.append(True))
    track.stop()
    assert seen == [True]


async def test_ids_unique_and_custom_track() -> None:
    class Counter(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self.n = 0

        async def recv(self) -> av.VideoFrame:
            if self.readyState != "live":
                raise MediaStreamError
            self.n += 1
            return av.VideoFrame(16, 16, "yuv420p")

    a, b = Counter(), Counter()
    assert a.id != b.id and len(a.id) == 36
    await a.recv()
    a.remove_all_listeners()
    a.stop()
    with pytest.raises(MediaStreamError):
        await a.recv()


async def test_default_clock_is_real_time() -> None:
    track = AudioStreamTrack()
    first = await track.recv()
    second = await track.recv()  # waits about 20 ms on the event loop clock
    assert (first.pts, second.pts) == (0, 960)
