"""A relay-only peer connection through a real coturn on loopback (iceTransportPolicy
"relay"): DTLS and SCTP run over the TURN allocation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from pyrtc.pc import RTCConfiguration, RTCIceServer, RTCPeerConnection
from tests.pc.helpers import LOOPBACK, signal
from tests.turn.coturn import Coturn, run_coturn

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    with run_coturn(tmp_path_factory.mktemp("coturn-pc")) as server:
        yield server


async def test_relay_only_data_channel(coturn: Coturn) -> None:
    server = RTCIceServer(
        urls=f"turn:127.0.0.1:{coturn.port}", username="alice", credential="s3cret"
    )
    config = RTCConfiguration(iceServers=[server], iceTransportPolicy="relay")
    a = RTCPeerConnection(config, addresses=LOOPBACK)
    b = RTCPeerConnection(addresses=LOOPBACK)
    channel = a.createDataChannel("relayed")
    received: asyncio.Queue[Any] = asyncio.Queue()

    @b.on("datachannel")
    def on_channel(theirs: Any) -> None:
        theirs.on("message", received.put_nowait)

    try:
        await signal(a, b)
        assert "typ relay" in a.localDescription.sdp  # type: ignore[union-attr]
        assert "typ host" not in a.localDescription.sdp  # type: ignore[union-attr]
        opened = asyncio.Event()
        channel.on("open", opened.set)
        await asyncio.wait_for(opened.wait(), 10)
        channel.send(b"through coturn" * 1000)
        assert await asyncio.wait_for(received.get(), 10) == b"through coturn" * 1000
        report = await a.getStats()
        [transport] = report.of_type("transport")
        pair = report[transport.selectedCandidatePairId]
        assert report[pair.localCandidateId].candidateType == "relay"
        assert report[pair.localCandidateId].port in coturn.relay_ports
    finally:
        await a.close()
        await b.close()
