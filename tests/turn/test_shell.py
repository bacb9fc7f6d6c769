"""The asyncio shell against scripted loopback servers: failures and stream edge cases."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from turn_helpers import MAPPED, PASSWORD, RELAYED, USER, challenge, success

from pyrtc.net.turn import connect_turn
from pyrtc.stun import Message, Method
from pyrtc.turn import Closed, StreamFramer, TurnError, encode_channel_data


@asynccontextmanager
async def scripted_tcp_server(
    after_allocation: Callable[[asyncio.StreamWriter], None],
) -> AsyncIterator[int]:
    """A TCP TURN server that allocates, then lets ``after_allocation`` misbehave."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        framer = StreamFramer()
        while data := await reader.read(4096):
            for frame in framer.feed(data):
                request = Message.parse(frame)
                if request.method == Method.ALLOCATE and "USERNAME" not in request.attributes:
                    writer.write(challenge(request))
                elif request.method == Method.ALLOCATE:
                    attributes = {"XOR-RELAYED-ADDRESS": RELAYED, "XOR-MAPPED-ADDRESS": MAPPED}
                    writer.write(success(request, attributes))
                    after_allocation(writer)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def test_stream_data_and_lost_framing() -> None:
    def then_garbage(writer: asyncio.StreamWriter) -> None:
        writer.write(encode_channel_data(0x4000, b"unbound", pad=True))
        writer.write(b"\x80 this is not TURN")

    async with scripted_tcp_server(then_garbage) as port:
        session = await connect_turn(("127.0.0.1", port), USER, PASSWORD, transport="tcp")
        assert session.relayed_address == RELAYED and session.mapped_address == MAPPED
        event = await asyncio.wait_for(session.events.get(), 5)
        assert isinstance(event, Closed) and event.error is not None
        assert "framing" in str(event.error)
        assert session.client.stats.unexpected == 1  # the ChannelData before the garbage
        assert session.client.state == "closed"
        await session.close()


async def test_server_hanging_up_ends_the_allocation() -> None:
    async with scripted_tcp_server(lambda writer: writer.close()) as port:
        session = await connect_turn(("127.0.0.1", port), USER, PASSWORD, transport="tcp")
        event = await asyncio.wait_for(session.events.get(), 5)
        assert isinstance(event, Closed) and event.error is not None
        session.send(b"x", ("127.0.0.1", 9))
        assert session.client.stats.dropped == 1
        for _ in range(2):  # readers do not wait forever on a dead allocation
            with pytest.raises(TurnError, match="closed the connection"):
                await asyncio.wait_for(session.recv(), 1)
        await session.close()


async def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        with pytest.raises(TurnError, match="cannot connect"):
            await connect_turn(("127.0.0.1", port), USER, PASSWORD, transport="tcp")


async def test_silent_udp_server_times_out() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        server = sock.getsockname()
        with pytest.raises(TurnError, match="no allocation"):
            await connect_turn(server, USER, PASSWORD, timeout=0.3)
        assert sock.recv(2048)  # the Allocate did arrive


async def test_silent_tcp_server_times_out() -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(4096):
            pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(TurnError, match="no allocation"):
            await connect_turn(("127.0.0.1", port), USER, PASSWORD, transport="tcp", timeout=0.3)
    finally:
        server.close()
        await server.wait_closed()
