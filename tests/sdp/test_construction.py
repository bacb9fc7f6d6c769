"""Built values are checked: a constructor either raises SdpError or gives parseable text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc import sdp


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: sdp.Flag("rtcp-muxx"), "is not one of"),
        (lambda: sdp.Direction("both"), "direction"),
        (lambda: sdp.Mid("a b"), "not a token"),
        (lambda: sdp.Mid(""), "not a token"),
        (lambda: sdp.IceUfrag("a:b"), "ice-chars"),
        (lambda: sdp.IcePwd(""), "ice-chars"),
        (lambda: sdp.IceOptions(()), "at least one"),
        (lambda: sdp.Setup("client"), "setup role"),
        (lambda: sdp.Fingerprint("sha 256", "AB"), "not a token"),
        (lambda: sdp.Fingerprint("sha-256", "ABC"), "hex"),
        (lambda: sdp.TlsId("too-short"), "tls-id"),
        (lambda: sdp.Identity(" padded"), "surrounding whitespace"),
        (lambda: sdp.Label("two\nlines"), "CR, LF"),
        (lambda: sdp.Group("BUNDLE", ("a b",)), "not a token"),
        (lambda: sdp.MsidSemantic("WMS", ("a b",)), "single non-empty field"),
        (lambda: sdp.Msid("stream", "track id"), "not a token"),
        (lambda: sdp.ExtMap(0, "urn:x"), "outside"),
        (lambda: sdp.ExtMap(4352, "urn:x"), "outside"),
        (lambda: sdp.ExtMap(1, "urn x"), "single non-empty field"),
        (lambda: sdp.ExtMap(1, "urn:x", "both"), "direction"),
        (lambda: sdp.ExtMap(1, "urn:x", None, ""), "empty"),
        (lambda: sdp.Rtcp(70000), "outside"),
        (lambda: sdp.Rtcp(9, "IN", None, "0.0.0.0"), "all or none"),
        (lambda: sdp.RtpMap(128, "opus", 48000), "payload type 128"),
        (lambda: sdp.RtpMap(111, "op/us", 48000), "not a token"),
        (lambda: sdp.RtpMap(111, "opus", -1), "clock rate"),
        (lambda: sdp.RtpMap(111, "opus", 48000, 256), "channels"),
        (lambda: sdp.Fmtp(-1, sdp.FmtpParameters()), "payload type"),
        (lambda: sdp.FmtpParameters({"": "1"}), "empty"),
        (lambda: sdp.FmtpParameters({"a;b": "1"}), "';' or '='"),
        (lambda: sdp.FmtpParameters({"a=b": "1"}), "';' or '='"),
        (lambda: sdp.FmtpParameters({"a": "1;2"}), "holds ';'"),
        (lambda: sdp.FmtpParameters({"a": " 1"}), "surrounding whitespace"),
        (lambda: sdp.RtcpFb(None, "nack", ""), "empty"),
        (lambda: sdp.RtcpFb(None, "nack pli"), "not a token"),
        (lambda: sdp.Ssrc(2**32, "cname", "x"), "outside"),
        (lambda: sdp.Ssrc(1, "cname", "x "), "ends with whitespace"),
        (lambda: sdp.Ssrc(1, "cname", "x\r\n"), "CR, LF"),
        (lambda: sdp.SsrcGroup("FID", (-1,)), "outside"),
        (lambda: sdp.Rid("a.b", "send"), "rid id"),
        (lambda: sdp.Rid("a", "sendrecv"), "send or recv"),
        (lambda: sdp.Rid("a", "send", (200,)), "payload type"),
        (lambda: sdp.Rid("a", "send", (), (("pt", "96"),)), "payload_types"),
        (lambda: sdp.Rid("a", "send", (), (("max-width", "1;2"),)), "holds ';'"),
        (lambda: sdp.Simulcast(), "send or a recv"),
        (lambda: sdp.Simulcast(((),)), "at least one rid"),
        (lambda: sdp.SimulcastStream("~a"), "rid id"),
        (lambda: sdp.SctpPort(-1), "outside"),
        (lambda: sdp.MaxMessageSize(2**64), "outside"),
        (lambda: sdp.SctpMap(5000, "webrtc datachannel"), "not a token"),
        (lambda: sdp.Ptime(-1), "non-negative"),
        (lambda: sdp.MaxPtime(float("nan")), "non-negative"),
        (lambda: sdp.Framerate(1e-5), "non-negative"),
        (lambda: sdp.UnknownAttribute("a b", "x"), "not a token"),
        (lambda: sdp.UnknownAttribute("x", "a\nb"), "CR, LF"),
        (lambda: sdp.UnknownAttribute("mid", "a b"), "typed class"),
        (lambda: sdp.UnknownLine("a", "x"), "undefined"),
        (lambda: sdp.UnknownLine("xy", "x"), "undefined"),
        (lambda: sdp.Origin("user name", 1, 1), "single non-empty field"),
        (lambda: sdp.Origin("-", -1, 1), "outside"),
        (lambda: sdp.Origin("-", 1, 1, "I N"), "not a token"),
        (lambda: sdp.Connection(address=""), "single non-empty field"),
        (lambda: sdp.Bandwidth("A:S", 1), "not a token"),
        (lambda: sdp.Bandwidth("AS", -1), "outside"),
        (lambda: sdp.Timing(-1, 0), "outside"),
        (lambda: sdp.Timing(0, 0, ("1\n2",)), "CR, LF"),
    ],
)
def test_constructors_check_their_fields(build: Callable[[], Any], reason: str) -> None:
    with pytest.raises(sdp.SdpError) as info:
        build()
    assert reason in info.value.reason


@pytest.mark.parametrize(
    ("media", "reason"),
    [
        (sdp.MediaDescription("au dio", 9, "RTP/AVP", ["0"]), "media type"),
        (sdp.MediaDescription("audio", 65536, "RTP/AVP", ["0"]), "port"),
        (sdp.MediaDescription("audio", 9, "RTP/AVP", ["0"], port_count=-1), "number of ports"),
        (sdp.MediaDescription("audio", 9, "RTP//AVP", ["0"]), "protocol"),
        (sdp.MediaDescription("audio", 9, "RTP/AVP", []), "at least one format"),
        (sdp.MediaDescription("audio", 9, "RTP/AVP", ["0 8"]), "format"),
    ],
)
def test_media_line_is_checked_when_written(media: sdp.MediaDescription, reason: str) -> None:
    description = sdp.SessionDescription(sdp.Origin("-", 1, 1), media=[media])
    with pytest.raises(sdp.SdpError) as info:
        description.serialize()
    assert reason in info.value.reason


# arbitrary text, sometimes an attribute name that has a typed class
anything = st.text(max_size=12) | st.sampled_from(["mid", "rtpmap", "sendrecv", "rtcp-mux"])
number = st.integers(-(2**65), 2**65)
optional_text = st.none() | anything
optional_number = st.none() | number

BUILDERS = st.one_of(
    st.builds(sdp.Mid, anything),
    st.builds(sdp.IceUfrag, anything),
    st.builds(sdp.IcePwd, anything),
    st.builds(sdp.IceOptions, st.lists(anything, max_size=2).map(tuple)),
    st.builds(sdp.Setup, anything),
    st.builds(sdp.Flag, anything),
    st.builds(sdp.Direction, anything),
    st.builds(sdp.Fingerprint, anything, anything),
    st.builds(sdp.TlsId, anything),
    st.builds(sdp.Identity, anything),
    st.builds(sdp.Label, anything),
    st.builds(sdp.Group, anything, st.lists(anything, max_size=2).map(tuple)),
    st.builds(sdp.MsidSemantic, anything, st.lists(anything, max_size=2).map(tuple)),
    st.builds(sdp.Msid, anything, optional_text),
    st.builds(sdp.ExtMap, number, anything, optional_text, optional_text),
    st.builds(sdp.Rtcp, number, optional_text, optional_text, optional_text),
    st.builds(sdp.RtpMap, number, anything, number, optional_number),
    st.builds(sdp.RtcpFb, optional_number, anything, optional_text),
    st.builds(sdp.Ssrc, number, anything, optional_text),
    st.builds(sdp.SsrcGroup, anything, st.lists(number, max_size=2).map(tuple)),
    st.builds(
        sdp.Rid,
        anything,
        anything,
        st.lists(number, max_size=2).map(tuple),
        st.lists(st.tuples(anything, optional_text), max_size=2).map(tuple),
    ),
    st.builds(sdp.SctpPort, number),
    st.builds(sdp.MaxMessageSize, number),
    st.builds(sdp.SctpMap, number, anything, optional_number),
    st.builds(sdp.Ptime, st.floats()),
    st.builds(sdp.Framerate, st.floats()),
    st.builds(sdp.UnknownAttribute, anything, optional_text),
    st.builds(sdp.Fmtp, number, st.lists(st.tuples(anything, optional_text), max_size=3)
              .map(sdp.FmtpParameters)),
    st.builds(
        sdp.Simulcast,
        st.lists(
            st.lists(st.builds(sdp.SimulcastStream, anything), max_size=2).map(tuple), max_size=2
        ).map(tuple),
    ),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_any_built_attribute_round_trips_or_is_refused(data: st.DataObject) -> None:
    try:
        attribute: sdp.Attribute = data.draw(BUILDERS)
    except sdp.SdpError:
        return
    line = attribute.to_line()
    assert line.startswith("a=")
    assert sdp.parse_attribute(line[2:]) == attribute


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_built_header_value_round_trips_or_is_refused(data: st.DataObject) -> None:
    try:
        origin = data.draw(
            st.builds(sdp.Origin, anything, number, number, anything, anything, anything)
        )
        connection = data.draw(st.builds(sdp.Connection, anything, anything, anything))
        bandwidth = data.draw(st.builds(sdp.Bandwidth, anything, number))
        timing = data.draw(st.builds(sdp.Timing, number, number))
    except sdp.SdpError:
        return
    description = sdp.SessionDescription(
        origin, connection=connection, bandwidths=[bandwidth], timings=[timing]
    )
    assert sdp.SessionDescription.parse(description.serialize()) == description
