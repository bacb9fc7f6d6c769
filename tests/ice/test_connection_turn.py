"""Relay-only ICE through a real coturn on loopback (the TURN tests' coturn launcher)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from pyrtc.net.ice import Connection
from tests.turn.coturn import Coturn, run_coturn

LOOPBACK = ["127.0.0.1"]


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    with run_coturn(tmp_path_factory.mktemp("coturn-ice")) as server:
        yield server


@pytest.mark.interop
async def test_relay_only_connection_through_coturn(coturn: Coturn) -> None:
    relayed = Connection(
        True,
        addresses=LOOPBACK,
        transport_policy="relay",
        turn_server=("127.0.0.1", coturn.port),
        turn_username="alice",
        turn_password="s3cret",
    )
    direct = Connection(False, addresses=LOOPBACK)
    await asyncio.gather(relayed.gather_candidates(), direct.gather_candidates())
    [candidate] = relayed.local_candidates
    assert candidate.type == "relay" and candidate.port in coturn.relay_ports
    relayed.remote_username, relayed.remote_password = direct.local_username, direct.local_password
    direct.remote_username, direct.remote_password = relayed.local_username, relayed.local_password
    for c in direct.local_candidates:
        await relayed.add_remote_candidate(c)
    await relayed.add_remote_candidate(None)
    await direct.add_remote_candidate(candidate)
    await direct.add_remote_candidate(None)
    try:
        async with asyncio.timeout(10):
            await asyncio.gather(relayed.connect(), direct.connect())
            await relayed.send(b"\x80through coturn")
            assert await direct.recv() == b"\x80through coturn"
            await direct.send(b"\x80and back")
            assert await relayed.recv() == b"\x80and back"
        assert relayed.agent.selected_pair is not None
        assert relayed.agent.selected_pair[0].type == "relay"
        assert direct.agent.selected_pair is not None
        assert direct.agent.selected_pair[1] == candidate
    finally:
        await relayed.close()
        await direct.close()
