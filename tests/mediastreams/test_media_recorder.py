"""MediaRecorder with audio and video together, tracks that start late or never, single tracks."""

from __future__ import annotations

import asyncio
import collections
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import av
import pytest
from media_testkit import sine_frames, video_frame

from pyrtc.codecs import can_encode
from pyrtc.contrib.media import RECORDER_WAIT, MediaRecorder
from pyrtc.mediastreams import MediaStreamError, MediaStreamTrack

pytestmark = pytest.mark.skipif(
    not (can_encode("H264") and can_encode("VP8") and can_encode("opus")),
    reason="this FFmpeg lacks libx264, libvpx or libopus",
)

WIDTH, HEIGHT = 320, 240  # not PyAV's default stream size (640x480)
CONTAINERS = [
    ("mp4", {"audio": "aac", "video": "h264"}),
    ("webm", {"audio": "opus", "video": "vp8"}),
    ("mkv", {"audio": "opus", "video": "h264"}),
]


class ListTrack(MediaStreamTrack):
    """Delivers ``frames`` once, yielding to the loop before each, then ends.

    With ``gate``, nothing is delivered before the gate is set.
    """

    def __init__(
        self,
        kind: str,
        frames: Iterable[av.AudioFrame | av.VideoFrame],
        gate: asyncio.Event | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self._frames = collections.deque(frames)
        self._gate = gate
        self.delivered = 0

    async def recv(self) -> av.AudioFrame | av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError("track has ended")
        if self._gate is not None:
            await self._gate.wait()
        await asyncio.sleep(0)
        if not self._frames:
            self.stop()
            raise MediaStreamError("no more frames")
        self.delivered += 1
        return self._frames.popleft()


def audio_track(count: int, gate: asyncio.Event | None = None) -> ListTrack:
    """``count`` 20 ms frames of a 48 kHz stereo sine."""
    return ListTrack("audio", sine_frames(count), gate)


def video_track(count: int, gate: asyncio.Event | None = None) -> ListTrack:
    """``count`` 30 fps frames of WIDTH x HEIGHT."""
    return ListTrack("video", (video_frame(i, WIDTH, HEIGHT) for i in range(count)), gate)


async def wait_until(condition: Callable[[], bool]) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached within 10 s")


@dataclass
class Recorded:
    codecs: dict[str, str]
    """Codec name by stream type."""
    stream_count: int
    video: list[av.VideoFrame]
    audio_samples: int
    audio_start: float | None
    """Time of the first decoded audio frame."""


def read_back(path: str) -> Recorded:
    with av.open(path) as container:
        codecs: dict[str, str] = {s.type: s.codec_context.name for s in container.streams}
        count = len(container.streams)
        has_video = bool(container.streams.video)
        has_audio = bool(container.streams.audio)
    video: list[av.VideoFrame] = []
    if has_video:
        with av.open(path) as container:
            video = list(container.decode(video=0))
    samples, start = 0, None
    if has_audio:
        with av.open(path) as container:
            for frame in container.decode(audio=0):
                if start is None:
                    start = frame.time
                samples += frame.samples
    return Recorded(codecs, count, video, samples, start)


@pytest.mark.parametrize(("suffix", "codecs"), CONTAINERS)
async def test_audio_and_video_in_one_file(
    tmp_path: object, suffix: str, codecs: dict[str, str]
) -> None:
    path = f"{tmp_path}/call.{suffix}"
    audio, video = audio_track(50), video_track(30)  # 1 s each
    recorder = MediaRecorder(path)
    recorder.addTrack(audio)
    recorder.addTrack(video)
    await recorder.start()
    await wait_until(lambda: audio.readyState == video.readyState == "ended")
    await recorder.stop()
    assert recorder.dropped == 0
    recorded = read_back(path)
    assert recorded.stream_count == 2 and recorded.codecs == codecs
    assert len(recorded.video) == 30
    assert all((f.width, f.height) == (WIDTH, HEIGHT) for f in recorded.video)
    times = [f.time for f in recorded.video]
    assert times == sorted(times)
    assert times[-1] - times[0] == pytest.approx(29 / 30, abs=0.002)
    assert 50 * 960 <= recorded.audio_samples <= 50 * 960 + 2048  # AAC pads its last frame


@pytest.mark.parametrize(("suffix", "codecs"), CONTAINERS)
async def test_video_starting_after_audio(
    tmp_path: object, suffix: str, codecs: dict[str, str]
) -> None:
    """Audio frames are encoded before the first video frame exists (this used to fail with
    "Cannot change width after codec is open"); the video starts later in the file too."""
    path = f"{tmp_path}/late-video.{suffix}"
    gate = asyncio.Event()
    audio, video = audio_track(50), video_track(15, gate)
    recorder = MediaRecorder(path)
    recorder.addTrack(audio)
    recorder.addTrack(video)
    await recorder.start()
    await wait_until(lambda: audio.delivered >= 10)
    await asyncio.sleep(0.2)
    assert not os.path.exists(path)  # the audio is held back until the video starts
    gate.set()
    await wait_until(lambda: audio.readyState == video.readyState == "ended")
    await recorder.stop()
    recorded = read_back(path)
    assert recorded.stream_count == 2 and recorded.codecs == codecs
    assert len(recorded.video) == 15
    assert (recorded.video[0].width, recorded.video[0].height) == (WIDTH, HEIGHT)
    assert 50 * 960 <= recorded.audio_samples <= 50 * 960 + 2048
    assert recorded.audio_start is not None and recorded.video[0].time is not None
    # The first video frame arrived at least 0.2 s after the first audio frame.
    assert recorded.video[0].time - recorded.audio_start >= 0.19


async def test_video_starting_after_the_wait_is_not_recorded(tmp_path: object) -> None:
    """The header is written after RECORDER_WAIT s of held audio; video starting later has no
    stream (its frames are counted) and the audio is complete."""
    path = f"{tmp_path}/no-video.webm"
    gate = asyncio.Event()
    count = round(RECORDER_WAIT / 0.02) + 100
    audio, video = audio_track(count), video_track(10, gate)
    recorder = MediaRecorder(path)
    recorder.addTrack(audio)
    recorder.addTrack(video)
    await recorder.start()
    await wait_until(lambda: audio.delivered >= count - 50)
    assert os.path.exists(path)  # the header is written: the wait is over
    gate.set()
    await wait_until(lambda: audio.readyState == video.readyState == "ended")
    await recorder.stop()
    assert recorder.dropped == 10
    recorded = read_back(path)
    assert recorded.stream_count == 1 and recorded.codecs == {"audio": "opus"}
    assert recorded.audio_samples == count * 960


async def test_audio_starting_after_the_wait_is_recorded(tmp_path: object) -> None:
    """An audio stream needs nothing from its first frame, so it is created with the header
    and audio that starts after RECORDER_WAIT s is still recorded."""
    path = f"{tmp_path}/late-audio.mkv"
    gate = asyncio.Event()
    count = round(RECORDER_WAIT * 30) + 30
    frames = (video_frame(i, 64, 48) for i in range(count))  # small: quick to encode
    video, audio = ListTrack("video", frames), audio_track(25, gate)
    recorder = MediaRecorder(path)
    recorder.addTrack(video)
    recorder.addTrack(audio)
    await recorder.start()
    await wait_until(lambda: video.readyState == "ended")
    assert os.path.exists(path)  # the header is written: the wait is over
    gate.set()
    await wait_until(lambda: audio.readyState == "ended")
    await recorder.stop()
    assert recorder.dropped == 0
    recorded = read_back(path)
    assert recorded.codecs == {"audio": "opus", "video": "h264"}
    assert len(recorded.video) == count
    assert recorded.audio_samples == 25 * 960


@pytest.mark.parametrize("silent", ["audio", "video"])
async def test_track_that_never_delivers(tmp_path: object, silent: str) -> None:
    """stop() writes the other track's held frames; the silent track gets no stream."""
    path = f"{tmp_path}/one-sided.mp4"
    never = asyncio.Event()
    audio = audio_track(25, never if silent == "audio" else None)
    video = video_track(12, never if silent == "video" else None)
    recorder = MediaRecorder(path)
    recorder.addTrack(audio)
    recorder.addTrack(video)
    await recorder.start()
    talking = video if silent == "audio" else audio
    await wait_until(lambda: talking.readyState == "ended")
    await asyncio.wait_for(recorder.stop(), 5)
    recorded = read_back(path)
    assert recorded.stream_count == 1
    if silent == "audio":
        assert recorded.codecs == {"video": "h264"} and len(recorded.video) == 12
        assert (recorded.video[0].width, recorded.video[0].height) == (WIDTH, HEIGHT)
    else:
        assert recorded.codecs == {"audio": "aac"}
        assert 25 * 960 <= recorded.audio_samples <= 25 * 960 + 2048
    audio.stop()
    video.stop()


async def test_stop_before_any_frame_writes_nothing(tmp_path: object) -> None:
    path = f"{tmp_path}/empty.mp4"
    never = asyncio.Event()
    recorder = MediaRecorder(path)
    recorder.addTrack(audio_track(5, never))
    recorder.addTrack(video_track(5, never))
    await recorder.start()
    await asyncio.sleep(0)
    await asyncio.wait_for(recorder.stop(), 5)
    assert not os.path.exists(path)  # FFmpeg creates the file with the header


async def test_wav_audio_only(tmp_path: object) -> None:
    path = f"{tmp_path}/voice.wav"
    audio = audio_track(25)
    recorder = MediaRecorder(path)
    recorder.addTrack(audio)
    await recorder.start()
    await wait_until(lambda: audio.readyState == "ended")
    await recorder.stop()
    recorded = read_back(path)
    assert recorded.codecs == {"audio": "pcm_s16le"}
    assert recorded.audio_samples == 25 * 960


async def test_image_sequence_video_only(tmp_path: object) -> None:
    video = video_track(3)
    recorder = MediaRecorder(f"{tmp_path}/image-%03d.png")
    recorder.addTrack(video)
    await recorder.start()
    await wait_until(lambda: video.readyState == "ended")
    await recorder.stop()
    names = sorted(os.listdir(str(tmp_path)))
    assert names == ["image-001.png", "image-002.png", "image-003.png"]
    for name in names:
        with av.open(f"{tmp_path}/{name}") as container:
            (frame,) = list(container.decode(video=0))
            assert (frame.width, frame.height) == (WIDTH, HEIGHT)


async def test_add_track_once_writing_started_is_refused(tmp_path: object) -> None:
    audio = audio_track(5)
    recorder = MediaRecorder(f"{tmp_path}/late-track.webm")
    recorder.addTrack(audio)
    await recorder.start()
    await wait_until(lambda: audio.readyState == "ended")
    with pytest.raises(ValueError):
        recorder.addTrack(video_track(1))
    await recorder.stop()
