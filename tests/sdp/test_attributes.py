"""Typed attributes: parsing each WebRTC attribute, canonical form, and malformed values."""

from __future__ import annotations

import dataclasses

import pytest

from pyrtc import sdp
from pyrtc.ice import Candidate

S = sdp.SimulcastStream

CASES: list[tuple[str, sdp.Attribute]] = [
    ("mid:audio", sdp.Mid("audio")),
    ("ice-ufrag:Tg/C", sdp.IceUfrag("Tg/C")),
    ("ice-pwd:mT95SK8B9bnyTog7SeRflQ29", sdp.IcePwd("mT95SK8B9bnyTog7SeRflQ29")),
    ("ice-options:trickle ice2", sdp.IceOptions(("trickle", "ice2"))),
    ("ice-lite", sdp.Flag("ice-lite")),
    ("end-of-candidates", sdp.Flag("end-of-candidates")),
    ("rtcp-mux", sdp.Flag("rtcp-mux")),
    ("rtcp-mux-only", sdp.Flag("rtcp-mux-only")),
    ("rtcp-rsize", sdp.Flag("rtcp-rsize")),
    ("extmap-allow-mixed", sdp.Flag("extmap-allow-mixed")),
    ("bundle-only", sdp.Flag("bundle-only")),
    ("sendrecv", sdp.Direction("sendrecv")),
    ("sendonly", sdp.Direction("sendonly")),
    ("recvonly", sdp.Direction("recvonly")),
    ("inactive", sdp.Direction("inactive")),
    ("setup:actpass", sdp.Setup("actpass")),
    ("setup:holdconn", sdp.Setup("holdconn")),
    # RFC 8122 section 5 example
    (
        "fingerprint:sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB",
        sdp.Fingerprint("sha-1", "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB"),
    ),
    ("tls-id:abc3de65cddef001be82", sdp.TlsId("abc3de65cddef001be82")),
    (
        "identity:eyJpZHAiOnsiZG9tYWluIjoiZXhhbXBsZS5vcmcifX0=",
        sdp.Identity("eyJpZHAiOnsiZG9tYWluIjoiZXhhbXBsZS5vcmcifX0="),
    ),
    ("label:main audio", sdp.Label("main audio")),
    ("group:BUNDLE 0 1 2", sdp.Group("BUNDLE", ("0", "1", "2"))),
    ("group:LS a v", sdp.Group("LS", ("a", "v"))),
    ("group:BUNDLE", sdp.Group("BUNDLE")),
    ("msid-semantic:WMS *", sdp.MsidSemantic("WMS", ("*",))),
    ("msid:stream track", sdp.Msid("stream", "track")),
    ("msid:{a-b}", sdp.Msid("{a-b}")),
    ("msid:- track", sdp.Msid("-", "track")),
    (
        "extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        sdp.ExtMap(1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
    ),
    ("extmap:2/recvonly urn:x", sdp.ExtMap(2, "urn:x", "recvonly")),
    # RFC 8285 section 8 style: extension attributes after the URI
    (
        "extmap:20/sendonly urn:example:ext attr1 attr2",
        sdp.ExtMap(20, "urn:example:ext", "sendonly", "attr1 attr2"),
    ),
    ("extmap:4096 urn:x", sdp.ExtMap(4096, "urn:x")),
    ("rtcp:9 IN IP4 0.0.0.0", sdp.Rtcp(9, "IN", "IP4", "0.0.0.0")),
    ("rtcp:53020", sdp.Rtcp(53020)),
    ("rtpmap:111 opus/48000/2", sdp.RtpMap(111, "opus", 48000, 2)),
    ("rtpmap:0 PCMU/8000", sdp.RtpMap(0, "PCMU", 8000)),
    (
        "fmtp:111 minptime=10;useinbandfec=1",
        sdp.Fmtp(111, sdp.FmtpParameters((("minptime", "10"), ("useinbandfec", "1")))),
    ),
    ("fmtp:101 0-15", sdp.Fmtp(101, sdp.FmtpParameters((("0-15", None),)))),
    ("fmtp:63 111/111", sdp.Fmtp(63, sdp.FmtpParameters((("111/111", None),)))),
    ("fmtp:96", sdp.Fmtp(96, sdp.FmtpParameters())),
    ("rtcp-fb:96 nack pli", sdp.RtcpFb(96, "nack", "pli")),
    ("rtcp-fb:96 goog-remb", sdp.RtcpFb(96, "goog-remb")),
    ("rtcp-fb:* trr-int 100", sdp.RtcpFb(None, "trr-int", "100")),
    ("ssrc:3913685565 cname:uAPoWv8y0Ss5guKT", sdp.Ssrc(3913685565, "cname", "uAPoWv8y0Ss5guKT")),
    ("ssrc:1 msid:stream track", sdp.Ssrc(1, "msid", "stream track")),
    ("ssrc:4294967295 previous-ssrc", sdp.Ssrc(4294967295, "previous-ssrc")),
    ("ssrc-group:FID 991105109 3658408329", sdp.SsrcGroup("FID", (991105109, 3658408329))),
    ("ssrc-group:SIM 1 2 3", sdp.SsrcGroup("SIM", (1, 2, 3))),
    ("ssrc-group:FEC-FR 1 2", sdp.SsrcGroup("FEC-FR", (1, 2))),
    # RFC 8851 section 4 / 11 examples
    (
        "rid:1 send pt=97;max-width=1280;max-height=720",
        sdp.Rid("1", "send", (97,), (("max-width", "1280"), ("max-height", "720"))),
    ),
    ("rid:5 send pt=99,102;max-br=64000", sdp.Rid("5", "send", (99, 102), (("max-br", "64000"),))),
    ("rid:hi recv", sdp.Rid("hi", "recv")),
    (
        "rid:lo send max-fps=15;depend=hi",
        sdp.Rid("lo", "send", (), (("max-fps", "15"), ("depend", "hi"))),
    ),
    ("rid:f send flagparam", sdp.Rid("f", "send", (), (("flagparam", None),))),
    # RFC 8853 section 5.1 examples
    ("simulcast:send 1;2;3 recv 4", sdp.Simulcast(((S("1"),), (S("2"),), (S("3"),)), ((S("4"),),))),
    (
        "simulcast:send 1,~4;2;3 recv c",
        sdp.Simulcast(((S("1"), S("4", True)), (S("2"),), (S("3"),)), ((S("c"),),)),
    ),
    ("simulcast:recv h;~m;l", sdp.Simulcast((), ((S("h"),), (S("m", True),), (S("l"),)))),
    ("sctp-port:5000", sdp.SctpPort(5000)),
    ("max-message-size:262144", sdp.MaxMessageSize(262144)),
    ("max-message-size:0", sdp.MaxMessageSize(0)),
    ("sctpmap:5000 webrtc-datachannel 1024", sdp.SctpMap(5000, "webrtc-datachannel", 1024)),
    ("sctpmap:5000 webrtc-datachannel", sdp.SctpMap(5000, "webrtc-datachannel")),
    ("ptime:20", sdp.Ptime(20)),
    ("ptime:2.5", sdp.Ptime(2.5)),
    ("maxptime:120", sdp.MaxPtime(120)),
    ("framerate:29.97", sdp.Framerate(29.97)),
    ("tool:libwebrtc", sdp.UnknownAttribute("tool", "libwebrtc")),
    ("x-google-flag:conference", sdp.UnknownAttribute("x-google-flag", "conference")),
    ("x-empty:", sdp.UnknownAttribute("x-empty", "")),
    ("recvonly-ish", sdp.UnknownAttribute("recvonly-ish")),
    ("rtcp-xr:rcvr-rtt=all", sdp.UnknownAttribute("rtcp-xr", "rcvr-rtt=all")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[text for text, _ in CASES])
def test_parse_and_canonical_form(text: str, expected: sdp.Attribute) -> None:
    attribute = sdp.parse_attribute(text)
    assert attribute == expected
    assert type(attribute) is type(expected)
    assert attribute.to_line() == "a=" + text
    assert expected.to_line() == "a=" + text  # built values are written canonically
    name, colon, value = text.partition(":")
    assert attribute.name == name
    assert attribute.value == (value if colon else None)


def test_candidate_attribute_keeps_the_spelling() -> None:
    text = "candidate:2 1 TCP 2105458943 127.0.0.1 9 typ host tcptype active"
    attribute = sdp.parse_attribute(text)
    assert isinstance(attribute, sdp.CandidateAttribute)
    assert attribute.candidate == Candidate(
        "2", 1, "tcp", 2105458943, "127.0.0.1", 9, "host", tcptype="active"
    )
    assert attribute.to_line() == "a=" + text
    assert attribute.name == "candidate"


def test_non_canonical_text_is_kept_until_replaced() -> None:
    text = "msid-semantic: WMS  stream"
    attribute = sdp.parse_attribute(text)
    assert attribute == sdp.MsidSemantic("WMS", ("stream",))
    assert attribute.to_line() == "a=" + text
    assert attribute.value == " WMS  stream"
    assert dataclasses.replace(attribute).to_line() == "a=msid-semantic:WMS stream"
    spaced = sdp.parse_attribute("fmtp:111 minptime=10; useinbandfec=1")
    assert spaced == sdp.parse_attribute("fmtp:111 minptime=10;useinbandfec=1")
    assert spaced.to_line() == "a=fmtp:111 minptime=10; useinbandfec=1"
    assert sdp.parse_attribute("ptime:20.0") == sdp.Ptime(20)
    assert sdp.parse_attribute("ptime:20.0").to_line() == "a=ptime:20.0"
    assert sdp.parse_attribute("sctp-port:05000") == sdp.SctpPort(5000)
    assert sdp.parse_attribute("sctp-port:05000").to_line() == "a=sctp-port:05000"


def test_fmtp_parameters_mapping() -> None:
    params = sdp.FmtpParameters.parse("profile-level-id=42e01f; packetization-mode=1;;flag;x=1;x=2")
    assert list(params) == ["profile-level-id", "packetization-mode", "flag", "x"]
    assert params["x"] == "1"  # the first of a repeated key
    assert params.pairs()[-1] == ("x", "2")
    assert params.get("flag", "absent") is None
    assert params.get("missing") is None
    assert len(params) == 4
    assert params.format() == "profile-level-id=42e01f;packetization-mode=1;flag;x=1;x=2"
    assert sdp.FmtpParameters({"a": "1", "b": None}) == sdp.FmtpParameters(
        (("a", "1"), ("b", None))
    )
    assert sdp.FmtpParameters({"a": "1"}) == {"a": "1"}
    assert sdp.FmtpParameters({"a": "1", "b": "2"}) != sdp.FmtpParameters({"b": "2", "a": "1"})
    assert hash(sdp.FmtpParameters({"a": "1"})) == hash(sdp.FmtpParameters((("a", "1"),)))
    assert repr(sdp.FmtpParameters({"a": "1"})) == "FmtpParameters('a=1')"


def test_fingerprint_digest() -> None:
    fingerprint = sdp.Fingerprint("sha-256", "0a:FF:10")
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
    with pytest.raises(sdp.SdpError) as info:
        sdp.parse_attribute(text)
    assert reason in info.value.reason
    assert info.value.line_number is None
