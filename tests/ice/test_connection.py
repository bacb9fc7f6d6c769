"""The asyncio ICE Connection over real loopback sockets: pyrtc <-> pyrtc and <-> aioice."""

from __future__ import annotations

import asyncio

import aioice
import aioice.ice
import pytest

from pyrtc.ice import Candidate
from pyrtc.ice.events import StateChanged
from pyrtc.net.ice import Connection, select_host_addresses
from pyrtc.net.stun import serve_stun

LOOPBACK = ["127.0.0.1"]


async def exchange(a: Connection | aioice.Connection, b: Connection | aioice.Connection) -> None:
    """Signal credentials and candidates both ways, as an offer/answer would."""
    a.remote_username, a.remote_password = b.local_username, b.local_password
    b.remote_username, b.remote_password = a.local_username, a.local_password
    for candidate in b.local_candidates:
        await a.add_remote_candidate(_convert(candidate, a))
    await a.add_remote_candidate(None)
    for candidate in a.local_candidates:
        await b.add_remote_candidate(_convert(candidate, b))
    await b.add_remote_candidate(None)


def _convert(candidate: object, target: object) -> object:
    if isinstance(target, aioice.Connection) and isinstance(candidate, Candidate):
        return candidate.to_aioice()
    return candidate


async def test_pyrtc_to_pyrtc_over_loopback() -> None:
    states: list[str] = []
    gathered: list[Candidate | None] = []
    a = Connection(False, addresses=LOOPBACK, on_state_change=states.append)
    b = Connection(False, addresses=LOOPBACK, on_candidate=gathered.append)
    a.ice_controlling = True  # as aiortc does once the offer/answer roles are known
    assert a.agent.controlling
    await asyncio.gather(a.gather_candidates(), b.gather_candidates())
    assert [c.type for c in a.local_candidates] == ["host"]
    assert gathered == [*b.local_candidates, None]
    await exchange(a, b)
    async with asyncio.timeout(5):
        await asyncio.gather(a.connect(), b.connect())
        await a.send(b"ping")
        assert await b.recv() == b"ping"
        await b.send(b"pong")
        assert await a.recv() == b"pong"
    assert states[:2] == ["checking", "connected"]
    assert a.agent.stats.role_conflicts == b.agent.stats.role_conflicts == 0
    await a.close()
    await b.close()
    with pytest.raises(ConnectionError):
        await a.send(b"late")
    with pytest.raises(ConnectionError):
        await b.recv()


@pytest.mark.interop
@pytest.mark.parametrize("pyrtc_controlling", [True, False])
async def test_pyrtc_with_aioice(monkeypatch: pytest.MonkeyPatch, pyrtc_controlling: bool) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: LOOPBACK)
    ours = Connection(pyrtc_controlling, addresses=LOOPBACK)
    theirs = aioice.Connection(not pyrtc_controlling, use_ipv6=False)
    await asyncio.gather(ours.gather_candidates(), theirs.gather_candidates())
    assert [c.host for c in theirs.local_candidates] == LOOPBACK
    await exchange(ours, theirs)
    try:
        async with asyncio.timeout(10):
            await asyncio.gather(ours.connect(), theirs.connect())
            await ours.send(b"\x80from pyrtc")
            assert await theirs.recv() == b"\x80from pyrtc"
            await theirs.send(b"\x80from aioice")
            assert await ours.recv() == b"\x80from aioice"
        assert ours.agent.selected_pair is not None
        assert ours.agent.selected_pair[1].address == "127.0.0.1"
    finally:
        await ours.close()
        await theirs.close()


async def test_server_reflexive_candidate_from_a_stun_server() -> None:
    server = await serve_stun("127.0.0.1", 0)
    try:
        a = Connection(True, stun_server=server.local_address, addresses=LOOPBACK)
        await a.gather_candidates()
        # On loopback the mapped address equals the base, so no srflx candidate is added,
        # but the server was asked from the base socket.
        assert server.core.stats.success == 1
        assert [c.type for c in a.local_candidates] == ["host"]
        await a.close()
    finally:
        server.close()


async def test_connect_fails_without_candidates_after_end_of_candidates() -> None:
    # Two transmissions 50 ms apart, then a 0.8 s wait (RFC 8489 Rm = 16 RTO): failed.
    a = Connection(True, addresses=LOOPBACK, check_rto=0.05, check_max_sends=2)
    await a.gather_candidates()
    a.remote_username, a.remote_password = "someUfrag", "somePassword0123456789ab"
    await a.add_remote_candidate(
        Candidate.from_sdp("1 1 udp 2130706431 127.0.0.1 9 typ host")  # discard port
    )
    await a.add_remote_candidate(None)
    async with asyncio.timeout(10):
        with pytest.raises(ConnectionError):
            await a.connect()
    await a.close()
    events = [event async for event in a.events()]
    assert events[-2:] == [StateChanged("failed"), StateChanged("closed")]


def test_host_address_selection() -> None:
    found = ["127.0.0.1", "::1", "192.0.2.2", "fd00::2", "fe80::1", "169.254.1.1"]
    assert select_host_addresses(found, True, True, False) == ["192.0.2.2", "fd00::2"]
    assert select_host_addresses(found, True, False, True) == ["192.0.2.2", "127.0.0.1"]
    # Only loopback available (a loopback-only namespace): loopback is used anyway.
    assert select_host_addresses(["127.0.0.1", "::1"], True, True, False) == [
        "127.0.0.1",
        "::1",
    ]
    assert select_host_addresses(["127.0.0.1"], False, True, False) == []


def test_unsupported_options_are_refused() -> None:
    with pytest.raises(NotImplementedError):
        Connection(
            True,
            turn_server=("127.0.0.1", 3478),
            turn_username="u",
            turn_password="p",
            turn_transport="tcp",
        )
    with pytest.raises(ValueError):
        Connection(True, turn_server=("127.0.0.1", 3478))
    with pytest.raises(ValueError):
        Connection(True, components=2)
    with pytest.raises(ValueError):
        Connection(True, transport_policy="nohost")


async def test_two_bases_ipv6_and_ipv4_loopback() -> None:
    a = Connection(True, addresses=["127.0.0.1", "::1"])
    b = Connection(False, addresses=["127.0.0.1", "::1"])
    await asyncio.gather(a.gather_candidates(), b.gather_candidates())
    assert sorted(c.address for c in a.local_candidates) == ["127.0.0.1", "::1"]
    await exchange(a, b)
    try:
        async with asyncio.timeout(5):
            await asyncio.gather(a.connect(), b.connect())
            await b.send(b"\x80over v6")
            assert await a.recv() == b"\x80over v6"
        # RFC 8421: IPv6 gets the higher local preference, so its pair wins.
        assert a.agent.selected_pair is not None
        assert a.agent.selected_pair[0].address == "::1"
        # Pairs never mix families; the IPv4 pair, still Waiting, was dropped on selection.
        assert [(p[0].address, p[1].address) for p in a.agent.pair_states] == [("::1", "::1")]
    finally:
        await a.close()
        await b.close()


async def test_peer_gone_consent_expires_on_real_timers() -> None:
    timers = {"consent_interval": 0.1, "disconnected_timeout": 0.2, "failed_timeout": 0.6}
    states: list[str] = []
    a = Connection(True, addresses=LOOPBACK, on_state_change=states.append, **timers)
    b = Connection(False, addresses=LOOPBACK)
    await asyncio.gather(a.gather_candidates(), b.gather_candidates())
    await exchange(a, b)
    async with asyncio.timeout(5):
        await asyncio.gather(a.connect(), b.connect())
        await b.close()  # the peer disappears: its socket is gone
        async for event in a.events():
            if event == StateChanged("failed"):
                break
    assert states[-2:] == ["disconnected", "failed"]
    with pytest.raises(ConnectionError):
        await a.send(b"x")
    await a.close()


async def test_a_failing_callback_does_not_stall_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An exception in ``on_state_change``/``on_candidate`` is the application's bug: it is
    logged, and the agent's events, datagrams and timer carry on (connect() still returns)."""

    def fail_when_connected(state: str) -> None:
        if state in ("connected", "completed"):
            raise RuntimeError("application bug")

    def fail_on_candidates(candidate: Candidate | None) -> None:
        raise RuntimeError("application bug")

    a = Connection(True, addresses=LOOPBACK, on_state_change=fail_when_connected)
    b = Connection(
        False,
        addresses=LOOPBACK,
        on_state_change=fail_when_connected,
        on_candidate=fail_on_candidates,
    )
    try:
        async with asyncio.timeout(5):
            await asyncio.gather(a.gather_candidates(), b.gather_candidates())
            await exchange(a, b)
            await asyncio.gather(a.connect(), b.connect())
            await a.send(b"ping")
            assert await b.recv() == b"ping"
            await b.send(b"pong")
            assert await a.recv() == b"pong"
    finally:
        await a.close()
        await b.close()
    failures = [r for r in caplog.records if r.name == "pyrtc.net.ice" and r.exc_info]
    assert len(failures) >= 4  # b's candidate and end of candidates, a and b connected
    assert all("application bug" in str(r.exc_info[1]) for r in failures if r.exc_info)
