"""RTCRtpSender, RTCRtpReceiver, RTCRtpTransceiver and the media transport under them.

:class:`MediaTransport` is the sans-I/O part: SRTP/SRTCP (RFC 3711) keyed from the DTLS-SRTP
exporter (RFC 5764 section 4.2) around one :class:`~pyrtc.rtpsession.RtpSession` for the
whole BUNDLE group (RFC 8843). The sender and receiver classes are the asyncio shell with
aiortc's names: a sender pulls frames from its track, encodes (``pyrtc.codecs``) and
packetizes (``pyrtc.media``) them into its :class:`~pyrtc.rtpsession.RtpSender`; a receiver
decodes what its :class:`~pyrtc.rtpsession.RtpReceiver` releases and queues the frames on
its remote track.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import av

from pyrtc.codecs import DecodeError, EncodedFrame, VideoEncoder, get_decoder, get_encoder
from pyrtc.codecs.audio import PTIME
from pyrtc.codecs.base import Decoder, Encoder
from pyrtc.dtls import SrtpKeyingMaterial
from pyrtc.errors import Error
from pyrtc.media import (
    AV1,
    H264,
    VP8,
    VP9,
    JitterBuffer,
    VideoCodec,
    Vp8Packetizer,
    Vp9Packetizer,
    av1_packetize,
    h264_packetize,
)
from pyrtc.media.errors import PacketizeError
from pyrtc.mediastreams import MediaStreamError, MediaStreamTrack
from pyrtc.pc.media_sdp import local_codecs
from pyrtc.rtp import HeaderExtensionsMap, audio_level_from_linear
from pyrtc.rtpsession import (
    FrameReceived,
    RtpReceiver,
    RtpSender,
    RtpSession,
)
from pyrtc.sansio import Event
from pyrtc.sdp import Codec
from pyrtc.srtp import Profile, SrtpError, SrtpSession

if TYPE_CHECKING:
    from pyrtc.pc.peerconnection import RTCPeerConnection

MTU = 1200
"""RTP payload budget per packet (leaves room for SRTP, UDP/IP and TURN overhead)."""
VIDEO_BITRATE = 1_000_000
"""A video encoder's starting target (bit/s) when ``maxBitrate`` is not set: also the ceiling
the bandwidth estimate may raise it back to without reopening the encoder."""
VOICE_ACTIVITY_LEVEL = 50
"""RFC 6464 levels below this (louder than -50 dBov) set the voice activity bit."""
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_PAYLOAD_FORMATS: dict[str, VideoCodec] = {"vp8": VP8, "vp9": VP9, "h264": H264, "av1": AV1}
"""The jitter buffer's payload format for each video codec we negotiate (``mime_subtype``)."""
_ENCODERS = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="pyrtc-encoder")
"""Encoding runs off the event loop (FFmpeg releases the GIL); one frame per sender at once."""


class MediaError(Error):
    """A media operation that is not possible (wrong kind, stopped transceiver)."""


@dataclass(frozen=True)
class MediaFrameReceived(Event):
    """The RTP session released a whole frame of ``ssrc`` (``FrameReceived`` re-raised)."""

    ssrc: int
    data: bytes
    timestamp: int
    keyframe: bool


class MediaTransport:
    """SRTP around the RTP session of one BUNDLE group (sans-I/O).

    ``receive`` takes SRTP/SRTCP datagrams from the transport (RFC 7983 128-191), unprotects
    and routes them; ``datagrams_to_send`` gives protected datagrams. Datagrams that fail
    authentication or replay checks are counted in :attr:`srtp_errors` and dropped.
    """

    def __init__(self, keys: SrtpKeyingMaterial, extensions: HeaderExtensionsMap) -> None:
        profile = Profile(keys.profile)
        self._outbound = SrtpSession(profile, keys.local_master_key, keys.local_master_salt)
        self._inbound = SrtpSession(profile, keys.remote_master_key, keys.remote_master_salt)
        self.extensions = extensions
        self.session = RtpSession(feedback_ssrc=random.getrandbits(32), extensions=extensions)
        self.srtp_errors = 0

    def receive(self, data: bytes, now: float) -> None:
        """One SRTP or SRTCP datagram (RFC 5761 section 4: payload type 64-95 is RTCP)."""
        try:
            if len(data) > 1 and 191 < data[1] < 224:
                plain = self._inbound.unprotect_rtcp(data)
            else:
                plain = self._inbound.unprotect(data)
        except SrtpError:
            self.srtp_errors += 1
            return
        self.session.receive(plain, now)

    def datagrams_to_send(self, now: float) -> list[bytes]:
        out = []
        for datagram in self.session.datagrams_to_send(now):
            if 191 < datagram[1] < 224:
                out.append(self._outbound.protect_rtcp(datagram))
            else:
                out.append(self._outbound.protect(datagram))
        return out

    def get_timer(self) -> float | None:
        return self.session.get_timer()

    def handle_timer(self, now: float) -> None:
        self.session.handle_timer(now)

    def next_event(self) -> Event | None:
        event = self.session.next_event()
        if isinstance(event, FrameReceived):
            frame = event.frame
            if frame.lost:
                return self.next_event()
            return MediaFrameReceived(event.ssrc, frame.data, frame.timestamp, frame.keyframe)
        return event


class RemoteStreamTrack(MediaStreamTrack):
    """The track of an :class:`RTCRtpReceiver`: ``recv()`` returns the decoded frames.

    At most :attr:`max_queued` frames wait; when nobody reads, the oldest are dropped
    (counted in :attr:`frames_dropped`) rather than holding every decoded frame in memory.
    """

    max_queued = 64

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._queue: asyncio.Queue[av.AudioFrame | av.VideoFrame | None] = asyncio.Queue()
        self.frames_dropped = 0

    async def recv(self) -> av.AudioFrame | av.VideoFrame:
        if self.readyState == "ended":
            raise MediaStreamError("the track has ended")
        frame = await self._queue.get()
        if frame is None:
            raise MediaStreamError("the track has ended")
        return frame

    def _put(self, frame: av.AudioFrame | av.VideoFrame) -> None:
        if self._queue.qsize() >= self.max_queued:
            self._queue.get_nowait()
            self.frames_dropped += 1
        self._queue.put_nowait(frame)

    def stop(self) -> None:
        if self.readyState == "live":
            self._queue.put_nowait(None)
        super().stop()


@dataclass
class RTCRtpCodecParameters:
    """One negotiated codec (W3C webrtc section 5.2)."""

    mimeType: str
    clockRate: int
    payloadType: int
    channels: int | None = None
    sdpFmtpLine: str = ""


@dataclass
class RTCRtpEncodingParameters:
    """The one encoding we send; ``maxBitrate`` in bit/s drives the encoder's target."""

    ssrc: int
    maxBitrate: int | None = None


@dataclass
class RTCRtpSendParameters:
    """What :meth:`RTCRtpSender.getParameters` returns."""

    codecs: list[RTCRtpCodecParameters] = field(default_factory=list)
    encodings: list[RTCRtpEncodingParameters] = field(default_factory=list)


def _codec_parameters(kind: str, codecs: list[Codec]) -> list[RTCRtpCodecParameters]:
    return [
        RTCRtpCodecParameters(
            f"{kind}/{c.name}", c.clock_rate, c.payload_type, c.channels, c.parameters.format()
        )
        for c in codecs
    ]


class RTCRtpSender:
    """Sends one track (W3C webrtc section 5.2): encode, packetize, RTP, SRTP."""

    def __init__(self, kind: str, track: MediaStreamTrack | None) -> None:
        self.kind = kind
        self._track = track
        self.ssrc = random.getrandbits(32)
        self.rtx_ssrc = random.getrandbits(32) if kind == "video" else None
        self.cname = str(uuid.uuid4())
        self.stream_id = str(uuid.uuid4())
        self._codecs: list[Codec] = []
        self._max_bitrate: int | None = None
        self._core: RtpSender | None = None
        self._encoder: Encoder | None = None
        self._task: asyncio.Task[None] | None = None
        self._pc: RTCPeerConnection | None = None
        self._timestamp_offset = random.getrandbits(32)
        self._vp8 = Vp8Packetizer(random.getrandbits(15))
        self._vp9 = Vp9Packetizer(random.getrandbits(15))
        self._encoding: concurrent.futures.Future[list[EncodedFrame]] | None = None
        self.frames_encoded = 0
        self.source_frames = 0
        """Frames taken from the track (``media-source`` ``frames``)."""
        self.source_size: tuple[int, int] | None = None
        self.source_duration = 0.0
        """Seconds of audio taken from the track (``totalSamplesDuration``)."""
        self.audio_level: float | None = None
        """RMS level of the latest encoded audio frame, linear (``audioLevel``)."""
        self.total_audio_energy = 0.0
        """Sum of level squared times duration over the encoded audio (``totalAudioEnergy``)."""

    @property
    def track(self) -> MediaStreamTrack | None:
        return self._track

    async def replaceTrack(self, track: MediaStreamTrack | None) -> None:
        """Send ``track`` instead, with no renegotiation (same kind only)."""
        if track is not None and track.kind != self.kind:
            raise MediaError(f"cannot send a {track.kind} track on a {self.kind} sender")
        self._track = track
        if self._pc is not None and self._core is not None:
            self._restart()

    def getParameters(self) -> RTCRtpSendParameters:
        return RTCRtpSendParameters(
            codecs=_codec_parameters(self.kind, self._codecs),
            encodings=[RTCRtpEncodingParameters(self.ssrc, self._max_bitrate)],
        )

    async def setParameters(self, parameters: RTCRtpSendParameters) -> None:
        """Apply ``encodings[0].maxBitrate`` (the encoder's target bitrate)."""
        if len(parameters.encodings) != 1:
            raise MediaError("exactly one encoding is supported")
        self._max_bitrate = parameters.encodings[0].maxBitrate
        encoder = self._encoder
        if self._max_bitrate is not None and isinstance(encoder, VideoEncoder):
            encoder.target_bitrate = self._max_bitrate

    def _bandwidth_estimate(self, bitrate: int) -> None:
        """The transport's bandwidth estimate (bit/s) becomes the video encoder's target, up to
        ``maxBitrate``. The encoder applies it without a keyframe where FFmpeg allows, else
        at the next keyframe it makes anyway: a bitrate change never forces one."""
        encoder = self._encoder
        if isinstance(encoder, VideoEncoder):
            limit = self._max_bitrate
            encoder.target_bitrate = bitrate if limit is None else min(bitrate, limit)

    @property
    def _bitrate_ceiling(self) -> int:
        """The most a bandwidth estimate may ask of this sender's video encoder."""
        return self._max_bitrate or VIDEO_BITRATE

    def getStats(self) -> list[dict[str, Any]]:
        """``outbound-rtp`` (with ``framesEncoded`` and the encoder's ``targetBitrate`` for
        video) and ``remote-inbound-rtp`` of the running stream."""
        if self._core is None:
            return []
        stats = self._core.stats()
        outbound = stats[0]
        if self.kind == "video":
            outbound["framesEncoded"] = self.frames_encoded
            if isinstance(self._encoder, VideoEncoder):
                outbound["targetBitrate"] = self._encoder.target_bitrate
        return stats

    # -- pipeline (called by the peer connection) -------------------------------------------

    def _start(self, pc: RTCPeerConnection, media: MediaTransport, mid: str | None) -> None:
        if self._core is not None:
            if self._task is None and not self._core.stopped:
                self._restart()  # resumed by a negotiation that sends again
            return
        if not self._codecs:
            return
        codec = self._codecs[0]
        rtx = next((c for c in self._codecs if c.rtx_apt == codec.payload_type), None)
        self._core = RtpSender(
            self.ssrc,
            codec.payload_type,
            codec.clock_rate,
            cname=self.cname,
            rtx_ssrc=self.rtx_ssrc if rtx is not None else None,
            rtx_payload_type=rtx.payload_type if rtx is not None else None,
            mid=mid,
            extensions=media.extensions,
            transport_sequence=media.session.transport_sequence,
            rtcp_interval=1.0 if self.kind == "video" else 5.0,
        )
        media.session.add_sender(self._core)
        self._pc = pc
        self._restart()

    def _restart(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._track is not None:
            self._task = asyncio.get_running_loop().create_task(self._run(self._track))

    def _pause(self) -> None:
        """Stop sending while the negotiated direction has no send (RFC 3264 section 6.1); the
        stream keeps its SSRC, sequence numbers and encoder, so sending resumes where it left
        off, with no BYE."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _stop(self) -> None:
        """Stop the pipeline; a running stream says BYE (RFC 3550 section 6.6)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        core, pc = self._core, self._pc
        if core is not None and pc is not None and not core.stopped and pc._loop is not None:
            core.stop(pc._loop.time())
            pc._schedule_flush()
        encoder, self._encoder = self._encoder, None
        if encoder is None:
            return
        if self._encoding is not None and not self._encoding.done():
            # FFmpeg is still encoding in the worker thread: close it there when it returns
            self._encoding.add_done_callback(lambda _: encoder.close())
        else:
            encoder.close()

    def _keyframe_requested(self) -> None:
        """RTCP PLI or FIR arrived (RFC 4585 section 6.3.1, RFC 5104 section 4.3.1)."""
        encoder = self._encoder
        if isinstance(encoder, VideoEncoder):
            encoder.request_keyframe()

    async def _run(self, track: MediaStreamTrack) -> None:
        core, pc = self._core, self._pc
        assert core is not None and pc is not None
        codec = self._codecs[0]
        loop = asyncio.get_running_loop()
        if self._encoder is None:
            bitrate = self._bitrate_ceiling if self.kind == "video" else self._max_bitrate
            self._encoder = get_encoder(codec.name, bitrate)
        encoder = self._encoder
        if self._encoding is not None and not self._encoding.done():
            # a pipeline restarted while its last frame was encoding: one encode at a time
            await asyncio.wait([asyncio.wrap_future(self._encoding)])
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, av.Packet):
                encoded = [EncodedFrame.from_packet(frame, codec.clock_rate)]
            else:
                self._count_source(frame)
                self._encoding = _ENCODERS.submit(encoder.encode, frame)
                encoded = await asyncio.wrap_future(self._encoding)
                self.frames_encoded += len(encoded)
            if core.stopped:
                return
            for item in encoded:
                try:
                    payloads = self._packetize(codec, item.data)
                except PacketizeError:
                    continue
                core.send_frame(
                    payloads,
                    item.timestamp + self._timestamp_offset,
                    loop.time(),
                    keyframe=item.keyframe and self.kind == "video",
                    audio_level=self._audio_level(item),
                )
            pc._schedule_flush()

    def _audio_level(self, item: EncodedFrame) -> tuple[bool, int] | None:
        """The RFC 6464 value for an encoded audio frame, counted in the statistics. Voice
        activity is estimated from the energy alone: louder than -50 dBov (no VAD)."""
        level = item.audio_level
        if level is None:
            return None
        self.audio_level = level
        self.total_audio_energy += level * level * PTIME
        dbov = audio_level_from_linear(level)
        return (dbov < VOICE_ACTIVITY_LEVEL, dbov)

    def _count_source(self, frame: av.AudioFrame | av.VideoFrame) -> None:
        self.source_frames += 1
        if isinstance(frame, av.VideoFrame):
            self.source_size = (frame.width, frame.height)
        elif frame.sample_rate:
            self.source_duration += frame.samples / frame.sample_rate

    def _packetize(self, codec: Codec, data: bytes) -> list[bytes]:
        """RTP payloads of one encoded frame in the negotiated format: VP8 (RFC 7741) and VP9
        (RFC 9628) with a PictureID running across frames, H.264 (RFC 6184, mode 1), AV1
        (AV1 RTP payload format section 4); audio frames go in one payload each."""
        name = codec.mime_subtype
        if name == "vp8":
            return self._vp8.packetize(data, MTU)
        if name == "vp9":
            return self._vp9.packetize(data, MTU)
        if name == "h264":
            return h264_packetize(data, MTU)
        if name == "av1":
            return av1_packetize(data, MTU)
        return [data]


class RTCRtpReceiver:
    """Receives one remote stream (W3C webrtc section 5.3): SRTP, RTP, jitter buffer,
    depacketize, decode; ``track.recv()`` returns the decoded frames."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.track = RemoteStreamTrack(kind)
        self._codecs: list[Codec] = []
        self._core: RtpReceiver | None = None
        self._decoder: Decoder | None = None
        self.frames_decoded = 0
        self.key_frames_decoded = 0
        self.frame_size: tuple[int, int] | None = None
        self.decode_errors = 0

    def getStats(self) -> list[dict[str, Any]]:
        """``inbound-rtp`` (with ``trackIdentifier`` and, for video, ``framesDecoded``,
        ``keyFramesDecoded``, ``frameWidth``/``frameHeight``) and ``remote-outbound-rtp``."""
        if self._core is None:
            return []
        stats = self._core.stats()
        inbound = stats[0]
        inbound["trackIdentifier"] = self.track.id
        inbound["framesDecoded"] = self.frames_decoded
        if self.kind == "video":
            inbound["keyFramesDecoded"] = self.key_frames_decoded
            if self.frame_size is not None:
                inbound["frameWidth"], inbound["frameHeight"] = self.frame_size
        return stats

    def _start(self, media: MediaTransport, ssrc: int, rtx_ssrc: int | None, local: int) -> None:
        if self._core is not None or not self._codecs:
            return
        codec = self._codecs[0]
        rtx = {c.payload_type: c.rtx_apt for c in self._codecs if c.rtx_apt is not None}
        if self.kind == "video":
            packetization = _PAYLOAD_FORMATS[codec.mime_subtype]
            buffer = JitterBuffer(codec.clock_rate, packetization, min_delay=0.05)
        else:
            buffer = JitterBuffer(codec.clock_rate)
        self._core = RtpReceiver(
            ssrc,
            codec.clock_rate,
            buffer,
            local_ssrc=local,
            cname=str(uuid.uuid4()),
            rtx_ssrc=rtx_ssrc if rtx else None,
            rtx_payload_types=rtx or None,
            rtcp_interval=1.0 if self.kind == "video" else 5.0,
        )
        media.session.add_receiver(self._core)
        self._decoder = get_decoder(codec.name)

    def _deliver(self, data: bytes, timestamp: int, keyframe: bool, now: float) -> None:
        decoder, core = self._decoder, self._core
        if decoder is None or core is None:
            return
        try:
            frames = decoder.decode(data, timestamp)
        except DecodeError:
            self.decode_errors += 1
            core.request_keyframe(now)
            return
        if frames and keyframe and self.kind == "video":
            self.key_frames_decoded += 1
        for frame in frames:
            self.frames_decoded += 1
            if isinstance(frame, av.VideoFrame):
                self.frame_size = (frame.width, frame.height)
            self.track._put(frame)

    def _stop(self) -> None:
        self.track.stop()


class RTCRtpTransceiver:
    """A sender and a receiver sharing one m-section (W3C webrtc section 5.4)."""

    def __init__(self, kind: str, direction: str, track: MediaStreamTrack | None) -> None:
        if kind not in ("audio", "video"):
            raise MediaError(f"unknown media kind {kind!r}")
        if direction not in _DIRECTIONS:
            raise MediaError(f"unknown direction {direction!r}")
        self.kind = kind
        self.mid: str | None = None
        self._direction = direction
        self.currentDirection: str | None = None
        self.sender = RTCRtpSender(kind, track)
        self.receiver = RTCRtpReceiver(kind)
        self.stopped = False
        self._preferences: tuple[Codec, ...] | None = None
        self._track_fired = False

    @property
    def direction(self) -> str:
        return self._direction

    @direction.setter
    def direction(self, value: str) -> None:
        if value not in _DIRECTIONS:
            raise MediaError(f"unknown direction {value!r}")
        self._direction = value

    def setCodecPreferences(self, codecs: list[RTCRtpCodecParameters]) -> None:
        """Offer and answer only these codecs, in this order (empty: our defaults)."""
        ours = local_codecs(self.kind)
        if not codecs:
            self._preferences = None
            return
        chosen: list[Codec] = []
        for wanted in codecs:
            name = wanted.mimeType.split("/")[-1].lower()
            match = [
                c
                for c in ours
                if c.mime_subtype == name
                and c.clock_rate == wanted.clockRate
                and (name != "rtx" or any(c.rtx_apt == k.payload_type for k in chosen))
            ]
            if not match:
                raise MediaError(f"codec {wanted.mimeType} is not supported")
            chosen += [c for c in match if c not in chosen]
        self._preferences = tuple(chosen)

    def stop(self) -> None:
        """Stop sending and receiving; the section is rejected at the next negotiation."""
        self.stopped = True
        self._direction = "inactive"
        self.currentDirection = "stopped"
        self.sender._stop()
        self.receiver._stop()

    @property
    def _codecs_preferred(self) -> tuple[Codec, ...]:
        return self._preferences or local_codecs(self.kind)

    @property
    def _sending(self) -> bool:
        return not self.stopped and self.currentDirection in ("sendrecv", "sendonly")

    @property
    def _receiving(self) -> bool:
        return not self.stopped and self.currentDirection in ("sendrecv", "recvonly")


__all__ = [
    "MediaError",
    "MediaTransport",
    "RTCRtpCodecParameters",
    "RTCRtpEncodingParameters",
    "RTCRtpReceiver",
    "RTCRtpSendParameters",
    "RTCRtpSender",
    "RTCRtpTransceiver",
    "RemoteStreamTrack",
]
