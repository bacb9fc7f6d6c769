"""Handshakes over the simulated network: loss, reordering, duplication, total loss.

Runs on :mod:`pyrtc.sim`'s virtual clock, so retransmission timers (RFC 6347 §4.2.4) are
exercised deterministically and quickly.
"""

from __future__ import annotations

import pytest
from dtls_testkit import make_pair

from pyrtc.dtls import (
    SRTP_EXPORTER_LABEL,
    ApplicationDataReceived,
    ConnectionFailed,
    DtlsConnection,
    HandshakeCompleted,
)
from pyrtc.sim import Link, PairEndpoint, Simulator


def start(
    link: Link, seed: int = 1, **kwargs: object
) -> tuple[Simulator, DtlsConnection, DtlsConnection, PairEndpoint, PairEndpoint]:
    client, server = make_pair(**kwargs)
    sim = Simulator(seed=seed)
    client_node, server_node = sim.add_pair(client, server, link=link)
    client.connect(sim.now)
    return sim, client, server, client_node, server_node


def both_established(client: DtlsConnection, server: DtlsConnection) -> bool:
    return client.is_established and server.is_established


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("hello_verify", [False, True], ids=["no-cookie", "cookie"])
def test_handshake_survives_loss_reordering_duplication(seed: int, hello_verify: bool) -> None:
    link = Link(delay=0.02, jitter=0.01, loss=0.25, duplicate=0.2, reorder=0.3, reorder_delay=0.05)
    sim, client, server, client_node, server_node = start(
        link, seed=seed, mtu=400, server_hello_verify=hello_verify
    )
    assert sim.run(until=lambda: both_established(client, server), timeout=29.0)
    assert client.export_keying_material(SRTP_EXPORTER_LABEL, 60) == (
        server.export_keying_material(SRTP_EXPORTER_LABEL, 60)
    )
    # Let stragglers (duplicates, late retransmissions) arrive: nothing breaks, no new events.
    sim.run_for(5.0)
    assert len(client_node.events) == len(server_node.events) == 1
    assert client_node.events_of(HandshakeCompleted) and server_node.events_of(HandshakeCompleted)


def test_lost_final_flight_is_recovered_by_client_retransmission() -> None:
    link = Link(delay=0.01)
    sim, client, server, client_node, server_node = start(link)
    # Server -> client datagrams: #0 is flight 4, #1 is flight 6 (ChangeCipherSpec+Finished).
    sim.link(server_node.address[0], client_node.address[0]).drop = lambda i, _d: i == 1
    assert sim.run(until=lambda: both_established(client, server), timeout=10.0)
    completed_at = client_node.events[0].time
    assert 1.0 <= completed_at < 1.2  # one initial retransmission timeout, then recovery
    assert server_node.events[0].time < 0.1


def test_total_loss_fails_after_bounded_time() -> None:
    sim, client, _server, client_node, server_node = start(Link(loss=1.0), handshake_timeout=20.0)
    sim.run_for(60.0)
    (failure,) = client_node.events_of(ConnectionFailed)
    assert failure.reason == "handshake timed out" and not failure.remote
    assert client_node.events[0].time == pytest.approx(20.0)
    assert server_node.events == []  # it never heard anything
    assert client.get_timer() is None
    stats = sim.link(client_node.address[0], server_node.address[0]).stats
    # Retransmissions at 1, 3, 7, 15 s after the first send: five copies of flight 1.
    assert stats.sent == 5


def test_blackout_after_flight_4_then_recovery() -> None:
    sim, client, server, client_node, server_node = start(Link(delay=0.01))
    sim.blackout(client_node.address[0], server_node.address[0], 0.015, 4.0)
    assert sim.run(until=lambda: both_established(client, server), timeout=20.0)
    assert 4.0 <= sim.now < 8.0


def test_application_data_over_a_lossy_link_arrives_at_most_once() -> None:
    sim, client, server, _client_node, server_node = start(Link(delay=0.005, duplicate=0.5))
    assert sim.run(until=lambda: both_established(client, server), timeout=10.0)
    for i in range(20):
        client.send(b"message %d" % i)
    sim.run_for(1.0)
    received = [e.data for e in server_node.events_of(ApplicationDataReceived)]
    assert received == [b"message %d" % i for i in range(20)]
