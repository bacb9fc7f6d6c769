"""Real SDP (Chromium 156, Firefox 153, GStreamer webrtcbin): exact round trip, typed values.

The fixtures are copies of /work/shared/fixtures/sdp (``.gitattributes`` keeps their CRLF).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pyrtc.ice import Candidate
from pyrtc.sdp import (
    Attribute,
    CandidateAttribute,
    ExtMap,
    Fingerprint,
    Fmtp,
    FmtpParameters,
    MediaDescription,
    MsidSemantic,
    RtcpFeedback,
    SessionDescription,
    SsrcGroup,
    UnknownAttribute,
)

FIXTURES = Path(__file__).parent / "fixtures"
PATHS = sorted(FIXTURES.glob("*.sdp"))
OFFER = "chromium156_offer_audio_video_data.sdp"
CHROMIUM_FINGERPRINT = (
    "3E:C9:2F:0C:CC:F3:FA:30:7A:38:8F:CF:EE:45:12:BA:"
    "5C:E4:3E:38:CB:6D:D3:3E:D8:54:1B:FB:9B:AF:CB:D4"
)


def load(name: str) -> tuple[str, SessionDescription]:
    text = (FIXTURES / name).read_bytes().decode()
    return text, SessionDescription.parse(text)


def all_attributes(description: SessionDescription) -> list[Attribute]:
    return description.attributes + [a for m in description.media for a in m.attributes]


def test_fixtures_present() -> None:
    assert [path.name for path in PATHS] == [
        "chromium156_answer_audio_video_data.sdp",
        "chromium156_offer_audio_video_data.sdp",
        "firefox153_offer.sdp",
        "gstreamer122_webrtcbin_answer.sdp",
    ]


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_round_trip_is_byte_exact(path: Path) -> None:
    text = path.read_bytes().decode()
    assert "\r\n" in text
    description = SessionDescription.parse(text)
    assert description.serialize() == text
    assert str(description) == text
    # bytes input and LF input parse to the same value; output is always CRLF
    assert SessionDescription.parse(path.read_bytes()) == description
    assert SessionDescription.parse(text.replace("\r\n", "\n")).serialize() == text


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_every_line_is_typed_except_rtcp_xr(path: Path) -> None:
    description = SessionDescription.parse(path.read_bytes())
    unknown = {a.name for a in all_attributes(description) if isinstance(a, UnknownAttribute)}
    assert unknown <= {"rtcp-xr"}


@pytest.mark.parametrize("path", PATHS, ids=[path.stem for path in PATHS])
def test_canonical_form_matches_the_browser_except_msid_semantic(path: Path) -> None:
    """The typed fields alone rebuild every line: they lose no information."""
    description = SessionDescription.parse(path.read_bytes())
    for attribute in all_attributes(description):
        rebuilt = dataclasses.replace(attribute)  # drops the remembered received text
        if isinstance(attribute, MsidSemantic):
            # Chromium writes "msid-semantic: WMS", RFC 8830 has no space after the colon
            assert attribute.to_line().replace(": ", ":", 1) == rebuilt.to_line()
        else:
            assert rebuilt.to_line() == attribute.to_line()
    for media in description.media:
        rebuilt_media = dataclasses.replace(media)
        assert rebuilt_media.to_lines() == media.to_lines()


def test_chromium_offer_session_level() -> None:
    _, offer = load("chromium156_offer_audio_video_data.sdp")
    assert offer.origin.username == "-"
    assert offer.origin.session_id == 193577659811952973
    assert offer.origin.session_version == 2
    assert offer.origin.address == "127.0.0.1"
    assert offer.name == "-"
    assert [(t.start, t.stop) for t in offer.timings] == [(0, 0)]
    assert offer.bundle_groups == [("0", "1", "2")]
    assert offer.extmap_allow_mixed
    (semantic,) = offer.msid_semantics
    assert semantic.semantic == "WMS"
    assert semantic.identifiers == ("c411a58c-1ae3-4fc1-a8b0-d8981b3fca63",)
    assert semantic.value == " WMS c411a58c-1ae3-4fc1-a8b0-d8981b3fca63"
    assert [m.mid for m in offer.media] == ["0", "1", "2"]
    assert [m.kind for m in offer.media] == ["audio", "video", "application"]
    assert offer.media[0].port == 46071
    assert offer.media[0].protocol == "UDP/TLS/RTP/SAVPF"
    assert offer.media[0].formats == ["111", "63", "9", "0", "8", "13", "110", "126"]


def test_chromium_offer_audio() -> None:
    _, offer = load("chromium156_offer_audio_video_data.sdp")
    audio = offer.media[0]
    assert [(c.nettype, c.addrtype, c.address) for c in audio.connections] == [
        ("IN", "IP4", "127.0.0.1")
    ]
    rtcp = audio.rtcp
    assert rtcp is not None
    assert (rtcp.port, rtcp.nettype, rtcp.addrtype, rtcp.address) == (9, "IN", "IP4", "0.0.0.0")
    assert audio.rtcp_mux and audio.rtcp_rsize
    assert audio.direction == "sendrecv"
    assert audio.ice_ufrag == "Tg/C"
    assert audio.ice_pwd == "mT95SK8B9bnyTog7SeRflQ29"
    assert audio.ice_options == ("trickle",)
    assert audio.setup == "actpass"
    assert [(f.hash_function, f.fingerprint) for f in audio.fingerprints] == [
        ("sha-256", CHROMIUM_FINGERPRINT)
    ]
    assert audio.fingerprints[0].digest == bytes.fromhex(CHROMIUM_FINGERPRINT.replace(":", ""))
    assert [(e.id, e.uri, e.direction) for e in audio.extmaps] == [
        (1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", None),
        (2, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", None),
        (3, "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01", None),
        (4, "urn:ietf:params:rtp-hdrext:sdes:mid", None),
    ]
    codecs = audio.codecs
    assert [(c.payload_type, c.name, c.clock_rate, c.channels) for c in codecs] == [
        (111, "opus", 48000, 2),
        (63, "red", 48000, 2),
        (9, "G722", 8000, None),
        (0, "PCMU", 8000, None),
        (8, "PCMA", 8000, None),
        (13, "CN", 8000, None),
        (110, "telephone-event", 48000, None),
        (126, "telephone-event", 8000, None),
    ]
    opus = codecs[0]
    assert dict(opus.parameters) == {"minptime": "10", "useinbandfec": "1"}
    assert opus.feedback == (RtcpFeedback("transport-cc"),)
    assert codecs[1].parameters.pairs() == (("111/111", None),)
    (msid,) = audio.msids
    assert msid.stream_id == "c411a58c-1ae3-4fc1-a8b0-d8981b3fca63"
    assert msid.track_id == "413ae440-5e4e-4e48-ad41-872a2c7b461c"
    assert audio.ssrcs == {
        3913685565: {
            "cname": "uAPoWv8y0Ss5guKT",
            "msid": "c411a58c-1ae3-4fc1-a8b0-d8981b3fca63 413ae440-5e4e-4e48-ad41-872a2c7b461c",
        }
    }
    (candidate,) = audio.candidates
    assert candidate == Candidate(
        foundation="1395587219",
        component=1,
        transport="udp",
        priority=2122260223,
        address="127.0.0.1",
        port=46071,
        type="host",
        generation=0,
        network_id=1,
        network_cost=50,
    )
    assert not audio.end_of_candidates
    assert [a.name for a in audio.find_named("rtcp-xr")] == ["rtcp-xr"]
    assert audio.find_named("rtcp-xr")[0].value == "rcvr-rtt=all"


def test_chromium_offer_video_codecs() -> None:
    _, offer = load("chromium156_offer_audio_video_data.sdp")
    video = offer.media[1]
    codecs = {codec.payload_type: codec for codec in video.codecs}
    assert [c.payload_type for c in video.codecs] == [int(f) for f in video.formats]
    assert len(codecs) == 23
    full_feedback = (
        RtcpFeedback("goog-remb"),
        RtcpFeedback("transport-cc"),
        RtcpFeedback("ccm", "fir"),
        RtcpFeedback("nack"),
        RtcpFeedback("nack", "pli"),
    )
    vp8 = codecs[96]
    assert (vp8.name, vp8.clock_rate, vp8.channels) == ("VP8", 90000, None)
    assert vp8.feedback == full_feedback
    assert vp8.parameters == FmtpParameters()
    h264 = codecs[102]
    assert h264.name == "H264"
    assert h264.feedback == full_feedback
    assert list(h264.parameters.items()) == [
        ("level-asymmetry-allowed", "1"),
        ("packetization-mode", "1"),
        ("profile-level-id", "42001f"),
    ]
    assert codecs[104].parameters["packetization-mode"] == "0"
    assert codecs[45].name == "AV1"
    assert dict(codecs[45].parameters) == {"level-idx": "5", "profile": "0", "tier": "0"}
    assert codecs[98].parameters["profile-id"] == "0"
    assert codecs[100].parameters["profile-id"] == "2"
    # rtx apt mapping: every rtx payload type retransmits the codec listed before it
    rtx = {c.payload_type: c.rtx_apt for c in video.codecs if c.mime_subtype == "rtx"}
    assert rtx == {
        97: 96,
        103: 102,
        107: 104,
        109: 108,
        115: 114,
        117: 116,
        40: 39,
        46: 45,
        99: 98,
        101: 100,
        119: 118,
    }
    assert codecs[97].feedback == ()
    assert vp8.rtx_apt is None
    assert (codecs[118].name, codecs[120].name) == ("red", "ulpfec")
    (group,) = video.ssrc_groups
    assert (group.semantics, group.ssrcs) == ("FID", (991105109, 3658408329))
    assert list(video.ssrcs) == [991105109, 3658408329]
    assert video.ssrcs[3658408329]["cname"] == "uAPoWv8y0Ss5guKT"
    assert [(e.id, e.uri) for e in video.extmaps][:3] == [
        (14, "urn:ietf:params:rtp-hdrext:toffset"),
        (2, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
        (13, "urn:3gpp:video-orientation"),
    ]
    assert len(video.extmaps) == 11
    assert video.extmaps[-1].uri == "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"


def test_chromium_offer_data_channel() -> None:
    _, offer = load("chromium156_offer_audio_video_data.sdp")
    data = offer.media[2]
    assert (data.kind, data.port, data.protocol, data.formats) == (
        "application",
        36549,
        "UDP/DTLS/SCTP",
        ["webrtc-datachannel"],
    )
    assert data.codecs == []
    assert data.sctp_port == 5000
    assert data.max_message_size == 262144
    assert data.direction is None
    assert offer.effective_direction(data) == "sendrecv"
    assert len(data.candidates) == 1


def test_chromium_answer() -> None:
    _, answer = load("chromium156_answer_audio_video_data.sdp")
    audio, video, data = answer.media
    assert answer.origin.session_id == 921485634320271573
    assert [m.setup for m in answer.media] == ["active", "active", "active"]
    assert answer.msid_semantics[0].identifiers == ()
    assert answer.msid_semantics[0].to_line() == "a=msid-semantic: WMS"
    credentials = {answer.effective_ice_credentials(m) for m in answer.media}
    assert {(c.ufrag, c.password) for c in credentials if c} == {
        ("EXYw", "1Olma33HRJjLqCq9Qal6H9EO")
    }
    assert [m.direction for m in answer.media] == ["recvonly", "recvonly", None]
    assert [m.port for m in answer.media] == [34422, 9, 9]
    # only the first (bundled) section carries the candidate
    assert [len(m.candidates) for m in answer.media] == [1, 0, 0]
    assert audio.candidates[0].foundation == "1461261532"
    assert audio.msids == [] and audio.ssrcs == {} and video.ssrc_groups == []
    assert [c.payload_type for c in video.codecs] == [int(f) for f in video.formats]
    assert {c.payload_type: c.rtx_apt for c in video.codecs if c.rtx_apt} == {
        c.payload_type: c.rtx_apt for c in load(OFFER)[1].media[1].codecs if c.rtx_apt
    }
    assert [f.fingerprint[:11] for f in answer.effective_fingerprints(data)] == ["AF:D0:E6:01"]
    assert data.sctp_port == 5000
    assert data.max_message_size == 262144


def test_firefox_offer() -> None:
    _, offer = load("firefox153_offer.sdp")
    assert offer.origin.username == "mozilla...THIS_IS_SDPARTA-99.0"
    assert offer.origin.session_id == 7781395292511849459
    assert offer.origin.address == "0.0.0.0"
    # session-level direction, fingerprint and ice-options
    assert offer.direction == "sendrecv"
    assert offer.ice_options == ("trickle",)
    assert offer.msid_semantics[0].identifiers == ("*",)
    audio, video, data = offer.media
    assert audio.fingerprints == []
    (fingerprint,) = offer.effective_fingerprints(audio)
    assert fingerprint.hash_function == "sha-256"
    assert fingerprint.fingerprint.startswith("D2:19:4E:38")
    assert offer.effective_ice_options(audio) == ("trickle",)
    assert offer.effective_ice_credentials(video) == offer.effective_ice_credentials(audio)
    credentials = offer.effective_ice_credentials(data)
    assert credentials is not None
    assert (credentials.ufrag, credentials.password) == (
        "583308b4",
        "19b000620ddd5f8f6c565b7b548197f1",
    )
    # candidates: 8 in audio, UDP spelled upper case and kept so
    assert len(audio.candidates) == 8
    assert [c.transport for c in audio.candidates] == ["udp", "udp", "tcp", "tcp"] * 2
    assert [c.component for c in audio.candidates] == [1] * 4 + [2] * 4
    assert audio.candidates[2].tcptype == "active"
    assert str(audio.candidates[1].address) == "::1"
    lines = [a.to_line() for a in audio.find(CandidateAttribute)]
    assert lines[0] == "a=candidate:0 1 UDP 2122187007 127.0.0.1 40388 typ host"
    assert audio.end_of_candidates
    assert not video.end_of_candidates and video.candidates == []
    # extmap with direction
    recvonly = [e for e in audio.extmaps if e.direction is not None]
    assert [(e.id, e.direction, e.uri) for e in recvonly] == [
        (2, "recvonly", "urn:ietf:params:rtp-hdrext:csrc-audio-level")
    ]
    assert (
        recvonly[0].to_line() == "a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level"
    )
    assert [(e.id, e.direction) for e in video.extmaps if e.direction] == [(6, "recvonly")]
    assert audio.has_flag("extmap-allow-mixed") and not offer.extmap_allow_mixed
    # codecs: fmtp lines come before the rtpmap lines and are still joined
    codecs = audio.codecs
    assert [(c.payload_type, c.name, c.clock_rate, c.channels) for c in codecs] == [
        (109, "opus", 48000, 2),
        (9, "G722", 8000, 1),
        (0, "PCMU", 8000, None),
        (8, "PCMA", 8000, None),
        (101, "telephone-event", 8000, None),
    ]
    assert dict(codecs[0].parameters) == {
        "maxplaybackrate": "48000",
        "stereo": "1",
        "useinbandfec": "1",
    }
    assert dict(codecs[4].parameters) == {"0-15": None}
    assert [c.feedback for c in codecs[:4]] == [(RtcpFeedback("transport-cc"),)] * 4
    video_codecs = {c.payload_type: c for c in video.codecs}
    assert [c.payload_type for c in video.codecs] == [120, 124, 121, 125, 99, 100, 123, 122, 119]
    assert {pt: c.rtx_apt for pt, c in video_codecs.items() if c.name == "rtx"} == {
        124: 120,
        125: 121,
        100: 99,
        119: 122,
    }
    assert video_codecs[120].parameters == FmtpParameters({"max-fs": "12288", "max-fr": "60"})
    assert len(video_codecs[99].feedback) == 5
    # ssrc-group after the ssrc lines
    assert video.ssrc_groups == [SsrcGroup("FID", (1853344820, 2797927172))]
    assert audio.msids[0].stream_id == "{880a35bb-db21-4896-a17c-e5a2bf510ab2}"
    assert data.sctp_port == 5000
    assert data.max_message_size == 1073741823
    assert data.direction == "sendrecv"


def test_webrtcbin_answer() -> None:
    _, answer = load("gstreamer122_webrtcbin_answer.sdp")
    assert answer.origin.session_version == 0
    assert answer.ice_options == ("trickle",)
    assert answer.bundle_groups == [("0", "1", "2")]
    audio, video, data = answer.media
    assert [m.port for m in answer.media] == [9, 9, 9]
    assert [m.direction for m in answer.media] == ["recvonly", "recvonly", None]
    assert [answer.effective_direction(m) for m in answer.media] == [
        "recvonly",
        "recvonly",
        "sendrecv",
    ]
    assert [m.setup for m in answer.media] == ["active"] * 3
    (opus,) = audio.codecs
    assert (opus.name, opus.mime_subtype, opus.clock_rate, opus.channels) == (
        "OPUS",
        "opus",
        48000,
        2,
    )
    (vp8,) = video.codecs
    assert [(fb.type, fb.parameter) for fb in vp8.feedback] == [
        ("nack", "pli"),
        ("ccm", "fir"),
        ("transport-cc", None),
    ]
    # webrtcbin puts the fingerprint after the direction and the candidate last
    assert [a.name for a in audio.attributes][-3:] == ["recvonly", "fingerprint", "candidate"]
    assert audio.candidates[0].priority == 2015363327
    assert video.candidates == [] and data.candidates == []
    assert data.sctp_port == 5000 and data.max_message_size is None
    assert all(len(m.fingerprints) == 1 for m in answer.media)
    assert answer.effective_setup(data) == "active"


def test_modifying_a_parsed_description() -> None:
    _, offer = load("chromium156_offer_audio_video_data.sdp")
    audio = offer.media[0]
    audio.port = 9
    audio.attributes = [a for a in audio.attributes if not isinstance(a, CandidateAttribute)]
    index = next(i for i, a in enumerate(audio.attributes) if isinstance(a, Fmtp))
    fmtp = audio.attributes[index]
    assert isinstance(fmtp, Fmtp)
    audio.attributes[index] = dataclasses.replace(
        fmtp, parameters=FmtpParameters((*fmtp.parameters.pairs(), ("stereo", "1")))
    )
    out = offer.serialize()
    assert "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n" in out
    assert "a=fmtp:111 minptime=10;useinbandfec=1;stereo=1\r\n" in out
    assert out.count("a=candidate:") == 2
    again = SessionDescription.parse(out)
    assert again == offer
    assert again.media[0].codecs[0].parameters["stereo"] == "1"


def test_session_level_values_compare_by_value() -> None:
    _, offer = load("chromium156_offer_audio_video_data.sdp")
    _, again = load("chromium156_offer_audio_video_data.sdp")
    assert offer == again
    assert offer.media[0] == again.media[0]
    assert offer.media[0] != offer.media[1]
    again.media[1].formats.pop()
    assert offer != again
    assert isinstance(offer.media[0], MediaDescription)
    assert isinstance(offer.media[0].first(ExtMap), ExtMap)
    assert offer.media[2].first(Fingerprint) == Fingerprint("sha-256", CHROMIUM_FINGERPRINT)
