"""pyrtc <-> aiortc audio + video calls in both directions over UDP on 127.0.0.1, with
pyrtc as offerer and as answerer: each side decodes the other's VP8 and Opus."""

from __future__ import annotations

import asyncio
from typing import Any

import aioice.ice
import aiortc
import aiortc.mediastreams
import av
import pytest

from pyrtc.mediastreams import AudioStreamTrack, VideoStreamTrack
from pyrtc.pc import RTCPeerConnection
from pyrtc.sdp import SessionDescription
from tests.pc.helpers import LOOPBACK, STEP, signal, wait_for_state

pytestmark = pytest.mark.interop


@pytest.fixture(autouse=True)
def aiortc_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    # aioice skips 127.0.0.1 when gathering (docs/INTEROP.md section 6).
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: LOOPBACK)


async def _frames(track: Any, count: int) -> list[Any]:
    return [await asyncio.wait_for(track.recv(), STEP) for _ in range(count)]


@pytest.mark.parametrize("pyrtc_offers", [True, False], ids=["pyrtc-offers", "aiortc-offers"])
async def test_call_with_aiortc(pyrtc_offers: bool) -> None:
    ours = RTCPeerConnection(addresses=LOOPBACK)
    theirs = aiortc.RTCPeerConnection()
    our_tracks: list[Any] = []
    their_tracks: list[Any] = []
    ours.on("track", our_tracks.append)
    theirs.on("track", their_tracks.append)
    our_video, our_audio = VideoStreamTrack(), AudioStreamTrack()
    their_video = aiortc.mediastreams.VideoStreamTrack()
    their_audio = aiortc.mediastreams.AudioStreamTrack()
    ours.addTrack(our_video)
    ours.addTrack(our_audio)
    theirs.addTrack(their_video)
    theirs.addTrack(their_audio)
    try:
        if pyrtc_offers:
            await signal(ours, theirs)
        else:
            await signal(theirs, ours)
        assert ours.localDescription is not None
        ours_sdp = SessionDescription.parse(ours.localDescription.sdp)
        assert [m.direction for m in ours_sdp.media] == ["sendrecv", "sendrecv"]
        await wait_for_state(ours, "connectionState", "connected")
        assert sorted(t.kind for t in our_tracks) == ["audio", "video"]
        assert sorted(t.kind for t in their_tracks) == ["audio", "video"]
        for track in our_tracks + their_tracks:
            frames = await _frames(track, 30 if track.kind == "video" else 10)
            if track.kind == "video":
                assert {(f.width, f.height) for f in frames} == {(640, 480)}
            else:
                assert all(isinstance(f, av.AudioFrame) for f in frames)
        kinds = {t.kind: t for t in ours.getTransceivers()}
        assert kinds["video"].currentDirection == "sendrecv"
        assert kinds["video"].receiver.frames_decoded >= 30
        assert kinds["video"].sender.getStats()[0]["framesSent"] >= 30
    finally:
        for track in (our_video, our_audio, their_video, their_audio):
            track.stop()
        await theirs.close()
        await ours.close()
