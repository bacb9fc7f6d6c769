"""Association pyrtc <-> pyrtc over a direct in-memory pair with a virtual clock."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.sctp import (
    Association,
    AssociationClosed,
    AssociationEstablished,
    BufferedAmountLow,
    MessageReceived,
    OutgoingStreamsReset,
    SctpConfig,
    SctpError,
    State,
    StreamsReset,
    parse_packet,
    serialize_packet,
)
from pyrtc.sctp.chunks import (
    AbortChunk,
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
    UnknownChunk,
)
from pyrtc.sctp.pair import MemoryPair


def messages(events: list[object]) -> list[MessageReceived]:
    return [e for e in events if isinstance(e, MessageReceived)]


def connected(
    config_a: SctpConfig | None = None, config_b: SctpConfig | None = None, drop=None
) -> MemoryPair:
    pair = MemoryPair(Association(config_a), Association(config_b), drop=drop)
    pair.client.connect()
    pair.server.connect()
    assert pair.run(lambda: pair.client.established and pair.server.established)
    return pair


def chunk_types(packet: bytes) -> list[str]:
    return [type(c).__name__ for c in parse_packet(packet).chunks]


# ---------------------------------------------------------------- handshake


def test_simultaneous_init_establishes_both() -> None:
    pair = connected()
    for events in (pair.client_events, pair.server_events):
        assert events == [AssociationEstablished(65535, 65535, 262144)]


def test_listener_keeps_no_state_until_cookie_echo() -> None:
    client, server = Association(), Association()
    client.connect()
    (init,) = client.datagrams_to_send(0.0)
    assert chunk_types(init) == ["InitChunk"]
    server.receive(init, 0.0)
    (init_ack,) = server.datagrams_to_send(0.0)
    assert chunk_types(init_ack) == ["InitAckChunk"]
    assert server.state is State.CLOSED  # stateless until the cookie comes back
    client.receive(init_ack, 0.0)
    (echo,) = client.datagrams_to_send(0.0)
    assert chunk_types(echo) == ["CookieEchoChunk"]
    assert client.state is State.COOKIE_ECHOED
    server.receive(echo, 0.0)
    assert server.established
    (cookie_ack,) = server.datagrams_to_send(0.0)
    client.receive(cookie_ack, 0.0)
    assert client.established
    assert isinstance(server.next_event(), AssociationEstablished)
    assert isinstance(client.next_event(), AssociationEstablished)


@pytest.mark.parametrize("field", ["outbound_streams", "inbound_streams"])
def test_init_ack_with_zero_streams_aborts(field: str) -> None:
    """RFC 9260 section 3.3.3: an INIT ACK with OS or MIS 0 destroys the association; the
    peer is told with an ABORT (Invalid Mandatory Parameter)."""
    client, server = Association(), Association()
    client.connect()
    (init,) = client.datagrams_to_send(0.0)
    server.receive(init, 0.0)
    (init_ack,) = server.datagrams_to_send(0.0)
    packet = parse_packet(init_ack)
    (ack,) = packet.chunks
    assert isinstance(ack, InitAckChunk)
    setattr(ack, field, 0)
    tag = packet.verification_tag
    client.receive(serialize_packet(5000, 5000, tag, [ack.encode()]), 0.0)
    assert client.state is State.CLOSED
    (abort_packet,) = client.datagrams_to_send(0.0)
    parsed = parse_packet(abort_packet)
    (abort,) = parsed.chunks
    assert isinstance(abort, AbortChunk) and abort.causes == [(7, b"")]
    assert parsed.verification_tag == ack.initiate_tag


def test_stale_cookie_is_reported_and_the_handshake_retried() -> None:
    """RFC 9260 section 5.1.5 step 3 / 5.2.6: a COOKIE ECHO that arrives after the cookie's
    life gets a Stale Cookie ERROR (staleness in microseconds, the INIT's tag); the initiator
    INITs again with a Cookie Preservative, the responder lengthens the cookie's life by it,
    and the handshake completes."""
    client, server = Association(), Association(SctpConfig(cookie_lifetime=1.0))
    client.connect()
    (init,) = client.datagrams_to_send(0.0)
    server.receive(init, 0.0)
    (init_ack,) = server.datagrams_to_send(0.0)
    client.receive(init_ack, 0.0)
    (echo,) = client.datagrams_to_send(0.0)
    server.receive(echo, 1.25)  # 250 ms too late
    assert server.state is State.CLOSED
    (error_packet,) = server.datagrams_to_send(1.25)
    parsed = parse_packet(error_packet)
    (error,) = parsed.chunks
    assert isinstance(error, ErrorChunk)
    assert error.causes == [(3, (250_000).to_bytes(4, "big"))]
    assert parsed.verification_tag == client._local_tag
    client.receive(error_packet, 1.25)
    assert client.state is State.COOKIE_WAIT
    (again,) = client.datagrams_to_send(1.25)
    (init2,) = parse_packet(again).chunks
    assert isinstance(init2, InitChunk)
    assert (9, (501).to_bytes(4, "big")) in init2.params  # twice the staleness, in ms
    server.receive(again, 2.0)
    (init_ack2,) = server.datagrams_to_send(2.0)
    client.receive(init_ack2, 2.0)
    (echo2,) = client.datagrams_to_send(2.0)
    server.receive(echo2, 3.3)  # 1.3 s: past 1 s, within the 1.501 s the INIT asked for
    assert server.established
    (cookie_ack,) = server.datagrams_to_send(3.3)
    client.receive(cookie_ack, 3.3)
    assert client.established


def test_endless_stale_cookies_end_the_handshake() -> None:
    """Each Stale Cookie error makes a new INIT, but not forever: after
    ``max_init_retransmits`` of them the handshake is given up, though every INIT ACK in
    between restarted T1's own count."""
    client = Association(SctpConfig(max_init_retransmits=3))
    server = Association(SctpConfig(cookie_lifetime=0.001))
    client.connect()
    now = 0.0
    for _ in range(10):
        if client.state is State.CLOSED:
            break
        (init,) = client.datagrams_to_send(now)
        server.receive(init, now)
        (init_ack,) = server.datagrams_to_send(now)
        client.receive(init_ack, now)
        (echo,) = client.datagrams_to_send(now)
        now += 1.0  # the echo always arrives long after the cookie expired
        server.receive(echo, now)
        (error,) = server.datagrams_to_send(now)
        client.receive(error, now)
    assert client.state is State.CLOSED
    assert any(isinstance(e, AssociationClosed) for e in iter(client.next_event, None))


def test_init_carries_webrtc_extensions() -> None:
    client = Association(SctpConfig(outbound_streams=1024, receive_buffer=131072))
    client.connect()
    packet = parse_packet(client.datagrams_to_send(0.0)[0])
    assert packet.verification_tag == 0
    assert (packet.source_port, packet.destination_port) == (5000, 5000)
    (init,) = packet.chunks
    assert isinstance(init, InitChunk)
    assert (init.a_rwnd, init.outbound_streams) == (131072, 1024)
    assert (0x8008, bytes([0x82, 0xC0])) in init.params
    assert (0xC000, b"") in init.params


def test_stream_counts_negotiated_to_minimum() -> None:
    pair = connected(SctpConfig(outbound_streams=16), SctpConfig(inbound_streams=8))
    assert pair.client_events[0] == AssociationEstablished(8, 65535, 262144)
    assert pair.server_events[0] == AssociationEstablished(65535, 8, 262144)
    with pytest.raises(SctpError, match="beyond"):
        pair.client.send(8, b"x", 51)


def test_lost_init_and_cookie_are_retransmitted() -> None:
    lost: list[str] = []

    def drop(packet: bytes) -> bool:
        kind = chunk_types(packet)[0]
        if kind in ("InitChunk", "CookieEchoChunk") and kind not in lost:
            lost.append(kind)
            return True
        return False

    pair = MemoryPair(Association(), Association(), drop=drop)
    pair.client.connect()
    assert pair.run(lambda: pair.client.established and pair.server.established)
    assert lost == ["InitChunk", "CookieEchoChunk"]
    # INIT resent after RTO.Initial (1 s); the backed-off RTO (2 s) then times the cookie.
    assert pair.now == pytest.approx(1.0 + 2.0)


def test_handshake_gives_up() -> None:
    client = Association(SctpConfig(max_init_retransmits=2))
    client.connect()
    sent = []
    now = 0.0
    for _ in range(10):
        sent += client.datagrams_to_send(now)
        timer = client.get_timer()
        if timer is None:
            break
        now = timer
        client.handle_timer(now)
    assert len(sent) == 3
    assert client.state is State.CLOSED
    assert client.next_event() == AssociationClosed("handshake timed out")


def test_stale_or_forged_cookie_is_ignored() -> None:
    client, server = Association(), Association(SctpConfig(cookie_lifetime=5.0))
    client.connect()
    server.receive(client.datagrams_to_send(0.0)[0], 0.0)
    client.receive(server.datagrams_to_send(0.0)[0], 0.0)
    echo = client.datagrams_to_send(0.0)[0]
    server.receive(echo, 10.0)  # cookie expired
    assert server.state is State.CLOSED
    packet = parse_packet(echo)
    (chunk,) = packet.chunks
    assert isinstance(chunk, CookieEchoChunk)
    forged = bytearray(chunk.cookie)
    forged[5] ^= 0xFF
    server.receive(
        serialize_packet(
            5000, 5000, packet.verification_tag, [CookieEchoChunk(bytes(forged)).encode()]
        ),
        1.0,
    )
    assert server.state is State.CLOSED
    assert server.stats().packets_dropped == 1
    server.receive(echo, 1.0)
    assert server.established


# ---------------------------------------------------------------- data transfer


def test_messages_all_sizes_ordered_and_unordered() -> None:
    pair = connected()
    rng = random.Random(1)
    sent = []
    for i in range(120):
        size = rng.choice([1, 100, 1172, 1173, 5000, 65536, 262144])
        data = rng.randbytes(size)
        ordered = i % 3 != 0
        pair.client.send(i % 4, data, 50 + i % 8, ordered=ordered)
        sent.append((i % 4, 50 + i % 8, data, ordered))
    assert pair.run(lambda: len(messages(pair.server_events)) == len(sent))
    got = messages(pair.server_events)
    assert sorted((m.stream_id, m.ppid, m.data, m.ordered) for m in got) == sorted(sent)
    for sid in range(4):  # ordered messages arrive in send order per stream
        assert [m.data for m in got if m.stream_id == sid and m.ordered] == [
            d for s, _, d, o in sent if s == sid and o
        ]


def test_large_message_is_fragmented_to_mtu() -> None:
    pair = connected(SctpConfig(mtu=600))
    sizes: list[int] = []
    pair.drop = lambda packet: sizes.append(len(packet)) and False
    pair.client.send(0, bytes(10_000), 53)
    assert pair.run(lambda: len(messages(pair.server_events)) == 1)
    assert max(sizes) <= 600
    assert messages(pair.server_events)[0].data == bytes(10_000)


def test_bundling_small_messages() -> None:
    pair = connected()
    for _i in range(20):
        pair.client.send(0, b"x" * 10, 51)
    packets = pair.client.datagrams_to_send(pair.now)
    assert len(packets) == 1
    assert chunk_types(packets[0]) == ["DataChunk"] * 20


@pytest.mark.parametrize("seed", range(4))
def test_reliable_delivery_under_loss(seed: int) -> None:
    rng = random.Random(seed)
    pair = connected(drop=lambda packet: rng.random() < 0.1)
    sent = [rng.randbytes(rng.randint(1, 20_000)) for _ in range(150)]
    for i, data in enumerate(sent):
        pair.client.send(i % 2, data, 53, ordered=i % 2 == 0)
        pair.server.send(0, data[:100], 51)
    assert pair.run(
        lambda: (
            len(messages(pair.server_events)) == len(sent)
            and len(messages(pair.client_events)) == len(sent)
        ),
        timeout=600,
    )
    got = messages(pair.server_events)
    assert [m.data for m in got if m.stream_id == 0] == sent[0::2]
    assert sorted(m.data for m in got if m.stream_id == 1) == sorted(sent[1::2])
    assert [m.data for m in messages(pair.client_events)] == [d[:100] for d in sent]
    stats = pair.client.stats()
    assert stats.retransmissions > 0
    assert stats.fast_retransmissions > 0


def test_fast_retransmit_after_three_miss_indications() -> None:
    dropped: list[int] = []

    def drop(packet: bytes) -> bool:
        chunks = parse_packet(packet).chunks
        if isinstance(chunks[0], DataChunk) and not dropped:
            dropped.append(chunks[0].tsn)
            return True
        return False

    pair = connected()
    pair.drop = drop
    for _ in range(10):
        pair.client.send(0, bytes(1000), 53)
    assert pair.run(lambda: len(messages(pair.server_events)) == 10)
    assert pair.now < 0.4  # no T3 timeout needed
    stats = pair.client.stats()
    assert (stats.fast_retransmissions, stats.t3_expirations) == (1, 0)


def test_t3_timeout_collapses_cwnd_and_backs_off() -> None:
    pair = connected()
    pair.drop = lambda packet: "DataChunk" in chunk_types(packet)
    pair.client.send(0, b"lost", 51)
    pair.run(lambda: pair.client.stats().t3_expirations == 2, timeout=10)
    stats = pair.client.stats()
    assert stats.cwnd == 1200
    assert stats.rto == pytest.approx(4.0)  # RTO.Initial 1 s, doubled twice
    pair.drop = None
    assert pair.run(lambda: len(messages(pair.server_events)) == 1)


def test_rtt_measurement_sets_rto() -> None:
    pair = connected(SctpConfig(rto_min=0.05))
    pair.client.send(0, b"a" * 2000, 51)
    packets = pair.client.datagrams_to_send(pair.now)
    assert len(packets) == 2
    for packet in packets:
        pair.server.receive(packet, pair.now + 0.01)
    (sack,) = pair.server.datagrams_to_send(pair.now + 0.01)
    pair.client.receive(sack, pair.now + 0.02)
    stats = pair.client.stats()
    assert stats.srtt == pytest.approx(0.02)
    assert stats.rto == pytest.approx(0.02 + 4 * 0.01)  # SRTT + 4 RTTVAR, RFC 9260 §6.3.1


def test_delayed_sack() -> None:
    pair = connected()
    pair.client.send(0, b"one", 51)
    (packet,) = pair.client.datagrams_to_send(pair.now)
    pair.server.receive(packet, pair.now)
    assert pair.server.datagrams_to_send(pair.now) == []
    assert pair.server.get_timer() == pytest.approx(pair.now + 0.2)
    pair.server.handle_timer(pair.now + 0.2)
    (sack,) = pair.server.datagrams_to_send(pair.now + 0.2)
    assert chunk_types(sack) == ["SackChunk"]
    # Every second packet is acknowledged at once.
    pair.client.send(0, b"two", 51)
    pair.client.send(0, bytes(1172), 51)  # a full chunk: it cannot share the packet
    packets = pair.client.datagrams_to_send(pair.now)
    assert len(packets) == 2
    for p in packets:
        pair.server.receive(p, pair.now)
    assert [chunk_types(p) for p in pair.server.datagrams_to_send(pair.now)] == [["SackChunk"]]


def test_duplicates_and_gaps_reported() -> None:
    pair = connected()
    for _ in range(3):
        pair.client.send(0, bytes(1100), 51)
    p1, _p2, p3 = pair.client.datagrams_to_send(pair.now)
    pair.server.receive(p1, pair.now)
    pair.server.receive(p1, pair.now)
    pair.server.receive(p3, pair.now)
    (packet,) = pair.server.datagrams_to_send(pair.now)
    (sack,) = parse_packet(packet).chunks
    assert isinstance(sack, SackChunk)
    tsn1 = parse_packet(p1).chunks[0].tsn  # type: ignore[attr-defined]
    assert sack.cumulative_tsn == tsn1
    assert sack.gaps == [(2, 2)]
    assert sack.duplicates == [tsn1]


def test_zero_window_and_probe() -> None:
    small = SctpConfig(receive_buffer=8000)
    client, server = Association(), Association(small)
    pair = MemoryPair(client, server)
    client.connect()
    assert pair.run(lambda: client.established and server.established)
    pair.server_events.clear()
    for _ in range(30):
        client.send(0, bytes(1000), 53)
    # Move packets without letting the application read the server's events.
    now = pair.now
    for _ in range(200):
        moved = 0
        for src, dst in ((client, server), (server, client)):
            for packet in src.datagrams_to_send(now):
                dst.receive(packet, now)
                moved += 1
        if not moved:
            now = min(t for t in (client.get_timer(), server.get_timer()) if t is not None)
            client.handle_timer(now)
            server.handle_timer(now)
        if now > pair.now + 20:
            break
    held = []
    while (event := server.next_event()) is not None:
        held.append(event)
    # The receiver held at most its buffer (plus the one in-order chunk it always accepts).
    assert 7 <= len(messages(held)) <= 9
    pair.now = now
    assert pair.run(lambda: len(messages(pair.server_events)) + len(messages(held)) == 30)


def test_buffered_amount_and_low_event() -> None:
    pair = connected()
    pair.client.set_buffered_amount_low_threshold(3, 10_000)
    for _ in range(20):
        pair.client.send(3, bytes(2000), 53)
    assert pair.client.buffered_amount(3) == 40_000
    # Initial cwnd 4380 bytes: chunks of 1172, 828, 1172, 828 and one more 1172 go out.
    pair.client.datagrams_to_send(pair.now)
    assert pair.client.buffered_amount(3) == 40_000 - 5172
    assert pair.run(lambda: pair.client.buffered_amount(3) == 0)
    assert pair.client_events.count(BufferedAmountLow(3)) == 1


def test_send_errors() -> None:
    pair = connected(SctpConfig(max_message_size=1000))
    with pytest.raises(SctpError, match="maximum message size"):
        pair.client.send(0, bytes(1001), 53)
    with pytest.raises(SctpError, match="empty"):
        pair.client.send(0, b"", 53)
    with pytest.raises(SctpError, match="invalid stream"):
        pair.client.send(70000, b"x", 53)


# ---------------------------------------------------------------- partial reliability


@pytest.mark.parametrize("policy", [{"max_retransmits": 0}, {"lifetime": 0.1}])
def test_partial_reliability_drops_only_what_policy_allows(policy: dict[str, float]) -> None:
    rng = random.Random(5)
    pair = connected(drop=lambda packet: rng.random() < 0.2)
    for i in range(100):
        pair.client.send(1, i.to_bytes(2, "big") * 400, 53, ordered=i % 2 == 0, **policy)  # type: ignore[arg-type]
    for i in range(20):
        pair.client.send(2, i.to_bytes(2, "big"), 53)  # reliable, on another stream
    assert pair.run(
        lambda: len(messages(pair.server_events)) >= 20 and not pair.client._sender.outstanding
    )
    pair.drop = None
    pair.run(lambda: False, timeout=2)
    got = messages(pair.server_events)
    assert [m.data for m in got if m.stream_id == 2] == [i.to_bytes(2, "big") for i in range(20)]
    partial = [int.from_bytes(m.data[:2], "big") for m in got if m.stream_id == 1]
    assert len(set(partial)) == len(partial)  # never twice
    assert 0 < len(partial) < 100
    ordered = [i for i in partial if i % 2 == 0]
    assert ordered == sorted(ordered)
    # A message whose SACK was lost may be abandoned although it arrived.
    assert pair.client.stats().abandoned_messages >= 100 - len(partial)


def test_forward_tsn_is_sent_and_advances_peer() -> None:
    pair = connected()
    pair.drop = lambda packet: "DataChunk" in chunk_types(packet)
    pair.client.send(0, b"doomed", 51, max_retransmits=0)
    forward: list[ForwardTsnChunk] = []

    def spy(packet: bytes) -> bool:
        forward.extend(c for c in parse_packet(packet).chunks if isinstance(c, ForwardTsnChunk))
        return "DataChunk" in chunk_types(packet)

    pair.client.datagrams_to_send(pair.now)  # the DATA is lost
    pair.drop = spy
    assert pair.run(lambda: bool(forward) and not pair.client._sender.outstanding)
    assert forward[0].streams == [(0, 0)]
    pair.drop = None
    pair.client.send(0, b"next", 51)
    assert pair.run(lambda: len(messages(pair.server_events)) == 1)
    assert messages(pair.server_events)[0].data == b"next"


def test_reliable_when_peer_lacks_forward_tsn() -> None:
    client, server = Association(), Association()
    client.connect()
    init = parse_packet(client.datagrams_to_send(0.0)[0])
    (chunk,) = init.chunks
    assert isinstance(chunk, InitChunk)
    chunk.params = []  # a peer without RFC 3758
    server.receive(serialize_packet(5000, 5000, 0, [chunk.encode()]), 0.0)
    pair = MemoryPair(client, server)
    assert pair.run(lambda: client.established and server.established)
    assert not server.peer_supports_forward_tsn
    lost = []
    pair.drop = lambda p: "DataChunk" in chunk_types(p) and not lost and not lost.append(1)
    server.send(0, b"must arrive", 51, max_retransmits=0)
    assert pair.run(lambda: len(messages(pair.client_events)) == 1)


# ---------------------------------------------------------------- stream reset, shutdown, abort


def test_stream_reset_after_queued_data() -> None:
    pair = connected()
    for i in range(5):
        pair.client.send(1, bytes([i]) * 3000, 53)
    pair.client.reset_streams([1])
    with pytest.raises(SctpError, match="being reset"):
        pair.client.send(1, b"x", 53)
    assert pair.run(lambda: OutgoingStreamsReset((1,)) in pair.client_events)
    assert StreamsReset((1,)) in pair.server_events
    index = pair.server_events.index(StreamsReset((1,)))
    assert len(messages(pair.server_events[:index])) == 5  # data went first
    pair.client.send(1, b"again", 53)  # SSN restarts at 0 on both sides
    assert pair.run(lambda: len(messages(pair.server_events)) == 6)


def test_stream_reset_in_progress_when_data_outstanding() -> None:
    pair = connected()
    lost = []

    def drop(packet: bytes) -> bool:
        if "DataChunk" in chunk_types(packet) and not lost:
            lost.append(packet)
            return True
        return False

    pair.drop = drop
    pair.client.send(1, b"first", 53)
    pair.client.datagrams_to_send(pair.now)[0:0]
    pair.client.reset_streams([1])
    assert pair.run(lambda: OutgoingStreamsReset((1,)) in pair.client_events)
    got = messages(pair.server_events)
    assert [m.data for m in got] == [b"first"]
    assert pair.server_events.index(StreamsReset((1,))) > pair.server_events.index(got[0])


def test_graceful_shutdown_delivers_everything_first() -> None:
    rng = random.Random(3)
    pair = connected(drop=lambda p: rng.random() < 0.1)
    for i in range(50):
        pair.client.send(0, bytes([i]) * 5000, 53)
    pair.client.shutdown()
    with pytest.raises(SctpError):
        pair.client.send(0, b"late", 53)
    assert pair.run(lambda: pair.client.state is State.CLOSED and pair.server.state is State.CLOSED)
    assert len(messages(pair.server_events)) == 50
    assert pair.client_events[-1] == AssociationClosed(None)
    assert pair.server_events[-1] == AssociationClosed(None)


def test_abort_reaches_peer() -> None:
    pair = connected()
    pair.client.abort("bye")
    pair.exchange()
    assert pair.client_events[-1] == AssociationClosed("bye")
    assert pair.server_events[-1] == AssociationClosed("aborted by peer: bye")
    assert pair.server.state is State.CLOSED


def test_heartbeat_measures_rtt_and_dead_peer_aborts() -> None:
    pair = connected(SctpConfig(heartbeat_interval=5.0, max_retransmits=3))
    kinds: list[str] = []
    pair.drop = lambda p: kinds.extend(chunk_types(p)) and False
    pair.run(lambda: "HeartbeatAckChunk" in kinds, timeout=6)
    assert "HeartbeatChunk" in kinds
    assert pair.client.stats().srtt is not None
    pair.drop = lambda p: True  # the peer vanishes
    assert pair.run(lambda: pair.client.state is State.CLOSED, timeout=120)
    assert pair.client_events[-1] == AssociationClosed("too many retransmissions")


# ---------------------------------------------------------------- bad input


def established_server() -> tuple[Association, int]:
    pair = connected()
    return pair.server, pair.server._local_tag


def test_wrong_tag_port_and_checksum_are_dropped() -> None:
    server, tag = established_server()
    chunk = DataChunk(server._receiver.cumulative_tsn + 1, 0, 0, 51, b"x").encode()  # type: ignore[union-attr]
    before = server.stats().packets_dropped
    server.receive(serialize_packet(5000, 5000, tag ^ 1, [chunk]), 1.0)
    server.receive(serialize_packet(5001, 5000, tag, [chunk]), 1.0)
    bad = bytearray(serialize_packet(5000, 5000, tag, [chunk]))
    bad[-1] ^= 1
    server.receive(bytes(bad), 1.0)
    server.receive(b"\x00" * 3, 1.0)
    assert server.stats().packets_dropped == before + 4
    assert server.next_event() is None
    server.receive(serialize_packet(5000, 5000, tag, [chunk]), 1.0)
    assert server.next_event() == MessageReceived(0, 51, b"x", True)


def test_init_must_be_alone_with_zero_tag() -> None:
    server = Association()
    init = InitChunk(1, 1000, 1, 1, 1).encode()
    server.receive(serialize_packet(5000, 5000, 7, [init]), 0.0)
    server.receive(serialize_packet(5000, 5000, 0, [init, init]), 0.0)
    server.receive(serialize_packet(5000, 5000, 0, [InitChunk(0, 1000, 1, 1, 1).encode()]), 0.0)
    assert server.datagrams_to_send(0.0) == []
    assert server.stats().packets_dropped == 3


def test_unrecognized_chunk_reported_or_skipped() -> None:
    server, tag = established_server()
    report = UnknownChunk(0x7F, 0, b"abc")  # upper bits 01: stop and report
    server.receive(serialize_packet(5000, 5000, tag, [report.encode()]), 1.0)
    (packet,) = server.datagrams_to_send(1.0)
    (error,) = parse_packet(packet).chunks
    assert isinstance(error, ErrorChunk)
    assert error.causes == [(6, report.encode())]
    heartbeat = HeartbeatChunk(b"ping")
    skip = UnknownChunk(0xBF, 0, b"")  # upper bits 10: skip silently, continue
    server.receive(serialize_packet(5000, 5000, tag, [skip.encode(), heartbeat.encode()]), 1.0)
    (packet,) = server.datagrams_to_send(1.0)
    assert parse_packet(packet).chunks == [HeartbeatAckChunk(b"ping")]


def test_sack_for_unsent_tsn_aborts() -> None:
    pair = connected()
    tag = pair.client._local_tag
    sack = SackChunk((pair.client._sender.next_tsn + 5) & 0xFFFFFFFF, 1000)
    pair.client.receive(serialize_packet(5000, 5000, tag, [sack.encode()]), 1.0)
    assert pair.client.state is State.CLOSED
    assert pair.client.next_event() == AssociationClosed("SACK acknowledges a TSN never sent")


def test_unexpected_init_ack_is_ignored() -> None:
    server, tag = established_server()
    ack = InitAckChunk(5, 1000, 1, 1, 1, [(7, b"cookie")])
    server.receive(serialize_packet(5000, 5000, tag, [ack.encode()]), 1.0)
    assert server.established
    assert server.datagrams_to_send(1.0) == []


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=64)),
        min_size=1,
        max_size=4,
    )
)
def test_random_chunks_never_raise(chunks: list[tuple[int, int, bytes]]) -> None:
    server, tag = established_server()
    raw = [
        struct.pack("!BBH", kind, flags, 4 + len(body)) + body + bytes(-len(body) % 4)
        for kind, flags, body in chunks
    ]
    server.receive(serialize_packet(5000, 5000, tag, raw), 1.0)
    server.datagrams_to_send(1.0)
    server.handle_timer(100.0)
    server.datagrams_to_send(100.0)


def test_out_of_the_blue_packets_after_close() -> None:
    pair = connected()
    pair.client.abort()
    pair.exchange()
    tag = pair.server._local_tag
    data = DataChunk(1, 0, 0, 51, b"late").encode()
    pair.server.receive(serialize_packet(5000, 5000, tag, [data]), 9.0)
    (reply,) = pair.server.datagrams_to_send(9.0)
    packet = parse_packet(reply)
    assert packet.verification_tag == tag
    assert packet.chunks == [AbortChunk([], 1)]  # T bit: the tag is the receiver's own
    pair.server.receive(serialize_packet(5000, 5000, tag, [ShutdownAckChunk().encode()]), 9.0)
    (reply,) = pair.server.datagrams_to_send(9.0)
    assert parse_packet(reply).chunks == [ShutdownCompleteChunk(1)]
    pair.server.receive(serialize_packet(5000, 5000, tag, [AbortChunk().encode()]), 9.0)
    assert pair.server.datagrams_to_send(9.0) == []
    assert pair.server_events.count(AssociationClosed("aborted by peer")) == 1
    assert pair.server.next_event() is None


# ---------------------------------------------------------------- handshake and close edge cases


def test_lost_cookie_ack_is_answered_again() -> None:
    lost = []

    def drop(packet: bytes) -> bool:
        if chunk_types(packet) == ["CookieAckChunk"] and not lost:
            lost.append(packet)
            return True
        return False

    pair = MemoryPair(Association(), Association(), drop=drop)
    pair.client.connect()
    assert pair.run(lambda: pair.client.established)
    assert lost
    assert pair.server_events.count(AssociationEstablished(65535, 65535, 262144)) == 1


def test_collision_with_lost_init_ack() -> None:
    lost = []

    def drop(packet: bytes) -> bool:
        if chunk_types(packet) == ["InitAckChunk"] and not lost:
            lost.append(packet)
            return True
        return False

    pair = MemoryPair(Association(), Association(), drop=drop)
    pair.client.connect()
    pair.server.connect()
    assert pair.run(lambda: pair.client.established and pair.server.established)
    assert pair.now == 0.0  # the other side's COOKIE ECHO completed it, no timeout needed
    assert len(lost) == 1


def test_late_init_is_answered_with_existing_tag() -> None:
    pair = connected()
    init = InitChunk(0x1234, 100_000, 10, 10, 99).encode()
    pair.server.receive(serialize_packet(5000, 5000, 0, [init]), 1.0)
    (packet,) = pair.server.datagrams_to_send(1.0)
    (ack,) = parse_packet(packet).chunks
    assert isinstance(ack, InitAckChunk)
    assert ack.initiate_tag == pair.server._local_tag
    assert pair.server.established


def test_simultaneous_shutdown() -> None:
    pair = connected()
    pair.client.send(0, b"a", 51)
    pair.server.send(0, b"b", 51)
    pair.client.shutdown()
    pair.server.shutdown()
    assert pair.run(lambda: pair.client.state is State.CLOSED and pair.server.state is State.CLOSED)
    assert pair.client_events[-1] == AssociationClosed(None)
    assert pair.server_events[-1] == AssociationClosed(None)
    assert len(messages(pair.client_events)) == len(messages(pair.server_events)) == 1


def test_lost_shutdown_chunks_are_retransmitted() -> None:
    lost: list[str] = []

    def drop(packet: bytes) -> bool:
        kinds = chunk_types(packet)
        for kind in ("ShutdownChunk", "ShutdownAckChunk"):
            if kind in kinds and kind not in lost:
                lost.append(kind)
                return True
        return False

    pair = connected()
    pair.drop = drop
    pair.client.shutdown()
    assert pair.run(lambda: pair.client.state is State.CLOSED and pair.server.state is State.CLOSED)
    assert lost == ["ShutdownChunk", "ShutdownAckChunk"]
    assert pair.client_events[-1] == AssociationClosed(None)


def test_reconfig_sequence_numbers() -> None:
    pair = connected()
    server = pair.server
    tag = server._local_tag
    seq = server._peer_reconfig_seq
    last_tsn = server._receiver.cumulative_tsn  # type: ignore[union-attr]

    def request(request_seq: int) -> list[object]:
        chunk = ReconfigChunk([OutgoingResetRequest(request_seq, 0, last_tsn, [4])])
        server.receive(serialize_packet(5000, 5000, tag, [chunk.encode()]), 1.0)
        (packet,) = server.datagrams_to_send(1.0)
        (reply,) = parse_packet(packet).chunks
        assert isinstance(reply, ReconfigChunk)
        return reply.params  # type: ignore[return-value]

    assert request(seq + 5) == [ReconfigResponse(seq + 5, 5)]  # bad sequence number
    assert request(seq) == [ReconfigResponse(seq, 1)]  # performed
    assert request(seq) == [ReconfigResponse(seq, 1)]  # retransmission: same answer
    assert server.next_event() == StreamsReset((4,))
    assert server.next_event() is None  # reported once
    future = ReconfigChunk([OutgoingResetRequest(seq + 1, 0, (last_tsn + 3) & 0xFFFFFFFF, [4])])
    server.receive(serialize_packet(5000, 5000, tag, [future.encode()]), 1.0)
    (packet,) = server.datagrams_to_send(1.0)
    assert parse_packet(packet).chunks == [ReconfigChunk([ReconfigResponse(seq + 1, 6)])]


def test_unsupported_reconfig_requests_are_denied() -> None:
    pair = connected()
    server = pair.server
    seq = server._peer_reconfig_seq
    add_streams = ReconfigChunk([(17, seq.to_bytes(4, "big") + bytes(4))])
    server.receive(serialize_packet(5000, 5000, server._local_tag, [add_streams.encode()]), 1.0)
    (packet,) = server.datagrams_to_send(1.0)
    assert parse_packet(packet).chunks == [ReconfigChunk([ReconfigResponse(seq, 2)])]
    assert server._peer_reconfig_seq == (seq + 1) & 0xFFFFFFFF


def test_empty_data_chunk_aborts_with_no_user_data_cause() -> None:
    pair = connected()
    server = pair.server
    tsn = (server._receiver.cumulative_tsn + 1) & 0xFFFFFFFF  # type: ignore[union-attr]
    empty = DataChunk(tsn, 0, 0, 51, b"").encode()
    server.receive(serialize_packet(5000, 5000, server._local_tag, [empty]), 1.0)
    (packet,) = server.datagrams_to_send(1.0)
    assert parse_packet(packet).chunks == [AbortChunk([(9, tsn.to_bytes(4, "big"))])]
    assert server.next_event() == AssociationClosed("DATA chunk without user data")


def test_data_on_invalid_stream_is_acked_reported_and_dropped() -> None:
    pair = connected(SctpConfig(), SctpConfig(inbound_streams=8))
    server = pair.server
    tsn = (server._receiver.cumulative_tsn + 1) & 0xFFFFFFFF  # type: ignore[union-attr]
    chunk = DataChunk(tsn, 9, 0, 51, b"nope").encode()
    server.receive(serialize_packet(5000, 5000, server._local_tag, [chunk]), 1.0)
    (packet,) = server.datagrams_to_send(1.0)
    assert parse_packet(packet).chunks == [ErrorChunk([(1, bytes.fromhex("00090000"))])]
    assert server._receiver.cumulative_tsn == tsn  # type: ignore[union-attr]
    assert server.next_event() is None


def test_cwnd_decays_while_idle() -> None:
    pair = connected()
    for _ in range(200):
        pair.client.send(0, bytes(1000), 53)
    assert pair.run(lambda: len(messages(pair.server_events)) == 200)
    grown = pair.client.stats().cwnd
    assert grown > 4 * 1200
    pair.now += 100.0  # idle for many RTOs
    pair.client.send(0, b"after a pause", 51)
    pair.client.datagrams_to_send(pair.now)
    assert pair.client.stats().cwnd == 4 * 1200


def test_shutdown_cumulative_ack_is_not_a_renege() -> None:
    """RFC 9260 section 9.2: a SHUTDOWN has no Gap Ack Blocks, so the gap acknowledgements it
    does not repeat were not reneged on; they stay acknowledged."""
    dropped: list[bytes] = []

    def drop_first_data(packet: bytes) -> bool:
        if not dropped and "DataChunk" in chunk_types(packet):
            dropped.append(packet)
            return True
        return False

    pair = connected(drop=drop_first_data)
    for i in range(3):
        pair.client.send(0, bytes([i]) * 1000, 53)  # one packet each
    pair.exchange()  # the first is lost; the server gap-acks the other two at once
    assert [c.acked for c in pair.client._sender.outstanding] == [False, True, True]
    pair.server.shutdown()
    pair.exchange()  # its SHUTDOWN acknowledges cumulatively only up to the lost chunk
    assert pair.server.state is State.SHUTDOWN_SENT
    assert [c.acked for c in pair.client._sender.outstanding] == [False, True, True]
    assert pair.client._sender.reneged == 0
    assert pair.run(lambda: pair.client.state is State.CLOSED and pair.server.state is State.CLOSED)
    assert [m.data[0] for m in messages(pair.server_events)] == [0, 1, 2]
    assert pair.client._sender.reneged == 0


def test_data_in_shutdown_sent_is_answered_with_shutdown_at_once() -> None:
    """RFC 9260 section 9.2: in SHUTDOWN-SENT each packet with DATA gets a SHUTDOWN right
    away (T2 restarted), and a SACK as well when there are gaps the SHUTDOWN cannot ack."""
    pair = connected()
    pair.server.shutdown()
    for packet in pair.server.datagrams_to_send(pair.now):  # the SHUTDOWN is lost
        assert chunk_types(packet) == ["ShutdownChunk"]
    assert pair.server.state is State.SHUTDOWN_SENT
    tag, tsn = pair.server._local_tag, pair.client._sender.next_tsn

    def data(offset: int) -> bytes:
        chunk = DataChunk((tsn + offset) & 0xFFFFFFFF, 0, offset, 53, b"late", 0x03)
        return serialize_packet(5000, 5000, tag, [chunk.encode()])

    pair.now += 0.5
    pair.server.receive(data(0), pair.now)
    (reply,) = pair.server.datagrams_to_send(pair.now)
    assert chunk_types(reply) == ["ShutdownChunk"]
    (shutdown,) = parse_packet(reply).chunks
    assert isinstance(shutdown, ShutdownChunk) and shutdown.cumulative_tsn == tsn
    assert pair.server._t2_at == pytest.approx(pair.now + pair.server._rto.rto)
    pair.server.receive(data(2), pair.now)  # tsn + 1 is missing: a gap
    types = [t for packet in pair.server.datagrams_to_send(pair.now) for t in chunk_types(packet)]
    assert sorted(types) == ["SackChunk", "ShutdownChunk"]


def test_a_repeated_shutdown_acknowledges_data_cumulatively() -> None:
    """RFC 9260 section 9.2: in SHUTDOWN-RECEIVED the Cumulative TSN Ack of each further
    SHUTDOWN is processed (a peer in SHUTDOWN-SENT may answer DATA with SHUTDOWN alone)."""
    pair = connected(drop=lambda packet: "DataChunk" in chunk_types(packet))
    pair.client.send(0, b"x" * 100, 53)
    pair.exchange()  # the DATA is lost
    (chunk,) = pair.client._sender.outstanding
    pair.server.shutdown()
    pair.exchange()  # the server's SHUTDOWN acknowledges nothing new
    assert pair.client.state is State.SHUTDOWN_RECEIVED
    assert pair.client._sender.outstanding == [chunk]
    shutdown = ShutdownChunk(chunk.tsn).encode()
    pair.client.receive(serialize_packet(5000, 5000, pair.client._local_tag, [shutdown]), pair.now)
    assert pair.client._sender.outstanding == []
    assert "ShutdownAckChunk" in chunk_types(pair.client.datagrams_to_send(pair.now)[-1])
    assert pair.client.state is State.SHUTDOWN_ACK_SENT
