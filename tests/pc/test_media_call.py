"""pyrtc <-> pyrtc calls over loopback UDP: tracks -> encoder -> RTP/SRTP -> decoder -> track."""

from __future__ import annotations

import asyncio

import av

from pyrtc.mediastreams import AudioStreamTrack, MediaStreamTrack, VideoStreamTrack
from pyrtc.pc import RTCPeerConnection
from pyrtc.sdp import SessionDescription

from .helpers import LOOPBACK, STEP, signal, wait_for_state


async def _collect(track: MediaStreamTrack, count: int) -> list[object]:
    frames: list[object] = []
    while len(frames) < count:
        frames.append(await asyncio.wait_for(track.recv(), STEP))
    return frames


async def test_video_and_audio_one_way() -> None:
    caller = RTCPeerConnection(addresses=LOOPBACK)
    callee = RTCPeerConnection(addresses=LOOPBACK)
    tracks: list[MediaStreamTrack] = []
    callee.on("track", tracks.append)
    video, audio = VideoStreamTrack(), AudioStreamTrack()
    caller.addTrack(video)
    caller.addTrack(audio)
    try:
        await signal(caller, callee)
        assert caller.localDescription is not None and callee.localDescription is not None
        offer = SessionDescription.parse(caller.localDescription.sdp)
        answer = SessionDescription.parse(callee.localDescription.sdp)
        assert [m.kind for m in offer.media] == ["video", "audio"]
        assert [m.direction for m in answer.media] == ["recvonly", "recvonly"]
        assert answer.media[0].codecs[0].name == "VP8"
        assert answer.media[1].codecs[0].name == "opus"
        assert sorted(t.kind for t in tracks) == ["audio", "video"]
        await wait_for_state(caller, "connectionState", "connected")
        remote_video = next(t for t in tracks if t.kind == "video")
        remote_audio = next(t for t in tracks if t.kind == "audio")
        frames = await _collect(remote_video, 30)
        sizes = {(f.width, f.height) for f in frames if isinstance(f, av.VideoFrame)}
        assert sizes == {(640, 480)} and len(frames) == 30
        sounds = await _collect(remote_audio, 10)
        assert all(isinstance(f, av.AudioFrame) and f.sample_rate == 48000 for f in sounds)
        (transceiver,) = [t for t in callee.getTransceivers() if t.kind == "video"]
        assert transceiver.currentDirection == "recvonly"
        assert transceiver.receiver.frames_decoded >= 30
    finally:
        video.stop()
        audio.stop()
        await caller.close()
        await callee.close()
