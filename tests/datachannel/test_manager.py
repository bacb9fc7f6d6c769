"""Data channel manager pyrtc <-> pyrtc over in-memory and simulated SCTP associations."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.datachannel import (
    ChannelBufferedAmountLow,
    ChannelClosed,
    ChannelMessage,
    ChannelOpened,
    ChannelParameters,
    ChannelState,
    DataChannelError,
    DataChannelManager,
)
from pyrtc.sctp import (
    Association,
    AssociationClosed,
    AssociationEstablished,
    SctpError,
    parse_packet,
)
from pyrtc.sctp.chunks import FLAG_UNORDERED, DataChunk
from pyrtc.sctp.pair import MemoryPair
from pyrtc.sim import Link, Simulator


def managers() -> MemoryPair[DataChannelManager]:
    client = DataChannelManager(Association(), dtls_client=True)
    server = DataChannelManager(Association(), dtls_client=False)
    pair = MemoryPair(client, server)
    client.association.connect()
    server.association.connect()
    assert pair.run(lambda: client.association.established and server.association.established)
    pair.client_events.clear()
    pair.server_events.clear()
    return pair


def data_chunks(packets: list[bytes]) -> list[DataChunk]:
    return [c for p in packets for c in parse_packet(p).chunks if isinstance(c, DataChunk)]


def test_dcep_open_ack_and_messages_both_ways() -> None:
    pair = managers()
    client, server = pair.client, pair.server
    params = ChannelParameters(label="chat", protocol="json", priority=512)
    cid = client.create_channel(params)
    assert cid == 0  # the DTLS client opens even ids
    client.send(cid, "héllo")
    client.send(cid, b"\x00\x01")
    client.send(cid, "")
    client.send(cid, b"")
    assert pair.run(lambda: len(pair.server_events) >= 5)
    assert pair.server_events[0] == ChannelOpened(0, params, remote=True)
    assert pair.server_events[1:5] == [
        ChannelMessage(0, "héllo"),
        ChannelMessage(0, b"\x00\x01"),
        ChannelMessage(0, ""),
        ChannelMessage(0, b""),
    ]
    assert ChannelOpened(0, params, remote=False) in pair.client_events
    server.send(0, "back")
    assert pair.run(lambda: ChannelMessage(0, "back") in pair.client_events)
    assert client.channel(0).acked
    sid = server.create_channel(ChannelParameters(label="from server"))
    assert sid == 1  # the DTLS server opens odd ids
    assert pair.run(
        lambda: any(isinstance(e, ChannelOpened) and e.channel_id == 1 for e in pair.client_events)
    )


def test_channel_before_association_opens_when_established() -> None:
    client = DataChannelManager(Association(), dtls_client=True)
    server = DataChannelManager(Association(), dtls_client=False)
    cid = client.create_channel(ChannelParameters(label="early"))
    assert client.channel(cid).state is ChannelState.CONNECTING
    with pytest.raises(DataChannelError, match="connecting"):
        client.send(cid, "too soon")
    pair = MemoryPair(client, server)
    client.association.connect()
    assert pair.run(lambda: len(pair.server_events) >= 2)
    assert isinstance(pair.client_events[0], AssociationEstablished)
    assert pair.client_events[1] == ChannelOpened(cid, ChannelParameters(label="early"), False)
    assert pair.server_events[1] == ChannelOpened(cid, ChannelParameters(label="early"), True)


def test_negotiated_channel_sends_no_dcep() -> None:
    pair = managers()
    params = ChannelParameters(label="neg", negotiated=True, ordered=False)
    pair.client.create_channel(params, channel_id=7)
    pair.server.create_channel(params, channel_id=7)
    assert pair.client.association.buffered_amount(7) == 0  # no DATA_CHANNEL_OPEN queued
    pair.client.send(7, b"x")
    packets = pair.client.datagrams_to_send(pair.now)
    (chunk,) = data_chunks(packets)
    assert chunk.ppid == 53 and chunk.flags & FLAG_UNORDERED
    for packet in packets:
        pair.server.receive(packet, pair.now)
    assert pair.run(lambda: ChannelMessage(7, b"x") in pair.server_events)
    with pytest.raises(DataChannelError, match="needs an id"):
        pair.client.create_channel(ChannelParameters(negotiated=True))
    with pytest.raises(DataChannelError, match="in use"):
        pair.client.create_channel(params, channel_id=7)


def test_unordered_channel_sends_ordered_until_ack() -> None:
    pair = managers()
    cid = pair.client.create_channel(ChannelParameters(ordered=False, max_retransmits=0))
    pair.client.send(cid, b"early")
    packets = pair.client.datagrams_to_send(pair.now)
    first = data_chunks(packets)
    assert [(c.ppid, bool(c.flags & FLAG_UNORDERED)) for c in first] == [(50, False), (53, False)]
    for packet in packets:
        pair.server.receive(packet, pair.now)
    assert pair.run(lambda: pair.client.channel(cid).acked)
    pair.client.send(cid, b"late")
    later = data_chunks(pair.client.datagrams_to_send(pair.now))
    assert [(c.ppid, bool(c.flags & FLAG_UNORDERED)) for c in later] == [(53, True)]


def test_close_resets_both_directions_and_frees_the_id() -> None:
    pair = managers()
    cid = pair.client.create_channel(ChannelParameters(label="bye"))
    pair.client.send(cid, "last words")
    pair.client.close(cid)
    assert pair.client.channel(cid).state is ChannelState.CLOSING
    with pytest.raises(DataChannelError, match="closing"):
        pair.client.send(cid, "more")
    assert pair.run(
        lambda: (
            ChannelClosed(cid) in pair.client_events and ChannelClosed(cid) in pair.server_events
        )
    )
    assert ChannelMessage(cid, "last words") in pair.server_events
    assert pair.client.channels == [] and pair.server.channels == []
    assert pair.client.create_channel(ChannelParameters(label="again")) == cid
    assert pair.run(
        lambda: (
            pair.server_events.count(ChannelOpened(cid, ChannelParameters(label="again"), True))
            == 1
        )
    )


def test_remote_close_is_mirrored() -> None:
    pair = managers()
    cid = pair.client.create_channel(ChannelParameters())
    assert pair.run(lambda: any(isinstance(e, ChannelOpened) for e in pair.server_events))
    pair.server.close(cid)
    assert pair.run(
        lambda: (
            ChannelClosed(cid) in pair.client_events and ChannelClosed(cid) in pair.server_events
        )
    )


def test_buffered_amount_low() -> None:
    pair = managers()
    cid = pair.client.create_channel(ChannelParameters())
    pair.client.set_buffered_amount_low_threshold(cid, 1000)
    for _ in range(10):
        pair.client.send(cid, bytes(5000))
    assert pair.client.buffered_amount(cid) > 1000
    assert pair.run(lambda: ChannelBufferedAmountLow(cid) in pair.client_events)
    assert pair.client.buffered_amount(cid) <= 1000


def test_bad_dcep_and_payloads_are_dropped() -> None:
    pair = managers()
    server = pair.server
    sctp = pair.client.association
    sctp.send(1, bytes.fromhex("03000100000000000000"), 50)  # odd id: the server's parity
    sctp.send(2, b"\x03\x00", 50)  # truncated OPEN
    sctp.send(4, b"\x07", 50)  # unknown DCEP message
    sctp.send(6, b"orphan", 53)  # no such channel
    sctp.send(8, b"\x02\x00", 50)  # an ACK with a trailing byte
    assert pair.run(lambda: server.dropped_messages == 5)
    cid = pair.client.create_channel(ChannelParameters())
    sctp.send(cid, b"\xff\xfe", 51)  # not UTF-8
    sctp.send(cid, b"legacy", 52)  # deprecated PPID
    pair.client.send(cid, "fine")
    assert pair.run(lambda: ChannelMessage(cid, "fine") in pair.server_events)
    assert server.dropped_messages == 7
    assert [e for e in pair.server_events if isinstance(e, ChannelMessage)] == [
        ChannelMessage(cid, "fine")
    ]


def test_association_close_closes_channels() -> None:
    pair = managers()
    a = pair.client.create_channel(ChannelParameters())
    b = pair.client.create_channel(ChannelParameters())
    pair.run(lambda: len(pair.server.channels) == 2)
    pair.client.association.abort("gone")
    assert pair.run(lambda: AssociationClosed("aborted by peer: gone") in pair.server_events)
    assert ChannelClosed(a) in pair.server_events and ChannelClosed(b) in pair.server_events
    assert pair.client_events[-3:] == [
        ChannelClosed(a),
        ChannelClosed(b),
        AssociationClosed("gone"),
    ]


def test_many_channels_over_lossy_simulated_link() -> None:
    sim = Simulator(3)
    client = DataChannelManager(Association(), dtls_client=True)
    server = DataChannelManager(Association(), dtls_client=False)
    _, b = sim.add_pair(client, server, link=Link(delay=0.04, loss=0.05, jitter=0.01))
    sim.call_at(0.0, client.association.connect)
    sim.call_at(0.0, server.association.connect)

    def open_and_send() -> None:
        for i in range(10):
            cid = client.create_channel(ChannelParameters(label=f"c{i}", ordered=i % 2 == 0))
            for n in range(20):
                client.send(cid, f"{i}:{n}")

    sim.call_at(0.5, open_and_send)
    assert sim.run(lambda: len(b.events_of(ChannelMessage)) == 200, timeout=120)
    opened = b.events_of(ChannelOpened)
    assert sorted(e.parameters.label for e in opened) == sorted(f"c{i}" for i in range(10))
    for i in range(0, 10, 2):
        assert [m.data for m in b.events_of(ChannelMessage) if m.channel_id == 2 * i] == [
            f"{i}:{n}" for n in range(20)
        ]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),
            st.sampled_from([50, 51, 52, 53, 54, 56, 57, 99]),
            st.binary(min_size=1, max_size=30),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_random_messages_never_raise(messages: list[tuple[int, int, bytes]]) -> None:
    pair = managers()
    pair.client.create_channel(ChannelParameters(label="x"))
    for sid, ppid, payload in messages:
        pair.client.association.send(sid, payload, ppid)
    pair.run(lambda: False, timeout=1)
    for event in pair.server_events:
        if isinstance(event, ChannelMessage):
            assert isinstance(event.data, str | bytes)


def test_open_translated_after_our_abort_gets_no_ack() -> None:
    pair = managers()
    client, server = pair.client, pair.server
    params = ChannelParameters(label="late")
    cid = client.create_channel(params)
    for packet in client.datagrams_to_send(0.0):
        server.receive(packet, 0.0)  # the OPEN waits untranslated in the association
    server.association.abort("going away")
    events = []
    while (event := server.next_event()) is not None:
        events.append(event)
    assert events[:2] == [ChannelOpened(cid, params, remote=True), ChannelClosed(cid)]
    assert isinstance(events[2], AssociationClosed)
    sent = server.datagrams_to_send(0.0)
    assert data_chunks(sent) == []  # the ABORT only, no DCEP ACK
    assert len(sent) == 1


@pytest.mark.parametrize(
    "parameters",
    [
        ChannelParameters(label="x" * 65536),
        ChannelParameters(protocol="é" * 40000),  # 80000 bytes of UTF-8
        ChannelParameters(label="\ud800"),  # not encodable as UTF-8
        ChannelParameters(priority=65536),
        ChannelParameters(max_retransmits=-1),
        ChannelParameters(max_packet_life_time=2**32),
        ChannelParameters(label="x" * 65536, negotiated=True),
    ],
)
def test_parameters_that_do_not_fit_dcep_are_refused_without_taking_an_id(
    parameters: ChannelParameters,
) -> None:
    """RFC 8832 §5.1 field sizes: 16-bit priority and lengths, 32-bit reliability."""
    manager = DataChannelManager(Association(), dtls_client=True)
    with pytest.raises(DataChannelError, match="DATA_CHANNEL_OPEN"):
        manager.create_channel(parameters, 0 if parameters.negotiated else None)
    assert manager.channels == []
    assert manager.association.buffered_amount(0) == 0
    assert manager.create_channel(ChannelParameters()) == 0


def test_a_channel_the_association_refuses_takes_no_id() -> None:
    association = Association()
    association.connect()
    association.abort("gone")
    manager = DataChannelManager(association, dtls_client=True)
    with pytest.raises(SctpError, match="closed"):
        manager.create_channel(ChannelParameters())
    assert manager.channels == []
