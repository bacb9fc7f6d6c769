"""Session structure (RFC 8866 section 5): line order, errors with line numbers, building."""

from __future__ import annotations

import dataclasses

import pytest

from pyrtc import ParseError
from pyrtc.ice import Candidate
from pyrtc.sdp import (
    Bandwidth,
    CandidateAttribute,
    Codec,
    Connection,
    Direction,
    ExtMap,
    Fingerprint,
    Flag,
    FmtpParameters,
    Group,
    IceOptions,
    IcePwd,
    IceUfrag,
    MaxMessageSize,
    MediaDescription,
    Mid,
    Origin,
    RtcpFeedback,
    SctpPort,
    SdpError,
    SessionDescription,
    Setup,
    Timing,
    UnknownAttribute,
    UnknownLine,
)

# The example of RFC 8866 section 5, verbatim.
RFC8866_EXAMPLE = (
    "v=0\r\n"
    "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n"
    "s=Call to John Smith\r\n"
    "i=SDP Offer #1\r\n"
    "u=http://www.jdoe.example.com/home.html\r\n"
    "e=Jane Doe <jane@jdoe.example.com>\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "m=audio 49180 RTP/AVP 0\r\n"
    "m=video 51372 RTP/AVP 99\r\n"
    "c=IN IP6 2001:db8::2\r\n"
    "a=rtpmap:99 h263-1998/90000\r\n"
)

HEAD = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"
MINIMAL = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


def test_rfc8866_example() -> None:
    description = SessionDescription.parse(RFC8866_EXAMPLE)
    assert description.serialize() == RFC8866_EXAMPLE
    assert description.origin == Origin("jdoe", 3724394400, 3724394405, "IN", "IP4", "198.51.100.1")
    assert description.name == "Call to John Smith"
    assert description.information == "SDP Offer #1"
    assert description.uri == "http://www.jdoe.example.com/home.html"
    assert description.emails == ["Jane Doe <jane@jdoe.example.com>"]
    assert description.phones == ["+1 617 555-6011"]
    assert description.connection == Connection("IN", "IP4", "198.51.100.1")
    assert description.timings == [Timing(0, 0)]
    first, second, video = description.media
    assert (first.kind, first.port, first.protocol, first.formats) == (
        "audio",
        49170,
        "RTP/AVP",
        ["0"],
    )
    assert second.port == 49180
    # static payload type 0 has no rtpmap (RFC 3551)
    assert [(c.payload_type, c.name, c.clock_rate, c.channels) for c in first.codecs] == [
        (0, "PCMU", 8000, 1)
    ]
    assert video.connections == [Connection("IN", "IP6", "2001:db8::2")]
    assert [(c.payload_type, c.name, c.clock_rate) for c in video.codecs] == [
        (99, "h263-1998", 90000)
    ]
    assert description.effective_direction(video) == "sendrecv"


def test_every_optional_line_in_order() -> None:
    text = (
        "v=0\r\n"
        "o=alice 1 1 IN IP6 2001:db8::1\r\n"
        "s=All lines\r\n"
        "i=info\r\n"
        "u=https://example.com/\r\n"
        "e=a@example.com\r\n"
        "e=b@example.com\r\n"
        "p=+1 555\r\n"
        "c=IN IP4 224.2.36.42/127\r\n"
        "b=AS:512\r\n"
        "b=TIAS:512000\r\n"
        "t=3034423619 3042462419\r\n"
        "r=7d 1h 0 25h\r\n"
        "r=604800 3600 0 90000\r\n"
        "t=0 0\r\n"
        "z=2882844526 -1h 2898848070 0\r\n"
        "k=prompt\r\n"
        "a=recvonly\r\n"
        "x=an unknown line type\r\n"
        "a=tool:pyrtc\r\n"
        "m=video 51372/2 RTP/AVP 99\r\n"
        "i=the video\r\n"
        "c=IN IP4 224.2.1.1/127/2\r\n"
        "c=IN IP4 224.2.1.3/127\r\n"
        "b=AS:300\r\n"
        "k=prompt\r\n"
        "a=rtpmap:99 h263-1998/90000\r\n"
        "Y=upper case unknown\r\n"
    )
    description = SessionDescription.parse(text)
    assert description.serialize() == text
    assert description.emails == ["a@example.com", "b@example.com"]
    assert description.bandwidths == [Bandwidth("AS", 512), Bandwidth("TIAS", 512000)]
    assert description.timings == [
        Timing(3034423619, 3042462419, ("7d 1h 0 25h", "604800 3600 0 90000")),
        Timing(0, 0, (), "2882844526 -1h 2898848070 0"),
    ]
    assert description.key == "prompt"
    assert description.direction == "recvonly"
    assert description.attributes[1] == UnknownLine("x", "an unknown line type")
    assert description.attributes[2] == UnknownAttribute("tool", "pyrtc")
    (media,) = description.media
    assert (media.port, media.port_count) == (51372, 2)
    assert media.information == "the video"
    assert [c.address for c in media.connections] == ["224.2.1.1/127/2", "224.2.1.3/127"]
    assert media.bandwidths == [Bandwidth("AS", 300)]
    assert media.key == "prompt"
    assert media.attributes[-1].to_line() == "Y=upper case unknown"


def test_rfc4566_zone_after_all_time_descriptions_is_the_last_ones() -> None:
    text = MINIMAL + "t=1 2\r\nz=2882844526 -1h\r\n"
    description = SessionDescription.parse(text)
    assert description.timings[-1].zone == "2882844526 -1h"
    assert description.serialize() == text


def test_lf_input_and_missing_final_newline() -> None:
    text = MINIMAL + "a=ice-lite\r\n"
    lf = text.replace("\r\n", "\n")
    assert SessionDescription.parse(lf).serialize() == text
    assert SessionDescription.parse(lf.rstrip("\n")).serialize() == text
    assert SessionDescription.parse(text.rstrip("\r\n")).ice_lite


def test_trailing_whitespace_is_tolerated_and_kept() -> None:
    text = (
        "v=0 \r\n"
        "o=- 1 2 IN IP4 127.0.0.1 \r\n"
        "s=- \r\n"
        "t=0 0  \r\n"
        "a=group:BUNDLE 0 \r\n"
        "m=audio 9  UDP/TLS/RTP/SAVPF 111 \r\n"
        "c=IN IP4 0.0.0.0 \r\n"
        "b=AS : 30\r\n"
        "a=mid:0 \r\n"
        "a=rtcp-mux \r\n"
        "a=sendrecv\t\r\n"
        "a=rtpmap:111 opus/48000/2 \r\n"
        "a=fmtp:111 minptime=10; useinbandfec=1\r\n"
    )
    description = SessionDescription.parse(text)
    assert description.serialize() == text
    media = description.media[0]
    assert media.mid == "0"
    assert media.rtcp_mux
    assert media.direction == "sendrecv"
    assert media.port == 9 and media.formats == ["111"]
    assert media.bandwidths == [Bandwidth("AS", 30)]
    assert description.bundle_groups == [("0",)]
    assert dict(media.codecs[0].parameters) == {"minptime": "10", "useinbandfec": "1"}
    # values that were reformatted on input are written canonically once changed
    media.port = 10
    assert "\r\nm=audio 10 UDP/TLS/RTP/SAVPF 111\r\n" in description.serialize()


def test_missing_s_and_t_lines_are_tolerated() -> None:
    text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nm=audio 9 RTP/AVP 0\r\n"
    description = SessionDescription.parse(text)
    assert description.name is None
    assert description.timings == []
    assert description.serialize() == text


def error_of(text: str) -> SdpError:
    with pytest.raises(SdpError) as info:
        SessionDescription.parse(text)
    assert isinstance(info.value, ParseError)
    return info.value


@pytest.mark.parametrize(
    ("text", "line_number", "line", "reason"),
    [
        ("", 1, "", "starts with v="),
        ("o=- 1 2 IN IP4 127.0.0.1\r\n", 1, "o=- 1 2 IN IP4 127.0.0.1", "starts with v="),
        ("v=1\r\n", 1, "v=1", "version 1 is larger than 0"),
        ("v=0\r\n", 1, "v=0", "no o= line"),
        ("v=0\r\ns=-\r\n", 2, "s=-", "o= must follow v="),
        ("v=0\r\no=- 1 IN IP4 127.0.0.1\r\n", 2, "o=- 1 IN IP4 127.0.0.1", "5 fields"),
        ("v=0\r\no=- x 2 IN IP4 1.2.3.4\r\n", 2, "o=- x 2 IN IP4 1.2.3.4", "session id"),
        (MINIMAL + "v=0\r\n", 5, "v=0", "out of order"),
        (MINIMAL + "s=again\r\n", 5, "s=again", "out of order"),
        (MINIMAL + "o=- 1 2 IN IP4 127.0.0.1\r\n", 5, "o=- 1 2 IN IP4 127.0.0.1", "follow v="),
        (MINIMAL + "a=x\r\nc=IN IP4 1.2.3.4\r\n", 6, "c=IN IP4 1.2.3.4", "out of order"),
        (MINIMAL + "z=1 2\r\nz=1 2\r\n", 6, "z=1 2", "must follow a t= or r="),
        ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nr=1 2 3\r\n", 3, "r=1 2 3", "follow a t="),
        (MINIMAL + "\r\n", 5, "", "not a <type>=<value> line"),
        (MINIMAL + "a\r\n", 5, "a", "not a <type>=<value> line"),
        (MINIMAL + "a:mid\r\n", 5, "a:mid", "not a <type>=<value> line"),
        (MINIMAL + "1=x\r\n", 5, "1=x", "not a <type>=<value> line"),
        (MINIMAL + "\u00e9=x\r\n", 5, "\u00e9=x", "not a <type>=<value> line"),
        (MINIMAL + "a=x\ry\r\n", 5, "a=x\ry", "CR or NUL"),
        (MINIMAL + "a=x\0\r\n", 5, "a=x\0", "CR or NUL"),
        (MINIMAL + "a=bad name\r\n", 5, "a=bad name", "not a token"),
        (MINIMAL + "a=mid\r\n", 5, "a=mid", "needs a value"),
        (HEAD + "c=IN IP4\r\n", 3, "c=IN IP4", "c= has 2 fields"),
        (HEAD + "b=AS\r\n", 3, "b=AS", "<type>:<bandwidth>"),
        (HEAD + "b=AS:x\r\n", 3, "b=AS:x", "bandwidth 'x'"),
        (MINIMAL + "t=0\r\n", 5, "t=0", "t= has 1 fields"),
        (MINIMAL + "m=audio 9 RTP/AVP\r\n", 5, "m=audio 9 RTP/AVP", "m= has 3 fields"),
        (MINIMAL + "m=audio x RTP/AVP 0\r\n", 5, "m=audio x RTP/AVP 0", "port 'x'"),
        (MINIMAL + "m=audio 70000 RTP/AVP 0\r\n", 5, "m=audio 70000 RTP/AVP 0", "port 70000"),
        (MINIMAL + "m=audio 9/x RTP/AVP 0\r\n", 5, "m=audio 9/x RTP/AVP 0", "number of ports"),
        (MINIMAL + "m=audio 9 RTP//AVP 0\r\n", 5, "m=audio 9 RTP//AVP 0", "protocol"),
        (MINIMAL + "m=audio 9 RTP/AVP 0\r\ns=-\r\n", 6, "s=-", "not allowed in a media"),
        (MINIMAL + "m=audio 9 RTP/AVP 0\r\nt=0 0\r\n", 6, "t=0 0", "not allowed in a media"),
        (MINIMAL + "m=audio 9 RTP/AVP 0\r\na=x\r\nb=AS:1\r\n", 7, "b=AS:1", "out of order"),
        (MINIMAL + "m=audio 9 RTP/AVP 0\r\ni=a\r\ni=b\r\n", 7, "i=b", "repeated"),
        (MINIMAL + "m=audio 9 RTP/AVP 0\r\na=rtpmap:x\r\n", 6, "a=rtpmap:x", "rtpmap"),
        (
            MINIMAL + "m=audio 9 RTP/AVP 0\r\na=candidate:1 1 udp 1 1.2.3.4 5 typ bad\r\n",
            6,
            "a=candidate:1 1 udp 1 1.2.3.4 5 typ bad",
            "candidate type",
        ),
    ],
)
def test_errors_name_the_line(text: str, line_number: int, line: str, reason: str) -> None:
    error = error_of(text)
    assert error.line_number == line_number
    assert error.line == line
    assert reason in error.reason
    assert str(error).startswith(f"line {line_number} {line!r}: ")


def test_invalid_utf8_bytes() -> None:
    error = error_of(b"v=0\r\ns=\xff\r\n")  # type: ignore[arg-type]
    assert "UTF-8" in error.reason
    assert error.line_number is None


def test_utf8_text_fields() -> None:
    text = MINIMAL.replace("s=-", "s=R\u00e9union \u4f1a\u8bae")
    assert SessionDescription.parse(text.encode()).name == "R\u00e9union \u4f1a\u8bae"


def test_session_level_fallbacks() -> None:
    text = (
        MINIMAL + "a=ice-ufrag:sess\r\n"
        "a=ice-pwd:sessionpasswordsessionpw\r\n"
        "a=ice-options:trickle renomination\r\n"
        "a=fingerprint:sha-256 AB:CD\r\n"
        "a=setup:passive\r\n"
        "a=inactive\r\n"
        "m=audio 9 RTP/AVP 0\r\n"
        "a=mid:a\r\n"
        "m=audio 9 RTP/AVP 0\r\n"
        "a=mid:b\r\n"
        "a=ice-ufrag:media\r\n"
        "a=ice-pwd:mediapasswordmediapassw\r\n"
        "a=ice-options:ice2\r\n"
        "a=fingerprint:sha-1 01:02\r\n"
        "a=fingerprint:sha-256 03:04\r\n"
        "a=setup:actpass\r\n"
        "a=sendonly\r\n"
    )
    description = SessionDescription.parse(text)
    first, second = description.media
    assert description.media_by_mid("b") is second
    assert description.media_by_mid("c") is None
    credentials = description.effective_ice_credentials(first)
    assert credentials is not None
    assert (credentials.ufrag, credentials.password) == ("sess", "sessionpasswordsessionpw")
    credentials = description.effective_ice_credentials(second)
    assert credentials is not None
    assert (credentials.ufrag, credentials.password) == ("media", "mediapasswordmediapassw")
    assert description.effective_ice_options(first) == ("trickle", "renomination")
    assert description.effective_ice_options(second) == ("ice2",)
    assert description.effective_fingerprints(first) == [Fingerprint("sha-256", "AB:CD")]
    assert description.effective_fingerprints(second) == [
        Fingerprint("sha-1", "01:02"),
        Fingerprint("sha-256", "03:04"),
    ]
    assert description.effective_setup(first) == "passive"
    assert description.effective_setup(second) == "actpass"
    assert description.effective_direction(first) == "inactive"
    assert description.effective_direction(second) == "sendonly"
    bare = SessionDescription.parse(MINIMAL + "m=audio 9 RTP/AVP 0\r\n")
    assert bare.effective_ice_credentials(bare.media[0]) is None
    assert bare.effective_setup(bare.media[0]) is None


def test_build_an_answer_programmatically() -> None:
    opus = Codec(
        111,
        "opus",
        48000,
        2,
        FmtpParameters({"minptime": "10", "useinbandfec": "1"}),
        (RtcpFeedback("transport-cc"),),
    )
    audio = MediaDescription(
        "audio",
        9,
        "UDP/TLS/RTP/SAVPF",
        [],
        connections=[Connection("IN", "IP4", "0.0.0.0")],
        attributes=[
            IceUfrag("abcd"),
            IcePwd("0123456789abcdefghijkl"),
            Fingerprint("sha-256", "AB:CD:EF"),
            Setup("active"),
            Mid("0"),
            ExtMap(4, "urn:ietf:params:rtp-hdrext:sdes:mid"),
            Direction("recvonly"),
            Flag("rtcp-mux"),
        ],
    )
    audio.add_codec(opus)
    audio.attributes.append(
        CandidateAttribute(Candidate("1", 1, "udp", 2130706431, "192.0.2.1", 5000, "host"))
    )
    data = MediaDescription(
        "application",
        9,
        "UDP/DTLS/SCTP",
        ["webrtc-datachannel"],
        connections=[Connection()],
        attributes=[Mid("1"), SctpPort(5000), MaxMessageSize(262144)],
    )
    answer = SessionDescription(
        Origin("-", 4611731400430051336, 2),
        attributes=[Group("BUNDLE", ("0", "1")), IceOptions(("trickle",))],
        media=[audio, data],
    )
    text = answer.serialize()
    assert text == (
        "v=0\r\n"
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "a=group:BUNDLE 0 1\r\n"
        "a=ice-options:trickle\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "a=ice-ufrag:abcd\r\n"
        "a=ice-pwd:0123456789abcdefghijkl\r\n"
        "a=fingerprint:sha-256 AB:CD:EF\r\n"
        "a=setup:active\r\n"
        "a=mid:0\r\n"
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
        "a=recvonly\r\n"
        "a=rtcp-mux\r\n"
        "a=rtpmap:111 opus/48000/2\r\n"
        "a=rtcp-fb:111 transport-cc\r\n"
        "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
        "a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\r\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "a=mid:1\r\n"
        "a=sctp-port:5000\r\n"
        "a=max-message-size:262144\r\n"
    )
    parsed = SessionDescription.parse(text)
    assert parsed == answer
    assert parsed.media[0].codecs == [opus]
    assert parsed.media[1].sctp_port == 5000


def test_serialize_refuses_line_breaks_in_values() -> None:
    description = SessionDescription(Origin("-", 1, 1), name="a\r\nb=injected")
    with pytest.raises(SdpError, match="line break"):
        description.serialize()
    description = SessionDescription(Origin("-", 1, 1), emails=["a@example.com\rb"])
    with pytest.raises(SdpError, match="line break"):
        description.serialize()
    description = SessionDescription(Origin("-", 1, 1), information="nul\0")
    with pytest.raises(SdpError, match="NUL"):
        description.serialize()


def test_equality_ignores_received_spelling() -> None:
    spaced = SessionDescription.parse(MINIMAL.replace("t=0 0", "t=0  0") + "a=mid:0 \r\n")
    plain = SessionDescription.parse(MINIMAL + "a=mid:0\r\n")
    assert spaced == plain
    assert spaced.serialize() != plain.serialize()
    assert dataclasses.replace(spaced.timings[0]) == plain.timings[0]
    assert spaced != "not a description"
    assert spaced.media == []
