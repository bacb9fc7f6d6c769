"""pyrtc's TURN client against coturn 4.6 on loopback: UDP, TCP, TLS, channels, indications."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import pytest
from coturn import PASSWORD, SECRET, USER, Coturn

from pyrtc.net import open_driver
from pyrtc.net.turn import TurnSession, connect_turn, echo_peer, measure_rtt
from pyrtc.sansio import Address, Event
from pyrtc.stun import AddressFamily
from pyrtc.turn import (
    Allocated,
    AllocationFailed,
    Closed,
    PermissionFailed,
    Refreshed,
    TurnClient,
    TurnError,
    rest_credentials,
)

pytestmark = pytest.mark.interop


def server_port(coturn: Coturn, transport: str) -> int:
    if transport == "tls":
        assert coturn.tls_port is not None
        return coturn.tls_port
    return coturn.port


async def connect(coturn: Coturn, transport: str = "udp", **kwargs: object) -> TurnSession:
    if transport == "tls":
        kwargs.setdefault("cafile", str(coturn.cafile))
    return await connect_turn(
        ("127.0.0.1", server_port(coturn, transport)),
        str(kwargs.pop("username", USER)),
        str(kwargs.pop("password", PASSWORD)),
        transport=transport,  # type: ignore[arg-type]
        timeout=5.0,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
async def test_allocate(coturn: Coturn, transport: str) -> None:
    session = await connect(coturn, transport)
    try:
        host, port = session.relayed_address
        assert host == "127.0.0.1" and port in coturn.relay_ports
        assert session.mapped_address is not None
        assert session.mapped_address[1] == session.local_address[1]
    finally:
        await session.close()
    assert session.client.state == "closed"
    assert await session.events.get() == Closed()  # coturn answered the deallocation


@pytest.mark.parametrize("use_channels", [True, False], ids=["channel", "indication"])
@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
async def test_relay_both_ways(coturn: Coturn, transport: str, use_channels: bool) -> None:
    peer = await echo_peer()
    peer_addr: Address = peer.get_extra_info("sockname")[:2]
    session = await connect(coturn, transport, use_channels=use_channels)
    try:
        rtts = await measure_rtt(session, peer_addr, 5, size=500)
        assert all(rtt is not None for rtt in rtts), rtts
        stats = session.client.stats
        assert stats.relayed_out == 5 and stats.relayed_in == 5 and stats.malformed == 0
        if use_channels:
            assert session.client.channel_number(peer_addr) == 0x4000
        else:
            assert session.client.channel_number(peer_addr) is None
    finally:
        await session.close()
        peer.close()


async def test_peer_sees_the_relayed_address(coturn: Coturn) -> None:
    loop = asyncio.get_running_loop()
    received: asyncio.Queue[tuple[bytes, Address]] = asyncio.Queue()

    class Peer(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
            received.put_nowait((data, (str(addr[0]), int(str(addr[1])))))

    transport, _ = await loop.create_datagram_endpoint(Peer, local_addr=("127.0.0.1", 0))
    peer_addr = transport.get_extra_info("sockname")[:2]
    session = await connect(coturn)
    try:
        session.send(b"ping", peer_addr)
        data, source = await asyncio.wait_for(received.get(), 5)
        assert data == b"ping" and source == session.relayed_address
        transport.sendto(b"pong", session.relayed_address)  # type: ignore[attr-defined]
        assert await asyncio.wait_for(session.recv(), 5) == (b"pong", peer_addr)
    finally:
        await session.close()
        transport.close()


async def test_tls_checks_the_certificate(coturn: Coturn) -> None:
    with pytest.raises(TurnError, match="certificate verify failed"):
        await connect(coturn, "tls", cafile=None)
    session = await connect(coturn, "tls", cafile=None, verify=False)
    await session.close()
    assert session.client.relayed_address is not None


async def test_wrong_password(coturn: Coturn) -> None:
    with pytest.raises(TurnError) as info:
        await connect(coturn, password="wrong")
    assert info.value.code == 401
    assert str(info.value).startswith("401 Unauthorized")
    assert "wrong username or password" in str(info.value)


async def test_forbidden_peer_is_a_permission_failure(coturn: Coturn) -> None:
    session = await connect(coturn)
    try:
        session.send(b"x", ("224.0.0.1", 9))  # --no-multicast-peers
        event = await asyncio.wait_for(session.events.get(), 5)
        assert isinstance(event, PermissionFailed) and event.peer == ("224.0.0.1", 9)
        assert event.error.code == 403
    finally:
        await session.close()


async def test_rest_credentials(coturn_rest: Coturn) -> None:
    username, password = rest_credentials(SECRET, "bob", 600)
    session = await connect(coturn_rest, username=username, password=password)
    await session.close()
    assert session.client.relayed_address is not None


async def test_expired_rest_credentials_are_refused(coturn_rest: Coturn) -> None:
    username, password = rest_credentials(SECRET, "bob", 600, now=time.time() - 3600)
    with pytest.raises(TurnError) as info:
        await connect(coturn_rest, username=username, password=password)
    assert info.value.code == 401


async def test_refresh_and_stale_nonce_keep_the_allocation(coturn_short: Coturn) -> None:
    """coturn grants 6 s and lets nonces go stale after 2 s: the client must refresh at 3 s,
    get 438, retry with the new nonce, and still relay after the first lifetime is over.
    """
    peer = await echo_peer()
    peer_addr: Address = peer.get_extra_info("sockname")[:2]
    session = await connect(coturn_short, lifetime=6)
    try:
        assert (await measure_rtt(session, peer_addr, 1))[0] is not None
        event = await asyncio.wait_for(session.events.get(), 8)
        assert isinstance(event, Refreshed)
        assert session.client.stats.stale_nonces >= 1
        await asyncio.sleep(7 - 3)  # past the 6 s of the original allocation
        assert (await measure_rtt(session, peer_addr, 2)) != [None, None]
        assert session.client.state == "allocated"
    finally:
        await session.close()
        peer.close()


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_cli_round_trip(coturn: Coturn, transport: str) -> None:
    if transport == "tls":
        url, tls = f"turns:127.0.0.1:{coturn.tls_port}", ["--cafile", str(coturn.cafile)]
    else:
        url, tls = f"turn:127.0.0.1:{coturn.port}?transport={transport}", []
    command = [sys.executable, "-m", "pyrtc", "turn", url, "--user", USER, "--password", PASSWORD]
    command += tls
    result = subprocess.run(
        [*command, "--count", "4"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "relayed 127.0.0.1:" in out and "mapped 127.0.0.1:" in out
    assert "4/4 echoed" in out and "rtt min/avg/max" in out


def test_cli_ipv6(coturn_v6: Coturn) -> None:
    url = f"turn:[::1]:{coturn_v6.port}"
    command = [sys.executable, "-m", "pyrtc", "turn", url, "--user", USER, "--password", PASSWORD]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "relayed [::1]:" in result.stdout and "5/5 echoed by [::1]:" in result.stdout


def test_cli_failure_is_clear(coturn: Coturn) -> None:
    url = f"turn:127.0.0.1:{coturn.port}"
    command = [sys.executable, "-m", "pyrtc", "turn", url, "--user", USER, "--password", "nope"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "401" in result.stdout


async def test_ipv6(coturn_v6: Coturn) -> None:
    peer = await echo_peer("::1")
    peer_addr: Address = peer.get_extra_info("sockname")[:2]
    server = ("::1", coturn_v6.port)
    with pytest.raises(TurnError) as info:  # the relay family defaults to IPv4 (RFC 8656 §7.1)
        await connect_turn(server, USER, PASSWORD, timeout=5)
    assert info.value.code == 440
    session = await connect_turn(server, USER, PASSWORD, family=AddressFamily.IPV6, timeout=5)
    try:
        assert session.relayed_address[0] == "::1"
        assert session.relayed_address[1] in coturn_v6.relay_ports
        assert session.mapped_address == ("::1", session.local_address[1])
        assert None not in await measure_rtt(session, peer_addr, 3)
    finally:
        await session.close()
        peer.close()


async def allocate_with(coturn: Coturn, **options: Any) -> tuple[TurnClient, Event]:
    """Run a bare TurnClient with Allocate options over pyrtc.net.open_driver."""
    client = TurnClient(("127.0.0.1", coturn.port), USER, PASSWORD, **options)
    driver = await open_driver(client, ("127.0.0.1", 0))
    try:
        client.allocate(asyncio.get_running_loop().time())
        driver.pump()
        event = await asyncio.wait_for(driver.events.get(), 5)
        if isinstance(event, Allocated):
            client.close(asyncio.get_running_loop().time())
            driver.pump()
            assert isinstance(await asyncio.wait_for(driver.events.get(), 5), Closed)
    finally:
        driver.close()
    return client, event


async def test_even_port_and_dont_fragment(coturn: Coturn) -> None:
    for _ in range(3):
        _, event = await allocate_with(coturn, even_port=True, dont_fragment=True)
        assert isinstance(event, Allocated) and event.relayed[1] % 2 == 0


async def test_address_family(coturn: Coturn) -> None:
    _, event = await allocate_with(coturn, family=AddressFamily.IPV4)
    assert isinstance(event, Allocated)
    _, event = await allocate_with(coturn, family=AddressFamily.IPV6)  # relay-ip is IPv4 only
    assert isinstance(event, AllocationFailed) and event.error.code == 440
