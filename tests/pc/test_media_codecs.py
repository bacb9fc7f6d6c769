"""pyrtc <-> pyrtc video calls over loopback UDP in VP9 (RFC 9628) and AV1, each chosen by the
offerer's ``setCodecPreferences``: the answer keeps that codec (with RTX), the sender
packetizes it, the receiver's jitter buffer reassembles and decodes it, a PLI from the
callee brings a keyframe, and a lower ``maxBitrate`` reaches the encoder (libvpx: on the next
frame; SVT-AV1 through FFmpeg: at the next keyframe)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import av
import pytest

from pyrtc.codecs import VideoEncoder
from pyrtc.pc import RTCPeerConnection, RTCRtpCodecParameters, RTCRtpReceiver, RTCRtpSender
from pyrtc.sdp import SessionDescription

from .helpers import STEP, signal, video_call, wait_for_state

PREFERENCES = {
    "VP9": [
        RTCRtpCodecParameters("video/VP9", 90000, 100),
        RTCRtpCodecParameters("video/rtx", 90000, 101),
    ],
    "AV1": [
        RTCRtpCodecParameters("video/AV1", 90000, 45),
        RTCRtpCodecParameters("video/rtx", 90000, 46),
    ],
}
FMTP = {"VP9": "profile-id=0", "AV1": "level-idx=5;profile=0;tier=0"}
LIVE_BITRATE = {"VP9": True, "AV1": False}
"""Whether the encoder takes a new target on the next frame (else at the next keyframe)."""


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(int(STEP * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def _pli(callee: RTCPeerConnection, receiver: RTCRtpReceiver, sender: RTCRtpSender) -> None:
    """The callee sends a PLI (RFC 4585 section 6.3.1): the caller encodes a keyframe and
    the callee decodes it."""
    keyframes = sender.getStats()[0]["keyFramesEncoded"]
    decoded = receiver.key_frames_decoded
    core, loop = receiver._core, asyncio.get_running_loop()
    assert core is not None
    await _until(lambda: core.request_keyframe(loop.time()))  # PLIs are rate-limited
    callee._schedule_flush()
    await _until(lambda: receiver.key_frames_decoded > decoded)
    assert sender.getStats()[0]["keyFramesEncoded"] > keyframes


@pytest.mark.parametrize("name", ["VP9", "AV1"])
async def test_call_with_codec_preference(name: str) -> None:
    async with video_call(PREFERENCES[name]) as call:
        caller, callee, tracks, transceiver = call
        await signal(caller, callee)
        assert callee.localDescription is not None
        (section,) = SessionDescription.parse(callee.localDescription.sdp).media
        codec, rtx = section.codecs
        assert (codec.name, rtx.name, rtx.rtx_apt) == (name, "rtx", codec.payload_type)
        assert codec.parameters.format() == FMTP[name]
        assert [c.mimeType for c in transceiver.sender.getParameters().codecs] == [
            f"video/{name}",
            "video/rtx",
        ]
        await wait_for_state(caller, "connectionState", "connected")
        (remote,) = tracks
        sizes = []
        for _ in range(30):
            frame = await asyncio.wait_for(remote.recv(), STEP)
            assert isinstance(frame, av.VideoFrame)
            sizes.append((frame.width, frame.height))
        assert sizes == [(640, 480)] * 30
        receiver = callee.getTransceivers()[0].receiver
        assert receiver.frames_decoded >= 30 and receiver.decode_errors == 0
        received = await callee.getStats()
        (inbound,) = received.of_type("inbound-rtp")
        assert inbound.framesDecoded >= 30 and inbound.keyFramesDecoded >= 1
        assert (inbound.frameWidth, inbound.frameHeight) == (640, 480)
        (stats,) = received.of_type("codec")
        assert stats.mimeType == f"video/{name}" and stats.payloadType == codec.payload_type
        (sent,) = (await caller.getStats()).of_type("codec")
        assert sent.mimeType == f"video/{name}"

        sender = transceiver.sender
        await _pli(callee, receiver, sender)

        # maxBitrate 300 kbit/s: the encoder's target drops without a keyframe
        keyframes = sender.getStats()[0]["keyFramesEncoded"]
        parameters = sender.getParameters()
        parameters.encodings[0].maxBitrate = 300_000
        await sender.setParameters(parameters)
        encoder = sender._encoder
        assert isinstance(encoder, VideoEncoder) and encoder.target_bitrate == 300_000
        encoded = sender.frames_encoded
        await _until(lambda: sender.frames_encoded >= encoded + 5)
        assert encoder.target_bitrate == 300_000
        assert encoder.pending_bitrate is not LIVE_BITRATE[name]
        assert sender.getStats()[0]["keyFramesEncoded"] == keyframes
        await _pli(callee, receiver, sender)  # a keyframe made anyway applies a pending target
        assert not encoder.pending_bitrate and encoder.target_bitrate == 300_000
