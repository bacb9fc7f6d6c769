"""Built values are checked: a constructor either raises SdpError or gives parseable text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.sdp import (
    Attribute,
    Bandwidth,
    Connection,
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
    MediaDescription,
    Mid,
    Msid,
    MsidSemantic,
    Origin,
    Ptime,
    Rid,
    Rtcp,
    RtcpFb,
    RtpMap,
    SctpMap,
    SctpPort,
    SdpError,
    SessionDescription,
    Setup,
    Simulcast,
    SimulcastStream,
    Ssrc,
    SsrcGroup,
    Timing,
    TlsId,
    UnknownAttribute,
    UnknownLine,
    parse_attribute,
)


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        (lambda: Flag("rtcp-muxx"), "is not one of"),
        (lambda: Direction("both"), "direction"),
        (lambda: Mid("a b"), "not a token"),
        (lambda: Mid(""), "not a token"),
        (lambda: IceUfrag("a:b"), "ice-chars"),
        (lambda: IcePwd(""), "ice-chars"),
        (lambda: IceOptions(()), "at least one"),
        (lambda: Setup("client"), "setup role"),
        (lambda: Fingerprint("sha 256", "AB"), "not a token"),
        (lambda: Fingerprint("sha-256", "ABC"), "hex"),
        (lambda: TlsId("too-short"), "tls-id"),
        (lambda: Identity(" padded"), "surrounding whitespace"),
        (lambda: Label("two\nlines"), "CR, LF"),
        (lambda: Group("BUNDLE", ("a b",)), "not a token"),
        (lambda: MsidSemantic("WMS", ("a b",)), "single non-empty field"),
        (lambda: Msid("stream", "track id"), "not a token"),
        (lambda: ExtMap(0, "urn:x"), "outside"),
        (lambda: ExtMap(4352, "urn:x"), "outside"),
        (lambda: ExtMap(1, "urn x"), "single non-empty field"),
        (lambda: ExtMap(1, "urn:x", "both"), "direction"),
        (lambda: ExtMap(1, "urn:x", None, ""), "empty"),
        (lambda: Rtcp(70000), "outside"),
        (lambda: Rtcp(9, "IN", None, "0.0.0.0"), "all or none"),
        (lambda: RtpMap(128, "opus", 48000), "payload type 128"),
        (lambda: RtpMap(111, "op/us", 48000), "not a token"),
        (lambda: RtpMap(111, "opus", -1), "clock rate"),
        (lambda: RtpMap(111, "opus", 48000, 256), "channels"),
        (lambda: Fmtp(-1, FmtpParameters()), "payload type"),
        (lambda: FmtpParameters({"": "1"}), "empty"),
        (lambda: FmtpParameters({"a;b": "1"}), "';' or '='"),
        (lambda: FmtpParameters({"a=b": "1"}), "';' or '='"),
        (lambda: FmtpParameters({"a": "1;2"}), "holds ';'"),
        (lambda: FmtpParameters({"a": " 1"}), "surrounding whitespace"),
        (lambda: RtcpFb(None, "nack", ""), "empty"),
        (lambda: RtcpFb(None, "nack pli"), "not a token"),
        (lambda: Ssrc(2**32, "cname", "x"), "outside"),
        (lambda: Ssrc(1, "cname", "x "), "ends with whitespace"),
        (lambda: Ssrc(1, "cname", "x\r\n"), "CR, LF"),
        (lambda: SsrcGroup("FID", (-1,)), "outside"),
        (lambda: Rid("a.b", "send"), "rid id"),
        (lambda: Rid("a", "sendrecv"), "send or recv"),
        (lambda: Rid("a", "send", (200,)), "payload type"),
        (lambda: Rid("a", "send", (), (("pt", "96"),)), "payload_types"),
        (lambda: Rid("a", "send", (), (("max-width", "1;2"),)), "holds ';'"),
        (lambda: Simulcast(), "send or a recv"),
        (lambda: Simulcast(((),)), "at least one rid"),
        (lambda: SimulcastStream("~a"), "rid id"),
        (lambda: SctpPort(-1), "outside"),
        (lambda: MaxMessageSize(2**64), "outside"),
        (lambda: SctpMap(5000, "webrtc datachannel"), "not a token"),
        (lambda: Ptime(-1), "non-negative"),
        (lambda: MaxPtime(float("nan")), "non-negative"),
        (lambda: Framerate(1e-5), "non-negative"),
        (lambda: UnknownAttribute("a b", "x"), "not a token"),
        (lambda: UnknownAttribute("x", "a\nb"), "CR, LF"),
        (lambda: UnknownAttribute("mid", "a b"), "typed class"),
        (lambda: UnknownLine("a", "x"), "undefined"),
        (lambda: UnknownLine("xy", "x"), "undefined"),
        (lambda: Origin("user name", 1, 1), "single non-empty field"),
        (lambda: Origin("-", -1, 1), "outside"),
        (lambda: Origin("-", 1, 1, "I N"), "not a token"),
        (lambda: Connection(address=""), "single non-empty field"),
        (lambda: Bandwidth("A:S", 1), "not a token"),
        (lambda: Bandwidth("AS", -1), "outside"),
        (lambda: Timing(-1, 0), "outside"),
        (lambda: Timing(0, 0, ("1\n2",)), "CR, LF"),
    ],
)
def test_constructors_check_their_fields(build: Callable[[], Any], reason: str) -> None:
    with pytest.raises(SdpError) as info:
        build()
    assert reason in info.value.reason


@pytest.mark.parametrize(
    ("media", "reason"),
    [
        (MediaDescription("au dio", 9, "RTP/AVP", ["0"]), "media type"),
        (MediaDescription("audio", 65536, "RTP/AVP", ["0"]), "port"),
        (MediaDescription("audio", 9, "RTP/AVP", ["0"], port_count=-1), "number of ports"),
        (MediaDescription("audio", 9, "RTP//AVP", ["0"]), "protocol"),
        (MediaDescription("audio", 9, "RTP/AVP", []), "at least one format"),
        (MediaDescription("audio", 9, "RTP/AVP", ["0 8"]), "format"),
    ],
)
def test_media_line_is_checked_when_written(media: MediaDescription, reason: str) -> None:
    description = SessionDescription(Origin("-", 1, 1), media=[media])
    with pytest.raises(SdpError) as info:
        description.serialize()
    assert reason in info.value.reason


# arbitrary text, sometimes an attribute name that has a typed class
anything = st.text(max_size=12) | st.sampled_from(["mid", "rtpmap", "sendrecv", "rtcp-mux"])
number = st.integers(-(2**65), 2**65)
optional_text = st.none() | anything
optional_number = st.none() | number

BUILDERS = st.one_of(
    st.builds(Mid, anything),
    st.builds(IceUfrag, anything),
    st.builds(IcePwd, anything),
    st.builds(IceOptions, st.lists(anything, max_size=2).map(tuple)),
    st.builds(Setup, anything),
    st.builds(Flag, anything),
    st.builds(Direction, anything),
    st.builds(Fingerprint, anything, anything),
    st.builds(TlsId, anything),
    st.builds(Identity, anything),
    st.builds(Label, anything),
    st.builds(Group, anything, st.lists(anything, max_size=2).map(tuple)),
    st.builds(MsidSemantic, anything, st.lists(anything, max_size=2).map(tuple)),
    st.builds(Msid, anything, optional_text),
    st.builds(ExtMap, number, anything, optional_text, optional_text),
    st.builds(Rtcp, number, optional_text, optional_text, optional_text),
    st.builds(RtpMap, number, anything, number, optional_number),
    st.builds(RtcpFb, optional_number, anything, optional_text),
    st.builds(Ssrc, number, anything, optional_text),
    st.builds(SsrcGroup, anything, st.lists(number, max_size=2).map(tuple)),
    st.builds(
        Rid,
        anything,
        anything,
        st.lists(number, max_size=2).map(tuple),
        st.lists(st.tuples(anything, optional_text), max_size=2).map(tuple),
    ),
    st.builds(SctpPort, number),
    st.builds(MaxMessageSize, number),
    st.builds(SctpMap, number, anything, optional_number),
    st.builds(Ptime, st.floats()),
    st.builds(Framerate, st.floats()),
    st.builds(UnknownAttribute, anything, optional_text),
    st.builds(Fmtp, number, st.lists(st.tuples(anything, optional_text), max_size=3)
              .map(FmtpParameters)),
    st.builds(
        Simulcast,
        st.lists(st.lists(st.builds(SimulcastStream, anything), max_size=2).map(tuple), max_size=2)
        .map(tuple),
    ),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_any_built_attribute_round_trips_or_is_refused(data: st.DataObject) -> None:
    try:
        attribute: Attribute = data.draw(BUILDERS)
    except SdpError:
        return
    line = attribute.to_line()
    assert line.startswith("a=")
    assert parse_attribute(line[2:]) == attribute


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_built_header_value_round_trips_or_is_refused(data: st.DataObject) -> None:
    try:
        origin = data.draw(
            st.builds(Origin, anything, number, number, anything, anything, anything)
        )
        connection = data.draw(st.builds(Connection, anything, anything, anything))
        bandwidth = data.draw(st.builds(Bandwidth, anything, number))
        timing = data.draw(st.builds(Timing, number, number))
    except SdpError:
        return
    description = SessionDescription(
        origin, connection=connection, bandwidths=[bandwidth], timings=[timing]
    )
    assert SessionDescription.parse(description.serialize()) == description
