"""Media sources and sinks for applications, in the shape of ``aiortc.contrib.media``.

* :class:`MediaPlayer` reads a file (or an FFmpeg device) with PyAV in a worker thread and
  exposes ``.audio`` / ``.video`` tracks, decoded (``av`` frames) or passed through as encoded
  ``av.Packet`` objects (``decode=False``).
* :class:`MediaRecorder` encodes tracks into a file.
* :class:`MediaBlackhole` consumes tracks and discards the media.
* :class:`MediaRelay` lets one source track feed many consumers; the source is read once.

Every queue between a producer and a consumer is bounded. The player's worker waits for space
(a file is read no faster than it is consumed); the relay never waits for a subscriber: a
subscriber that falls behind loses its oldest frames and nobody else notices.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import fractions
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import av
import av.container
from av.audio.stream import AudioStream
from av.video.stream import VideoStream

from pyrtc.mediastreams import AUDIO_PTIME, AUDIO_SAMPLE_RATE, MediaStreamError, MediaStreamTrack

__all__ = [
    "MediaBlackhole",
    "MediaPlayer",
    "MediaRecorder",
    "MediaRelay",
    "PlayerStreamTrack",
    "RelayStreamTrack",
]

logger = logging.getLogger(__name__)

Item: TypeAlias = "av.AudioFrame | av.VideoFrame | av.Packet[Any]"
Frame: TypeAlias = "av.AudioFrame | av.VideoFrame"

PLAYER_QUEUE_SIZE = 64
"""Frames or packets a player track holds before its worker waits (or, for a track nobody
has started reading, drops the oldest)."""
RELAY_BUFFER_SIZE = 64
"""Frames a buffered relay subscriber holds before it starts losing the oldest ones."""
RECORDER_WAIT = 10.0
"""Seconds after the first frame a recorder waits for every track's first frame before it
writes the file without the missing ones."""
READ_AHEAD = 1.0
"""Seconds of media a player reads ahead of real time (files only, not devices)."""

# Container formats that deliver media in real time: the player must not pace them again.
REAL_TIME_FORMATS = frozenset(
    {
        "alsa",
        "android_camera",
        "avfoundation",
        "bktr",
        "decklink",
        "dshow",
        "fbdev",
        "gdigrab",
        "iec61883",
        "jack",
        "kmsgrab",
        "openal",
        "oss",
        "pulse",
        "sndio",
        "rtsp",
        "v4l2",
        "vfwcap",
        "x11grab",
    }
)
PASSTHROUGH_CODECS = {
    "audio": frozenset({"opus", "pcm_alaw", "pcm_mulaw", "g722"}),
    "video": frozenset({"h264", "vp8", "vp9", "av1"}),
}


def _item_time(item: Item) -> float | None:
    if isinstance(item, av.Packet):
        if item.pts is None or item.time_base is None:
            return None
        return float(item.pts * item.time_base)
    return item.time


class _BoundedQueue:
    """A deque used from the event loop only; whoever waits (for items or for space) is woken
    by every change and checks its condition again."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: collections.deque[Item | None] = collections.deque()
        self._waiters: list[asyncio.Future[None]] = []

    def put_dropping(self, item: Item | None) -> bool:
        """Append; drop the oldest item when over the limit (never the end marker)."""
        self.items.append(item)
        dropped = False
        if item is not None and len(self.items) > self.limit:
            self.items.popleft()
            dropped = True
        self._wake()
        return dropped

    async def put_waiting(self, item: Item | None, give_up: Callable[[], bool]) -> None:
        """Append once there is room, or at once if ``give_up()`` becomes true."""
        while len(self.items) >= self.limit and not give_up():
            await self._wait()
        self.items.append(item)
        self._wake()

    async def get(self, ended: asyncio.Event) -> Item | None:
        while not self.items:
            if ended.is_set():
                raise MediaStreamError("track has ended")
            await self._wait()
        item = self.items.popleft()
        self._wake()
        return item

    async def _wait(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    def _wake(self) -> None:
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)


class PlayerStreamTrack(MediaStreamTrack):
    """An audio or video track of a :class:`MediaPlayer`."""

    def __init__(self, player: MediaPlayer, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._player: MediaPlayer | None = player
        self._queue: _BoundedQueue | None = None
        self._stopped = asyncio.Event()
        self._started = False
        self._start: float | None = None

    def _get_queue(self) -> _BoundedQueue:
        if self._queue is None:
            self._queue = _BoundedQueue(PLAYER_QUEUE_SIZE)
        return self._queue

    async def recv(self) -> Item:
        """The next decoded frame (or packet), paced in real time for files."""
        if self.readyState != "live" or self._player is None:
            raise MediaStreamError("track has ended")
        player = self._player
        self._started = True
        player._start(self)
        item = await self._get_queue().get(self._stopped)
        if item is None:
            self.stop()
            raise MediaStreamError("end of media")
        item_time = _item_time(item)
        if player._throttle and item_time is not None:
            loop = asyncio.get_running_loop()
            if self._start is None:
                self._start = loop.time() - item_time
            else:
                wait = self._start + item_time - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
        return item

    def stop(self) -> None:
        super().stop()
        self._stopped.set()
        if self._queue is not None:
            self._queue._wake()
        if self._player is not None:
            player, self._player = self._player, None
            player._stop(self)

    async def _offer(self, item: Item | None, cancelled: threading.Event) -> None:
        """Called on the loop by the worker thread for each frame/packet of this track."""
        if self.readyState != "live":
            return
        queue = self._get_queue()
        if self._started:
            await queue.put_waiting(item, lambda: cancelled.is_set() or self.readyState != "live")
        else:
            queue.put_dropping(item)


@dataclass
class _Timeline:
    """Rebases one stream's timestamps to start at 0 and keep increasing across loops."""

    first: int | None = None
    offset: int = 0
    last: int = -1
    step: int = 1

    def rebase(self, pts: int) -> int:
        if self.first is None:
            self.first = pts
        value = pts - self.first + self.offset
        if value > self.last:
            if self.last >= 0:
                self.step = value - self.last
            self.last = value
        return value

    def restart(self) -> None:
        """The file was rewound: continue one frame duration after the last timestamp."""
        self.offset = self.last + self.step
        self.first = None


@dataclass
class _Worker:
    """State of the thread that demuxes (and decodes) the file."""

    loop: asyncio.AbstractEventLoop
    quit: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class MediaPlayer:
    """A media source reading audio and/or video from a file, stream or capture device.

    ``file`` is a path, URL or file-like object; ``format`` and ``options`` go to FFmpeg
    (``format="v4l2", options={"video_size": "640x480"}`` for a webcam). With ``decode``
    (default) tracks yield frames: audio as 20 ms s16 stereo 48 kHz frames, video frames as
    decoded. With ``decode=False`` they yield the encoded packets (only for codecs WebRTC can
    send as they are: Opus, G.711, G.722, H.264 converted to Annex B, VP8, VP9, AV1).
    ``loop`` rewinds at the end (seekable files only); timestamps keep increasing.

    Reading starts at the first ``recv()`` of either track, in a worker thread, and stops when
    both tracks are stopped.
    """

    def __init__(
        self,
        file: Any,
        format: str | None = None,
        options: dict[str, str] | None = None,
        timeout: float | None = None,
        loop: bool = False,
        decode: bool = True,
    ) -> None:
        container = av.open(file, mode="r", format=format, options=options, timeout=timeout)
        self._container: av.container.InputContainer | None = container
        self._decode = decode
        self._loop = loop
        self._streams: list[AudioStream | VideoStream] = []
        self._tracks: dict[int, PlayerStreamTrack] = {}
        self._audio: PlayerStreamTrack | None = None
        self._video: PlayerStreamTrack | None = None
        for stream in container.streams:
            if not isinstance(stream, AudioStream | VideoStream):
                continue
            kind = stream.type
            if (kind == "audio" and self._audio) or (kind == "video" and self._video):
                continue
            if not decode and stream.codec_context.name not in PASSTHROUGH_CODECS[kind]:
                continue
            track = PlayerStreamTrack(self, kind)
            if kind == "audio":
                self._audio = track
            else:
                self._video = track
            self._streams.append(stream)
            self._tracks[stream.index] = track
        self._throttle = not REAL_TIME_FORMATS.intersection(container.format.name.split(","))
        if loop and container.duration is None:
            container.close()
            raise ValueError("loop=True needs a seekable file with a known duration")
        self._worker: _Worker | None = None

    @property
    def audio(self) -> MediaStreamTrack | None:
        """The audio track, or ``None`` if the media has no (usable) audio stream."""
        return self._audio

    @property
    def video(self) -> MediaStreamTrack | None:
        """The video track, or ``None`` if the media has no (usable) video stream."""
        return self._video

    def _start(self, track: PlayerStreamTrack) -> None:
        if self._worker is not None or self._container is None:
            return
        worker = _Worker(asyncio.get_running_loop())
        worker.thread = threading.Thread(
            target=self._run,
            args=(worker, self._container),
            name="pyrtc-media-player",
            daemon=True,  # a player nobody stopped must not keep the process alive
        )
        self._worker = worker
        worker.thread.start()

    def _stop(self, track: PlayerStreamTrack) -> None:
        if any(t.readyState == "live" for t in self._tracks.values()):
            return
        if self._worker is not None:
            self._worker.quit.set()
            assert self._worker.thread is not None
            self._worker.thread.join()
            self._worker = None
        if self._container is not None:
            self._container.close()
            self._container = None

    # The rest runs in the worker thread.

    def _deliver(self, worker: _Worker, track: PlayerStreamTrack, item: Item | None) -> bool:
        """Hand ``item`` to ``track`` on the loop; False when the player is shutting down."""
        offer = track._offer(item, worker.quit)
        try:
            future = asyncio.run_coroutine_threadsafe(offer, worker.loop)
        except RuntimeError:  # the event loop is closed
            offer.close()
            return False
        while True:
            try:
                future.result(timeout=0.05)
                return True
            except concurrent.futures.TimeoutError:
                if worker.quit.is_set() or worker.loop.is_closed():
                    future.cancel()
                    return False
            except concurrent.futures.CancelledError:
                return False

    def _run(self, worker: _Worker, container: av.container.InputContainer) -> None:
        timelines = {stream.index: _Timeline() for stream in self._streams}
        resampler = av.AudioResampler(
            format="s16",
            layout="stereo",
            rate=AUDIO_SAMPLE_RATE,
            frame_size=int(AUDIO_SAMPLE_RATE * AUDIO_PTIME),
        )
        audio_samples = 0
        annexb = {
            stream.index: av.bitstream.BitStreamFilterContext("h264_mp4toannexb", stream)
            for stream in self._streams
            if not self._decode
            and stream.codec_context.name == "h264"
            and (stream.codec_context.extradata or b"\x00")[:1] == b"\x01"  # avcC, not Annex B
        }
        started = time.monotonic()

        def pace(media_time: float | None) -> bool:
            while (
                self._throttle
                and media_time is not None
                and media_time > time.monotonic() - started + READ_AHEAD
            ):
                if worker.quit.wait(0.05) or worker.loop.is_closed():
                    return False
            return not worker.quit.is_set()

        try:
            while not worker.quit.is_set():
                produced = False
                try:
                    for packet in container.demux(*self._streams):
                        track = self._tracks[packet.stream.index]
                        timeline = timelines[packet.stream.index]
                        items: list[Item] = []
                        if self._decode:
                            for frame in packet.decode():
                                if isinstance(frame, av.AudioFrame):
                                    frame.pts = None
                                    for chunk in resampler.resample(frame):
                                        chunk.pts = audio_samples
                                        chunk.time_base = fractions.Fraction(1, AUDIO_SAMPLE_RATE)
                                        audio_samples += chunk.samples
                                        items.append(chunk)
                                elif isinstance(frame, av.VideoFrame) and frame.pts is not None:
                                    frame.pts = timeline.rebase(frame.pts)
                                    items.append(frame)
                        elif packet.size and packet.pts is not None:
                            filtered = (
                                annexb[packet.stream.index].filter(packet)
                                if packet.stream.index in annexb
                                else [packet]
                            )
                            for out in filtered:
                                if out.pts is not None:
                                    out.pts = timeline.rebase(out.pts)
                                    out.dts = None
                                    items.append(out)
                        for item in items:
                            produced = True
                            if not pace(_item_time(item)) or not self._deliver(worker, track, item):
                                return
                except av.error.BlockingIOError:
                    time.sleep(0.01)  # a capture device had nothing yet
                    continue
                if not self._loop or not produced:
                    break
                container.seek(0)
                for stream in self._streams:
                    if self._decode:
                        stream.codec_context.flush_buffers()
                    timelines[stream.index].restart()
        except av.FFmpegError as exc:
            logger.warning("MediaPlayer stopped reading: %s", exc)
        finally:
            for track in self._tracks.values():
                if not self._deliver(worker, track, None):
                    break


class MediaRecorder:
    """A media sink that encodes tracks into a file (format from the name or ``format``).

    Codecs: WAV gets PCM, Ogg/WebM/Matroska get Opus, other containers AAC; WebM gets VP8,
    image formats PNG, others H.264. Tracks must yield decoded frames.

    The file's header fixes every stream's parameters and is written before the first packet,
    but a video stream's size is only known from its first frame. So each track is encoded
    from its first frame on while the packets are held back until every track has started
    (or ended); then the header and the held packets are written. Every stream starts at its
    first frame's arrival time, relative to the first frame of any track, so audio and video
    stay in step. Once :data:`RECORDER_WAIT` seconds have passed since the first frame (by
    the loop's clock or by the media delivered) the file is written anyway: an audio track
    that has not started gets its stream then (its parameters do not depend on its frames), a
    video track does not and is not recorded (its frames are counted in ``dropped``). At
    :meth:`stop`, a track that never delivered a frame gets no stream.
    """

    def __init__(
        self, file: Any, format: str | None = None, options: dict[str, str] | None = None
    ) -> None:
        self._container: av.container.OutputContainer | None = av.open(
            file, mode="w", format=format, options=options
        )
        self._tracks: dict[MediaStreamTrack, _Recording] = {}
        self._origin: float | None = None
        self._held: list[av.Packet[Any]] | None = []  # None once the header is written
        self.dropped = 0
        """Frames of video tracks that started after the file header was written."""

    def addTrack(self, track: MediaStreamTrack) -> None:
        """Record ``track``; call before :meth:`start`."""
        if self._container is None:
            raise ValueError("the recorder was stopped")
        if self._held is None:
            raise ValueError("the file header is written: add every track before it starts")
        formats = set(self._container.format.name.split(","))
        if track.kind == "audio":
            if formats & {"wav"}:
                codec = "pcm_s16le"
            elif formats & {"ogg", "webm", "matroska"}:
                codec = "libopus"
            else:
                codec = "aac"
        elif track.kind == "video":
            if formats & {"image2"}:
                codec = "png"
            elif formats & {"webm"}:
                codec = "libvpx"
            else:
                codec = "libx264"
        else:
            raise ValueError(f"cannot record a track of kind {track.kind!r}")
        av.Codec(codec, "w")  # fail here, not in the recording task, if FFmpeg lacks it
        self._tracks[track] = _Recording(track.kind, codec)

    async def start(self) -> None:
        """Start reading the tracks and writing the file."""
        for track, recording in self._tracks.items():
            if recording.task is None:
                recording.task = asyncio.ensure_future(self._record(track, recording))

    async def stop(self) -> None:
        """Stop recording, write what the tracks delivered, flush the encoders, close the file."""
        for recording in self._tracks.values():
            if recording.task is not None:
                recording.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await recording.task
                recording.task = None
        if self._container is None:
            return
        if self._held is not None:
            self._write_header(final=True)
        for recording in self._tracks.values():
            if recording.stream is not None and recording.start is not None:
                self._container.mux(recording.stream.encode(None))
        self._tracks = {}
        self._container.close()
        self._container = None

    async def _record(self, track: MediaStreamTrack, recording: _Recording) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                break
            if not isinstance(frame, av.AudioFrame | av.VideoFrame):
                logger.error("MediaRecorder records decoded frames, not packets")
                break
            assert self._container is not None
            now = loop.time()
            if self._origin is None:
                self._origin = now
            if recording.start is None:
                if recording.stream is None:
                    if self._held is None:
                        self.dropped += 1
                        if self.dropped == 1:
                            logger.warning("MediaRecorder: a video track started too late")
                        continue
                    recording.open(self._container, frame)
                recording.start = now - self._origin
            packets = recording.encode(frame)
            if self._held is None:
                self._container.mux(packets)
                continue
            self._held += packets
            if self._all_started() or max(now - self._origin, recording.end) > RECORDER_WAIT:
                self._write_header(final=False)
        recording.ended = True
        if self._held is not None and self._all_started():
            self._write_header(final=False)

    def _all_started(self) -> bool:
        return all(r.start is not None or r.ended for r in self._tracks.values())

    def _write_header(self, final: bool) -> None:
        """Write the header (with the first held packet) and the held packets.

        Until ``final``, an audio track that has not started gets its stream now.
        """
        assert self._container is not None and self._held is not None
        held, self._held = self._held, None
        waiting = [r for r in self._tracks.values() if r.stream is None and not r.ended]
        for recording in waiting:
            if recording.kind == "audio" and not final:
                recording.open(self._container, None)
        self._container.mux(held)


@dataclass
class _Recording:
    """One recorded track: its stream, once it exists, and its timestamps in the file."""

    kind: str
    codec: str
    task: asyncio.Future[None] | None = None
    ended: bool = False
    stream: av.AudioStream | av.VideoStream | None = None
    start: float | None = None
    """Where the first frame goes in the file, in seconds (None until it arrived)."""
    end: float = 0.0
    """Where the last encoded frame goes in the file, in seconds."""
    first_time: float | None = None
    last_pts: int = -1
    audio_samples: int = 0

    def open(self, container: av.container.OutputContainer, first: Frame | None) -> None:
        """Add the stream; a video stream takes the size of its ``first`` frame."""
        if self.kind == "audio":
            audio = container.add_stream(self.codec, rate=AUDIO_SAMPLE_RATE)
            assert isinstance(audio, av.AudioStream)
            self.stream = audio
            return
        video = container.add_stream(self.codec, rate=30)
        assert isinstance(video, av.VideoStream)
        video.pix_fmt = "rgb24" if self.codec == "png" else "yuv420p"
        if self.codec == "libvpx":
            video.codec_context.options = {"deadline": "realtime", "cpu-used": "8"}
        video.codec_context.time_base = fractions.Fraction(1, 90000)
        if isinstance(first, av.VideoFrame):
            video.codec_context.width = first.width
            video.codec_context.height = first.height
        self.stream = video

    def encode(self, frame: Frame) -> list[av.Packet[Any]]:
        """Encode ``frame`` at its place in the file; the frame is left unchanged.

        Video keeps the frames' spacing (90 kHz), audio is written back to back.
        """
        stream = self.stream
        start = self.start or 0.0
        saved = (frame.pts, frame.time_base)
        try:
            if isinstance(stream, av.VideoStream) and isinstance(frame, av.VideoFrame):
                if self.first_time is None:
                    self.first_time = frame.time or 0.0
                pts = round((start + (frame.time or 0.0) - self.first_time) * 90000)
                self.last_pts = frame.pts = max(pts, self.last_pts + 1)
                frame.time_base = fractions.Fraction(1, 90000)
                self.end = self.last_pts / 90000
                return list(stream.encode(frame))
            if isinstance(stream, av.AudioStream) and isinstance(frame, av.AudioFrame):
                frame.pts = round(start * frame.sample_rate) + self.audio_samples
                frame.time_base = fractions.Fraction(1, frame.sample_rate)
                self.audio_samples += frame.samples
                self.end = (frame.pts + frame.samples) / frame.sample_rate
                return list(stream.encode(frame))
            return []  # a frame of the other kind: nothing to do with it
        finally:
            frame.pts, frame.time_base = saved


async def _discard(track: MediaStreamTrack) -> None:
    while True:
        try:
            await track.recv()
        except MediaStreamError:
            return


class MediaBlackhole:
    """A media sink that reads tracks and throws the media away (keeps sources flowing)."""

    def __init__(self) -> None:
        self._tracks: dict[MediaStreamTrack, asyncio.Future[None] | None] = {}

    def addTrack(self, track: MediaStreamTrack) -> None:
        self._tracks.setdefault(track, None)

    async def start(self) -> None:
        for track, task in self._tracks.items():
            if task is None:
                self._tracks[track] = asyncio.ensure_future(_discard(track))

    async def stop(self) -> None:
        for task in self._tracks.values():
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tracks = {}


class RelayStreamTrack(MediaStreamTrack):
    """A subscriber's view of a relayed track (see :class:`MediaRelay`)."""

    def __init__(self, relay: MediaRelay, source: MediaStreamTrack, buffered: bool) -> None:
        super().__init__()
        self.kind = source.kind
        self._relay: MediaRelay | None = relay
        self._source = source
        self._queue = _BoundedQueue(RELAY_BUFFER_SIZE if buffered else 1)
        self._stopped = asyncio.Event()
        self.dropped = 0
        """Frames this subscriber lost because it fell behind."""

    async def recv(self) -> Item:
        if self.readyState != "live" or self._relay is None:
            raise MediaStreamError("track has ended")
        self._relay._start(self._source)
        item = await self._queue.get(self._stopped)
        if item is None:
            self.stop()
            raise MediaStreamError("source track ended")
        return item

    def stop(self) -> None:
        super().stop()
        self._stopped.set()
        self._queue._wake()
        if self._relay is not None:
            relay, self._relay = self._relay, None
            relay._unsubscribe(self)

    def _put(self, item: Item | None) -> None:
        if self._queue.put_dropping(item):
            self.dropped += 1


class MediaRelay:
    """Fans one source track out to any number of subscriber tracks.

    The source is read by one task, started at the first subscriber's ``recv()``, and every
    frame goes to every subscriber. A buffered subscriber holds up to
    :data:`RELAY_BUFFER_SIZE` frames, an unbuffered one only the latest; a subscriber that
    falls behind loses its oldest frames (``dropped`` counts them) and never slows the source
    or the other subscribers. Stopping a subscriber does not stop the source; when the last
    subscriber of a source stops, reading pauses (the source stays live). When the source
    ends, every subscriber ends.
    """

    def __init__(self) -> None:
        self._subscribers: dict[MediaStreamTrack, set[RelayStreamTrack]] = {}
        self._tasks: dict[MediaStreamTrack, asyncio.Task[None]] = {}

    def subscribe(self, track: MediaStreamTrack, buffered: bool = True) -> RelayStreamTrack:
        """A new track receiving every frame of ``track`` from now on."""
        proxy = RelayStreamTrack(self, track, buffered)
        self._subscribers.setdefault(track, set()).add(proxy)
        return proxy

    def _start(self, source: MediaStreamTrack) -> None:
        if source not in self._tasks:
            self._tasks[source] = asyncio.ensure_future(self._run(source))

    def _unsubscribe(self, proxy: RelayStreamTrack) -> None:
        source = proxy._source
        subscribers = self._subscribers.get(source, set())
        subscribers.discard(proxy)
        if not subscribers:
            self._subscribers.pop(source, None)
            task = self._tasks.pop(source, None)
            if task is not None:
                task.cancel()

    async def _run(self, source: MediaStreamTrack) -> None:
        relayed = 0
        while True:
            try:
                item: Item | None = await source.recv()
            except MediaStreamError:
                item = None
            for proxy in list(self._subscribers.get(source, ())):
                proxy._put(item)
            if item is None:
                self._tasks.pop(source, None)
                self._subscribers.pop(source, None)
                return
            relayed += 1
            if relayed % 16 == 0:  # a source that never suspends must not starve the loop
                await asyncio.sleep(0)
