"""getStats in a pyrtc <-> pyrtc call (W3C webrtc-stats): the media objects are all there
with their member names, and the counters move while media flows."""

from __future__ import annotations

import asyncio
import math
from array import array
from typing import Any

import av
import pytest

from pyrtc.mediastreams import AudioStreamTrack, VideoStreamTrack
from pyrtc.pc import RTCPeerConnection
from pyrtc.rtp import RtpPacket, decode_audio_level

from .helpers import LOOPBACK, STEP, media_call, signal, wait_for_state

INBOUND = {
    "packetsReceived", "bytesReceived", "packetsLost", "jitter", "nackCount", "pliCount",
    "firCount", "framesDecoded", "keyFramesDecoded", "frameWidth", "frameHeight",
    "trackIdentifier",
}  # fmt: skip
OUTBOUND = {
    "packetsSent", "bytesSent", "nackCount", "pliCount", "firCount", "framesEncoded",
    "keyFramesEncoded", "framesSent", "targetBitrate", "mediaSourceId",
}  # fmt: skip


def by_kind(report: Any, kind: str, media: str) -> Any:
    (stats,) = [s for s in report.of_type(kind) if s.kind == media]
    return stats


async def test_media_stats_names_and_values_move() -> None:
    video, audio = VideoStreamTrack(), AudioStreamTrack()
    async with media_call(video, audio) as (caller, callee, tracks):
        await signal(caller, callee)
        await wait_for_state(caller, "connectionState", "connected")
        remote_video = next(t for t in tracks if t.kind == "video")
        for _ in range(10):
            await asyncio.wait_for(remote_video.recv(), STEP)
        sent_before = await caller.getStats()
        received_before = await callee.getStats()
        # a PLI from the callee, then enough time for SR -> RR with LSR (RTT) on video
        (receiver,) = [t.receiver for t in callee.getTransceivers() if t.kind == "video"]
        assert receiver._core is not None
        receiver._core.request_keyframe(asyncio.get_running_loop().time())
        callee._schedule_flush()
        remote_inbound = None
        for _ in range(int(STEP * 10)):
            await asyncio.sleep(0.1)
            report = await caller.getStats()
            found = [s for s in report.of_type("remote-inbound-rtp") if s.kind == "video"]
            if found and "roundTripTime" in found[0].counters:
                remote_inbound = found[0]
                break
        assert remote_inbound is not None, "no RTT measured"
        assert 0 < remote_inbound.roundTripTime < 0.5
        assert {"packetsLost", "fractionLost", "jitter"} <= remote_inbound.counters.keys()
        decoded_before = by_kind(received_before, "inbound-rtp", "video").framesDecoded
        for _ in range(int(STEP * 100)):  # at least 10 more frames through the whole pipeline
            if receiver.frames_decoded >= decoded_before + 10:
                break
            await asyncio.sleep(0.01)
        sent_after, received_after = await caller.getStats(), await callee.getStats()

        inbound = by_kind(received_after, "inbound-rtp", "video")
        assert inbound.counters.keys() >= INBOUND
        before = by_kind(received_before, "inbound-rtp", "video")
        assert inbound.packetsReceived > before.packetsReceived
        assert inbound.bytesReceived > before.bytesReceived
        assert inbound.framesDecoded > before.framesDecoded >= 10
        assert inbound.keyFramesDecoded >= 1 and inbound.pliCount >= 1
        assert (inbound.frameWidth, inbound.frameHeight) == (640, 480)
        assert inbound.trackIdentifier == remote_video.id
        assert inbound.packetsLost == 0 and inbound.jitter >= 0
        audio_in = by_kind(received_after, "inbound-rtp", "audio")
        assert (
            audio_in.packetsReceived
            > by_kind(received_before, "inbound-rtp", "audio").packetsReceived
        )

        outbound = by_kind(sent_after, "outbound-rtp", "video")
        assert outbound.counters.keys() >= OUTBOUND
        was = by_kind(sent_before, "outbound-rtp", "video")
        assert outbound.packetsSent > was.packetsSent and outbound.bytesSent > was.bytesSent
        assert outbound.framesEncoded > was.framesEncoded >= 10
        assert outbound.keyFramesEncoded >= 2 and outbound.pliCount >= 1
        assert outbound.targetBitrate == 1_000_000  # no loss on loopback: the ceiling

        sources = {s.kind: s for s in sent_after.of_type("media-source")}
        assert outbound.mediaSourceId == sources["video"].id
        assert sources["video"].trackIdentifier == video.id
        assert (sources["video"].width, sources["video"].height) == (640, 480)
        assert sources["video"].frames > sent_before[sources["video"].id].frames
        assert sources["audio"].trackIdentifier == audio.id
        assert sources["audio"].totalSamplesDuration > 0.5


class SineTrack(AudioStreamTrack):
    """A 440 Hz sine at half of full scale (about -9 dBov), stereo s16 at 48 kHz."""

    async def recv(self) -> av.AudioFrame:
        pts, time_base = await self.next_timestamp()
        samples = 960
        pcm = array("h")
        for n in range(pts, pts + samples):
            value = int(16000 * math.sin(2 * math.pi * 440 * n / 48000))
            pcm.extend((value, value))
        frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = 48000
        frame.pts, frame.time_base = pts, time_base
        return frame


async def test_audio_level_is_sent_and_reported() -> None:
    """The sender measures each 20 ms it encodes: RFC 6464 audio-level on every audio packet
    (V set, about -9 dBov) and the media-source ``audioLevel``/``totalAudioEnergy``."""
    caller = RTCPeerConnection(addresses=LOOPBACK)
    callee = RTCPeerConnection(addresses=LOOPBACK)
    sine = SineTrack()
    caller.addTrack(sine)
    try:
        await signal(caller, callee)
        await wait_for_state(caller, "connectionState", "connected")
        (sender,) = [t.sender for t in caller.getTransceivers()]
        core = sender._core
        assert core is not None and core._audio_level_id is not None
        sent: list[bytes] = []
        original = core.datagrams_to_send

        def capture(now: float) -> list[bytes]:
            out = original(now)
            sent.extend(out)
            return out

        core.datagrams_to_send = capture  # type: ignore[method-assign]
        for _ in range(int(STEP * 100)):
            if len(sent) >= 20:
                break
            await asyncio.sleep(0.01)
        packets = [RtpPacket.parse(d) for d in sent if not 200 <= d[1] <= 204]  # not RTCP
        assert len(packets) >= 10
        levels = {decode_audio_level(p.extensions[core._audio_level_id]) for p in packets[2:]}
        assert levels == {(True, 9)}
        report = await caller.getStats()
        (source,) = report.of_type("media-source")
        expected = 16000 / 32767 / math.sqrt(2)
        assert source.audioLevel == pytest.approx(expected, rel=0.02)
        assert source.totalAudioEnergy == pytest.approx(
            expected**2 * source.totalSamplesDuration, rel=0.15
        )
    finally:
        sine.stop()
        await caller.close()
        await callee.close()
