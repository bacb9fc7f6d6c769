"""The v1 JSON codec: round trips, the schema, and garbage only ever raising the layer's error."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.errors import ParseError
from pyrtc.signaling import (
    CLOSE_CODES,
    Answer,
    Candidate,
    ErrorMessage,
    IceCandidate,
    Join,
    Joined,
    Leave,
    Offer,
    Participant,
    PeerJoined,
    PeerLeft,
    Ping,
    Pong,
    SignalingParseError,
    encode_client_message,
    encode_server_message,
    parse_client_message,
    parse_server_message,
)

SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
CANDIDATE = IceCandidate("candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", "0", 0, "abcd")


def test_wire_format_of_a_relayed_candidate() -> None:
    text = encode_client_message(Candidate("p2", CANDIDATE))
    assert json.loads(text) == {
        "v": 1,
        "type": "candidate",
        "to": "p2",
        "candidate": {
            "candidate": CANDIDATE.candidate,
            "sdpMid": "0",
            "sdpMLineIndex": 0,
            "usernameFragment": "abcd",
        },
    }
    relayed = encode_server_message(Candidate("p1", CANDIDATE))
    assert json.loads(relayed)["from"] == "p1" and "to" not in json.loads(relayed)


def test_browser_candidate_json_is_accepted_as_is() -> None:
    # What RTCIceCandidate.toJSON() gives, and null for the end of candidates.
    text = json.dumps(
        {"v": 1, "type": "candidate", "to": "p9", "candidate": {"candidate": "", "sdpMid": "1"}}
    )
    assert parse_client_message(text) == Candidate("p9", IceCandidate("", "1", None, None))
    end = json.dumps({"v": 1, "type": "candidate", "to": "p9", "candidate": None})
    assert parse_client_message(end) == Candidate("p9", None)


@pytest.mark.parametrize(
    "message",
    [
        Join("room-1", "a.b.c"),
        Offer("p2", SDP),
        Answer("p1", SDP),
        Candidate("p3", CANDIDATE),
        Candidate("p3", None),
        Leave(),
        Ping(),
    ],
)
def test_client_messages_round_trip(message: object) -> None:
    assert parse_client_message(encode_client_message(message)) == message  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "message",
    [
        Joined("r", "p3", "carol", (Participant("p1", "alice"), Participant("p2", "bob"))),
        Joined("r", "p1", "alice", ()),
        PeerJoined(Participant("p2", "bob")),
        PeerLeft("p2"),
        Offer("p1", SDP),
        Answer("p2", SDP),
        Candidate("p1", CANDIDATE),
        Pong(),
        ErrorMessage("room-full", "the room has 8 participants"),
    ],
)
def test_server_messages_round_trip(message: object) -> None:
    assert parse_server_message(encode_server_message(message)) == message  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ("not json", "bad-message", "not valid JSON"),
        ("[1, 2]", "bad-message", "JSON object"),
        ('{"type": "ping"}', "bad-message", "version"),
        ('{"v": "1", "type": "ping"}', "bad-message", "version"),
        ('{"v": true, "type": "ping"}', "bad-message", "version"),
        ('{"v": 2, "type": "ping"}', "unsupported-version", "version 2"),
        ('{"v": 1}', "bad-message", "type"),
        ('{"v": 1, "type": "dance"}', "bad-message", "unknown message type"),
        ('{"v": 1, "type": "ping", "extra": 1}', "bad-message", "unknown member"),
        ('{"v": 1, "type": "offer", "to": "p1"}', "bad-message", "missing 'sdp'"),
        ('{"v": 1, "type": "offer", "to": 5, "sdp": ""}', "bad-message", "wrong type"),
        ('{"v": 1, "type": "join", "room": "a b", "token": "t"}', "bad-message", "room"),
        ('{"v": 1, "type": "join", "room": "", "token": "t"}', "bad-message", "room"),
        ('{"v": 1, "type": "join", "room": "r", "token": "t", "user": "x"}', "bad-message", "user"),
        ('{"v": 1, "type": "offer", "to": "p1", "sdp": "\\ud800"}', "bad-message", "UTF-8"),
        ('{"v": 1, "type": "ping", "x": NaN}', "bad-message", "NaN"),
        ('{"v": 1, "type": "candidate", "to": "p", "candidate": []}', "bad-message", "type"),
        (
            '{"v": 1, "type": "candidate", "to": "p", "candidate": {"candidate": "c", '
            '"sdpMLineIndex": true}}',
            "bad-message",
            "wrong type",
        ),
        (
            '{"v": 1, "type": "candidate", "to": "p", "candidate": {"candidate": "c", '
            '"sdpMLineIndex": -1}}',
            "bad-message",
            "out of range",
        ),
        ("[" * 100_000, "bad-message", "not valid JSON"),
        ('{"v": 1, "type": "ping", "n": ' + "9" * 5000 + "}", "bad-message", "not valid JSON"),
    ],
)
def test_schema_violations(text: str, code: str, fragment: str) -> None:
    with pytest.raises(SignalingParseError) as info:
        parse_client_message(text)
    assert info.value.code == code
    assert fragment in info.value.message
    assert isinstance(info.value, ParseError)


def test_length_limits() -> None:
    long_id = json.dumps({"v": 1, "type": "offer", "to": "p" * 65, "sdp": ""})
    with pytest.raises(SignalingParseError, match="too long"):
        parse_client_message(long_id)
    long_sdp = json.dumps({"v": 1, "type": "offer", "to": "p1", "sdp": "x" * (1 << 16 + 1)})
    with pytest.raises(SignalingParseError, match="too long"):
        parse_client_message(long_sdp)


def test_server_messages_are_validated_too() -> None:
    with pytest.raises(SignalingParseError):
        parse_server_message('{"v": 1, "type": "joined", "room": "r", "id": "p1", "user": "u"}')
    with pytest.raises(SignalingParseError, match="peer is an object"):
        parse_server_message(
            '{"v": 1, "type": "joined", "room": "r", "id": "p1", "user": "u", "peers": [1]}'
        )
    with pytest.raises(SignalingParseError, match="unknown message type"):
        parse_server_message('{"v": 1, "type": "join", "room": "r", "token": "t"}')


def test_close_codes() -> None:
    assert CLOSE_CODES["unknown-peer"] is None
    standard = {code for code, close in CLOSE_CODES.items() if close is not None and close < 4000}
    assert standard == {"message-too-large", "slow-consumer"}
    assert CLOSE_CODES["token-expired"] == CLOSE_CODES["token-wrong-room"] == 4401
    assert CLOSE_CODES["rate-limited"] == 4429 and CLOSE_CODES["room-full"] == 4409


ids = st.text(st.characters(codec="utf-8"), min_size=1, max_size=64)
candidates = st.none() | st.builds(
    IceCandidate,
    st.text(st.characters(codec="utf-8"), max_size=200),
    st.none() | st.text(st.characters(codec="utf-8"), max_size=64),
    st.none() | st.integers(0, 1023),
    st.none() | st.text(st.characters(codec="utf-8"), max_size=64),
)
client_messages = st.one_of(
    st.builds(Join, st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True), ids),
    st.builds(Offer, ids, st.text(st.characters(codec="utf-8"), max_size=500)),
    st.builds(Answer, ids, st.text(st.characters(codec="utf-8"), max_size=500)),
    st.builds(Candidate, ids, candidates),
    st.just(Leave()),
    st.just(Ping()),
)


@settings(max_examples=200)
@given(client_messages)
def test_property_client_round_trip(message: object) -> None:
    assert parse_client_message(encode_client_message(message)) == message  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)


@settings(max_examples=300)
@given(st.text(max_size=300) | json_values.map(json.dumps))
def test_property_garbage_only_raises_parse_error(text: str) -> None:
    for parse in (parse_client_message, parse_server_message):
        with contextlib.suppress(SignalingParseError):
            parse(text)


@settings(max_examples=200)
@given(client_messages, st.data())
def test_property_truncated_messages_only_raise_parse_error(
    message: object, data: st.DataObject
) -> None:
    text = encode_client_message(message)  # type: ignore[arg-type]
    cut = data.draw(st.integers(0, len(text) - 1))
    with pytest.raises(SignalingParseError):
        parse_client_message(text[:cut])
