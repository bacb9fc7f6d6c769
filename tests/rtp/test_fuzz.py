"""Random, truncated and mutated bytes only ever raise RtpParseError, never crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.rtp import HeaderExtensionsMap, RtpPacket, RtpParseError
from pyrtc.rtp.extensions import CODECS

EVERYTHING = HeaderExtensionsMap((i + 1, uri) for i, uri in enumerate(CODECS))


def exercise(data: bytes) -> None:
    """Parse ``data``; a packet that parses must be fully readable and re-serializable."""
    try:
        packet = RtpPacket.parse(data)
    except RtpParseError:
        return
    # never read: re-serialized verbatim except the padding bytes, which become zeros
    untouched = packet.serialize()
    kept = len(data) - packet.padding_size
    assert untouched[:kept] == data[:kept]
    assert len(untouched) == len(data) and untouched[-1] == data[-1]
    assert len(packet.csrc) == data[0] & 0x0F
    EVERYTHING.decode(packet.extensions)
    again = RtpPacket.parse(packet.serialize())
    assert again.payload == packet.payload
    assert again.extensions == packet.extensions
    assert again.csrc == packet.csrc
    assert again.padding_size == packet.padding_size


rtp_like = st.builds(
    lambda first, rest: bytes([first]) + rest,
    st.integers(0x80, 0xBF),  # version 2, any P/X/CC: gets past the first check
    st.binary(max_size=120),
)


@settings(max_examples=3000)
@given(st.binary(max_size=200) | rtp_like)
def test_random_bytes(data: bytes) -> None:
    exercise(data)


valid_packets = st.builds(
    lambda pt, csrc, ext, payload, pad: RtpPacket(
        payload_type=pt, csrc=csrc, extensions=ext, payload=payload, padding_size=pad
    ).serialize(),
    st.integers(0, 127),
    st.lists(st.integers(0, 2**32 - 1), max_size=15),
    st.dictionaries(st.integers(1, 255), st.binary(max_size=40), max_size=6),
    st.binary(max_size=100),
    st.integers(0, 255),
)


@settings(max_examples=500)
@given(valid_packets, st.data())
def test_truncated_packets(data: bytes, draw: st.DataObject) -> None:
    cut = draw.draw(st.integers(0, len(data)))
    exercise(data[:cut])


@settings(max_examples=1000)
@given(valid_packets, st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4))
def test_mutated_packets(data: bytes, flips: list[tuple[int, int]]) -> None:
    mutated = bytearray(data)
    for position, value in flips:
        mutated[position % len(mutated)] = value
    exercise(bytes(mutated))
