"""ChannelData framing (RFC 8656 §12.5) and the TCP/TLS stream splitter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.stun import Class, Message, Method
from pyrtc.turn import (
    StreamFramer,
    TurnParseError,
    encode_channel_data,
    is_channel_data,
    parse_channel_data,
)

channels = st.integers(0x4000, 0x4FFF)
payloads = st.binary(max_size=300)


def test_header_layout() -> None:
    assert encode_channel_data(0x4001, b"abc") == b"\x40\x01\x00\x03abc"
    assert encode_channel_data(0x4001, b"abc", pad=True) == b"\x40\x01\x00\x03abc\x00"
    assert encode_channel_data(0x4FFF, b"abcd", pad=True) == b"\x4f\xff\x00\x04abcd"
    assert encode_channel_data(0x4000, b"", pad=True) == b"\x40\x00\x00\x00"


@given(channels, payloads, st.booleans())
def test_round_trip(channel: int, data: bytes, pad: bool) -> None:
    wire = encode_channel_data(channel, data, pad=pad)
    assert is_channel_data(wire)
    assert len(wire) % 4 == 0 or not pad
    assert parse_channel_data(wire) == (channel, data)


@pytest.mark.parametrize("channel", [0x3FFF, 0x5000, 0xFFFF, 0])
def test_channel_numbers_outside_the_range(channel: int) -> None:
    with pytest.raises(ValueError):
        encode_channel_data(channel, b"x")
    with pytest.raises(TurnParseError):
        parse_channel_data(channel.to_bytes(2) + b"\x00\x01x")


@pytest.mark.parametrize(
    "wire",
    [b"", b"\x40\x00\x00", b"\x40\x00\x00\x05abcd", b"\x40\x00\x00\x01abcde"],
    ids=["empty", "short-header", "truncated", "too-much-padding"],
)
def test_bad_lengths(wire: bytes) -> None:
    with pytest.raises(TurnParseError):
        parse_channel_data(wire)


def test_too_long_to_encode() -> None:
    with pytest.raises(ValueError):
        encode_channel_data(0x4000, bytes(0x10000))


@given(st.binary(max_size=80))
def test_random_bytes_only_raise_parse_errors(data: bytes) -> None:
    try:
        channel, payload = parse_channel_data(data)
    except TurnParseError:
        return
    assert 0x4000 <= channel <= 0x4FFF and payload == data[4 : 4 + len(payload)]


# -- stream framing --------------------------------------------------------------------------------


def stun_frame(data: bytes) -> bytes:
    message = Message(Method.DATA, Class.INDICATION, attributes={"DATA": data})
    return message.encode(fingerprint=True)


frames = st.lists(
    st.one_of(
        st.tuples(channels, payloads).map(lambda c: encode_channel_data(c[0], c[1], pad=True)),
        payloads.map(stun_frame),
    ),
    max_size=8,
)


def unpadded(frame: bytes) -> bytes:
    if is_channel_data(frame):
        return frame[: 4 + int.from_bytes(frame[2:4])]
    return frame


@settings(max_examples=150)
@given(frames, st.lists(st.integers(1, 40), max_size=30))
def test_any_chunking_gives_the_same_frames(parts: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(parts)
    framer = StreamFramer()
    out: list[bytes] = []
    pos = 0
    for size in cuts:
        out += framer.feed(stream[pos : pos + size])
        pos += size
    out += framer.feed(stream[pos:])
    assert out == [unpadded(p) for p in parts]
    assert framer.buffered == 0


def test_partial_frames_wait() -> None:
    framer = StreamFramer()
    wire = encode_channel_data(0x4000, b"hello", pad=True)
    assert framer.feed(wire[:2]) == []
    assert framer.feed(wire[2:9]) == []
    assert framer.buffered == 9
    assert framer.feed(wire[9:] + wire[:5]) == [wire[:9]]
    assert framer.buffered == 5


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x80\x00\x00\x00",  # neither 00 nor 01 prefix
        b"\x50\x00\x00\x00",  # reserved channel range
        b"\x00\x01\x00\x03abcd",  # STUN length not a multiple of 4
        b"\x00\x01\x00\x00\x00\x00\x00\x00",  # no magic cookie
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello
    ],
)
def test_garbage_breaks_the_stream_for_good(garbage: bytes) -> None:
    framer = StreamFramer()
    good = encode_channel_data(0x4000, b"ok", pad=True)
    assert framer.feed(good + garbage + good) == [good[:6]]  # what came before is delivered
    assert isinstance(framer.error, TurnParseError)
    assert framer.buffered == 0
    with pytest.raises(TurnParseError):
        framer.feed(good)


@given(st.binary(max_size=200))
def test_random_streams_only_raise_parse_errors(data: bytes) -> None:
    framer = StreamFramer()
    for frame in framer.feed(data):
        assert frame[0] < 0x50
    assert framer.buffered <= 0xFFFF + 20
    assert framer.error is None or framer.buffered == 0
