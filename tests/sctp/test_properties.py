"""Property tests: whatever packets are lost, reliable streams deliver every message exactly
once and in order, and partially reliable ones never duplicate or reorder."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyrtc.sctp import Association, MessageReceived, SctpConfig, serialize_packet
from pyrtc.sctp.chunks import (
    AbortChunk,
    Chunk,
    CookieAckChunk,
    CookieEchoChunk,
    DataChunk,
    ErrorChunk,
    ForwardTsnChunk,
    HeartbeatAckChunk,
    HeartbeatChunk,
    InitAckChunk,
    InitChunk,
    OutgoingResetRequest,
    ReconfigChunk,
    ReconfigResponse,
    SackChunk,
    ShutdownAckChunk,
    ShutdownChunk,
    ShutdownCompleteChunk,
)
from pyrtc.sctp.pair import MemoryPair


def lossy_pair(seed: int, loss: float, mtu: int) -> MemoryPair[Association]:
    rng = random.Random(seed)
    # Heavy loss must not end the association here (that is Association.Max.Retrans's job,
    # tested elsewhere): allow many consecutive timeouts and cap the back-off.
    config = SctpConfig(
        mtu=mtu, receive_buffer=64 * 1024, rto_min=0.05, rto_max=2.0, max_retransmits=1000
    )
    pair = MemoryPair(Association(config), Association(config))
    pair.client.connect()
    pair.server.connect()
    assert pair.run(lambda: pair.client.established and pair.server.established, timeout=600)
    pair.drop = lambda packet: rng.random() < loss
    return pair


messages = st.lists(
    st.tuples(st.integers(0, 3), st.integers(1, 9000), st.booleans()), min_size=1, max_size=25
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    messages,
    st.integers(0, 2**32),
    st.sampled_from([0.0, 0.05, 0.2, 0.4]),
    st.sampled_from([300, 1200]),
)
def test_reliable_exactly_once_in_order(
    spec: list[tuple[int, int, bool]], seed: int, loss: float, mtu: int
) -> None:
    pair = lossy_pair(seed, loss, mtu)
    sent = []
    for index, (sid, size, ordered) in enumerate(spec):
        data = index.to_bytes(2, "big") * (size // 2 + 1)
        pair.client.send(sid, data, 53, ordered=ordered)
        sent.append((sid, data, ordered))

    def delivered() -> list[MessageReceived]:
        return [e for e in pair.server_events if isinstance(e, MessageReceived)]

    assert pair.run(lambda: len(delivered()) == len(sent), timeout=3600)
    pair.drop = None
    pair.run(lambda: False, timeout=5)
    got = delivered()
    assert sorted(m.data for m in got) == sorted(d for _, d, _ in sent)
    for sid in range(4):
        assert [m.data for m in got if m.stream_id == sid and m.ordered] == [
            d for s, d, o in sent if s == sid and o
        ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 40),
    st.integers(0, 2**32),
    st.sampled_from([0.05, 0.2, 0.4]),
    st.booleans(),
    st.sampled_from([{"max_retransmits": 0}, {"max_retransmits": 2}, {"lifetime": 0.2}]),
)
def test_partial_reliability_never_duplicates_or_reorders(
    count: int, seed: int, loss: float, ordered: bool, policy: dict[str, float]
) -> None:
    pair = lossy_pair(seed, loss, 1200)
    for i in range(count):
        pair.client.send(1, i.to_bytes(2, "big") * 1000, 53, ordered=ordered, **policy)  # type: ignore[arg-type]
    pair.client.send(2, b"end", 51)  # reliable marker on another stream
    assert pair.run(
        lambda: (
            any(isinstance(e, MessageReceived) and e.stream_id == 2 for e in pair.server_events)
            and pair.client._sender.idle
        ),
        timeout=3600,
    )
    got = [
        int.from_bytes(e.data[:2], "big")
        for e in pair.server_events
        if isinstance(e, MessageReceived) and e.stream_id == 1
    ]
    assert len(set(got)) == len(got)
    if ordered:
        assert got == sorted(got)
    for i, value in enumerate(got):
        assert 0 <= value < count, i


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 2**16),
    st.floats(0.0, 0.3),
    st.floats(0.0, 0.1),
    st.floats(0.0, 0.3),
    st.floats(0.0, 0.3),
    st.integers(1, 30),
)
def test_bidirectional_over_simulated_network_then_shutdown(
    seed: int, loss: float, delay: float, duplicate: float, reorder: float, count: int
) -> None:
    from pyrtc.sim import Link, Simulator

    sim = Simulator(seed)
    config = SctpConfig(rto_max=2.0, max_retransmits=1000)
    link = Link(delay=delay, jitter=delay / 2, loss=loss, duplicate=duplicate, reorder=reorder)
    a, b = sim.add_pair(Association(config), Association(config), link=link)
    sim.call_at(0.0, a.core.connect)
    sim.call_at(0.0, b.core.connect)

    def send() -> None:
        for i in range(count):
            a.core.send(i % 2, i.to_bytes(2, "big") * (1 + i * 97 % 3000), 53)
            b.core.send(0, i.to_bytes(2, "big"), 51, ordered=False)

    sim.call_at(0.1, send)
    assert sim.run(
        lambda: (
            len(b.events_of(MessageReceived)) == count
            and len(a.events_of(MessageReceived)) == count
        ),
        timeout=3600,
    )
    sim.call_at(sim.now, a.core.shutdown)
    assert sim.run(lambda: a.core.state.value == b.core.state.value == "closed", timeout=3600)
    got = b.events_of(MessageReceived)
    for sid in (0, 1):
        indices = [int.from_bytes(m.data[:2], "big") for m in got if m.stream_id == sid]
        assert indices == list(range(sid, count, 2))
    back = sorted(int.from_bytes(m.data, "big") for m in a.events_of(MessageReceived))
    assert back == list(range(count))


u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
valid_chunks = st.one_of(
    st.builds(
        lambda tsn, sid, ssn, flags, data: DataChunk(tsn, sid, ssn, 51, data, flags),
        u32,
        st.integers(0, 3),
        st.integers(0, 3),
        st.integers(0, 15),
        st.binary(max_size=40),
    ),
    st.builds(InitChunk, u32, u32, u16, u16, u32, st.lists(st.tuples(u16, st.binary(max_size=8)))),
    st.builds(
        InitAckChunk, u32, u32, u16, u16, u32, st.lists(st.tuples(u16, st.binary(max_size=8)))
    ),
    st.builds(
        SackChunk, u32, u32, st.lists(st.tuples(u16, u16), max_size=4), st.lists(u32, max_size=3)
    ),
    st.builds(HeartbeatChunk, st.binary(max_size=20)),
    st.builds(HeartbeatAckChunk, st.binary(max_size=20)),
    st.builds(AbortChunk, st.lists(st.tuples(u16, st.binary(max_size=8)), max_size=2)),
    st.builds(ShutdownChunk, u32),
    st.builds(ShutdownAckChunk),
    st.builds(ShutdownCompleteChunk, st.integers(0, 1)),
    st.builds(CookieEchoChunk, st.binary(min_size=1, max_size=90)),
    st.builds(CookieAckChunk),
    st.builds(ForwardTsnChunk, u32, st.lists(st.tuples(st.integers(0, 3), u16), max_size=3)),
    st.builds(
        ReconfigChunk,
        st.lists(
            st.one_of(
                st.builds(OutgoingResetRequest, u32, u32, u32, st.lists(u16, max_size=3)),
                st.builds(ReconfigResponse, u32, st.integers(0, 7)),
                st.tuples(st.integers(13, 18), st.binary(max_size=12)),
            ),
            max_size=2,
        ),
    ),
    st.builds(ErrorChunk, st.lists(st.tuples(u16, st.binary(max_size=8)), max_size=2)),
)


def association_in(phase: str) -> tuple[Association, MemoryPair[Association] | None]:
    if phase == "listening":
        return Association(), None
    if phase == "cookie-wait":
        core = Association()
        core.connect()
        core.datagrams_to_send(0.0)
        return core, None
    if phase == "cookie-echoed":
        client, server = Association(), Association()
        client.connect()
        server.receive(client.datagrams_to_send(0.0)[0], 0.0)
        client.receive(server.datagrams_to_send(0.0)[0], 0.0)
        client.datagrams_to_send(0.0)
        return client, None
    pair = MemoryPair(Association(), Association())
    pair.client.connect()
    assert pair.run(lambda: pair.client.established and pair.server.established)
    if phase == "closed":
        pair.client.abort()
        return pair.client, pair
    pair.client.send(1, bytes(3000), 53)
    pair.client.send(2, b"x", 51, ordered=False, max_retransmits=0)
    pair.client.datagrams_to_send(pair.now)
    if phase == "shutting-down":
        pair.client.shutdown()
    return pair.client, pair


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(
        ["listening", "cookie-wait", "cookie-echoed", "established", "shutting-down", "closed"]
    ),
    st.lists(valid_chunks, min_size=1, max_size=4),
    st.sampled_from(["zero", "ours", "random"]),
    u32,
)
def test_well_formed_but_hostile_chunks_never_raise(
    phase: str, chunks: list[Chunk], tag_kind: str, random_tag: int
) -> None:
    core, _ = association_in(phase)
    tag = {"zero": 0, "ours": core._local_tag, "random": random_tag}[tag_kind]
    core.receive(serialize_packet(5000, 5000, tag, [c.encode() for c in chunks]), 1.0)
    for now in (1.0, 2.0, 100.0, 1000.0):
        core.datagrams_to_send(now)
        timer = core.get_timer()
        if timer is not None and timer <= now:
            core.handle_timer(now)
    while core.next_event() is not None:
        pass
