"""The asyncio shell over loopback: generic driver, stun_binding, serve_stun, CLI commands."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pyrtc.net import (
    BindingFailed,
    BindingTimeout,
    DatagramDriver,
    open_driver,
    serve_stun,
    stun_binding,
)
from pyrtc.sansio import Address, Datagram, Event

PYRTC = str(Path(sys.executable).parent / "pyrtc")


@dataclass(frozen=True)
class Echoed(Event):
    data: bytes


@dataclass
class EchoCore:
    """A toy core: echoes each datagram after a delay given by the core's own timer."""

    delay: float = 0.05
    timer_calls: list[tuple[float, float]] = field(default_factory=list)
    pending: list[tuple[float, Datagram]] = field(default_factory=list)
    out: list[Datagram] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def receive(self, data: bytes, addr: Address, now: float) -> None:
        self.pending.append((now + self.delay, (data, addr)))

    def handle_timer(self, now: float) -> None:
        deadline = self.get_timer()
        assert deadline is not None
        self.timer_calls.append((deadline, now))
        due = [d for t, d in self.pending if t <= now]
        self.pending = [(t, d) for t, d in self.pending if t > now]
        self.out += due
        self.events += [Echoed(data) for data, _ in due]

    def get_timer(self) -> float | None:
        return min((t for t, _ in self.pending), default=None)

    def datagrams_to_send(self, now: float) -> list[Datagram]:
        out, self.out = self.out, []
        return out

    def next_event(self) -> Event | None:
        return self.events.pop(0) if self.events else None


async def test_driver_runs_any_core_with_its_timers() -> None:
    driver: DatagramDriver[EchoCore] = await open_driver(EchoCore(), ("127.0.0.1", 0))
    loop = asyncio.get_running_loop()
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.setblocking(False)
    try:
        client.bind(("127.0.0.1", 0))
        for payload in (b"one", b"two"):
            client.sendto(payload, driver.local_address)
        async with asyncio.timeout(5):
            echoes = {await loop.sock_recv(client, 100) for _ in range(2)}
            events = [await driver.events.get() for _ in range(2)]
        assert echoes == {b"one", b"two"}
        assert sorted(e.data for e in events if isinstance(e, Echoed)) == [b"one", b"two"]
        assert driver.core.timer_calls
        assert all(now >= deadline for deadline, now in driver.core.timer_calls)
    finally:
        client.close()
        driver.close()
    await asyncio.wait_for(driver.closed, 5)


async def test_driver_delivers_to_a_callback() -> None:
    seen: list[Event] = []
    driver = await open_driver(EchoCore(delay=0.0), ("127.0.0.1", 0), on_event=seen.append)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.sendto(b"ping", driver.local_address)
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.01)
    driver.close()
    assert seen == [Echoed(b"ping")]
    assert driver.events.empty()


async def test_binding_against_our_server() -> None:
    server = await serve_stun("127.0.0.1", 0, software="pyrtc test")
    try:
        result = await stun_binding(server.local_address, timeout=5)
    finally:
        server.close()
    assert result.mapped_address == ("127.0.0.1", result.local_address[1])
    assert result.server == server.local_address
    assert 0 < result.rtt < 5
    assert result.response.attributes["SOFTWARE"] == "pyrtc test"
    assert server.core.stats.success == 1


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this host")
async def test_binding_over_ipv6() -> None:
    server = await serve_stun("::1", 0)
    try:
        result = await stun_binding(server.local_address, timeout=5)
    finally:
        server.close()
    assert result.mapped_address == ("::1", result.local_address[1])


async def test_binding_times_out_against_a_silent_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        target = silent.getsockname()
        with pytest.raises(BindingTimeout, match="after 3 requests"):
            await stun_binding(target, rto=0.02, max_sends=3)
        with pytest.raises(BindingTimeout):
            await stun_binding(target, timeout=0.1)


async def test_binding_error_response() -> None:
    server = await serve_stun("127.0.0.1", 0, passwords={"user": "pass"})
    try:
        with pytest.raises(BindingFailed, match="error response 400 Bad Request") as info:
            await stun_binding(server.local_address, timeout=5)
    finally:
        server.close()
    assert info.value.response.attributes["ERROR-CODE"].code == 400


def test_cli_stun_server_and_probe() -> None:
    server = subprocess.Popen(
        [PYRTC, "stun-server", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        assert match, line
        probe = subprocess.run(
            [PYRTC, "stun", f"127.0.0.1:{match.group(1)}", "--timeout", "10"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert probe.returncode == 0, probe.stdout + probe.stderr
        assert re.search(r"reflexive address 127\.0\.0\.1:\d+", probe.stdout)
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=30)
        assert server.returncode == 0
        assert "answered 1 Binding requests" in out
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()


def test_cli_stun_timeout_exit_code() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        run = subprocess.run(
            [PYRTC, "stun", f"127.0.0.1:{port}", "--timeout", "0.3"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 1
    assert "timeout" in run.stdout


def test_cli_rejects_bad_addresses() -> None:
    run = subprocess.run([PYRTC, "stun", "127.0.0.1:notaport"], capture_output=True, text=True)
    assert run.returncode == 2
    assert "bad port" in run.stderr


async def test_failing_callback_does_not_stall_the_driver() -> None:
    calls: list[Event] = []

    def explode(event: Event) -> None:
        calls.append(event)
        raise RuntimeError("application bug")

    loop = asyncio.get_running_loop()
    errors: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    driver = await open_driver(EchoCore(delay=0.0), ("127.0.0.1", 0), on_event=explode)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.setblocking(False)
    try:
        client.bind(("127.0.0.1", 0))
        client.sendto(b"ping", driver.local_address)
        async with asyncio.timeout(5):
            assert await loop.sock_recv(client, 100) == b"ping"
    finally:
        client.close()
        driver.close()
        loop.set_exception_handler(None)
    assert calls == [Echoed(b"ping")]
    assert errors and isinstance(errors[0]["exception"], RuntimeError)


async def test_unresolvable_server_names_raise_pyrtc_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name that does not resolve is a pyrtc error of the layer, not a raw gaierror (no real
    DNS query is made: getaddrinfo is replaced)."""
    from pyrtc.errors import Error
    from pyrtc.net import connect_turn
    from pyrtc.turn import TurnError

    async def no_such_name(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", no_such_name)
    with pytest.raises(Error, match=r"cannot resolve stun\.example"):
        await stun_binding(("stun.example", 3478))
    for transport in ("udp", "tcp"):
        with pytest.raises(TurnError, match=r"cannot resolve turn\.example"):
            await connect_turn(("turn.example", 3478), "user", "pass", transport=transport)
