"""pyrtc <-> aiortc data-channel echo over real UDP on 127.0.0.1, both roles, every channel
type (reliable/unreliable x ordered/unordered, negotiated)."""

from __future__ import annotations

import asyncio
from typing import Any

import aioice.ice
import aiortc
import pytest

from pyrtc.pc import RTCPeerConnection
from tests.pc.helpers import LOOPBACK, STEP, signal, wait_for_state

pytestmark = pytest.mark.interop

CHANNEL_KINDS: list[dict[str, Any]] = [
    {},
    {"ordered": False},
    {"ordered": False, "maxRetransmits": 0},
    {"maxPacketLifeTime": 500},
    {"negotiated": True, "id": 7},
]
MESSAGES: list[str | bytes] = ["hello", b"\x00\x01binary", "", b"", "x" * 60000, bytes(200000)]
SMALL: list[str | bytes] = ["hello", b"\x00\x01binary", "", b"", "x" * 1000]
"""Partially reliable channels may drop a fragment of a big message even on loopback."""


@pytest.fixture(autouse=True)
def aiortc_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    # aioice skips 127.0.0.1 when gathering (docs/INTEROP.md section 6).
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: LOOPBACK)


def echo_everything(pc: Any) -> None:
    """Answer every message on every incoming channel with the same message."""

    @pc.on("datachannel")
    def on_channel(channel: Any) -> None:
        @channel.on("message")
        def on_message(message: Any) -> None:
            channel.send(message)


async def exchange(channel: Any, messages: list[str | bytes]) -> list[str | bytes]:
    """Send ``messages`` once the channel is open; return the echoes."""
    received: asyncio.Queue[str | bytes] = asyncio.Queue()
    channel.on("message", received.put_nowait)
    if channel.readyState != "open":
        opened = asyncio.Event()
        channel.on("open", opened.set)
        await asyncio.wait_for(opened.wait(), STEP)
    for message in messages:
        channel.send(message)
    return [await asyncio.wait_for(received.get(), STEP) for _ in messages]


def negotiated_echo(pc: Any, kind: dict[str, Any]) -> None:
    channel = pc.createDataChannel("chan", **kind)

    @channel.on("message")
    def on_message(message: Any) -> None:
        channel.send(message)


@pytest.mark.parametrize("kind", CHANNEL_KINDS, ids=lambda k: str(k) or "reliable")
@pytest.mark.parametrize("pyrtc_offers", [True, False], ids=["pyrtc-offers", "aiortc-offers"])
async def test_echo_with_aiortc(kind: dict[str, Any], pyrtc_offers: bool) -> None:
    ours = RTCPeerConnection(addresses=LOOPBACK)
    theirs = aiortc.RTCPeerConnection()
    if kind.get("negotiated"):
        negotiated_echo(theirs, kind)
    else:
        echo_everything(theirs)
    channel = ours.createDataChannel("chan", **kind)
    try:
        if pyrtc_offers:
            await signal(ours, theirs)
        else:
            if not kind.get("negotiated"):
                theirs.createDataChannel("unused")  # aiortc offers SCTP only with a channel
            await signal(theirs, ours)
        # Unreliable channels on loopback lose nothing; order may differ when unordered.
        reliable = "maxRetransmits" not in kind and "maxPacketLifeTime" not in kind
        messages = MESSAGES if reliable else SMALL
        echoes = await exchange(channel, messages)
        if kind.get("ordered", True):
            assert echoes == messages
        else:
            assert sorted(map(repr, echoes)) == sorted(map(repr, messages))
        assert [type(m) for m in echoes if m == "hello"] == [str]
        await wait_for_state(ours, "connectionState", "connected")
        assert channel.id is not None and (
            channel.id % 2 == (1 if pyrtc_offers else 0) or kind.get("negotiated")
        )
    finally:
        await ours.close()
        await theirs.close()


async def test_aiortc_channel_to_pyrtc() -> None:
    """aiortc opens the channel, pyrtc answers and echoes."""
    ours = RTCPeerConnection(addresses=LOOPBACK)
    theirs = aiortc.RTCPeerConnection()
    echo_everything(ours)
    channel = theirs.createDataChannel("from-aiortc", protocol="chat")
    seen: list[Any] = []
    ours.on("datachannel", seen.append)
    try:
        await signal(theirs, ours)
        assert await exchange(channel, ["a", b"b"]) == ["a", b"b"]
        assert [(c.label, c.protocol, c.readyState) for c in seen] == [
            ("from-aiortc", "chat", "open")
        ]
    finally:
        await ours.close()
        await theirs.close()


async def test_aiortc_sees_close() -> None:
    """Closing the pyrtc side closes aiortc's channel."""
    ours = RTCPeerConnection(addresses=LOOPBACK)
    theirs = aiortc.RTCPeerConnection()
    remote_channels: list[Any] = []
    theirs.on("datachannel", remote_channels.append)
    channel = ours.createDataChannel("c")
    try:
        await signal(ours, theirs)
        await exchange_open(channel)
        closed = asyncio.Event()
        await wait_until(lambda: bool(remote_channels))
        remote_channels[0].on("close", closed.set)
        channel.close()
        await asyncio.wait_for(closed.wait(), STEP)
        await wait_for_state(channel, "readyState", "closed")
    finally:
        await ours.close()
        await theirs.close()


async def exchange_open(channel: Any) -> None:
    if channel.readyState != "open":
        opened = asyncio.Event()
        channel.on("open", opened.set)
        await asyncio.wait_for(opened.wait(), STEP)


async def wait_until(predicate: Any, timeout: float = STEP) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)
