"""RTP payload formats and jitter buffer: pyrtc's native code against aiortc's equivalents.

- ``VP8/H.264 30 kB``: packetize one 30 kB frame for a 1200-byte MTU and depacketize it
  again. aiortc: ``Vp8Encoder._packetize`` / ``H264Encoder._packetize`` of the split Annex B
  stream (its MTU is fixed at 1300) and the per-packet ``vp8_depayload`` / ``h264_depayload``
  joined into the frame, as its receiver does.
- ``Opus 160 B``: the one-payload packetize and depacketize of an audio frame; aiortc's
  ``depayload()`` dispatch for Opus. Both sides do almost nothing; the number shows overhead.
- ``jitter buffer``: insert each packet of 10 in-order 30 kB VP8 frames (26 packets each)
  into a fresh buffer and take the frames out. aiortc: ``JitterBuffer(capacity=512,
  is_video=True).add`` after depayloading each packet, as ``RTCRtpReceiver`` does. Counted in
  packets.
- ``audio jitter buffer``: 200 Opus packets through the audio buffer (aiortc: capacity 16,
  prefetch 4 as in ``RTCRtpReceiver``). Counted in packets.
- ``VP8 passthrough pipeline``: 30 pre-encoded 640x480 VP8 frames (libvpx, encoded once)
  sent end to end as an encoded-passthrough sender and a receiver do it: packetize, RTP
  serialize, SRTP protect, a loopback UDP socket pair, SRTP unprotect, RTP parse, jitter
  buffer, complete frames. aiortc: ``Vp8Encoder.pack`` of an ``av.Packet`` (its
  ``MediaPlayer(decode=False)`` path), ``aiortc.rtp.RtpPacket``, ``pylibsrtp.Session``,
  ``depayload`` and ``JitterBuffer.add`` as ``RTCRtpReceiver`` does. Same loopback socket
  pair and packet count; each side moves datagrams as its own stack does: pyrtc one
  ``sendmmsg``/``recvmmsg`` per window with UDP GSO/GRO (``BatchedUdpLink``, as its
  peer-connection shell), aiortc one ``sendto``/``recvfrom`` per datagram (``UdpLink``, as
  the asyncio datagram transport under aiortc does). Counted in RTP packets. The ``no UDP`` variant
  hands the datagrams over in memory: it shows the stacks' own work without the kernel's
  send/receive cost (no target).
"""

from __future__ import annotations

import contextlib
import fractions
import functools
import importlib.util
import os
import random
import socket
from collections.abc import Callable
from typing import Any, Protocol

from pyrtc.bench import Case
from pyrtc.media import (
    OPUS,
    VP8,
    JitterBuffer,
    Vp8Packetizer,
    h264_depacketize,
    h264_packetize,
)
from pyrtc.media import vp8_depacketize as ours_vp8_depacketize
from pyrtc.media import vp8_packetize as ours_vp8_packetize
from pyrtc.net.batch import enable_gro, recv_many, send_many
from pyrtc.rtp import RtpPacket
from pyrtc.srtp import Profile, SrtpSession

FRAME_SIZE = 30_000
MTU = 1200
FRAMES = 10
OPUS_BATCH = 200


def _h264_frame() -> bytes:
    sps = bytes.fromhex("6742c01fda0140167b0110000003001000000303c0f18319e0")
    pps = bytes.fromhex("68ce3c80")
    body = bytes(b | 0x10 for b in os.urandom(FRAME_SIZE))  # no start code emulation
    return b"".join(b"\x00\x00\x00\x01" + nal for nal in (sps, pps, b"\x65" + body))


def _codec_cases() -> list[Case]:
    vp8_frame = b"\x10" + os.urandom(FRAME_SIZE - 1)
    h264_frame = _h264_frame()
    opus_frame = b"\x78" + os.urandom(159)

    def ours_vp8() -> object:
        return ours_vp8_depacketize(ours_vp8_packetize(vp8_frame, MTU, 1234))

    def ours_h264() -> object:
        return h264_depacketize(h264_packetize(h264_frame, MTU))

    def ours_opus() -> object:
        for _ in range(OPUS_BATCH):
            OPUS.depacketize(OPUS.packetize(opus_frame, MTU))
        return None

    base_vp8: Callable[[], object] | None = None
    base_h264: Callable[[], object] | None = None
    base_opus: Callable[[], object] | None = None
    try:
        from aiortc.codecs import depayload
        from aiortc.codecs.h264 import H264Encoder, h264_depayload
        from aiortc.codecs.vpx import Vp8Encoder, vp8_depayload
        from aiortc.rtcrtpparameters import RTCRtpCodecParameters
    except ImportError:
        pass
    else:
        opus_codec = RTCRtpCodecParameters("audio/opus", 48000, 2, 111)

        def base_vp8() -> object:
            payloads = Vp8Encoder._packetize(vp8_frame, 1234)
            return b"".join(vp8_depayload(p) for p in payloads)

        def base_h264() -> object:
            payloads = H264Encoder._packetize(H264Encoder._split_bitstream(h264_frame))
            return b"".join(h264_depayload(p) for p in payloads)

        def base_opus() -> object:
            for _ in range(OPUS_BATCH):
                depayload(opus_codec, [opus_frame][0])
            return None

    return [
        Case("media", "VP8 30 kB pack+unpack", ours_vp8, base_vp8, "aiortc", 5.0, 1, FRAME_SIZE),
        Case(
            "media", "H.264 30 kB pack+unpack", ours_h264, base_h264, "aiortc", 5.0, 1, FRAME_SIZE
        ),
        Case("media", "Opus 160 B pack+unpack", ours_opus, base_opus, "aiortc", None, OPUS_BATCH),
    ]


def _jitter_cases() -> list[Case]:
    packets: list[RtpPacket] = []
    seq = 0
    for i in range(FRAMES):
        frame = bytes([0x10 if i == 0 else 0x11]) + os.urandom(FRAME_SIZE - 1)
        payloads = ours_vp8_packetize(frame, MTU, i)
        for j, payload in enumerate(payloads):
            packets.append(RtpPacket(96, j == len(payloads) - 1, seq, 3000 * i, 1, payload))
            seq += 1
    audio = [RtpPacket(111, 0, n, 960 * n, 2, b"\x78" + os.urandom(159)) for n in range(OPUS_BATCH)]

    def ours_video() -> object:
        jb = JitterBuffer(90000, VP8)
        frames = []
        for n, packet in enumerate(packets):
            jb.insert(packet, n * 0.001)
            frame = jb.pop_frame(n * 0.001)
            if frame is not None:
                frames.append(frame)
        return frames

    def ours_audio() -> object:
        jb = JitterBuffer(48000, min_delay=0.0)
        frames = []
        for n, packet in enumerate(audio):
            jb.insert(packet, n * 0.02)
            frame = jb.pop_frame(n * 0.02)
            if frame is not None:
                frames.append(frame)
        return frames

    base_video: Callable[[], object] | None = None
    base_audio: Callable[[], object] | None = None
    try:
        from aiortc.codecs.vpx import vp8_depayload
        from aiortc.jitterbuffer import JitterBuffer as AiortcJitterBuffer
        from aiortc.rtp import RtpPacket as AiortcRtpPacket
    except ImportError:
        pass
    else:
        theirs = [AiortcRtpPacket.parse(p.serialize()) for p in packets]
        theirs_audio = [AiortcRtpPacket.parse(p.serialize()) for p in audio]

        def base_video() -> object:
            jb = AiortcJitterBuffer(capacity=512, is_video=True)
            frames = []
            for packet in theirs:
                packet._data = vp8_depayload(packet.payload)  # type: ignore[attr-defined]
                _, frame = jb.add(packet)
                if frame is not None:
                    frames.append(frame)
            return frames

        def base_audio() -> object:
            jb = AiortcJitterBuffer(capacity=16, prefetch=4)
            frames = []
            for packet in theirs_audio:
                packet._data = packet.payload  # type: ignore[attr-defined]
                _, frame = jb.add(packet)
                if frame is not None:
                    frames.append(frame)
            return frames

    return [
        Case(
            "media",
            "jitter buffer VP8 insert+pop",
            ours_video,
            base_video,
            "aiortc",
            5.0,
            len(packets),
        ),
        Case(
            "media",
            "audio jitter buffer insert+pop",
            ours_audio,
            base_audio,
            "aiortc",
            5.0,
            OPUS_BATCH,
        ),
    ]


PIPELINE_WIDTH, PIPELINE_HEIGHT = 640, 480
PIPELINE_FRAMES = 30
PIPELINE_BITRATE = 2_000_000
PIPELINE_MTU = 1300  # aiortc's fixed VP8 payload size, so both sides send the same packets
FRAME_TICKS = 3000  # 30 frames/s on the 90 kHz clock
SOCKET_BUFFER = 4 * 1024 * 1024
SSRC = 0x5EED1234
FIRST_SEQUENCE = 65_400  # both pipelines wrap through 65535 in their first run
# The 5x target is on the GCM profiles aiortc negotiates by default. AES-CM-80 runs as a
# reference: its HMAC-SHA1 (~0.7 us per 1.3 kB packet each way with SHA-NI here) is a floor
# no implementation removes.
TARGET_PROFILES = (Profile.AEAD_AES_128_GCM, Profile.AEAD_AES_256_GCM)
PIPELINE_PROFILES = (
    Profile.AEAD_AES_128_GCM,
    Profile.AEAD_AES_256_GCM,  # aiortc's first choice (its SRTP_PROFILES order)
    Profile.AES_CM_128_HMAC_SHA1_80,
)


@functools.cache
def encoded_vp8_frames() -> tuple[bytes, ...]:
    """``PIPELINE_FRAMES`` real VP8 frames from pyrtc's libvpx encoder (CBR 2 Mbit/s): one
    keyframe (~12 kB), then deltas of 0.3-28 kB as rate control swings.

    The picture is a textured gradient scrolling down 4 lines per frame, so the encoder
    produces keyframe and delta sizes of a moderate-motion 640x480 stream. Encoded once per
    process.
    """
    import av

    from pyrtc.codecs import get_encoder

    rng = random.Random(1)
    noise = bytes(rng.randrange(11) for _ in range(PIPELINE_WIDTH * PIPELINE_HEIGHT // 16))
    rows = []
    for y in range(2 * PIPELINE_HEIGHT):
        base = 2 * y
        rows.append(
            bytes(
                64 + ((base + x // 4) & 0x7F) + noise[(y * PIPELINE_WIDTH + 13 * x) % len(noise)]
                for x in range(PIPELINE_WIDTH)
            )
        )
    texture = b"".join(rows)
    luma_size = PIPELINE_WIDTH * PIPELINE_HEIGHT
    grey_chroma = b"\x80" * (luma_size // 4)
    encoder = get_encoder("VP8", PIPELINE_BITRATE)
    frames: list[bytes] = []
    for index in range(PIPELINE_FRAMES):
        picture = av.VideoFrame(PIPELINE_WIDTH, PIPELINE_HEIGHT, "yuv420p")
        offset = 4 * index * PIPELINE_WIDTH
        picture.planes[0].update(texture[offset : offset + luma_size])
        picture.planes[1].update(grey_chroma)
        picture.planes[2].update(grey_chroma)
        picture.pts = index * FRAME_TICKS
        picture.time_base = fractions.Fraction(1, 90000)
        frames.extend(encoded.data for encoded in encoder.encode(picture))
    encoder.close()
    return tuple(frames)


class Link(Protocol):
    """How a pipeline moves one window of SRTP datagrams from sender to receiver."""

    dropped: int

    def transfer(self, datagrams: list[bytes]) -> list[bytes]: ...

    def close(self) -> None: ...


class MemoryLink:
    """Hands the datagrams straight over: the pipeline without the kernel's UDP path."""

    dropped = 0

    def transfer(self, datagrams: list[bytes]) -> list[bytes]:
        return datagrams

    def close(self) -> None:
        pass


class UdpLink:
    """A non-blocking UDP socket pair on 127.0.0.1, used identically by both pipelines.

    ``transfer`` sends one window of datagrams, then drains the receiving socket until all of
    them arrived or it would block; whatever did not arrive is counted in ``dropped``. The
    4 MB buffers hold a whole window (a 40 kB keyframe is 31 datagrams), so loopback does
    not drop.
    """

    def __init__(self) -> None:
        self._rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        self._tx.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        self._rx.bind(("127.0.0.1", 0))
        self._tx.connect(self._rx.getsockname())
        self._rx.setblocking(False)
        self._tx.setblocking(False)
        self.dropped = 0

    def transfer(self, datagrams: list[bytes]) -> list[bytes]:
        send = self._tx.send
        with contextlib.suppress(BlockingIOError):  # send buffer full: the rest is dropped
            for datagram in datagrams:
                send(datagram)
        recv = self._rx.recv
        received: list[bytes] = []
        while len(received) < len(datagrams):
            try:
                received.append(recv(2048))
            except BlockingIOError:
                break
        self.dropped += len(datagrams) - len(received)
        return received

    def close(self) -> None:
        self._rx.close()
        self._tx.close()


class BatchedUdpLink(UdpLink):
    """:class:`UdpLink` moving a window as pyrtc's peer-connection shell does
    (:mod:`pyrtc.net.batch`): ``sendmmsg`` with UDP segmentation offload (each run of
    equal-sized datagrams one message) and ``recvmmsg`` on a socket with UDP GRO."""

    def __init__(self) -> None:
        super().__init__()
        enable_gro(self._rx)

    def transfer(self, datagrams: list[bytes]) -> list[bytes]:
        sent = send_many(self._tx, [(datagram, None) for datagram in datagrams], gso=True)
        received: list[bytes] = []
        while len(received) < sent:
            arrived = recv_many(self._rx, 64, 65536)
            if not arrived:
                break
            received += [data for data, _ in arrived]
        self.dropped += len(datagrams) - len(received)  # would block: the rest is dropped
        return received


def srtp_keys(profile: Profile) -> tuple[bytes, bytes]:
    """The fixed master key and salt both pipelines use (no DTLS in this benchmark)."""
    return bytes(range(profile.key_length)), bytes(range(100, 100 + profile.salt_length))


class PyrtcPipeline:
    """pyrtc's encoded-passthrough send and receive path for one VP8 stream.

    ``run()`` sends every frame once (one frame per socket window) and returns the frames the
    jitter buffer released during the run. State carries over between runs like a live
    stream: sequence numbers, timestamps, SRTP indices and the jitter buffer continue. The
    clock is virtual: a frame is sent and received at its capture time.
    """

    def __init__(
        self, frames: tuple[bytes, ...], profile: Profile, link: Link | None = None
    ) -> None:
        self._frames = frames
        key, salt = srtp_keys(profile)
        self._sender = SrtpSession(profile, key, salt)
        self._receiver = SrtpSession(profile, key, salt)
        self._packetizer = Vp8Packetizer()
        self._jitter = JitterBuffer(90000, VP8)
        self.link: Link = BatchedUdpLink() if link is None else link
        self._sequence = FIRST_SEQUENCE
        self._frame_count = 0
        self.packets_sent = 0

    def run(self) -> list[bytes]:
        released: list[bytes] = []
        jitter = self._jitter
        for frame in self._frames:
            now = self._frame_count / 30
            timestamp = (self._frame_count * FRAME_TICKS) & 0xFFFFFFFF
            payloads = self._packetizer.packetize(frame, PIPELINE_MTU)
            last = len(payloads) - 1
            sequence = self._sequence
            datagrams = self._sender.protect_many(
                [
                    RtpPacket(96, i == last, (sequence + i) & 0xFFFF, timestamp, SSRC, payload)
                    for i, payload in enumerate(payloads)
                ]
            )
            self._sequence = (sequence + len(payloads)) & 0xFFFF
            self._frame_count += 1
            self.packets_sent += len(payloads)
            jitter.insert_many(self._receiver.unprotect_packets(self.link.transfer(datagrams)), now)
            while (released_frame := jitter.pop_frame(now)) is not None:
                released.append(released_frame.data)
        return released


class AiortcPipeline:
    """The same stream through aiortc's pieces, as ``RTCRtpSender`` and ``RTCRtpReceiver``
    handle an encoded-passthrough track.

    The frames are ``av.Packet`` objects, what ``MediaPlayer(decode=False)`` yields, packed
    by ``Vp8Encoder.pack``. aiortc's jitter buffer releases a frame when the first packet of
    the next one arrives, so each run returns the last frame of the previous run first.
    """

    def __init__(
        self, frames: tuple[bytes, ...], profile: Profile, link: Link | None = None
    ) -> None:
        import av
        from aiortc.codecs import depayload
        from aiortc.codecs.vpx import Vp8Encoder
        from aiortc.jitterbuffer import JitterBuffer as AiortcJitterBuffer
        from aiortc.rtcrtpparameters import RTCRtpCodecParameters
        from aiortc.rtp import RtpPacket as AiortcRtpPacket
        from pylibsrtp import Policy, Session

        libsrtp_profiles = {
            Profile.AEAD_AES_128_GCM: Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
            Profile.AES_CM_128_HMAC_SHA1_80: Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
            Profile.AEAD_AES_256_GCM: Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
        }
        key, salt = srtp_keys(profile)

        def session(direction: int) -> Any:
            # The policy aiortc's RTCDtlsTransport builds once DTLS has finished.
            policy = Policy(
                key=key + salt, ssrc_type=direction, srtp_profile=libsrtp_profiles[profile]
            )
            policy.allow_repeat_tx = True
            policy.window_size = 1024
            return Session(policy)

        self._packets = []
        for frame in frames:
            packet = av.Packet(frame)
            packet.time_base = fractions.Fraction(1, 90000)
            self._packets.append(packet)
        self._packet_class = AiortcRtpPacket
        self._depayload = depayload
        self._codec = RTCRtpCodecParameters("video/VP8", 90000, None, 96)
        self._encoder = Vp8Encoder()
        self._sender = session(Policy.SSRC_ANY_OUTBOUND)
        self._receiver = session(Policy.SSRC_ANY_INBOUND)
        self._jitter = AiortcJitterBuffer(capacity=512, is_video=True)
        self.link: Link = UdpLink() if link is None else link
        self._sequence = FIRST_SEQUENCE
        self._frame_count = 0
        self.packets_sent = 0

    def run(self) -> list[bytes]:
        released: list[bytes] = []
        packet_class = self._packet_class
        depayload = self._depayload
        codec = self._codec
        protect = self._sender.protect
        unprotect = self._receiver.unprotect
        for av_packet in self._packets:
            av_packet.pts = self._frame_count * FRAME_TICKS
            payloads, timestamp = self._encoder.pack(av_packet)
            timestamp &= 0xFFFFFFFF
            last = len(payloads) - 1
            datagrams = []
            for i, payload in enumerate(payloads):
                packet = packet_class(
                    payload_type=96, sequence_number=self._sequence, timestamp=timestamp
                )
                packet.ssrc = SSRC
                packet.payload = payload
                packet.marker = 1 if i == last else 0
                datagrams.append(protect(packet.serialize()))
                self._sequence = (self._sequence + 1) & 0xFFFF
            self._frame_count += 1
            self.packets_sent += len(payloads)
            for datagram in self.link.transfer(datagrams):
                received = packet_class.parse(unprotect(datagram))
                received._data = depayload(codec, received.payload)  # type: ignore[attr-defined]
                _, jitter_frame = self._jitter.add(received)
                if jitter_frame is not None:
                    released.append(jitter_frame.data)
        return released


def _on_first_call(
    pipeline: type[PyrtcPipeline | AiortcPipeline],
    frames: tuple[bytes, ...],
    profile: Profile,
    link: Callable[[], Link],
) -> Callable[[], object]:
    """``run`` of a pipeline built when the case first runs, so listing cases opens no socket."""
    built: list[PyrtcPipeline | AiortcPipeline] = []

    def run() -> object:
        if not built:
            built.append(pipeline(frames, profile, link()))
        return built[0].run()

    return run


def pipeline_case_name(profile: Profile, udp: bool) -> str:
    """``VP8 passthrough GCM UDP``: the case name for a profile and link."""
    short = {
        Profile.AEAD_AES_128_GCM: "GCM",
        Profile.AEAD_AES_256_GCM: "GCM256",
        Profile.AES_CM_128_HMAC_SHA1_80: "CM80",
    }[profile]
    return f"VP8 passthrough {short} " + ("UDP" if udp else "no UDP")


def _pipeline_cases() -> list[Case]:
    if importlib.util.find_spec("av") is None:
        return []  # the frames come from libvpx through PyAV (the ``media`` extra)
    frames = encoded_vp8_frames()
    packets = sum(len(ours_vp8_packetize(frame, PIPELINE_MTU)) for frame in frames)
    have_aiortc = importlib.util.find_spec("aiortc") is not None
    cases: list[Case] = []
    for profile, udp in [(p, True) for p in PIPELINE_PROFILES] + [(PIPELINE_PROFILES[0], False)]:
        ours = _on_first_call(PyrtcPipeline, frames, profile, BatchedUdpLink if udp else MemoryLink)
        baseline = (
            _on_first_call(AiortcPipeline, frames, profile, UdpLink if udp else MemoryLink)
            if have_aiortc
            else None
        )
        name = pipeline_case_name(profile, udp)
        target = 5.0 if udp and profile in TARGET_PROFILES else None
        cases.append(Case("media", name, ours, baseline, "aiortc", target, packets))
    return cases


def cases() -> list[Case]:
    return _codec_cases() + _jitter_cases() + _pipeline_cases()
