"""RFC 8285 header extension blocks and the typed extension codecs."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyrtc._native.rtp_hdrext import FIELDS
from pyrtc.rtp import (
    ABS_CAPTURE_TIME,
    ABS_SEND_TIME,
    AUDIO_LEVEL,
    CODECS,
    MID,
    PLAYOUT_DELAY,
    REPAIRED_RTP_STREAM_ID,
    RTP_STREAM_ID,
    TOFFSET,
    TRANSPORT_CC,
    VIDEO_ORIENTATION,
    AbsCaptureTime,
    AudioLevel,
    HeaderExtensions,
    HeaderExtensionsMap,
    PlayoutDelay,
    RtpPacket,
    VideoOrientation,
    abs_send_time_from_seconds,
    abs_send_time_to_seconds,
    decode_abs_capture_time,
    decode_abs_send_time,
    decode_audio_level,
    decode_playout_delay,
    decode_sdes_string,
    decode_toffset,
    decode_transport_cc,
    decode_video_orientation,
    encode_abs_capture_time,
    encode_abs_send_time,
    encode_audio_level,
    encode_playout_delay,
    encode_sdes_string,
    encode_toffset,
    encode_transport_cc,
    encode_video_orientation,
)

HEADER = bytes.fromhex("90 60 0001 00000002 00000003")  # V=2 X=1 PT=96 seq=1 ts=2 ssrc=3
EXTMAP = Path(__file__).parent / "fixtures" / "chromium156_extmap.txt"  # from the shared SDP


def with_block(profile: int, block: bytes, payload: bytes = b"P") -> bytes:
    assert len(block) % 4 == 0
    return (
        HEADER + profile.to_bytes(2, "big") + (len(block) // 4).to_bytes(2, "big") + block + payload
    )


def test_rfc8285_one_byte_example() -> None:
    # RFC 8285 §4.2 figure: an element with L=0 (1 byte), one with L=1 (2 bytes), two padding
    # bytes, then one with L=3 (4 bytes); three words in all.
    block = bytes.fromhex("10 aa 21 bbbb 00 00 33 cccccccc")
    packet = RtpPacket.parse(with_block(0xBEDE, block))
    assert packet.extensions == {1: b"\xaa", 2: b"\xbb\xbb", 3: b"\xcc" * 4}
    assert list(packet.extensions) == [1, 2, 3]
    assert packet.payload == b"P"
    # re-encoded without the padding between elements
    assert packet.serialize() == with_block(0xBEDE, bytes.fromhex("10aa 21bbbb 33cccccccc 0000"))


def test_rfc8285_two_byte_example() -> None:
    # RFC 8285 §4.3 figure: an element with L=0, one with L=1, a padding byte, one with L=4.
    block = bytes.fromhex("01 00 02 01 bb 00 03 04 cccccccc")
    packet = RtpPacket.parse(with_block(0x1000, block))
    assert packet.extensions == {1: b"", 2: b"\xbb", 3: b"\xcc" * 4}
    # a zero-length element forces the two-byte form again
    assert packet.serialize() == with_block(0x1000, bytes.fromhex("0100 0201bb 0304cccccccc 00"))


def test_two_byte_appbits_are_accepted() -> None:
    block = bytes.fromhex("05 02 abcd")
    assert RtpPacket.parse(with_block(0x100F, block)).extensions == {5: b"\xab\xcd"}


def test_one_byte_id15_stops_processing() -> None:
    # RFC 8285 §4.2: ID 15's length is ignored and nothing after it is considered
    block = bytes.fromhex("10 aa f3 21 bbbb 0000")
    assert RtpPacket.parse(with_block(0xBEDE, block)).extensions == {1: b"\xaa"}
    assert RtpPacket.parse(with_block(0xBEDE, bytes.fromhex("f0 10 aa 00"))).extensions == {}


def test_one_byte_id0_is_padding_whatever_its_length() -> None:
    block = bytes.fromhex("0f 10 aa 00")
    assert RtpPacket.parse(with_block(0xBEDE, block)).extensions == {1: b"\xaa"}


def test_truncated_element_keeps_earlier_ones() -> None:
    # the third element claims 16 bytes but the block ends: elements before it survive
    one = bytes.fromhex("10 aa 21 bbbb 3f cc 00 00 00 00 00")
    packet = RtpPacket.parse(with_block(0xBEDE, one))
    assert packet.extensions == {1: b"\xaa", 2: b"\xbb\xbb"}
    assert packet.payload == b"P"
    two = bytes.fromhex("01 01 aa 02 ff bb cc dd")
    assert RtpPacket.parse(with_block(0x1000, two)).extensions == {1: b"\xaa"}
    # a two-byte element header cut in half
    assert RtpPacket.parse(with_block(0x1000, bytes.fromhex("01 01 aa 02"))).extensions == {
        1: b"\xaa"
    }


@pytest.mark.parametrize(
    ("elements", "block_hex", "profile"),
    [
        ({14: b"x" * 16}, "ef" + "78" * 16 + "000000", 0xBEDE),
        ({15: b"x"}, "0f0178 00", 0x1000),  # id 15 is reserved in the one-byte form
        ({1: b"x" * 17}, "0111" + "78" * 17 + "00", 0x1000),
        ({1: b"", 2: b"y"}, "0100 020179 000000", 0x1000),
        ({200: b"z", 1: b"a"}, "c8017a 010161 0000", 0x1000),  # order preserved
    ],
)
def test_serialize_picks_the_form(elements: dict[int, bytes], block_hex: str, profile: int) -> None:
    # extmap-allow-mixed: the two-byte form only when an element needs it
    data = RtpPacket(
        payload_type=96, sequence_number=1, timestamp=2, ssrc=3, payload=b"P", extensions=elements
    ).serialize()
    assert data == with_block(profile, bytes.fromhex(block_hex))
    assert RtpPacket.parse(data).extensions == elements


element_dicts = st.dictionaries(st.integers(1, 255), st.binary(max_size=255), max_size=12)


@given(element_dicts)
def test_elements_round_trip(elements: dict[int, bytes]) -> None:
    data = RtpPacket(payload=b"abc", extensions=elements).serialize()
    packet = RtpPacket.parse(data)
    assert packet.extensions == elements
    assert list(packet.extensions) == list(elements)
    assert packet.payload == b"abc"


# --- typed codecs -----------------------------------------------------------------------

Codec = tuple[Callable[[Any], bytes], Callable[[bytes], Any]]
sdes_text = st.text(
    st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=60
).filter(lambda s: len(s.encode()) <= 255)

TYPED: list[tuple[Codec, st.SearchStrategy[Any]]] = [
    ((encode_sdes_string, decode_sdes_string), sdes_text),
    ((encode_abs_send_time, decode_abs_send_time), st.integers(0, 0xFFFFFF)),
    ((encode_transport_cc, decode_transport_cc), st.integers(0, 0xFFFF)),
    (
        (encode_audio_level, decode_audio_level),
        st.builds(AudioLevel, st.booleans(), st.integers(0, 127)),
    ),
    (
        (encode_playout_delay, decode_playout_delay),
        st.builds(
            PlayoutDelay,
            st.integers(0, 4095).map(lambda u: u * 10),
            st.integers(0, 4095).map(lambda u: u * 10),
        ),
    ),
    (
        (encode_video_orientation, decode_video_orientation),
        st.builds(
            VideoOrientation, st.booleans(), st.booleans(), st.sampled_from([0, 90, 180, 270])
        ),
    ),
    (
        (encode_abs_capture_time, decode_abs_capture_time),
        st.builds(
            AbsCaptureTime, st.integers(0, 2**64 - 1), st.none() | st.integers(-(2**63), 2**63 - 1)
        ),
    ),
    ((encode_toffset, decode_toffset), st.integers(-(2**23), 2**23 - 1)),
]


@pytest.mark.parametrize(("codec", "values"), TYPED, ids=[c[0].__name__ for c, _ in TYPED])
@given(data=st.data())
def test_typed_round_trip(
    codec: Codec, values: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    encode, decode = codec
    value = data.draw(values)
    assert decode(encode(value)) == value


@pytest.mark.parametrize(("codec", "values"), TYPED, ids=[c[0].__name__ for c, _ in TYPED])
@given(data=st.data())
def test_typed_decode_never_raises(
    codec: Codec, values: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    raw = data.draw(st.binary(max_size=20))
    decoded = codec[1](raw)
    if decoded is not None:  # anything it accepts re-encodes to a value it decodes the same
        assert codec[1](codec[0](decoded)) == decoded


def test_typed_known_values() -> None:
    assert decode_abs_send_time(b"\x40\x00\x00") == 1 << 22  # 16 s in 6.18 fixed point
    assert abs_send_time_to_seconds(1 << 22) == 16.0
    assert abs_send_time_from_seconds(16.0) == 1 << 22
    assert abs_send_time_from_seconds(64.5) == abs_send_time_from_seconds(0.5)  # wraps at 64 s
    assert decode_audio_level(b"\x85") == (True, 5)  # RFC 6464: V=1, level -5 dBov
    assert decode_audio_level(b"\x7f") == AudioLevel(False, 127)
    assert decode_toffset(b"\xff\xff\xfe") == -2
    assert encode_toffset(-2) == b"\xff\xff\xfe"
    # playout-delay: MIN=10 (100 ms), MAX=200 (2000 ms) -> 0x00A 0x0C8
    assert decode_playout_delay(bytes.fromhex("00a0c8")) == PlayoutDelay(100, 2000)
    assert decode_video_orientation(b"\x0d") == VideoOrientation(True, True, 90)
    assert encode_video_orientation(VideoOrientation(False, False, 270)) == b"\x03"
    assert decode_sdes_string(b"audio\0\0") == "audio"
    assert decode_abs_capture_time(bytes(8)) == AbsCaptureTime(0, None)
    offset = (-1).to_bytes(8, "big", signed=True)
    assert decode_abs_capture_time(bytes(7) + b"\x01" + offset) == AbsCaptureTime(1, -1)


@pytest.mark.parametrize(
    ("decode", "data"),
    [
        (decode_abs_send_time, b"\x00\x00\x00\x01"),  # Janus-style 4 bytes (aiortc issue 745)
        (decode_abs_send_time, b"\x01"),
        (decode_transport_cc, b"\x00\x01\x02"),
        (decode_audio_level, b""),
        (decode_audio_level, b"\x01\x02"),
        (decode_playout_delay, b"\x00"),
        (decode_video_orientation, b"\x00\x00"),
        (decode_abs_capture_time, bytes(12)),
        (decode_toffset, b"\x00\x00"),
        (decode_sdes_string, b""),
        (decode_sdes_string, b"\0abc"),
        (decode_sdes_string, b"\xff\xfe"),
    ],
)
def test_unexpected_values_decode_to_none(decode: Callable[[bytes], Any], data: bytes) -> None:
    assert decode(data) is None


@pytest.mark.parametrize(
    ("encode", "value"),
    [
        (encode_abs_send_time, 1 << 24),
        (encode_transport_cc, -1),
        (encode_audio_level, (True, 128)),
        (encode_playout_delay, (15, 20)),
        (encode_playout_delay, (0, 40960)),
        (encode_video_orientation, VideoOrientation(False, False, 45)),
        (encode_abs_capture_time, AbsCaptureTime(1 << 64)),
        (encode_abs_capture_time, AbsCaptureTime(0, 1 << 63)),
        (encode_toffset, 1 << 23),
        (encode_sdes_string, ""),
        (encode_sdes_string, "a\0b"),
        (encode_sdes_string, "x" * 256),
    ],
)
def test_unrepresentable_values_raise(encode: Callable[[Any], bytes], value: Any) -> None:
    with pytest.raises(ValueError):
        encode(value)


# --- the id <-> URI map -----------------------------------------------------------------


def chromium_extmap() -> list[tuple[int, str]]:
    pairs = []
    for line in EXTMAP.read_text().splitlines():
        if line.startswith("a=extmap:"):
            ext_id, uri = line[len("a=extmap:") :].split()[:2]
            pairs.append((int(ext_id.split("/")[0]), uri))
    return pairs


def test_codecs_cover_every_field() -> None:
    assert sorted(name for name, _, _ in CODECS.values()) == sorted(FIELDS)
    values = HeaderExtensions()
    assert all(getattr(values, name) is None for name in FIELDS)


@given(st.binary(max_size=20), st.binary(max_size=20))
def test_map_decode_matches_the_python_codecs(first: bytes, second: bytes) -> None:
    # the map decodes the hot kinds inline in C: same results as the reference codecs
    uris = list(CODECS)
    ext_map = HeaderExtensionsMap((i + 1, uri) for i, uri in enumerate(uris))
    for data in (first, second):
        decoded = ext_map.decode({i + 1: data for i in range(len(uris))})
        for uri in uris:
            name, decode, _ = CODECS[uri]
            assert getattr(decoded, name) == decode(data), uri


def test_header_extensions_value_semantics() -> None:
    values = HeaderExtensions(mid="0", abs_send_time=5)
    assert values == HeaderExtensions(abs_send_time=5, mid="0")
    assert values != HeaderExtensions(mid="0")
    assert values != ("mid", "0")
    assert repr(values) == "HeaderExtensions(abs_send_time=5, mid='0')"
    values.audio_level = AudioLevel(True, 3)
    assert values.audio_level == (True, 3)
    with pytest.raises(TypeError):
        hash(values)


def test_uris_match_what_chromium_offers() -> None:
    offered = {uri for _, uri in chromium_extmap()}
    ours = {
        MID,
        RTP_STREAM_ID,
        REPAIRED_RTP_STREAM_ID,
        ABS_SEND_TIME,
        TRANSPORT_CC,
        AUDIO_LEVEL,
        PLAYOUT_DELAY,
        VIDEO_ORIENTATION,
        TOFFSET,
    }
    assert ours <= offered
    assert ABS_CAPTURE_TIME == "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"


def test_map_from_chromium_sdp_decodes_a_video_packet() -> None:
    ext_map = HeaderExtensionsMap(chromium_extmap())  # audio and video share ids in BUNDLE
    assert ext_map.id_of(MID) == 4
    assert ext_map.uri_of(13) == VIDEO_ORIENTATION
    assert ext_map.id_of("urn:example:unknown") is None
    assert ext_map.uri_of(9) is None
    values = HeaderExtensions(
        mid="1",
        rtp_stream_id="hi",
        abs_send_time=0x123456,
        transport_sequence_number=65535,
        video_orientation=VideoOrientation(False, False, 90),
        playout_delay=PlayoutDelay(0, 0),
        transmission_offset=-5,
    )
    elements = ext_map.encode(values)
    assert elements == {
        4: b"1",
        10: b"hi",
        2: b"\x12\x34\x56",
        3: b"\xff\xff",
        5: b"\x00\x00\x00",
        13: b"\x01",
        14: b"\xff\xff\xfb",
    }
    data = RtpPacket(payload_type=96, extensions=elements, payload=b"frame").serialize()
    assert data[12:14] == b"\xbe\xde"  # everything fits the one-byte form
    assert ext_map.decode(RtpPacket.parse(data).extensions) == values


def test_map_decode_keeps_odd_values_out() -> None:
    ext_map = HeaderExtensionsMap({2: ABS_SEND_TIME, 3: TRANSPORT_CC, 7: "urn:example:x"})
    # abs-send-time with 4 bytes (Janus, aiortc issue 745): parse and decode must not fail
    data = with_block(0xBEDE, bytes.fromhex("23 00000001 31 0007 7000 0000"))
    packet = RtpPacket.parse(data)
    assert packet.extensions == {2: b"\x00\x00\x00\x01", 3: b"\x00\x07", 7: b"\x00"}
    decoded = ext_map.decode(packet.extensions)
    assert decoded.abs_send_time is None
    assert decoded.transport_sequence_number == 7
    assert ext_map.encode(HeaderExtensions(mid="0", transport_sequence_number=1)) == {
        3: b"\x00\x01"
    }
    assert ext_map.items() == [(2, ABS_SEND_TIME), (3, TRANSPORT_CC), (7, "urn:example:x")]


def test_map_rejects_bad_ids() -> None:
    with pytest.raises(ValueError, match="outside 1-255"):
        HeaderExtensionsMap([(0, MID)])
    with pytest.raises(ValueError, match="two URIs"):
        HeaderExtensionsMap([(1, MID), (1, ABS_SEND_TIME)])
    assert HeaderExtensionsMap([(1, MID), (1, MID)]).items() == [(1, MID)]


def test_map_and_values_pickle() -> None:
    ext_map = HeaderExtensionsMap({4: MID, 2: ABS_SEND_TIME})
    copied = pickle.loads(pickle.dumps(ext_map))
    assert copied.items() == ext_map.items()
    assert copied.decode({4: b"a", 2: b"\x00\x00\x01"}) == HeaderExtensions(
        mid="a", abs_send_time=1
    )
    values = HeaderExtensions(audio_level=AudioLevel(False, 9))
    assert pickle.loads(pickle.dumps(values)) == values


def test_audio_level_from_linear_rfc6464_scale() -> None:
    """-dBov rounded and clamped to 0..127 (RFC 6464 section 3); silence is 127."""
    from pyrtc.rtp import audio_level_from_linear

    assert audio_level_from_linear(1.0) == 0
    assert audio_level_from_linear(2.0) == 0  # clipped input is at the overload point
    assert audio_level_from_linear(0.5) == 6  # -6.02 dBov
    assert audio_level_from_linear(0.1) == 20
    assert audio_level_from_linear(10 ** (-127 / 20)) == 127
    assert audio_level_from_linear(1e-9) == 127
    assert audio_level_from_linear(0.0) == 127
    assert audio_level_from_linear(float("nan")) == 127
