"""Audio/video m-sections in JSEP: offers, answers to a Chromium offer, codec and direction
negotiation, transceiver association and the sender/receiver API (no network needed)."""

from __future__ import annotations

import re
from pathlib import Path

import av
import pytest

from pyrtc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from pyrtc.pc import (
    MediaError,
    RemoteStreamTrack,
    RTCPeerConnection,
    RTCRtpCodecParameters,
    RTCRtpTransceiver,
    RTCSessionDescription,
    media_sdp,
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

from .helpers import LOOPBACK, signal

FIXTURES = Path(__file__).parent.parent / "sdp" / "fixtures"


def chromium_offer() -> RTCSessionDescription:
    text = (FIXTURES / "chromium156_offer_audio_video_data.sdp").read_text()
    return RTCSessionDescription(text, "offer")


async def test_answer_to_chromium_keeps_its_payload_types() -> None:
    pc = RTCPeerConnection(addresses=LOOPBACK)
    tracks: list[RemoteStreamTrack] = []
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
        # ours in our order (VP8, H.264, VP9, AV1), Chromium's numbers: VP9 profile 0 is its 98
        assert video.formats == ["96", "97", "102", "103", "98", "99", "45", "46"]
        vp8, rtx, h264, h264_rtx, vp9, vp9_rtx, av1, av1_rtx = video.codecs
        assert (vp8.name, rtx.rtx_apt, h264.name, h264_rtx.rtx_apt) == ("VP8", 96, "H264", 102)
        assert (vp9.name, vp9_rtx.rtx_apt, av1.name, av1_rtx.rtx_apt) == ("VP9", 98, "AV1", 45)
        assert vp9.parameters.format() == "profile-id=0"
        assert av1.parameters.format() == "level-idx=5;profile=0;tier=0"
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
        assert video_section.formats == ["96", "97", "98", "99", "100", "101", "45", "46"]
        assert [c.name for c in video_section.codecs[::2]] == ["VP8", "H264", "VP9", "AV1"]
        assert [c.rtx_apt for c in video_section.codecs[1::2]] == [96, 98, 100, 45]
        vp9, av1 = video_section.codecs[4], video_section.codecs[6]
        assert vp9.parameters.format() == "profile-id=0"
        assert av1.parameters.format() == "level-idx=5;profile=0;tier=0"
        assert vp9.feedback == av1.feedback == video_section.codecs[0].feedback
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
            transceiver.setCodecPreferences([RTCRtpCodecParameters("video/H265", 90000, 49)])
        transceiver.setCodecPreferences([])
        assert SessionDescription.parse((await pc.createOffer()).sdp).media[0].formats == [
            "96",
            "97",
            "98",
            "99",
            "100",
            "101",
            "45",
            "46",
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


@pytest.mark.parametrize(
    ("preferences", "answered"),
    [
        (["VP9", "rtx"], [(98, "VP9"), (99, 98)]),
        (["AV1", "rtx"], [(45, "AV1"), (46, 45)]),
        (["AV1", "VP9"], [(45, "AV1"), (98, "VP9")]),
        (
            ["VP9", "AV1", "VP8", "rtx"],
            [(98, "VP9"), (99, 98), (45, "AV1"), (46, 45), (96, "VP8"), (97, 96)],
        ),
    ],
)
async def test_answer_to_chromium_with_preferred_codecs(
    preferences: list[str], answered: list[tuple[int, str | int]]
) -> None:
    """The answerer's codec preferences pick and order the codecs of Chromium's offer: VP9
    is its profile-0 format (98, not the profile-2 100), AV1 its 45; an RTX format (named by
    payload type and the ``apt`` it repairs) follows its codec only when rtx is preferred."""
    pc = RTCPeerConnection(addresses=LOOPBACK)
    try:
        transceiver = pc.addTransceiver("video", "recvonly")
        transceiver.setCodecPreferences(
            [RTCRtpCodecParameters(f"video/{name}", 90000, 0) for name in preferences]
        )
        await pc.setRemoteDescription(chromium_offer())
        assert transceiver.mid == "1"  # the offer's video section took our transceiver
        answer = SessionDescription.parse((await pc.createAnswer()).sdp)
        video = answer.media[1]
        assert video.port == 9
        assert [
            (c.payload_type, c.rtx_apt if c.name == "rtx" else c.name) for c in video.codecs
        ] == answered
        fmtp = {c.name: c.parameters.format() for c in video.codecs}
        assert fmtp.get("VP9", "profile-id=0") == "profile-id=0"
        assert fmtp.get("AV1", "level-idx=5;profile=0;tier=0") == "level-idx=5;profile=0;tier=0"
    finally:
        await pc.close()


async def test_preferences_set_after_the_offer_decide_the_answer() -> None:
    """As in browsers, preferences set between setRemoteDescription(offer) and createAnswer
    pick the answer's codecs (RFC 9429 section 5.3.1); none in common rejects the section."""
    pc = RTCPeerConnection(addresses=LOOPBACK)
    try:
        await pc.setRemoteDescription(chromium_offer())
        (video,) = [t for t in pc.getTransceivers() if t.kind == "video"]
        video.setCodecPreferences([RTCRtpCodecParameters("video/VP9", 90000, 0)])
        answer = SessionDescription.parse((await pc.createAnswer()).sdp)
        assert [(c.payload_type, c.name) for c in answer.media[1].codecs] == [(98, "VP9")]
        assert video.receiver._codecs[0].name == "VP9"
    finally:
        await pc.close()

    offerer, answerer = RTCPeerConnection(addresses=LOOPBACK), RTCPeerConnection(addresses=LOOPBACK)
    try:
        offered = offerer.addTransceiver("video", "sendrecv")
        offered.setCodecPreferences([RTCRtpCodecParameters("video/VP8", 90000, 96)])
        await answerer.setRemoteDescription(await offerer.createOffer())
        (video,) = answerer.getTransceivers()
        video.setCodecPreferences([RTCRtpCodecParameters("video/H264", 90000, 98)])
        answer = SessionDescription.parse((await answerer.createAnswer()).sdp)
        assert answer.media[0].port == 0  # no codec in common: rejected
        video.setCodecPreferences([])  # our defaults again: VP8 is common, it is accepted
        answer = SessionDescription.parse((await answerer.createAnswer()).sdp)
        assert answer.media[0].port != 0
        assert [c.name for c in answer.media[0].codecs][:1] == ["VP8"]
    finally:
        await offerer.close()
        await answerer.close()


def _video(payload_type: int, name: str, **fmtp: str) -> Codec:
    return Codec(payload_type, name, 90000, None, FmtpParameters(list(fmtp.items())))


def _rtx(payload_type: int, apt: int) -> Codec:
    return Codec(payload_type, "rtx", 90000, None, FmtpParameters([("apt", str(apt))]))


def test_match_codecs_vp9_and_av1_profiles() -> None:
    """VP9 matches only profile 0 (RFC 9628 section 6), AV1 only profile 0 (AV1 RTP payload
    format section 7.2); an absent parameter means 0. RTX formats keep their own payload
    types and follow the codec their ``apt`` names; the RTX of a refused format is dropped."""
    vp9_only = tuple(c for c in VIDEO_CODECS if c.name in ("VP9", "rtx") and c.payload_type > 99)
    av1_only = tuple(c for c in VIDEO_CODECS if c.name == "AV1" or c.rtx_apt == 45)
    offered = [
        _video(110, "VP9", **{"profile-id": "2"}),
        _rtx(111, 110),
        _video(112, "VP9", **{"profile-id": "0"}),
        _rtx(113, 112),
    ]
    assert [(c.payload_type, c.name) for c in match_codecs(vp9_only, offered)] == [
        (112, "VP9"),
        (113, "rtx"),
    ]
    assert match_codecs(vp9_only, offered[:2]) == []
    assert [c.payload_type for c in match_codecs(vp9_only, [_video(120, "vp9")])] == [120]
    offered = [
        _video(40, "AV1", profile="1"),
        _rtx(41, 40),
        _video(42, "AV1", profile="2"),
        _video(43, "AV1", profile="0", **{"level-idx": "8"}),
        _rtx(44, 43),
    ]
    matched = match_codecs(av1_only, offered)
    assert [(c.payload_type, c.rtx_apt) for c in matched] == [(43, None), (44, 43)]
    assert matched[0].parameters.get("level-idx") == "8"  # the offerer's parameters kept
    assert match_codecs(av1_only, offered[:3]) == []
    assert [c.payload_type for c in match_codecs(av1_only, [_video(35, "AV1")])] == [35]


def test_av1_left_out_without_an_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """An FFmpeg without SVT-AV1 (or without an AV1 decoder): AV1 is neither offered nor
    answered, and preferring it is refused; the other codecs keep their payload types."""
    monkeypatch.setattr(media_sdp, "can_encode", lambda name: name != "AV1")
    codecs = media_sdp._video_codecs()
    assert [(c.payload_type, c.name) for c in codecs if c.name != "rtx"] == [
        (96, "VP8"),
        (98, "H264"),
        (100, "VP9"),
    ]
    monkeypatch.setattr(media_sdp, "can_encode", lambda name: True)
    monkeypatch.setattr(media_sdp, "can_decode", lambda name: name != "AV1")
    assert "AV1" not in [c.name for c in media_sdp._video_codecs()]
    monkeypatch.setattr(media_sdp, "VIDEO_CODECS", codecs)
    transceiver = RTCRtpTransceiver("video", "sendrecv", None)
    with pytest.raises(MediaError):
        transceiver.setCodecPreferences([RTCRtpCodecParameters("video/AV1", 90000, 45)])
    offered = [_video(45, "AV1"), _rtx(46, 45), _video(98, "VP9"), _rtx(99, 98)]
    assert [c.payload_type for c in match_codecs(media_sdp.local_codecs("video"), offered)] == [
        98,
        99,
    ]


async def test_section_rejected_in_a_later_answer_is_inactive() -> None:
    """A renegotiation whose answer rejects a section that was active (preferences set after
    the offer leave no codec in common) makes that transceiver's current direction inactive."""
    offerer, answerer = RTCPeerConnection(addresses=LOOPBACK), RTCPeerConnection(addresses=LOOPBACK)
    try:
        offered = offerer.addTransceiver("video", "sendrecv")
        offered.setCodecPreferences([RTCRtpCodecParameters("video/VP8", 90000, 96)])
        await signal(offerer, answerer)
        (video,) = answerer.getTransceivers()
        assert video.currentDirection == "recvonly"
        await answerer.setRemoteDescription(await offerer.createOffer())
        video.setCodecPreferences([RTCRtpCodecParameters("video/H264", 90000, 98)])
        answer = await answerer.createAnswer()
        assert SessionDescription.parse(answer.sdp).media[0].port == 0
        await answerer.setLocalDescription(answer)
        assert video.currentDirection == "inactive"
    finally:
        await offerer.close()
        await answerer.close()


async def test_answer_order_keeps_rtx_after_its_codec() -> None:
    """The answerer's format order decides which codec we send (RFC 3264 section 6.1), but an
    RTX format listed before its codec is never taken for the codec itself."""
    offerer, answerer = RTCPeerConnection(addresses=LOOPBACK), RTCPeerConnection(addresses=LOOPBACK)
    try:
        transceiver = offerer.addTransceiver("video", "sendrecv")
        transceiver.setCodecPreferences(
            [
                RTCRtpCodecParameters("video/VP8", 90000, 96),
                RTCRtpCodecParameters("video/rtx", 90000, 97),
                RTCRtpCodecParameters("video/H264", 90000, 98),
            ]
        )
        await offerer.setLocalDescription(await offerer.createOffer())
        assert offerer.localDescription is not None
        await answerer.setRemoteDescription(offerer.localDescription)
        answer = (await answerer.createAnswer()).sdp
        reordered = re.sub(r"(m=video \S+ \S+) 96 97 98\r", "\\1 97 98 96\r", answer)
        assert reordered != answer
        await offerer.setRemoteDescription(RTCSessionDescription(reordered, "answer"))
        codecs = transceiver.sender.getParameters().codecs
        # the answer lists 97 (VP8's RTX), 98 (H.264), 96 (VP8): H.264 comes first
        assert [(c.payloadType, c.mimeType) for c in codecs] == [
            (98, "video/H264"),
            (96, "video/VP8"),
            (97, "video/rtx"),
        ]
        assert transceiver.receiver._codecs[0].name == "H264"
    finally:
        await offerer.close()
        await answerer.close()
