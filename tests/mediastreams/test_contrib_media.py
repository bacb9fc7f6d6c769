"""MediaPlayer, MediaRecorder, MediaBlackhole and MediaRelay on short generated files."""

from __future__ import annotations

import asyncio
from fractions import Fraction

import av
import pytest
from media_testkit import VirtualClock, write_media_file

from pyrtc.codecs import EncodedFrame, can_encode, get_decoder
from pyrtc.contrib.media import (
    RELAY_BUFFER_SIZE,
    MediaBlackhole,
    MediaPlayer,
    MediaRecorder,
    MediaRelay,
)
from pyrtc.mediastreams import (
    AudioStreamTrack,
    MediaStreamError,
    MediaStreamTrack,
    VideoStreamTrack,
)

pytestmark = pytest.mark.skipif(
    not (can_encode("H264") and can_encode("VP8") and can_encode("opus")),
    reason="this FFmpeg lacks libx264, libvpx or libopus",
)


async def drain(track: MediaStreamTrack, limit: int = 1000) -> list[object]:
    items: list[object] = []
    for _ in range(limit):
        try:
            items.append(await track.recv())
        except MediaStreamError:
            return items
    raise AssertionError("track did not end")


class FiniteTrack(MediaStreamTrack):
    """``count`` frames of a synthetic source, yielding to the loop ``interval`` s each."""

    def __init__(self, kind: str, count: int, interval: float = 0.0) -> None:
        super().__init__()
        self.kind = kind
        self._source: AudioStreamTrack | VideoStreamTrack = (
            AudioStreamTrack(clock=VirtualClock())
            if kind == "audio"
            else VideoStreamTrack(clock=VirtualClock())
        )
        self._left = count
        self._interval = interval

    async def recv(self) -> av.AudioFrame | av.VideoFrame:
        if self.readyState != "live" or self._left == 0:
            self.stop()
            raise MediaStreamError
        self._left -= 1
        await asyncio.sleep(self._interval)
        return await self._source.recv()


async def test_player_decodes_audio_and_video(tmp_path: object) -> None:
    path = f"{tmp_path}/clip.mp4"
    write_media_file(path, video_frames=8, audio_seconds=0.2)
    player = MediaPlayer(path)
    assert player.audio is not None and player.video is not None
    assert (player.audio.kind, player.video.kind) == ("audio", "video")
    video, audio = await asyncio.gather(drain(player.video), drain(player.audio))
    assert len(video) == 8
    assert all(isinstance(f, av.VideoFrame) and (f.width, f.height) == (160, 120) for f in video)
    pts = [f.pts for f in video]
    assert pts[0] == 0 and pts == sorted(set(pts))
    assert video[-1].time == pytest.approx(7 / 30, abs=0.01)
    assert 8 <= len(audio) <= 11  # 0.2 s of AAC, with encoder priming, in 20 ms frames
    for i, frame in enumerate(audio):
        assert isinstance(frame, av.AudioFrame)
        assert (frame.format.name, frame.layout.name, frame.sample_rate) == ("s16", "stereo", 48000)
        assert frame.samples == 960 and frame.pts == 960 * i
        assert frame.time_base == Fraction(1, 48000)
    assert player.audio.readyState == player.video.readyState == "ended"
    with pytest.raises(MediaStreamError):
        await player.video.recv()


async def test_player_passthrough_vp8_opus_packets_decode(tmp_path: object) -> None:
    path = f"{tmp_path}/clip.webm"
    write_media_file(path, "libvpx", "libopus", video_frames=6, audio_seconds=0.1)
    player = MediaPlayer(path, decode=False)
    assert player.audio is not None and player.video is not None
    video, audio = await asyncio.gather(drain(player.video), drain(player.audio))
    assert len(video) == 6 and all(isinstance(p, av.Packet) for p in video)
    assert video[0].is_keyframe and video[0].pts == 0
    encoded = [EncodedFrame.from_packet(p, 90000) for p in video]  # type: ignore[arg-type]
    for i, item in enumerate(encoded):  # WebM stores milliseconds: within 1 ms of 30 fps
        assert abs(item.timestamp - 3000 * i) <= 90
    assert [e.keyframe for e in encoded] == [True] + [False] * 5
    decoder = get_decoder("VP8")
    frames = [f for e in encoded for f in decoder.decode(e.data, e.timestamp)]
    assert len(frames) == 6 and (frames[0].width, frames[0].height) == (160, 120)
    assert frames[5].pts == encoded[5].timestamp
    assert 5 <= len(audio) <= 7
    opus = get_decoder("opus")
    assert sum(f.samples for p in audio for f in opus.decode(bytes(p), 0)) >= 4 * 960


async def test_player_passthrough_h264_from_mp4_is_annexb(tmp_path: object) -> None:
    path = f"{tmp_path}/clip.mp4"
    write_media_file(path, video_frames=5, audio_seconds=0.1)
    player = MediaPlayer(path, decode=False)
    assert player.audio is None  # AAC cannot be sent as it is
    assert player.video is not None
    packets = await drain(player.video)
    assert len(packets) == 5
    first = bytes(packets[0])  # type: ignore[call-overload]
    assert first.startswith((b"\x00\x00\x00\x01", b"\x00\x00\x01"))
    decoder = get_decoder("H264")
    frames = [f for p in packets for f in decoder.decode(bytes(p), 0)]  # type: ignore[call-overload]
    assert len(frames) == 5


async def test_player_loop_keeps_timestamps_increasing(tmp_path: object) -> None:
    path = f"{tmp_path}/short.webm"
    write_media_file(path, "libvpx", None, video_frames=4)
    player = MediaPlayer(path, loop=True)
    assert player.video is not None and player.audio is None
    frames = [await player.video.recv() for _ in range(10)]
    times = [f.time for f in frames]  # type: ignore[union-attr]
    assert times == sorted(times) and len(set(times)) == 10
    assert times[4] == pytest.approx(4 / 30, abs=0.005)  # first frame of the second pass
    player.video.stop()
    with pytest.raises(MediaStreamError):
        await player.video.recv()


async def test_player_stopping_one_track_keeps_the_other(tmp_path: object) -> None:
    path = f"{tmp_path}/clip.webm"
    write_media_file(path, "libvpx", "libopus", video_frames=6, audio_seconds=0.2)
    player = MediaPlayer(path)
    assert player.audio is not None and player.video is not None
    await player.video.recv()
    player.video.stop()
    audio = await drain(player.audio)
    assert len(audio) >= 8


async def test_player_stop_wakes_pending_recv(tmp_path: object) -> None:
    path = f"{tmp_path}/clip.webm"
    write_media_file(path, "libvpx", "libopus", video_frames=30, audio_seconds=0.1)
    player = MediaPlayer(path)
    assert player.video is not None and player.audio is not None
    player.audio.stop()
    await player.video.recv()
    pending = asyncio.ensure_future(drain(player.video))
    await asyncio.sleep(0.05)
    player.video.stop()
    received = await asyncio.wait_for(pending, 2)
    assert len(received) < 29


async def test_recorder_mp4_round_trip(tmp_path: object) -> None:
    path = f"{tmp_path}/out.mp4"
    recorder = MediaRecorder(path)
    recorder.addTrack(FiniteTrack("video", 12))
    recorder.addTrack(FiniteTrack("audio", 25))
    await recorder.start()
    await asyncio.sleep(0.3)
    await recorder.stop()
    with av.open(path) as container:
        kinds = {s.type: s.codec_context.name for s in container.streams}
        assert kinds == {"video": "h264", "audio": "aac"}
        frames = list(container.decode(video=0))
        assert len(frames) == 12
        assert (frames[0].width, frames[0].height) == (640, 480)
        assert frames[-1].time == pytest.approx(11 / 30, abs=0.01)
    with av.open(path) as container:
        audio = list(container.decode(audio=0))
        assert sum(f.samples for f in audio) >= 0.45 * 48000


async def test_recorder_webm_from_player(tmp_path: object) -> None:
    source = f"{tmp_path}/clip.mp4"
    write_media_file(source, video_frames=6, audio_seconds=0.2)
    player = MediaPlayer(source)
    assert player.video is not None and player.audio is not None
    path = f"{tmp_path}/out.webm"
    recorder = MediaRecorder(path)
    recorder.addTrack(player.video)
    recorder.addTrack(player.audio)
    await recorder.start()
    for _ in range(100):
        if player.video.readyState == player.audio.readyState == "ended":
            break
        await asyncio.sleep(0.02)
    await recorder.stop()
    with av.open(path) as container:
        kinds = {s.type: s.codec_context.name for s in container.streams}
        assert kinds == {"video": "vp8", "audio": "opus"}
        assert len(list(container.decode(video=0))) == 6


async def test_blackhole_consumes_until_end() -> None:
    track = FiniteTrack("audio", 5)
    blackhole = MediaBlackhole()
    blackhole.addTrack(track)
    await blackhole.start()
    for _ in range(50):
        if track.readyState == "ended":
            break
        await asyncio.sleep(0.001)
    assert track.readyState == "ended"
    await blackhole.stop()


async def test_relay_slow_subscriber_does_not_stall_others() -> None:
    source = FiniteTrack("video", 120, interval=0.001)
    relay = MediaRelay()
    fast1, fast2, slow = (relay.subscribe(source) for _ in range(3))

    async def slow_reader() -> list[object]:
        items: list[object] = []
        while True:
            try:
                items.append(await slow.recv())
            except MediaStreamError:
                return items
            await asyncio.sleep(0.05)

    a, b, c = await asyncio.wait_for(asyncio.gather(drain(fast1), drain(fast2), slow_reader()), 10)
    expected = [3000 * i for i in range(120)]
    assert [f.pts for f in a] == expected  # type: ignore[attr-defined]
    assert [f.pts for f in b] == expected  # type: ignore[attr-defined]
    slow_pts = [f.pts for f in c]  # type: ignore[attr-defined]
    assert slow_pts == sorted(slow_pts) and slow_pts[-1] == expected[-1]
    assert slow.dropped > 0 and len(c) + slow.dropped == 120
    assert fast1.dropped == fast2.dropped == 0
    assert len(c) <= RELAY_BUFFER_SIZE + 10


async def test_relay_stopping_subscribers_leaves_source_live() -> None:
    source = FiniteTrack("video", 10_000, interval=0.001)
    relay = MediaRelay()
    first = relay.subscribe(source)
    second = relay.subscribe(source, buffered=False)
    await first.recv()
    first.stop()
    assert source.readyState == "live"
    with pytest.raises(MediaStreamError):
        await first.recv()
    frame = await second.recv()  # the other subscriber goes on
    assert isinstance(frame, av.VideoFrame)
    second.stop()
    assert source.readyState == "live"
    third = relay.subscribe(source)  # reading resumes for a new subscriber
    assert isinstance(await third.recv(), av.VideoFrame)
    source.stop()
    await asyncio.wait_for(drain(third), 2)
    assert third.readyState == "ended"


async def test_relay_unbuffered_subscriber_sees_latest_frame() -> None:
    source = FiniteTrack("audio", 20, interval=0.001)
    relay = MediaRelay()
    fast = relay.subscribe(source)
    latest = relay.subscribe(source, buffered=False)
    await latest.recv()
    frames = await drain(fast)
    assert len(frames) == 20
    rest = await drain(latest)
    assert len(rest) <= 1  # only the newest frame was kept while it was not reading
    assert latest.dropped >= 17


async def test_relay_source_that_never_suspends_does_not_starve_the_loop() -> None:
    source = VideoStreamTrack(clock=VirtualClock())  # every recv() returns at once
    relay = MediaRelay()
    subscriber = relay.subscribe(source)
    first = await asyncio.wait_for(subscriber.recv(), 2)
    second = await asyncio.wait_for(subscriber.recv(), 2)
    assert first.pts < second.pts  # type: ignore[union-attr]
    subscriber.stop()
    await asyncio.sleep(0)
    assert source.readyState == "live"


def test_player_abandoned_by_its_event_loop_does_not_block_exit(tmp_path: object) -> None:
    path = f"{tmp_path}/clip.webm"
    write_media_file(path, "libvpx", None, video_frames=90)
    player = MediaPlayer(path)
    assert player.video is not None
    video = player.video

    async def read_one() -> None:
        await video.recv()

    asyncio.run(read_one())  # the loop closes with the worker still holding frames
    worker = player._worker
    assert worker is not None and worker.thread is not None
    worker.thread.join(timeout=5)
    assert not worker.thread.is_alive()


def test_player_loop_needs_known_duration(tmp_path: object) -> None:
    path = f"{tmp_path}/clip.h264"
    write_media_file(path, "libx264", None, video_frames=3)
    with pytest.raises(ValueError):
        MediaPlayer(path, format="h264", loop=True)
