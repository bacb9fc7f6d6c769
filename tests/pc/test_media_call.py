"""pyrtc <-> pyrtc calls over loopback UDP: tracks -> encoder -> RTP/SRTP -> decoder -> track."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import av

from pyrtc.mediastreams import AudioStreamTrack, MediaStreamTrack, VideoStreamTrack
from pyrtc.pc import RTCPeerConnection, RTCRtpCodecParameters
from pyrtc.sdp import SessionDescription

from .helpers import LOOPBACK, STEP, media_call, signal, video_call, wait_for_state


async def _collect(track: MediaStreamTrack, count: int) -> list[object]:
    frames: list[object] = []
    while len(frames) < count:
        frames.append(await asyncio.wait_for(track.recv(), STEP))
    return frames


async def test_video_and_audio_one_way() -> None:
    video, audio = VideoStreamTrack(), AudioStreamTrack()
    async with media_call(video, audio) as (caller, callee, tracks):
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
        # a PLI from the callee makes the caller's encoder send a keyframe (RFC 4585 6.3.1)
        sender = caller.getTransceivers()[0].sender
        keyframes = sender.getStats()[0]["keyFramesEncoded"]
        receiver_core = transceiver.receiver._core
        assert receiver_core is not None
        assert receiver_core.request_keyframe(asyncio.get_running_loop().time())
        callee._schedule_flush()
        for _ in range(int(STEP * 100)):
            if sender.getStats()[0]["keyFramesEncoded"] > keyframes:
                break
            await asyncio.sleep(0.01)
        assert sender.getStats()[0]["keyFramesEncoded"] > keyframes
        assert sender.getStats()[0]["pliCount"] >= 1
        caller.getTransceivers()[0].stop()  # RTCP BYE: the remote video track ends
        await wait_for_state(remote_video, "readyState", "ended")
        assert remote_audio.readyState == "live"


async def test_lossy_video_is_repaired_and_reported() -> None:
    """5 % of the caller's RTP datagrams are dropped before the socket: the callee NACKs,
    the caller resends them as RTX, the frames keep decoding; getStats shows both sides."""
    caller = RTCPeerConnection(addresses=LOOPBACK)
    callee = RTCPeerConnection(addresses=LOOPBACK)
    tracks: list[MediaStreamTrack] = []
    callee.on("track", tracks.append)
    video = VideoStreamTrack()
    caller.addTransceiver(video, "sendonly")
    rng = random.Random(5)
    dropped = 0
    try:
        await signal(caller, callee)
        for sock in caller._sockets.values():
            send = sock.send

            def lossy(datagrams: list[Any], send: Any = send) -> None:
                nonlocal dropped
                kept = []
                for data, addr in datagrams:
                    is_rtp = 127 < data[0] < 192 and not 191 < data[1] < 224
                    if is_rtp and rng.random() < 0.05:
                        dropped += 1
                    else:
                        kept.append((data, addr))
                send(kept)

            sock.send = lossy  # type: ignore[method-assign]
        await wait_for_state(caller, "connectionState", "connected")
        (remote,) = tracks
        frames = await _collect(remote, 60)
        assert len(frames) == 60 and dropped > 0
        (transceiver,) = caller.getTransceivers()
        assert transceiver.currentDirection == "sendonly"
        outbound = transceiver.sender.getStats()[0]
        assert outbound["retransmittedPacketsSent"] > 0 and outbound["nackCount"] > 0
        inbound = callee.getTransceivers()[0].receiver.getStats()[0]
        assert inbound["retransmittedPacketsReceived"] > 0
        report = await callee.getStats()
        (stats,) = report.of_type("inbound-rtp")
        assert stats.kind == "video" and stats.framesDecoded >= 60
        (codec,) = report.of_type("codec")
        assert codec.mimeType == "video/VP8" and codec.clockRate == 90000
        sent = (await caller.getStats()).of_type("outbound-rtp")
        assert len(sent) == 1 and sent[0].retransmittedPacketsSent > 0
    finally:
        video.stop()
        await caller.close()
        await callee.close()


async def test_h264_by_codec_preference() -> None:
    """setCodecPreferences([H264]) on the offerer: both sides agree on H.264 (packetization
    mode 1) and the callee decodes it."""
    async with video_call([RTCRtpCodecParameters("video/H264", 90000, 98)]) as call:
        caller, callee, tracks, transceiver = call
        await signal(caller, callee)
        assert callee.localDescription is not None
        (section,) = SessionDescription.parse(callee.localDescription.sdp).media
        assert [c.name for c in section.codecs] == ["H264"]
        assert transceiver.sender.getParameters().codecs[0].mimeType == "video/H264"
        (remote,) = tracks
        frames = await _collect(remote, 30)
        sizes = {(f.width, f.height) for f in frames if isinstance(f, av.VideoFrame)}
        assert sizes == {(640, 480)}


async def test_renegotiated_direction_pauses_and_resumes_sending() -> None:
    """RFC 3264 section 6.1: a renegotiation to ``inactive`` stops our RTP (no BYE: the
    stream resumes with its SSRC and sequence numbers when ``sendonly`` comes back)."""
    async with video_call() as (caller, callee, tracks, transceiver):
        await signal(caller, callee)
        (remote,) = tracks
        await _collect(remote, 5)
        sender = transceiver.sender
        transceiver.direction = "inactive"
        await signal(caller, callee)
        assert transceiver.currentDirection == "inactive"
        await asyncio.sleep(0.3)  # frames already in flight settle
        core = sender._core
        assert core is not None and not core.stopped
        sent = core.packets_sent
        await asyncio.sleep(0.5)  # ~15 frame times
        assert core.packets_sent == sent
        transceiver.direction = "sendonly"
        await signal(caller, callee)
        assert transceiver.currentDirection == "sendonly"
        await _collect(remote, 5)
        assert sender._core is core and core.packets_sent > sent


async def test_video_added_by_renegotiation() -> None:
    """A data-only connection, then addTrack and a second offer/answer on the running
    transport: SRTP is keyed from the existing DTLS association and frames arrive."""
    caller = RTCPeerConnection(addresses=LOOPBACK)
    callee = RTCPeerConnection(addresses=LOOPBACK)
    tracks: list[MediaStreamTrack] = []
    callee.on("track", tracks.append)
    caller.createDataChannel("chat")
    video = VideoStreamTrack()
    try:
        await signal(caller, callee)
        await wait_for_state(caller, "connectionState", "connected")
        assert not tracks
        caller.addTrack(video)
        await signal(caller, callee)
        assert callee.localDescription is not None
        kinds = [m.kind for m in SessionDescription.parse(callee.localDescription.sdp).media]
        assert kinds == ["application", "video"]
        (remote,) = tracks
        frames = await _collect(remote, 10)
        assert len(frames) == 10
    finally:
        video.stop()
        await caller.close()
        await callee.close()
