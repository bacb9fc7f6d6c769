"""DCEP codec (RFC 8832 §5): byte layout, round trips, malformed input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyrtc import ParseError
from pyrtc.datachannel import DataChannelOpen, DcepParseError


def test_open_layout() -> None:
    # RFC 8832 §5.1: type 0x03, channel type, priority, reliability, label length,
    # protocol length, label, protocol.
    message = DataChannelOpen(0x81, 256, 3, "chat", "json")
    expected = bytes.fromhex("03 81 0100 00000003 0004 0004".replace(" ", "")) + b"chatjson"
    assert message.encode() == expected
    assert DataChannelOpen.decode(expected) == message
    assert not message.ordered
    assert message.max_retransmits == 3
    assert message.max_packet_life_time is None


def test_timed_and_reliable_types() -> None:
    timed = DataChannelOpen(0x02, 128, 1500, "", "")
    assert (timed.ordered, timed.max_retransmits, timed.max_packet_life_time) == (True, None, 1500)
    reliable = DataChannelOpen(0x80, 256, 0, "x", "")
    assert (reliable.ordered, reliable.max_retransmits) == (False, None)


def test_aiortc_encodes_the_same_open() -> None:
    import struct

    from aiortc.rtcsctptransport import (
        DATA_CHANNEL_OPEN,
        DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT,
    )

    label, protocol = "données".encode(), b"p"
    theirs = (
        struct.pack(
            "!BBHLHH",
            DATA_CHANNEL_OPEN,
            DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT,
            0,
            2,
            len(label),
            len(protocol),
        )
        + label
        + protocol
    )
    assert DataChannelOpen.decode(theirs) == DataChannelOpen(0x01, 0, 2, "données", "p")


@given(
    st.sampled_from([0x00, 0x01, 0x02, 0x80, 0x81, 0x82]),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFFFFFF),
    st.text(max_size=30),
    st.text(max_size=30),
)
def test_roundtrip(kind: int, priority: int, reliability: int, label: str, protocol: str) -> None:
    message = DataChannelOpen(kind, priority, reliability, label, protocol)
    assert DataChannelOpen.decode(message.encode()) == message


@given(st.binary(max_size=40))
def test_random_bytes_only_raise_parse_error(data: bytes) -> None:
    try:
        DataChannelOpen.decode(data)
    except DcepParseError as exc:
        assert isinstance(exc, ParseError)


@pytest.mark.parametrize(
    "hexdata",
    [
        "03000100000000000001",  # label length 1 but no label
        "0300010000000000000000ff",  # trailing byte
        "03050100000000000000",  # unknown channel type
        "02",  # an ACK is not an OPEN
        "0300010000000000000200ff",  # label not UTF-8
    ],
)
def test_malformed_open(hexdata: str) -> None:
    with pytest.raises(DcepParseError):
        DataChannelOpen.decode(bytes.fromhex(hexdata))
