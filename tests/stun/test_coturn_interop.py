"""Interop with coturn's turnserver on loopback: the CLI probe, the Python API, a 420 answer."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyrtc.net import BindingTimeout, open_driver, stun_binding
from pyrtc.sansio import Address
from pyrtc.stun import Class, ClientTransaction, Message, Method, ResponseReceived

pytestmark = pytest.mark.interop

PYRTC = str(Path(sys.executable).parent / "pyrtc")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def wait_until_answering(server: Address, process: subprocess.Popen[str]) -> None:
    for _ in range(50):
        assert process.poll() is None, "turnserver exited early"
        try:
            await stun_binding(server, timeout=0.2)
            return
        except BindingTimeout:
            continue
    raise AssertionError("turnserver never answered a Binding request")


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[tuple[Address, subprocess.Popen[str]]]:
    turnserver = shutil.which("turnserver")
    assert turnserver, "coturn's turnserver is required for this test (CI installs coturn)"
    port = free_udp_port()
    relay = 50000 + port % 10000
    process = subprocess.Popen(
        [
            turnserver,
            "-n",
            "--no-cli",
            "--log-file=stdout",
            "--simple-log",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={port}",
            f"--min-port={relay}",
            f"--max-port={relay + 20}",
            "--no-tls",
            "--no-dtls",
            "--no-rfc5780",
            "--no-stun-backward-compatibility",
            "--fingerprint",
            "--no-multicast-peers",
            "--allow-loopback-peers",
            f"--pidfile={tmp_path / 'turnserver.pid'}",
            f"--userdb={tmp_path / 'turndb'}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        asyncio.run(wait_until_answering(("127.0.0.1", port), process))
        yield ("127.0.0.1", port), process
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_cli_probe_against_coturn(coturn: tuple[Address, subprocess.Popen[str]]) -> None:
    (host, port), _ = coturn
    run = subprocess.run(
        [PYRTC, "stun", f"{host}:{port}", "--timeout", "10"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    match = re.search(
        r"reflexive address 127\.0\.0\.1:(\d+) \(local [\d.]+:(\d+)\), RTT [\d.]+ ms", run.stdout
    )
    assert match, run.stdout
    assert match.group(1) == match.group(2)


def test_api_probe_against_coturn(coturn: tuple[Address, subprocess.Popen[str]]) -> None:
    server, _ = coturn
    result = asyncio.run(stun_binding(server, timeout=10, local_addr=("127.0.0.1", 0)))
    assert result.mapped_address == ("127.0.0.1", result.local_address[1])
    assert result.local_address[0] == "127.0.0.1"
    # coturn runs with --fingerprint: its answer carries a FINGERPRINT that we verify.
    assert result.response.verify_fingerprint()
    assert result.response.attributes["SOFTWARE"].startswith("Coturn-")


def test_coturn_answers_420_to_our_unknown_attribute(
    coturn: tuple[Address, subprocess.Popen[str]],
) -> None:
    server, _ = coturn

    async def exchange() -> ResponseReceived:
        loop = asyncio.get_running_loop()
        request = Message(Method.BINDING, Class.REQUEST, attributes=[(0x7F7F, b"unknown")])
        transaction = ClientTransaction(request, server, loop.time(), fingerprint=True)
        driver = await open_driver(transaction, ("127.0.0.1", 0))
        try:
            async with asyncio.timeout(10):
                event = await driver.events.get()
        finally:
            driver.close()
        assert isinstance(event, ResponseReceived)
        return event

    event = asyncio.run(exchange())
    assert event.response.message_class is Class.ERROR
    assert event.response.attributes["ERROR-CODE"].code == 420
    assert event.response.attributes["UNKNOWN-ATTRIBUTES"] == (0x7F7F,)
