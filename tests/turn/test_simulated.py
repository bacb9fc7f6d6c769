"""TurnClient through pyrtc.sim: hours of virtual time over lossy links against a toy server."""

from __future__ import annotations

import pytest
from toy_server import ToyTurnServer
from turn_helpers import PASSWORD, RELAYED, SERVER, USER

from pyrtc.sansio import Address
from pyrtc.sim import Endpoint, Link, Simulator
from pyrtc.stun import Method
from pyrtc.turn import (
    Allocated,
    AllocationFailed,
    Closed,
    DataReceived,
    PermissionFailed,
    Refreshed,
    TurnClient,
)
from tests.sim.helpers import Recorder

CLIENT: Address = ("10.0.0.2", 5000)
PEERS: list[Address] = [("203.0.113.5", 7000), ("203.0.113.6", 7001)]


def setup(
    seed: int, loss: float, use_channels: bool
) -> tuple[Simulator, TurnClient, ToyTurnServer, Endpoint[TurnClient]]:
    sim = Simulator(seed=seed)
    server = ToyTurnServer(SERVER, RELAYED)
    sim.add_host([SERVER, RELAYED], server)
    client = TurnClient(SERVER, USER, PASSWORD, use_channels=use_channels)
    client.allocate(0.0)
    endpoint = sim.add_endpoint(CLIENT, client)
    for peer in PEERS:
        sim.add_endpoint(peer, Recorder(echo=True))
    sim.set_link_pair(CLIENT[0], SERVER[0], Link(delay=0.02, jitter=0.005, loss=loss))
    return sim, client, server, endpoint


@pytest.mark.parametrize("use_channels", [True, False], ids=["channels", "indications"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_hours_over_a_lossy_link(seed: int, use_channels: bool) -> None:
    """20 % loss each way between client and server; one datagram per peer every 10 s."""
    sim, client, server, endpoint = setup(seed, 0.2, use_channels)
    assert sim.run(lambda: client.state != "allocating", timeout=60)
    assert endpoint.events_of(Allocated)

    def ping(number: int) -> None:
        for peer in PEERS:
            client.send(b"ping %d" % number, peer, sim.now)

    duration = 7200
    start = sim.now
    for number in range(duration // 10):
        sim.call_at(start + number * 10.0, lambda n=number: ping(n))
    sim.run_for(duration + 5)

    assert server.lapses == []  # nothing ever expired on the server
    assert client.state == "allocated"
    assert not endpoint.events_of(AllocationFailed) and not endpoint.events_of(Closed)
    assert not endpoint.events_of(PermissionFailed)
    refreshes = endpoint.events_of(Refreshed)
    assert len(refreshes) >= duration // 540 - 1
    echoes = endpoint.events_of(DataReceived)
    # Two lossy crossings per echo: about 64 % come back; every peer answers till the end.
    assert 0.5 * 2 * duration / 10 < len(echoes) < 0.8 * 2 * duration / 10
    late = [e for t, e in endpoint.events if t > sim.now - 300 and isinstance(e, DataReceived)]
    assert {e.peer for e in late} == set(PEERS)
    if use_channels:
        assert server.requests[Method.CHANNEL_BIND] >= 2 * duration // 540
        assert all(client.channel_number(peer) is not None for peer in PEERS)
    else:
        assert Method.CHANNEL_BIND not in server.requests
        assert server.requests[Method.CREATE_PERMISSION] >= 2 * duration // 240


def test_close_over_a_lossy_link() -> None:
    sim, client, server, endpoint = setup(7, 0.3, True)
    assert sim.run(lambda: client.state == "allocated", timeout=60)
    sim.call_at(sim.now + 1, lambda: client.close(sim.now))
    assert sim.run(lambda: client.state == "closed", timeout=60)
    assert endpoint.events_of(Closed) == [Closed()]
    assert server.client is None  # the deallocation arrived
