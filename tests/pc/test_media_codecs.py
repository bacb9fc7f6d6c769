"""pyrtc <-> pyrtc video calls over loopback UDP in VP9 (RFC 9628) and AV1, each chosen by the
offerer's ``setCodecPreferences``: the answer keeps that codec (with RTX), the sender
packetizes it, the receiver's jitter buffer reassembles and decodes it, and a PLI from the
callee brings a keyframe."""

from __future__ import annotations

import asyncio

import av
import pytest

from pyrtc.mediastreams import MediaStreamTrack, VideoStreamTrack
from pyrtc.pc import RTCPeerConnection, RTCRtpCodecParameters
from pyrtc.sdp import SessionDescription

from .helpers import LOOPBACK, STEP, signal, wait_for_state

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


@pytest.mark.parametrize("name", ["VP9", "AV1"])
async def test_call_with_codec_preference(name: str) -> None:
    caller = RTCPeerConnection(addresses=LOOPBACK)
    callee = RTCPeerConnection(addresses=LOOPBACK)
    tracks: list[MediaStreamTrack] = []
    callee.on("track", tracks.append)
    video = VideoStreamTrack()
    transceiver = caller.addTransceiver(video, "sendonly")
    transceiver.setCodecPreferences(PREFERENCES[name])
    try:
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

        # a PLI from the callee: the caller's encoder sends a keyframe, the callee decodes it
        sender = transceiver.sender
        keyframes = sender.getStats()[0]["keyFramesEncoded"]
        decoded_keyframes = receiver.key_frames_decoded
        core = receiver._core
        assert core is not None and core.request_keyframe(asyncio.get_running_loop().time())
        callee._schedule_flush()
        for _ in range(int(STEP * 100)):
            if receiver.key_frames_decoded > decoded_keyframes:
                break
            await asyncio.sleep(0.01)
        assert sender.getStats()[0]["keyFramesEncoded"] > keyframes
        assert receiver.key_frames_decoded > decoded_keyframes
    finally:
        video.stop()
        await caller.close()
        await callee.close()
