"""Sequence number / timestamp comparison and unwrapping across wraparound."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyrtc.rtp import SequenceUnwrapper, TimestampUnwrapper, Unwrapper, seq_newer, timestamp_newer


def test_seq_newer() -> None:
    assert seq_newer(1, 0)
    assert not seq_newer(0, 1)
    assert not seq_newer(5, 5)
    assert seq_newer(0, 65535)  # across the wrap
    assert seq_newer(10, 65000)
    assert not seq_newer(65535, 0)
    assert seq_newer(32767, 0) and not seq_newer(0, 32767)
    # exactly half the range apart: the larger value wins, so the relation stays asymmetric
    assert seq_newer(32768, 0) and not seq_newer(0, 32768)


def test_timestamp_newer() -> None:
    assert timestamp_newer(100, 0xFFFFFF00)
    assert not timestamp_newer(0xFFFFFF00, 100)
    assert timestamp_newer(2**31, 0) and not timestamp_newer(0, 2**31)


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_seq_newer_is_antisymmetric(a: int, b: int) -> None:
    if a == b:
        assert not seq_newer(a, b)
    else:
        assert seq_newer(a, b) != seq_newer(b, a)


def test_sequence_unwrap_across_wrap_with_reordering() -> None:
    unwrapper = SequenceUnwrapper()
    arrivals = [65533, 65534, 0, 65535, 1, 3, 2, 65535, 4]
    expected = [65533, 65534, 65536, 65535, 65537, 65539, 65538, 65535, 65540]
    assert [unwrapper.unwrap(s) for s in arrivals] == expected


def test_sequence_unwrap_backwards_wrap() -> None:
    unwrapper = SequenceUnwrapper()
    assert unwrapper.unwrap(2) == 2
    assert unwrapper.unwrap(65535) == -1  # reordered from before the first packet
    assert unwrapper.unwrap(3) == 3


def test_sequence_unwrap_many_cycles() -> None:
    unwrapper = SequenceUnwrapper()
    values = [unwrapper.unwrap((i * 1000) & 0xFFFF) for i in range(1000)]
    assert values == [i * 1000 for i in range(1000)]


def test_timestamp_unwrap() -> None:
    unwrapper = TimestampUnwrapper()
    assert unwrapper.unwrap(0xFFFFF000) == 0xFFFFF000
    assert unwrapper.unwrap(0x00000F00) == 2**32 + 0xF00
    assert unwrapper.unwrap(0xFFFFFF00) == 0xFFFFFF00  # late frame from before the wrap
    assert unwrapper.unwrap(0x00002000) == 2**32 + 0x2000


def test_unwrap_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        SequenceUnwrapper().unwrap(65536)
    with pytest.raises(ValueError):
        TimestampUnwrapper().unwrap(-1)


@given(
    st.integers(0, 2**20),
    st.lists(st.integers(-3000, 3000), min_size=1, max_size=200),
    st.sampled_from([8, 16, 32]),
)
def test_unwrap_recovers_a_walk(start: int, steps: list[int], bits: int) -> None:
    # any walk whose steps stay under half the range unwraps to itself (offset by the start)
    half = 1 << (bits - 1)
    steps = [max(-half + 1, min(half - 1, s)) for s in steps]
    unwrapper = Unwrapper(bits)
    position = start
    base = unwrapper.unwrap(position % (1 << bits)) - position
    for step in steps:
        position += step
        assert unwrapper.unwrap(position % (1 << bits)) == position + base
