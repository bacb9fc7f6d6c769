"""Receive side in isolation: TSN tracking, gap blocks, reassembly, ordering, FORWARD TSN."""

from __future__ import annotations

import random

from hypothesis import example, given
from hypothesis import strategies as st

from pyrtc.sctp.chunks import FLAG_BEGINNING, FLAG_END, FLAG_UNORDERED, DataChunk, SackChunk
from pyrtc.sctp.events import MessageReceived
from pyrtc.sctp.receiver import Receiver

BIG = 1 << 30


def fragments(
    tsn: int, sid: int, ssn: int, data: bytes, size: int, ordered: bool = True
) -> list[DataChunk]:
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    chunks = []
    for i, piece in enumerate(pieces):
        flags = 0 if ordered else FLAG_UNORDERED
        if i == 0:
            flags |= FLAG_BEGINNING
        if i == len(pieces) - 1:
            flags |= FLAG_END
        chunks.append(DataChunk((tsn + i) & 0xFFFFFFFF, sid, ssn, 53, piece, flags))
    return chunks


def feed(receiver: Receiver, chunks: list[DataChunk]) -> list[MessageReceived]:
    out: list[MessageReceived] = []
    for chunk in chunks:
        receiver.receive(chunk, BIG, True, out)
    return out


@given(st.permutations(range(12)), st.integers(0, 0xFFFFFFFF))
# A middle fragment, then the E after it, before the B: the run must stay held.
@example(order=[0, 5, 4, 2, 3, 1, 6, 7, 8, 9, 10, 11], start=0)
def test_any_arrival_order_reassembles_in_ssn_order(order: list[int], start: int) -> None:
    # Three ordered messages of four fragments each, TSNs possibly wrapping past 2**32.
    receiver = Receiver(start, 65535)
    chunks = []
    for ssn in range(3):
        chunks += fragments(start + 4 * ssn, 1, ssn, bytes([ssn]) * 40, 10)
    out = feed(receiver, [chunks[i] for i in order])
    assert [m.data for m in out] == [bytes([n]) * 40 for n in range(3)]
    assert receiver.cumulative_tsn == (start + 11) & 0xFFFFFFFF
    assert receiver.held_bytes == 0
    assert not receiver.has_gaps


@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(1, 6), st.booleans()), max_size=8),
    st.randoms(use_true_random=False),
    st.integers(0, 0xFFFFFFFF),
)
def test_fragments_of_several_streams_in_any_order_make_each_message_once(
    spec: list[tuple[int, int, bool]], rng: random.Random, start: int
) -> None:
    """Messages of 1-6 fragments on three streams, consecutive in TSN, arriving in any order
    (every message a fragment run next to other streams' runs; RFC 9260 §6.9)."""
    receiver = Receiver(start, 65535)
    chunks: list[DataChunk] = []
    next_ssn = [0, 0, 0]
    expected: dict[int, list[bytes]] = {0: [], 1: [], 2: []}
    tsn = start
    for index, (sid, pieces, ordered) in enumerate(spec):
        data = bytes([index]) * (3 * pieces)
        chunks += fragments(tsn, sid, next_ssn[sid], data, 3, ordered)
        tsn += pieces
        if ordered:
            next_ssn[sid] += 1
            expected[sid].append(data)
    rng.shuffle(chunks)
    out = feed(receiver, chunks)
    assert sorted(m.data for m in out) == sorted(
        bytes([i]) * (3 * pieces) for i, (_, pieces, _) in enumerate(spec)
    )
    for sid in range(3):
        assert [m.data for m in out if m.stream_id == sid and m.ordered] == expected[sid]
    assert receiver.held_bytes == 0
    assert receiver._run_first == receiver._run_last == {}


def test_forward_tsn_into_a_fragment_run_keeps_the_rest_apart() -> None:
    """An abandoned message whose first fragments were lost: a FORWARD TSN to the middle of
    its held fragments leaves the later ones, which never join into a message."""
    receiver = Receiver(1, 65535)
    abandoned = fragments(1, 0, 0, bytes(8 * 4), 4)  # TSN 1-8
    out = feed(receiver, abandoned[2:7])  # TSN 3-7 held, 1, 2 and 8 missing
    receiver.forward_tsn(5, [(0, 0)], out)
    assert receiver.held_bytes == 2 * 4  # TSN 6 and 7
    out += feed(receiver, [abandoned[7]])  # TSN 8, the E fragment: no B before it any more
    assert out == [] and receiver.held_bytes == 3 * 4
    out += feed(receiver, fragments(10, 0, 2, b"after", 2))  # TSN 9 (SSN 1) lost
    assert out == []  # waits for SSN 1
    receiver.forward_tsn(9, [(0, 1)], out)  # the sender abandoned TSN 9 too
    assert [m.data for m in out] == [b"after"]
    assert receiver.held_bytes == 0
    assert receiver._run_first == receiver._run_last == {}


def test_unordered_message_is_not_held_behind_ordered_gap() -> None:
    receiver = Receiver(100, 65535)
    out = feed(
        receiver,
        [
            DataChunk(101, 0, 1, 53, b"ordered ssn 1"),
            DataChunk(102, 0, 0, 53, b"unordered", FLAG_BEGINNING | FLAG_END | FLAG_UNORDERED),
        ],
    )
    assert [m.data for m in out] == [b"unordered"]
    out = feed(receiver, [DataChunk(100, 0, 0, 53, b"ordered ssn 0")])
    assert [m.data for m in out] == [b"ordered ssn 0", b"ordered ssn 1"]


def test_ssn_wraps() -> None:
    receiver = Receiver(1, 65535)
    receiver._next_ssn[3] = 65535
    out = feed(receiver, [DataChunk(2, 3, 0, 53, b"b"), DataChunk(1, 3, 65535, 53, b"a")])
    assert [m.data for m in out] == [b"a", b"b"]


def test_sack_gap_blocks_duplicates_and_limit() -> None:
    receiver = Receiver(0xFFFFFFFE, 65535)
    tsns = [0xFFFFFFFE, 0, 1, 4, 6, 7]  # cumulative stops before 0xFFFFFFFF
    feed(
        receiver,
        [DataChunk(t, 0, 0, 53, b"x", FLAG_BEGINNING | FLAG_END | FLAG_UNORDERED) for t in tsns],
    )
    feed(receiver, [DataChunk(4, 0, 0, 53, b"x", FLAG_BEGINNING | FLAG_END | FLAG_UNORDERED)])
    sack = receiver.make_sack(1234, max_blocks=10)
    assert sack == SackChunk(0xFFFFFFFE, 1234, [(2, 3), (6, 6), (8, 9)], [4])
    assert receiver.make_sack(1234, max_blocks=2).gaps == [(2, 3), (6, 6)]
    assert receiver.make_sack(1234, max_blocks=10).duplicates == []  # reported once


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("data"), st.integers(-3, 60)),
            st.tuples(st.just("forward"), st.integers(-3, 40)),
        ),
        max_size=60,
    ),
    st.integers(0, 0xFFFFFFFF),
    st.integers(1, 8),
)
def test_cumulative_tsn_and_gap_blocks_follow_the_tsns_received(
    steps: list[tuple[str, int]], start: int, max_blocks: int
) -> None:
    """RFC 9260 §3.3.4, §6.2; RFC 3758 §3.6: whatever arrives in whatever order, the SACK
    reports the highest TSN below which everything arrived (or was skipped) and the runs of
    TSNs received above it, lowest first, at most ``max_blocks`` of them."""
    receiver = Receiver(start, 65535)
    cum = -1  # offsets from ``start``
    seen: set[int] = set()
    out: list[MessageReceived] = []
    for kind, offset in steps:
        tsn = (start + offset) & 0xFFFFFFFF
        if kind == "data":
            chunk = DataChunk(tsn, 0, 0, 53, b"x", FLAG_BEGINNING | FLAG_END | FLAG_UNORDERED)
            receiver.receive(chunk, BIG, True, out)
            if offset > cum:
                seen.add(offset)
        elif offset > cum:
            receiver.forward_tsn(tsn, [], out)
            cum = offset
        while cum + 1 in seen:
            cum += 1
        seen = {o for o in seen if o > cum}
        blocks: list[tuple[int, int]] = []
        for o in sorted(seen):
            if blocks and blocks[-1][1] == o - cum - 1:
                blocks[-1] = (blocks[-1][0], o - cum)
            else:
                blocks.append((o - cum, o - cum))
        sack = receiver.make_sack(0, max_blocks)
        assert sack.cumulative_tsn == (start + cum) & 0xFFFFFFFF
        assert sack.gaps == blocks[:max_blocks]
        assert receiver.has_gaps == bool(seen)


def test_forward_tsn_skips_and_releases_waiting_messages() -> None:
    receiver = Receiver(10, 65535)
    # SSN 0 (TSN 10-11) partly lost, SSN 1 (TSN 12) complete but waiting, SSN 2 (TSN 13).
    parts = fragments(10, 5, 0, b"lost message", 6)
    out = feed(
        receiver, [parts[0], DataChunk(12, 5, 1, 53, b"one"), DataChunk(13, 5, 2, 53, b"two")]
    )
    assert out == []
    assert receiver.held_bytes == 6 + 3 + 3
    receiver.forward_tsn(11, [(5, 0)], out)
    assert [m.data for m in out] == [b"one", b"two"]
    assert receiver.cumulative_tsn == 13
    assert receiver.held_bytes == 0


@given(
    st.sets(st.integers(1, 300), max_size=60),
    st.integers(0, 320),
    st.sampled_from([0, 0xFFFF - 100]),
)
def test_forward_tsn_releases_held_messages_in_ssn_order(
    held: set[int], skip_to: int, base: int
) -> None:
    """RFC 3758 §3.6: held ordered messages up to the FORWARD TSN's SSN are delivered in SSN
    order, then those that follow on from it; SSNs may wrap past 0xFFFF."""
    receiver = Receiver(1, 65535)
    receiver.reset_streams([5])
    ssns = [(base + offset) & 0xFFFF for offset in sorted(held)]
    out: list[MessageReceived] = []
    if base:  # start the stream at ``base`` by delivering messages up to it
        receiver._next_ssn[5] = base
    tsn = 2  # TSN 1 (SSN base - 1's message) was abandoned by the sender
    for ssn in ssns:
        receiver.receive(DataChunk(tsn, 5, ssn, 53, ssn.to_bytes(2, "big")), BIG, True, out)
        tsn += 1
    assert out == []
    receiver.forward_tsn(1, [(5, (base + skip_to) & 0xFFFF)], out)
    assert receiver.cumulative_tsn == tsn - 1
    expected = [offset for offset in sorted(held) if offset <= skip_to]
    following = skip_to + 1
    while following in held:
        expected.append(following)
        following += 1
    assert [int.from_bytes(m.data, "big") for m in out] == [
        (base + offset) & 0xFFFF for offset in expected
    ]
    assert receiver.held_bytes == 2 * (len(held) - len(expected))
    delivered = len(out)
    receiver.receive(DataChunk(tsn, 5, (base + following) & 0xFFFF, 53, b"next"), BIG, True, out)
    assert out[delivered].data == b"next"  # the stream goes on right after the skipped SSNs


def test_a_second_message_with_a_held_ssn_does_not_inflate_the_held_bytes() -> None:
    receiver = Receiver(1, 65535)
    out = feed(receiver, [DataChunk(2, 0, 1, 53, b"first"), DataChunk(3, 0, 1, 53, b"again!")])
    assert out == [] and receiver.held_bytes == len(b"first")
    out = feed(receiver, [DataChunk(1, 0, 0, 53, b"zero")])
    assert [m.data for m in out] == [b"zero", b"first"]
    assert receiver.held_bytes == 0


def test_forward_tsn_backwards_is_ignored() -> None:
    receiver = Receiver(50, 65535)
    feed(receiver, [DataChunk(50, 0, 0, 53, b"a")])
    out: list[MessageReceived] = []
    receiver.forward_tsn(40, [(0, 7)], out)
    assert receiver.cumulative_tsn == 50 and out == []


def test_window_full_drops_unless_next_expected() -> None:
    receiver = Receiver(1, 65535)
    out: list[MessageReceived] = []
    assert not receiver.receive(DataChunk(2, 0, 1, 53, b"x" * 50), 10, True, out)  # no room
    assert not receiver.receive(DataChunk(1, 0, 0, 53, b"x" * 50), 10, False, out)
    assert receiver.receive(DataChunk(1, 0, 0, 53, b"x" * 50), 10, True, out)
    assert receiver.cumulative_tsn == 1


def test_far_ahead_tsn_is_dropped() -> None:
    receiver = Receiver(1, 65535)
    out: list[MessageReceived] = []
    assert not receiver.receive(DataChunk(1 + 0x10000, 0, 0, 53, b"x"), BIG, True, out)
    assert not receiver.has_gaps
    assert receiver.make_sack(0, 10).duplicates == []
