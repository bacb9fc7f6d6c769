"""Typed attributes: parsing each WebRTC attribute, canonical form, and malformed values."""

from __future__ import annotations

import dataclasses

import pytest

from pyrtc.ice import Candidate
from pyrtc.sdp import (
    Attribute,
    CandidateAttribute,
    Direction,
    ExtMap,
    Fingerprint,
    Flag,
    Fmtp,
    FmtpParameters,
    Framerate,
    Group,
    IceOptions,
    IcePwd,
    IceUfrag,
    Identity,
    Label,
    MaxMessageSize,
    MaxPtime,
    Mid,
    Msid,
    MsidSemantic,
    Ptime,
    Rid,
    Rtcp,
    RtcpFb,
    RtpMap,
    SctpMap,
    SctpPort,
    SdpError,
    Setup,
    Simulcast,
    SimulcastStream,
    Ssrc,
    SsrcGroup,
    TlsId,
    UnknownAttribute,
    parse_attribute,
)

S = SimulcastStream

CASES: list[tuple[str, Attribute]] = [
    ("mid:audio", Mid("audio")),
    ("ice-ufrag:Tg/C", IceUfrag("Tg/C")),
    ("ice-pwd:mT95SK8B9bnyTog7SeRflQ29", IcePwd("mT95SK8B9bnyTog7SeRflQ29")),
    ("ice-options:trickle ice2", IceOptions(("trickle", "ice2"))),
    ("ice-lite", Flag("ice-lite")),
    ("end-of-candidates", Flag("end-of-candidates")),
    ("rtcp-mux", Flag("rtcp-mux")),
    ("rtcp-mux-only", Flag("rtcp-mux-only")),
    ("rtcp-rsize", Flag("rtcp-rsize")),
    ("extmap-allow-mixed", Flag("extmap-allow-mixed")),
    ("bundle-only", Flag("bundle-only")),
    ("sendrecv", Direction("sendrecv")),
    ("sendonly", Direction("sendonly")),
    ("recvonly", Direction("recvonly")),
    ("inactive", Direction("inactive")),
    ("setup:actpass", Setup("actpass")),
    ("setup:holdconn", Setup("holdconn")),
    # RFC 8122 section 5 example
    (
        "fingerprint:sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB",
        Fingerprint("sha-1", "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB"),
    ),
    ("tls-id:abc3de65cddef001be82", TlsId("abc3de65cddef001be82")),
    (
        "identity:eyJpZHAiOnsiZG9tYWluIjoiZXhhbXBsZS5vcmcifX0=",
        Identity("eyJpZHAiOnsiZG9tYWluIjoiZXhhbXBsZS5vcmcifX0="),
    ),
    ("label:main audio", Label("main audio")),
    ("group:BUNDLE 0 1 2", Group("BUNDLE", ("0", "1", "2"))),
    ("group:LS a v", Group("LS", ("a", "v"))),
    ("group:BUNDLE", Group("BUNDLE")),
    ("msid-semantic:WMS *", MsidSemantic("WMS", ("*",))),
    ("msid:stream track", Msid("stream", "track")),
    ("msid:{a-b}", Msid("{a-b}")),
    ("msid:- track", Msid("-", "track")),
    (
        "extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        ExtMap(1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
    ),
    ("extmap:2/recvonly urn:x", ExtMap(2, "urn:x", "recvonly")),
    # RFC 8285 section 8 style: extension attributes after the URI
    (
        "extmap:20/sendonly urn:example:ext attr1 attr2",
        ExtMap(20, "urn:example:ext", "sendonly", "attr1 attr2"),
    ),
    ("extmap:4096 urn:x", ExtMap(4096, "urn:x")),
    ("rtcp:9 IN IP4 0.0.0.0", Rtcp(9, "IN", "IP4", "0.0.0.0")),
    ("rtcp:53020", Rtcp(53020)),
    ("rtpmap:111 opus/48000/2", RtpMap(111, "opus", 48000, 2)),
    ("rtpmap:0 PCMU/8000", RtpMap(0, "PCMU", 8000)),
    (
        "fmtp:111 minptime=10;useinbandfec=1",
        Fmtp(111, FmtpParameters((("minptime", "10"), ("useinbandfec", "1")))),
    ),
    ("fmtp:101 0-15", Fmtp(101, FmtpParameters((("0-15", None),)))),
    ("fmtp:63 111/111", Fmtp(63, FmtpParameters((("111/111", None),)))),
    ("fmtp:96", Fmtp(96, FmtpParameters())),
    ("rtcp-fb:96 nack pli", RtcpFb(96, "nack", "pli")),
    ("rtcp-fb:96 goog-remb", RtcpFb(96, "goog-remb")),
    ("rtcp-fb:* trr-int 100", RtcpFb(None, "trr-int", "100")),
    ("ssrc:3913685565 cname:uAPoWv8y0Ss5guKT", Ssrc(3913685565, "cname", "uAPoWv8y0Ss5guKT")),
    ("ssrc:1 msid:stream track", Ssrc(1, "msid", "stream track")),
    ("ssrc:4294967295 previous-ssrc", Ssrc(4294967295, "previous-ssrc")),
    ("ssrc-group:FID 991105109 3658408329", SsrcGroup("FID", (991105109, 3658408329))),
    ("ssrc-group:SIM 1 2 3", SsrcGroup("SIM", (1, 2, 3))),
    ("ssrc-group:FEC-FR 1 2", SsrcGroup("FEC-FR", (1, 2))),
    # RFC 8851 section 4 / 11 examples
    (
        "rid:1 send pt=97;max-width=1280;max-height=720",
        Rid("1", "send", (97,), (("max-width", "1280"), ("max-height", "720"))),
    ),
    ("rid:5 send pt=99,102;max-br=64000", Rid("5", "send", (99, 102), (("max-br", "64000"),))),
    ("rid:hi recv", Rid("hi", "recv")),
    (
        "rid:lo send max-fps=15;depend=hi",
        Rid("lo", "send", (), (("max-fps", "15"), ("depend", "hi"))),
    ),
    ("rid:f send flagparam", Rid("f", "send", (), (("flagparam", None),))),
    # RFC 8853 section 5.1 examples
    ("simulcast:send 1;2;3 recv 4", Simulcast(((S("1"),), (S("2"),), (S("3"),)), ((S("4"),),))),
    (
        "simulcast:send 1,~4;2;3 recv c",
        Simulcast(((S("1"), S("4", True)), (S("2"),), (S("3"),)), ((S("c"),),)),
    ),
    ("simulcast:recv h;~m;l", Simulcast((), ((S("h"),), (S("m", True),), (S("l"),)))),
    ("sctp-port:5000", SctpPort(5000)),
    ("max-message-size:262144", MaxMessageSize(262144)),
    ("max-message-size:0", MaxMessageSize(0)),
    ("sctpmap:5000 webrtc-datachannel 1024", SctpMap(5000, "webrtc-datachannel", 1024)),
    ("sctpmap:5000 webrtc-datachannel", SctpMap(5000, "webrtc-datachannel")),
    ("ptime:20", Ptime(20)),
    ("ptime:2.5", Ptime(2.5)),
    ("maxptime:120", MaxPtime(120)),
    ("framerate:29.97", Framerate(29.97)),
    ("tool:libwebrtc", UnknownAttribute("tool", "libwebrtc")),
    ("x-google-flag:conference", UnknownAttribute("x-google-flag", "conference")),
    ("x-empty:", UnknownAttribute("x-empty", "")),
    ("recvonly-ish", UnknownAttribute("recvonly-ish")),
    ("rtcp-xr:rcvr-rtt=all", UnknownAttribute("rtcp-xr", "rcvr-rtt=all")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[text for text, _ in CASES])
def test_parse_and_canonical_form(text: str, expected: Attribute) -> None:
    attribute = parse_attribute(text)
    assert attribute == expected
    assert type(attribute) is type(expected)
    assert attribute.to_line() == "a=" + text
    assert expected.to_line() == "a=" + text  # built values are written canonically
    name, colon, value = text.partition(":")
    assert attribute.name == name
    assert attribute.value == (value if colon else None)


def test_candidate_attribute_keeps_the_spelling() -> None:
    text = "candidate:2 1 TCP 2105458943 127.0.0.1 9 typ host tcptype active"
    attribute = parse_attribute(text)
    assert isinstance(attribute, CandidateAttribute)
    assert attribute.candidate == Candidate(
        "2", 1, "tcp", 2105458943, "127.0.0.1", 9, "host", tcptype="active"
    )
    assert attribute.to_line() == "a=" + text
    assert attribute.name == "candidate"


def test_non_canonical_text_is_kept_until_replaced() -> None:
    text = "msid-semantic: WMS  stream"
    attribute = parse_attribute(text)
    assert attribute == MsidSemantic("WMS", ("stream",))
    assert attribute.to_line() == "a=" + text
    assert attribute.value == " WMS  stream"
    assert dataclasses.replace(attribute).to_line() == "a=msid-semantic:WMS stream"
    spaced = parse_attribute("fmtp:111 minptime=10; useinbandfec=1")
    assert spaced == parse_attribute("fmtp:111 minptime=10;useinbandfec=1")
    assert spaced.to_line() == "a=fmtp:111 minptime=10; useinbandfec=1"
    assert parse_attribute("ptime:20.0") == Ptime(20)
    assert parse_attribute("ptime:20.0").to_line() == "a=ptime:20.0"
    assert parse_attribute("sctp-port:05000") == SctpPort(5000)
    assert parse_attribute("sctp-port:05000").to_line() == "a=sctp-port:05000"


def test_fmtp_parameters_mapping() -> None:
    params = FmtpParameters.parse("profile-level-id=42e01f; packetization-mode=1;;flag;x=1;x=2")
    assert list(params) == ["profile-level-id", "packetization-mode", "flag", "x"]
    assert params["x"] == "1"  # the first of a repeated key
    assert params.pairs()[-1] == ("x", "2")
    assert params.get("flag", "absent") is None
    assert params.get("missing") is None
    assert len(params) == 4
    assert params.format() == "profile-level-id=42e01f;packetization-mode=1;flag;x=1;x=2"
    assert FmtpParameters({"a": "1", "b": None}) == FmtpParameters((("a", "1"), ("b", None)))
    assert FmtpParameters({"a": "1"}) == {"a": "1"}
    assert FmtpParameters({"a": "1", "b": "2"}) != FmtpParameters({"b": "2", "a": "1"})
    assert hash(FmtpParameters({"a": "1"})) == hash(FmtpParameters((("a", "1"),)))
    assert repr(FmtpParameters({"a": "1"})) == "FmtpParameters('a=1')"


def test_fingerprint_digest() -> None:
    fingerprint = Fingerprint("sha-256", "0a:FF:10")
    assert fingerprint.digest == b"\x0a\xff\x10"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("mid", "needs a value"),
        ("mid:", "not a token"),
        ("mid:a b", "not a token"),
        ("ice-ufrag:a:b", "ice-chars"),
        ("ice-pwd:", "ice-chars"),
        ("ice-options:", "0 fields"),
        ("ice-lite:yes", "takes no value"),
        ("sendrecv:1", "takes no value"),
        ("setup:server", "setup role"),
        ("fingerprint:sha-256", "1 fields"),
        ("fingerprint:sha-256 AB:C", "hex"),
        ("fingerprint:sha-256 AB:CD extra", "3 fields"),
        ("tls-id:short", "tls-id"),
        ("identity:", "empty"),
        ("label: ", "empty"),
        ("group:", "0 fields"),
        ("group:BUNDLE a,b", "not a token"),
        ("msid-semantic:", "0 fields"),
        ("msid:a b c", "3 fields"),
        ("msid:a/b", "not a token"),
        ("extmap:1", "id and a URI"),
        ("extmap:0 urn:x", "outside"),
        ("extmap:15x urn:x", "extmap id"),
        ("extmap:256 urn:x", "outside"),
        ("extmap:4352 urn:x", "larger"),
        ("extmap:1/both urn:x", "direction"),
        ("rtcp:9 IN IP4", "expected 1 or 4"),
        ("rtcp:x", "rtcp port"),
        ("rtpmap:111 opus", "name/rate"),
        ("rtpmap:111 opus/48000/2/1", "name/rate"),
        ("rtpmap:128 opus/48000", "payload type 128"),
        ("rtpmap:-1 opus/48000", "payload type"),
        ("rtpmap:111 opus/x", "clock rate"),
        ("rtpmap:111 opus/48000/256", "channels"),
        ("rtpmap:111 op:us/48000", "encoding name"),
        ("rtpmap:111", "1 fields"),
        ("fmtp:", "needs a payload type"),
        ("fmtp:x a=1", "payload type"),
        ("rtcp-fb:96", "feedback type"),
        ("rtcp-fb:x nack", "payload type"),
        ("ssrc:1", "SSRC and an attribute"),
        ("ssrc:4294967296 cname:x", "larger"),
        ("ssrc:1 :x", "not a token"),
        ("ssrc-group:FID 1 x", "ssrc"),
        ("rid:1", "id and a direction"),
        ("rid:1 both", "send or recv"),
        ("rid:a.b send", "rid id"),
        ("rid:1 send max-width=1;pt=96", "first parameter"),
        ("rid:1 send pt", "first parameter"),
        ("rid:1 send pt=x", "payload type"),
        ("simulcast:send", "1 fields"),
        ("simulcast:send 1 send 2", "direction"),
        ("simulcast:both 1", "direction"),
        ("simulcast:send 1 recv", "without a stream list"),
        ("simulcast:send 1;;2", "rid"),
        ("simulcast:send rid=1", "rid"),
        ("sctp-port:70000", "sctp-port"),
        ("max-message-size:-1", "max-message-size"),
        ("sctpmap:5000", "1 fields"),
        ("ptime:x", "ptime"),
        ("ptime:1e3", "ptime"),
        ("maxptime:", "maxptime"),
        ("framerate:.5", "framerate"),
        ("candidate:1 1 udp", "fields"),
        ("candidate:", "fields"),
        ("bad name:x", "not a token"),
        (":x", "not a token"),
    ],
)
def test_malformed_values(text: str, reason: str) -> None:
    with pytest.raises(SdpError) as info:
        parse_attribute(text)
    assert reason in info.value.reason
    assert info.value.line_number is None
