"""Packet-level interop: our Association against aiortc's RTCSctpTransport in one event loop.

aiortc's transport runs unmodified on top of a fake DTLS transport that hands packets to a
small asyncio shell around our sans-I/O core (and back). Only aiortc's upper layer (data
channels) is bypassed: its ``_send`` and ``_receive`` coroutines carry raw SCTP messages.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import RTCDataChannel, RTCDataChannelParameters
from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport

from pyrtc.datachannel import (
    ChannelClosed,
    ChannelMessage,
    ChannelOpened,
    ChannelParameters,
    DataChannelManager,
)
from pyrtc.sansio import ConnectionCore
from pyrtc.sctp import (
    Association,
    AssociationClosed,
    AssociationEstablished,
    MessageReceived,
    StreamsReset,
)


class DataDropper:
    """Drops the DATA packets with the given indices (counting DATA packets only)."""

    def __init__(self, indices: set[int]) -> None:
        self.indices = indices
        self.seen = 0

    def __call__(self, packet: bytes) -> bool:
        if packet[12] != 0:  # first chunk is not DATA
            return False
        self.seen += 1
        return self.seen - 1 in self.indices


class FakeDtls:
    """What RTCSctpTransport needs from RTCDtlsTransport."""

    def __init__(self, role: str, to_pyrtc: asyncio.Queue[bytes], drop: DataDropper) -> None:
        self._role = role
        self.state = "connected"
        self.to_pyrtc = to_pyrtc
        self.drop = drop

    def _register_data_receiver(self, receiver: object) -> None:
        pass

    def _unregister_data_receiver(self, receiver: object) -> None:
        pass

    async def _send_data(self, data: bytes) -> None:
        if not self.drop(data):
            self.to_pyrtc.put_nowait(data)


class Bridge:
    """An asyncio shell for our Association, wired to an aiortc transport."""

    def __init__(self, drop: set[int], core: ConnectionCore | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self.to_aiortc: asyncio.Queue[bytes] = asyncio.Queue()
        self.ours: Any = core or Association()
        self.dtls = FakeDtls("server", self.inbox, DataDropper(drop))
        self.theirs = RTCSctpTransport(self.dtls)  # type: ignore[arg-type]
        self.theirs_received: list[tuple[int, int, bytes]] = []
        self.events: list[object] = []
        self.drop = DataDropper(drop)
        self.closed = False

        async def capture(stream_id: int, ppid: int, data: bytes) -> None:
            self.theirs_received.append((stream_id, ppid, data))

        if core is None:  # raw SCTP messages; otherwise aiortc's data channels run
            self.theirs._receive = capture  # type: ignore[method-assign]
        self.tasks = [
            asyncio.ensure_future(self._run_ours()),
            asyncio.ensure_future(self._feed_aiortc()),
        ]

    def _flush(self) -> None:
        now = self.loop.time()
        for packet in self.ours.datagrams_to_send(now):
            if not self.drop(packet):
                self.to_aiortc.put_nowait(packet)
        while (event := self.ours.next_event()) is not None:
            self.events.append(event)

    async def _run_ours(self) -> None:
        while not self.closed:
            self._flush()
            timer = self.ours.get_timer()
            timeout = None if timer is None else max(0.0, timer - self.loop.time())
            try:
                data = await asyncio.wait_for(self.inbox.get(), timeout)
            except TimeoutError:
                self.ours.handle_timer(self.loop.time())
                continue
            if data:
                self.ours.receive(data, self.loop.time())

    async def _feed_aiortc(self) -> None:
        while not self.closed:
            data = await self.to_aiortc.get()
            if data:
                await self.theirs._handle_data(data)

    async def wait(self, condition: Any, timeout: float = 20.0) -> None:
        """Poll ``condition`` (it may depend on aiortc state that signals nothing)."""
        deadline = self.loop.time() + timeout
        while not condition():
            if self.loop.time() > deadline:
                raise TimeoutError("condition not met")
            await asyncio.sleep(0.002)

    async def close(self) -> None:
        # Stop the loops with a flag and an empty wake-up packet, not Task.cancel(): Python
        # 3.11's wait_for() can swallow a cancellation that races with a queue item.
        self.closed = True
        self.inbox.put_nowait(b"")
        self.to_aiortc.put_nowait(b"")
        await asyncio.gather(*self.tasks)
        await self.theirs.stop()


def messages(events: list[object]) -> list[MessageReceived]:
    return [e for e in events if isinstance(e, MessageReceived)]


async def established_bridge(drop: set[int] | None = None) -> Bridge:
    bridge = Bridge(drop or set())
    bridge.ours.connect()
    await bridge.theirs.start(RTCSctpCapabilities(maxMessageSize=262144), 5000)
    await bridge.wait(
        lambda: (
            any(isinstance(e, AssociationEstablished) for e in bridge.events)
            and bridge.theirs._association_state == RTCSctpTransport.State.ESTABLISHED
        )
    )
    return bridge


async def test_handshake_and_messages_both_ways() -> None:
    bridge = await established_bridge()
    try:
        assert bridge.ours.peer_supports_forward_tsn
        sizes = [1, 1000, 1200, 5000, 65536, 200_000]
        for i, size in enumerate(sizes):
            bridge.ours.send(i % 2, bytes([i]) * size, 53, ordered=i % 3 != 0)
            await bridge.theirs._send(1, 51, bytes([i]) * size)
        bridge._flush()
        await bridge.wait(
            lambda: (
                len(bridge.theirs_received) == len(sizes)
                and len(messages(bridge.events)) == len(sizes)
            )
        )
        assert sorted(bridge.theirs_received) == sorted(
            (i % 2, 53, bytes([i]) * size) for i, size in enumerate(sizes)
        )
        assert [m.data for m in messages(bridge.events)] == [
            bytes([i]) * size for i, size in enumerate(sizes)
        ]
        assert {(m.stream_id, m.ppid) for m in messages(bridge.events)} == {(1, 51)}
    finally:
        await bridge.close()


async def test_lost_data_recovered_both_ways() -> None:
    # aiortc's timers run on the real clock, so losses are chosen to be repaired by fast
    # retransmission (gap reports in SACKs) rather than by slow T3 timeouts.
    bridge = await established_bridge(drop={5, 17, 18})
    try:
        count = 60
        for i in range(count):
            bridge.ours.send(0, i.to_bytes(2, "big") * 700, 53)
            await bridge.theirs._send(2, 53, i.to_bytes(2, "big") * 300)
        bridge._flush()
        await bridge.wait(
            lambda: len(bridge.theirs_received) == count and len(messages(bridge.events)) == count,
        )
        assert [int.from_bytes(d[:2], "big") for _, _, d in bridge.theirs_received] == list(
            range(count)
        )
        assert [int.from_bytes(m.data[:2], "big") for m in messages(bridge.events)] == list(
            range(count)
        )
        assert bridge.ours.stats().retransmissions >= 3  # our three lost packets
        assert bridge.dtls.drop.seen > 18  # aiortc's three were lost as well
    finally:
        await bridge.close()


async def test_aiortc_stream_reset_and_abort() -> None:
    bridge = await established_bridge()
    try:
        await bridge.theirs._send(3, 51, b"before reset")
        bridge.theirs._reconfig_queue.append(3)
        await bridge.theirs._transmit_reconfig()
        await bridge.wait(lambda: StreamsReset((3,)) in bridge.events)
        assert [m.data for m in messages(bridge.events)] == [b"before reset"]
        bridge.ours.abort("done")
        bridge._flush()
        await bridge.wait(lambda: bridge.theirs._association_state == RTCSctpTransport.State.CLOSED)
        assert bridge.events[-1] == AssociationClosed("done")
    finally:
        await bridge.close()


# ---------------------------------------------------------------- data channels (RFC 8831/8832)


async def data_channel_bridge() -> tuple[Bridge, DataChannelManager]:
    # aiortc's transport is the DTLS server here, so we are the DTLS client (even ids).
    manager = DataChannelManager(Association(), dtls_client=True)
    bridge = Bridge(set(), core=manager)
    manager.association.connect()
    await bridge.theirs.start(RTCSctpCapabilities(maxMessageSize=262144), 5000)
    await bridge.wait(lambda: any(isinstance(e, AssociationEstablished) for e in bridge.events))
    return bridge, manager


async def test_aiortc_opens_channel_to_us() -> None:
    bridge, manager = await data_channel_bridge()
    try:
        channel = RTCDataChannel(
            bridge.theirs,
            RTCDataChannelParameters(label="from aiortc", protocol="p", ordered=False),
        )
        await bridge.wait(lambda: channel.readyState == "open")
        channel.send("text")
        channel.send(b"bytes")
        channel.send("")
        await bridge.wait(
            lambda: len([e for e in bridge.events if isinstance(e, ChannelMessage)]) == 3
        )
        (opened,) = [e for e in bridge.events if isinstance(e, ChannelOpened)]
        assert opened.remote and opened.channel_id % 2 == 1  # aiortc is the DTLS server
        assert opened.parameters == ChannelParameters(
            label="from aiortc",
            protocol="p",
            ordered=False,
            priority=0,  # aiortc sends 0
        )
        got = [e.data for e in bridge.events if isinstance(e, ChannelMessage)]
        assert sorted(got, key=repr) == sorted(["text", b"bytes", ""], key=repr)
        replies: list[object] = []
        channel.on("message", replies.append)
        manager.send(opened.channel_id, "reply")
        bridge._flush()
        await bridge.wait(lambda: replies == ["reply"])
        channel.close()
        await bridge.wait(lambda: ChannelClosed(opened.channel_id) in bridge.events)
        await bridge.wait(lambda: channel.readyState == "closed")
    finally:
        await bridge.close()


async def test_we_open_channel_to_aiortc() -> None:
    bridge, manager = await data_channel_bridge()
    try:
        remote: list[RTCDataChannel] = []
        received: list[object] = []

        def on_channel(channel: RTCDataChannel) -> None:
            remote.append(channel)
            channel.on("message", received.append)

        bridge.theirs.on("datachannel", on_channel)
        cid = manager.create_channel(ChannelParameters(label="from pyrtc", max_retransmits=2))
        manager.send(cid, b"\x01" * 100_000)
        bridge._flush()
        await bridge.wait(lambda: bool(remote))
        (channel,) = remote
        assert (channel.id, channel.label, channel.maxRetransmits) == (0, "from pyrtc", 2)
        manager.send(cid, "second")
        bridge._flush()
        await bridge.wait(lambda: len(received) == 2)
        assert received == [b"\x01" * 100_000, "second"]
        channel.send("pong")
        await bridge.wait(lambda: ChannelMessage(cid, "pong") in bridge.events)
        manager.close(cid)
        bridge._flush()
        await bridge.wait(lambda: channel.readyState == "closed")
        await bridge.wait(lambda: ChannelClosed(cid) in bridge.events)
    finally:
        await bridge.close()
