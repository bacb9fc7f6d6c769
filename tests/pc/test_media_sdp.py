"""Audio/video m-sections in JSEP: offers, answers to a Chromium offer, codec and direction
negotiation, transceiver association and the sender/receiver API (no network needed)."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from pyrtc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from pyrtc.pc import (
    MediaError,
    RemoteStreamTrack,
    RTCPeerConnection,
    RTCRtpCodecParameters,
    RTCSessionDescription,
)
from pyrtc.pc.media_sdp import (
    RTP_PROTO,
    VIDEO_CODECS,
    answer_direction,
    match_codecs,
    remote_media,
)
from pyrtc.rtp import ABS_SEND_TIME, AUDIO_LEVEL, MID, TRANSPORT_CC
from pyrtc.sdp import Codec, FmtpParameters, RtcpFeedback, SessionDescription

from .helpers import LOOPBACK

FIXTURES = Path(__file__).parent.parent / "sdp" / "fixtures"


def chromium_offer() -> RTCSessionDescription:
    text = (FIXTURES / "chromium156_offer_audio_video_data.sdp").read_text()
    return RTCSessionDescription(text, "offer")


async def test_answer_to_chromium_keeps_its_payload_types() -> None:
    pc = RTCPeerConnection(addresses=LOOPBACK)
    tracks = []
    pc.on("track", tracks.append)
    try:
        await pc.setRemoteDescription(chromium_offer())
        assert sorted(t.kind for t in tracks) == ["audio", "video"]  # Chromium sends both
        answer = SessionDescription.parse((await pc.createAnswer()).sdp)
        audio, video, data = answer.media
        assert answer.bundle_groups == [("0", "1", "2")]
        assert (audio.port, video.port, data.port) == (9, 9, 9)
        assert audio.protocol == video.protocol == RTP_PROTO
        assert audio.formats == ["111", "0", "8"]
        assert [c.name for c in audio.codecs] == ["opus", "PCMU", "PCMA"]
        assert audio.codecs[0].parameters.get("useinbandfec") == "1"
        assert video.formats == ["96", "97", "102", "103"]
        vp8, rtx, h264, h264_rtx = video.codecs
        assert (vp8.name, rtx.rtx_apt, h264.name, h264_rtx.rtx_apt) == ("VP8", 96, "H264", 102)
        assert h264.parameters.get("packetization-mode") == "1"
        assert set(vp8.feedback) == {
            RtcpFeedback("transport-cc"),
            RtcpFeedback("ccm", "fir"),
            RtcpFeedback("nack"),
            RtcpFeedback("nack", "pli"),
        }  # goog-remb is offered but not ours
        assert [(e.id, e.uri) for e in audio.extmaps] == [
            (1, AUDIO_LEVEL),
            (2, ABS_SEND_TIME),
            (3, TRANSPORT_CC),
            (4, MID),
        ]
        assert [(e.id, e.uri) for e in video.extmaps] == [
            (2, ABS_SEND_TIME),
            (3, TRANSPORT_CC),
            (4, MID),
        ]
        assert audio.direction == video.direction == "recvonly"  # nothing to send
        assert audio.rtcp_mux and video.rtcp_rsize and not video.ssrcs
        assert [t.mid for t in pc.getTransceivers()] == ["0", "1"]
    finally:
        await pc.close()


async def test_answer_sends_tracks_added_after_the_offer() -> None:
    pc = RTCPeerConnection(addresses=LOOPBACK)
    try:
        await pc.setRemoteDescription(chromium_offer())
        video = VideoStreamTrack()
        sender = pc.addTrack(video)
        assert len(pc.getTransceivers()) == 2  # reused the offer's video transceiver
        answer = SessionDescription.parse((await pc.createAnswer()).sdp)
        section = answer.media[1]
        assert section.direction == "sendrecv" and answer.media[0].direction == "recvonly"
        (group,) = section.ssrc_groups
        assert group.semantics == "FID" and group.ssrcs == (sender.ssrc, sender.rtx_ssrc)
        assert section.msids[0].track_id == video.id
        assert section.ssrcs[sender.ssrc]["cname"] == sender.cname
        info = remote_media(section)
        assert (info.ssrc, info.rtx_ssrc) == (sender.ssrc, sender.rtx_ssrc)
    finally:
        await pc.close()


async def test_offer_sections_and_directions() -> None:
    pc = RTCPeerConnection(addresses=LOOPBACK)
    try:
        receive_only = pc.addTransceiver("video", "recvonly")
        audio = AudioStreamTrack()
        pc.addTrack(audio)
        offer = SessionDescription.parse((await pc.createOffer()).sdp)
        video_section, audio_section = offer.media
        assert (receive_only.mid, video_section.kind, audio_section.kind) == ("0", "video", "audio")
        assert offer.bundle_groups == [("0", "1")]
        assert video_section.direction == "recvonly" and not video_section.ssrcs
        assert video_section.formats == ["96", "97", "98", "99"]
        assert audio_section.direction == "sendrecv" and len(audio_section.ssrcs) == 1
        assert not audio_section.ssrc_groups  # no RTX for audio
        assert pc.getSenders()[1].track is audio and pc.getReceivers()[0].track.kind == "video"
    finally:
        await pc.close()


async def test_codec_preferences_and_stop() -> None:
    pc = RTCPeerConnection(addresses=LOOPBACK)
    try:
        transceiver = pc.addTransceiver("video")
        transceiver.setCodecPreferences(
            [
                RTCRtpCodecParameters("video/H264", 90000, 98),
                RTCRtpCodecParameters("video/rtx", 90000, 99),
            ]
        )
        offer = SessionDescription.parse((await pc.createOffer()).sdp)
        assert offer.media[0].formats == ["98", "99"]
        with pytest.raises(MediaError):
            transceiver.setCodecPreferences([RTCRtpCodecParameters("video/AV1", 90000, 45)])
        transceiver.setCodecPreferences([])
        assert SessionDescription.parse((await pc.createOffer()).sdp).media[0].formats == [
            "96",
            "97",
            "98",
            "99",
        ]
        transceiver.stop()
        assert transceiver.stopped and transceiver.currentDirection == "stopped"
        offer = SessionDescription.parse((await pc.createOffer()).sdp)
        assert offer.media[0].port == 0 and offer.bundle_groups == []
    finally:
        await pc.close()


async def test_pyrtc_offer_answer_directions() -> None:
    """sendonly offer -> recvonly answer; the current directions mirror each other."""
    a = RTCPeerConnection(addresses=LOOPBACK)
    b = RTCPeerConnection(addresses=LOOPBACK)
    try:
        a.addTransceiver(VideoStreamTrack(), "sendonly")
        await a.setLocalDescription(await a.createOffer())
        assert a.localDescription is not None
        await b.setRemoteDescription(a.localDescription)
        answer = await b.createAnswer()
        await b.setLocalDescription(answer)
        await a.setRemoteDescription(answer)
        (ours,) = a.getTransceivers()
        (theirs,) = b.getTransceivers()
        assert SessionDescription.parse(answer.sdp).media[0].direction == "recvonly"
        assert (ours.currentDirection, theirs.currentDirection) == ("sendonly", "recvonly")
        assert theirs.mid == ours.mid == "0"
    finally:
        await a.close()
        await b.close()


async def test_sender_parameters_and_replace_track() -> None:
    pc = RTCPeerConnection(addresses=LOOPBACK)
    try:
        sender = pc.addTrack(VideoStreamTrack())
        parameters = sender.getParameters()
        assert parameters.encodings[0].ssrc == sender.ssrc
        parameters.encodings[0].maxBitrate = 300_000
        await sender.setParameters(parameters)
        assert sender.getParameters().encodings[0].maxBitrate == 300_000
        with pytest.raises(MediaError):
            await sender.replaceTrack(AudioStreamTrack())
        other = VideoStreamTrack()
        await sender.replaceTrack(other)
        assert sender.track is other
        with pytest.raises(MediaError):
            pc.addTransceiver("text")
    finally:
        await pc.close()


@pytest.mark.parametrize(
    ("offered", "wanted", "answered"),
    [
        ("sendrecv", "sendrecv", "sendrecv"),
        ("sendrecv", "recvonly", "recvonly"),
        ("sendonly", "sendrecv", "recvonly"),
        ("recvonly", "sendrecv", "sendonly"),
        ("recvonly", "recvonly", "inactive"),
        ("inactive", "sendrecv", "inactive"),
        ("sendrecv", "inactive", "inactive"),
    ],
)
def test_answer_direction(offered: str, wanted: str, answered: str) -> None:
    """RFC 3264 section 6.1."""
    assert answer_direction(offered, wanted) == answered


def test_match_codecs_rules() -> None:
    h264_mode0 = Codec(100, "H264", 90000, None, FmtpParameters([("packetization-mode", "0")]))
    high = Codec(
        101,
        "H264",
        90000,
        None,
        FmtpParameters([("packetization-mode", "1"), ("profile-level-id", "640c1f")]),
    )
    vp8 = Codec(120, "vp8", 90000, None, FmtpParameters(), (RtcpFeedback("nack"),))
    orphan_rtx = Codec(121, "rtx", 90000, None, FmtpParameters([("apt", "100")]))
    matched = match_codecs(VIDEO_CODECS, [h264_mode0, high, vp8, orphan_rtx])
    assert [(c.payload_type, c.name) for c in matched] == [(120, "vp8")]
    assert matched[0].feedback == (RtcpFeedback("nack"),)  # only what both sides have


async def test_remote_track_queue_is_bounded() -> None:
    track = RemoteStreamTrack("video")
    frames = [av.VideoFrame(16, 16, "yuv420p") for _ in range(track.max_queued + 3)]
    for frame in frames:
        track._put(frame)
    assert track.frames_dropped == 3
    assert await track.recv() is frames[3]  # the oldest three made room
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()
