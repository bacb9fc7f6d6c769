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
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pyrtc.bench import Case
from pyrtc.media import OPUS, VP8, JitterBuffer, h264_depacketize, h264_packetize
from pyrtc.media import vp8_depacketize as ours_vp8_depacketize
from pyrtc.media import vp8_packetize as ours_vp8_packetize
from pyrtc.rtp import RtpPacket

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


def cases() -> list[Case]:
    return _codec_cases() + _jitter_cases()
