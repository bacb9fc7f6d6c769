"""The bandwidth estimate drives the video encoder's bitrate without needless keyframes.

Encoder level: targets from a :class:`LossBasedEstimator` under 15 % loss and then none go to
real H.264 and VP8 encoders; both apply each target on the next frame and one keyframe is all
they make. Call level: a pyrtc <-> pyrtc
H.264 call over loopback UDP where the caller's RTP is dropped at 20 % for a while: the
estimate and the encoder's target fall, then climb back once the loss stops, and every
keyframe sent beyond the first answers a PLI or FIR; a REMB from the peer caps the target.
"""

from __future__ import annotations

import asyncio
import fractions
import random
from typing import Any

import av
import pytest

from pyrtc.codecs import VideoEncoder, get_encoder
from pyrtc.pc import RTCRtpCodecParameters
from pyrtc.rtcp import RtcpRembPacket, serialize_compound
from pyrtc.rtpsession.bwe import LossBasedEstimator

from .helpers import STEP, signal, video_call, wait_for_state


def frames(count: int) -> list[av.VideoFrame]:
    """320x240 frames of fresh noise (hard to compress: rate control has work to do)."""
    rng = random.Random(1)
    out = []
    for index in range(count):
        frame = av.VideoFrame(width=320, height=240, format="yuv420p")
        for plane in frame.planes:
            plane.update(rng.randbytes(plane.buffer_size))
        frame.pts = index * 3000
        frame.time_base = fractions.Fraction(1, 90000)
        out.append(frame)
    return out


@pytest.mark.parametrize("codec", ["H264", "VP8"])
def test_estimate_changes_make_no_keyframes(codec: str) -> None:
    encoder = get_encoder(codec, 1_000_000)
    assert isinstance(encoder, VideoEncoder)
    bwe = LossBasedEstimator(1_000_000, minimum=100_000, maximum=1_000_000)
    keyframes = 0
    targets = []
    applied_live = True
    try:
        for index, frame in enumerate(frames(90)):
            if index:  # the encoder opens at 1 Mbit/s, as a sender's does, before any report
                bwe.receiver_report(0.15 if index < 45 else 0.0, now=index / 30)
                encoder.target_bitrate = bwe.target
            targets.append(bwe.target)
            keyframes += sum(e.keyframe for e in encoder.encode(frame))
            applied_live = applied_live and not encoder.pending_bitrate
    finally:
        encoder.close()
    assert min(targets) < 600_000 and targets[-1] > 1.5 * min(targets)
    assert keyframes == 1
    # x264 (through FFmpeg) and libvpx (through its C API) take each target on the next frame
    assert applied_live


async def test_call_target_follows_loss() -> None:
    rng = random.Random(3)
    loss = {"rate": 0.2}
    async with video_call([RTCRtpCodecParameters("video/H264", 90000, 98)]) as call:
        caller, callee, tracks, transceiver = call
        await signal(caller, callee)
        for sock in caller._sockets.values():
            send = sock.send

            def lossy(datagrams: list[Any], send: Any = send) -> None:
                send(
                    [
                        (data, addr)
                        for data, addr in datagrams
                        if not (
                            127 < data[0] < 192
                            and not 191 < data[1] < 224  # RTP, not RTCP
                            and rng.random() < loss["rate"]
                        )
                    ]
                )

            sock.send = lossy  # type: ignore[method-assign]
        await wait_for_state(caller, "connectionState", "connected")
        estimator = caller._media.estimator
        # starts at and never exceeds the rate the encoder opens at (no maxBitrate: 1 Mbit/s)
        assert estimator is not None and estimator.maximum == 1_000_000
        sender = transceiver.sender
        lowest = estimator.target
        for _ in range(40):
            await asyncio.sleep(0.1)
            lowest = min(lowest, estimator.target)
        assert lowest < 700_000
        encoder = sender._encoder
        assert isinstance(encoder, VideoEncoder)
        assert encoder.target_bitrate == estimator.target
        loss["rate"] = 0.0
        for _ in range(40):
            await asyncio.sleep(0.1)
        assert estimator.target >= min(1_000_000, 2 * lowest)
        assert encoder.target_bitrate == estimator.target
        assert len(tracks) == 1
        stats = sender.getStats()[0]
        assert stats["keyFramesEncoded"] <= 1 + stats["pliCount"] + stats["firCount"]


async def test_remb_from_the_peer_caps_the_encoder() -> None:
    """A REMB (draft-alvestrand-rmcat-remb-03) sent over SRTCP by the callee lowers the
    caller's video encoder target to the receiver's estimate."""
    async with video_call() as call:
        caller, callee, tracks, transceiver = call
        await signal(caller, callee)
        (remote,) = tracks
        await asyncio.wait_for(remote.recv(), STEP)  # media flows both keyed ways
        sender = transceiver.sender
        media, stack = callee._media.transport, callee._stack
        assert media is not None and stack is not None
        remb = RtcpRembPacket(ssrc=1, bitrate=250_000, ssrcs=[sender.ssrc])
        loop = asyncio.get_running_loop()
        stack.agent.send(media._outbound.protect_rtcp(serialize_compound([remb])), loop.time())
        for _ in range(int(STEP * 100)):
            if sender.getStats()[0]["targetBitrate"] == 250_000:
                break
            await asyncio.sleep(0.01)
        stats = sender.getStats()[0]
        assert stats["targetBitrate"] == 250_000
        # VP8 takes the new target on the next frame: the REMB did not force a keyframe
        assert stats["keyFramesEncoded"] <= 1 + stats["pliCount"] + stats["firCount"]
