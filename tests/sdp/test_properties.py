"""Hypothesis: generated descriptions round-trip; garbage and mutations only raise SdpError."""

from __future__ import annotations

import dataclasses
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc import sdp
from pyrtc.ice import Candidate

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.sdp"))
FIXTURE_LINES = [path.read_bytes().decode().split("\r\n")[:-1] for path in FIXTURES]

TOKEN_CHARS = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in '"(),/:;<=>?@[\\]')
VISIBLE = "".join(map(chr, range(0x21, 0x7F)))

uint16 = st.integers(0, 0xFFFF)
uint32 = st.integers(0, 0xFFFFFFFF)
uint64 = st.integers(0, 0xFFFFFFFFFFFFFFFF)
payload_type = st.integers(0, 127)
token = st.text(TOKEN_CHARS, min_size=1, max_size=8)
visible = st.text(VISIBLE, min_size=1, max_size=12)
words = st.lists(visible, min_size=1, max_size=3).map(" ".join)
ice_chars = st.text(string.ascii_letters + string.digits + "+/", min_size=1, max_size=24)
rid_id = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=6)
# free text of s=, i=, e=, ... : anything but CR, LF and NUL
free_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0"), max_size=20
)
decimal = st.integers(0, 10**6).map(float) | st.integers(0, 10**6).map(lambda n: n / 8)
fmtp_value = st.text(VISIBLE.replace(";", ""), max_size=8)

candidates = st.builds(
    Candidate,
    foundation=ice_chars.map(lambda text: text[:32]),
    component=st.integers(1, 256),
    transport=st.sampled_from(["udp", "tcp"]),
    priority=uint32,
    address=st.sampled_from(["192.0.2.1", "2001:db8::1", "a1b2.local", "::1"]),
    port=uint16,
    type=st.sampled_from(["host", "srflx", "prflx", "relay"]),
    generation=st.none() | st.integers(0, 10),
    network_cost=st.none() | uint16,
)


def simulcast_list() -> st.SearchStrategy[tuple[tuple[sdp.SimulcastStream, ...], ...]]:
    stream = st.builds(sdp.SimulcastStream, rid_id, st.booleans())
    return st.lists(
        st.lists(stream, min_size=1, max_size=2).map(tuple), min_size=1, max_size=3
    ).map(tuple)


attributes: st.SearchStrategy[sdp.Attribute] = st.one_of(
    st.builds(sdp.Mid, token),
    st.builds(sdp.IceUfrag, ice_chars),
    st.builds(sdp.IcePwd, ice_chars),
    st.builds(sdp.IceOptions, st.lists(token, min_size=1, max_size=3).map(tuple)),
    st.builds(sdp.Flag, st.sampled_from(sdp.FLAGS)),
    st.builds(sdp.Direction, st.sampled_from(sdp.DIRECTIONS)),
    st.builds(sdp.Setup, st.sampled_from(sdp.SETUP_ROLES)),
    st.builds(
        sdp.Fingerprint,
        token,
        st.lists(st.binary(min_size=1, max_size=1), min_size=1, max_size=32).map(
            lambda parts: ":".join(part.hex().upper() for part in parts)
        ),
    ),
    st.builds(sdp.TlsId, st.text(string.ascii_letters + "+/-_", min_size=20, max_size=30)),
    st.builds(sdp.Identity, words),
    st.builds(sdp.Label, words),
    st.builds(sdp.Group, token, st.lists(token, max_size=3).map(tuple)),
    st.builds(sdp.MsidSemantic, token, st.lists(token, max_size=2).map(tuple)),
    st.builds(sdp.Msid, token, st.none() | token),
    st.builds(
        sdp.ExtMap,
        st.integers(1, 255) | st.integers(4096, 4351),
        visible,
        st.none() | st.sampled_from(sdp.DIRECTIONS),
        st.none() | words,
    ),
    st.builds(sdp.Rtcp, uint16),
    st.builds(sdp.Rtcp, uint16, token, token, visible),
    st.builds(sdp.RtpMap, payload_type, token, uint32, st.none() | st.integers(0, 255)),
    st.builds(
        sdp.Fmtp,
        payload_type,
        st.lists(st.tuples(token, st.none() | fmtp_value), max_size=4).map(sdp.FmtpParameters),
    ),
    st.builds(sdp.RtcpFb, st.none() | payload_type, token, st.none() | words),
    st.builds(sdp.Ssrc, uint32, token, st.none() | words | st.just("")),
    st.builds(sdp.SsrcGroup, token, st.lists(uint32, max_size=3).map(tuple)),
    st.builds(
        sdp.Rid,
        rid_id,
        st.sampled_from(["send", "recv"]),
        st.lists(payload_type, max_size=3).map(tuple),
        st.lists(
            st.tuples(token.filter(lambda key: key != "pt"), st.none() | fmtp_value), max_size=3
        ).map(tuple),
    ),
    st.builds(sdp.Simulcast, simulcast_list(), st.just(())),
    st.builds(sdp.Simulcast, st.just(()), simulcast_list()),
    st.builds(sdp.Simulcast, simulcast_list(), simulcast_list()),
    st.builds(sdp.SctpPort, uint16),
    st.builds(sdp.MaxMessageSize, uint64),
    st.builds(sdp.SctpMap, uint16, token, st.none() | uint16),
    st.builds(sdp.CandidateAttribute, candidates),
    st.builds(sdp.Ptime, decimal),
    st.builds(sdp.MaxPtime, decimal),
    st.builds(sdp.Framerate, decimal),
    st.builds(sdp.UnknownAttribute, token.map(lambda name: "x-" + name), st.none() | free_text),
    st.builds(
        sdp.UnknownLine,
        st.sampled_from([c for c in string.ascii_letters if c not in "vosiuepcbtrzkam"]),
        free_text,
    ),
)

connections = st.builds(sdp.Connection, token, token, visible)
bandwidths = st.builds(sdp.Bandwidth, token, uint64)

media_descriptions = st.builds(
    sdp.MediaDescription,
    kind=token,
    port=uint16,
    protocol=st.lists(token, min_size=1, max_size=4).map("/".join),
    formats=st.lists(token, min_size=1, max_size=5),
    port_count=st.none() | uint16,
    information=st.none() | free_text,
    connections=st.lists(connections, max_size=2),
    bandwidths=st.lists(bandwidths, max_size=2),
    key=st.none() | free_text,
    attributes=st.lists(attributes, max_size=8),
)

descriptions = st.builds(
    sdp.SessionDescription,
    origin=st.builds(sdp.Origin, visible, uint64, uint64, token, token, visible),
    name=st.none() | free_text,
    information=st.none() | free_text,
    uri=st.none() | free_text,
    emails=st.lists(free_text, max_size=2),
    phones=st.lists(free_text, max_size=2),
    connection=st.none() | connections,
    bandwidths=st.lists(bandwidths, max_size=2),
    timings=st.lists(
        st.builds(
            sdp.Timing,
            uint64,
            uint64,
            st.lists(free_text, max_size=2).map(tuple),
            st.none() | free_text,
        ),
        max_size=3,
    ),
    key=st.none() | free_text,
    attributes=st.lists(attributes, max_size=6),
    media=st.lists(media_descriptions, max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(descriptions)
def test_generated_descriptions_round_trip(description: sdp.SessionDescription) -> None:
    text = description.serialize()
    parsed = sdp.SessionDescription.parse(text)
    assert parsed == description
    assert parsed.serialize() == text
    assert sdp.SessionDescription.parse(text.replace("\r\n", "\n")) == description


@settings(max_examples=300, deadline=None)
@given(attributes)
def test_generated_attributes_round_trip(attribute: sdp.Attribute) -> None:
    if isinstance(attribute, sdp.UnknownLine):
        return
    line = attribute.to_line()
    parsed = sdp.parse_attribute(line[2:])
    assert parsed == attribute
    assert parsed.to_line() == line


def check_parsed(text: str) -> None:
    """Parse; on success the text must come back byte for byte and every view must work."""
    try:
        description = sdp.SessionDescription.parse(text)
    except sdp.SdpError:
        return
    # the documented contract: same lines, CRLF after each
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    assert description.serialize() == "".join(line.removesuffix("\r") + "\r\n" for line in lines)
    sections = [description, *description.media]
    for section in sections:
        for attribute in section.attributes:
            if isinstance(attribute, sdp.UnknownLine):
                continue
            # the typed fields alone rebuild an equal attribute
            rebuilt = dataclasses.replace(attribute)
            assert sdp.parse_attribute(rebuilt.to_line()[2:]) == attribute
        assert section.fingerprints == section.find(sdp.Fingerprint)
        _ = (section.direction, section.ice_ufrag, section.ice_pwd, section.setup)
    for media in description.media:
        _ = (media.codecs, media.ssrcs, media.candidates, media.sctp_port, media.rids)
        _ = (media.max_message_size, media.extmaps, media.simulcast, media.mid)
        _ = [codec.rtx_apt for codec in media.codecs]
        _ = description.effective_ice_credentials(media)
        _ = [fingerprint.digest for fingerprint in description.effective_fingerprints(media)]
    _ = (description.bundle_groups, description.msid_semantics, description.ice_lite)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text_only_raises_sdp_error(text: str) -> None:
    check_parsed(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_sdp_error(data: bytes) -> None:
    try:
        text = data.decode()
    except UnicodeDecodeError:
        with pytest.raises(sdp.SdpError, match="UTF-8"):
            sdp.SessionDescription.parse(data)
        return
    check_parsed(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([line for lines in FIXTURE_LINES for line in lines]) | free_text,
        max_size=12,
    )
)
def test_random_line_sequences(lines: list[str]) -> None:
    check_parsed("\r\n".join(["v=0", "o=- 1 1 IN IP4 0.0.0.0", *lines]) + "\r\n")


@st.composite
def mutated_fixture(draw: st.DrawFn) -> str:
    lines = list(draw(st.sampled_from(FIXTURE_LINES)))
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        kind = draw(
            st.sampled_from(["truncate", "drop-field", "delete", "duplicate", "swap", "char"])
        )
        if kind == "truncate":
            lines[index] = line[: draw(st.integers(0, len(line)))]
        elif kind == "drop-field":
            fields = line.split(" ")
            del fields[draw(st.integers(0, len(fields) - 1))]
            lines[index] = " ".join(fields)
        elif kind == "delete":
            del lines[index]
        elif kind == "duplicate":
            lines.insert(index, line)
        elif kind == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], line
        elif kind == "char" and line:
            position = draw(st.integers(0, len(line) - 1))
            char = draw(st.sampled_from(" :/=;,~*-0129aZ\t\x00\u00e9"))
            lines[index] = line[:position] + char + line[position + 1 :]
        if not lines:
            break
    return "\r\n".join(lines) + "\r\n"


@settings(max_examples=400, deadline=None)
@given(mutated_fixture())
def test_mutated_fixtures_parse_exactly_or_raise_sdp_error(text: str) -> None:
    check_parsed(text)


@st.composite
def mutated_attribute_text(draw: st.DrawFn) -> str:
    """The text after ``a=`` of a generated attribute with a few characters replaced."""
    attribute = draw(attributes.filter(lambda a: not isinstance(a, sdp.UnknownLine)))
    text = attribute.to_line()[2:]
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(text)))
        replacement = draw(st.sampled_from([*" :/=;,~*-.0129aZ\t\u00e9", "", "pt=", "send"]))
        text = text[:position] + replacement + text[position + 1 :]
    return text


@settings(max_examples=200, deadline=None)
@given(mutated_attribute_text())
def test_mutated_attribute_values_parse_or_raise_sdp_error(text: str) -> None:
    try:
        attribute = sdp.parse_attribute(text)
    except sdp.SdpError:
        return
    assert attribute.to_line() == "a=" + text
    assert sdp.parse_attribute(dataclasses.replace(attribute).to_line()[2:]) == attribute
