"""``pyrtc demo``: two peers, offer/answer, ICE, DTLS, SCTP, a data-channel transfer.

By default the offerer runs here and the answerer in a child process (``python -m pyrtc demo
--answerer --signaling pipe``), signaling over the child's stdin/stdout, media over real UDP
on 127.0.0.1. ``--offerer`` / ``--answerer`` run one side only, signaling over TCP (the
answerer listens) or by copy and paste, like aiortc's examples. The offerer sends ``--size``
bytes in ``--message-size`` messages with bufferedAmount back-pressure; the answerer
returns the byte count and SHA-256 of what it received, which the offerer checks.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from pyrtc.errors import Error
from pyrtc.pc.config import RTCSessionDescription
from pyrtc.pc.datachannel import RTCDataChannel
from pyrtc.pc.peerconnection import RTCPeerConnection
from pyrtc.pc.stats import RTCIceCandidatePairStats, RTCIceCandidateStats, RTCTransportStats

HIGH_WATER = 4 << 20
LOW_WATER = 1 << 20


class DemoError(Error):
    """The demo could not complete (signaling, connection or transfer)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``demo`` subcommand's options."""
    role = parser.add_mutually_exclusive_group()
    role.add_argument("--offerer", action="store_true", help="run only the offering side")
    role.add_argument("--answerer", action="store_true", help="run only the answering side")
    parser.add_argument(
        "--signaling",
        choices=["tcp", "copy-paste", "pipe"],
        default="tcp",
        help="with --offerer/--answerer: TCP (the answerer listens), copy-paste, or "
        "stdin/stdout lines (pipe)",
    )
    parser.add_argument("--signaling-host", default="127.0.0.1", help="TCP signaling host")
    parser.add_argument("--signaling-port", type=int, default=9999, help="TCP signaling port")
    parser.add_argument(
        "--address",
        action="append",
        help="local address to gather on (repeatable; default 127.0.0.1)",
    )
    parser.add_argument("--size", type=_size, default=32 << 20, help="bytes to send (32M)")
    parser.add_argument("--message-size", type=_size, default=16384, help="bytes per message (16K)")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up after SECONDS")


def _size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = text.strip().lower().removesuffix("ib").removesuffix("b")
    scale = units.get(text[-1:], 1)
    try:
        value = int(float(text[:-1] if text[-1:] in units else text) * scale)
    except (ValueError, OverflowError):  # not a number, nan; inf
        raise argparse.ArgumentTypeError(f"not a size: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the size must be positive")
    return value


def run(args: argparse.Namespace, console: Console) -> int:
    """Run the demo; returns the process exit code."""
    if args.message_size > 262144:
        console.print("[red]--message-size is limited to 256 KiB (max-message-size)[/red]")
        return 2
    job = _answerer(args, console) if args.answerer else _offerer(args, console)
    try:
        asyncio.run(asyncio.wait_for(job, args.timeout))
    except TimeoutError:
        console.print(f"[red]demo timed out after {args.timeout:g} s[/red]")
        return 1
    except (Error, OSError, ConnectionError) as exc:
        console.print(f"[red]demo failed:[/red] {exc}")
        return 1
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    return 0


# -- signaling ---------------------------------------------------------------------------------


class _Signaling:
    """One JSON object per line, over a stream pair or the terminal."""

    def __init__(self, reader: Any, writer: Any) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message) + "\n"
        if self.writer is None:
            print(line, flush=True)  # copy-paste: the user carries it over
            return
        if isinstance(self.writer, asyncio.StreamWriter):
            self.writer.write(line.encode())
            await self.writer.drain()
        else:
            self.writer.write(line)
            self.writer.flush()

    async def receive(self) -> dict[str, Any]:
        if isinstance(self.reader, asyncio.StreamReader):
            line = (await self.reader.readline()).decode()
        else:
            line = await asyncio.get_running_loop().run_in_executor(None, self.reader.readline)
        if not line.strip():
            raise DemoError("the signaling channel closed")
        try:
            message = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DemoError(f"bad signaling message: {exc}") from exc
        if not isinstance(message, dict):
            raise DemoError("bad signaling message: not an object")
        return message

    def close(self) -> None:
        if isinstance(self.writer, asyncio.StreamWriter):
            self.writer.close()


async def _connect_signaling(args: argparse.Namespace, listen: bool) -> _Signaling:
    if args.signaling == "pipe":
        return _Signaling(sys.stdin, sys.stdout)
    if args.signaling == "copy-paste":
        return _Signaling(sys.stdin, None)
    host, port = args.signaling_host, args.signaling_port
    if listen:
        accepted: asyncio.Future[_Signaling] = asyncio.get_running_loop().create_future()

        def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if not accepted.done():
                accepted.set_result(_Signaling(reader, writer))

        server = await asyncio.start_server(on_client, host, port)
        try:
            return await accepted
        finally:
            server.close()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + args.timeout
    while True:
        try:
            reader, writer = await asyncio.open_connection(host, port)
            return _Signaling(reader, writer)
        except OSError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)


def _description(message: dict[str, Any]) -> RTCSessionDescription:
    try:
        return RTCSessionDescription(str(message["sdp"]), str(message["type"]))
    except (KeyError, ValueError) as exc:
        raise DemoError(f"bad session description message: {exc}") from exc


# -- the two sides -----------------------------------------------------------------------------


async def _answerer(args: argparse.Namespace, console: Console) -> None:
    pc = RTCPeerConnection(addresses=args.address or ["127.0.0.1"])
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[None] = loop.create_future()
    digest = hashlib.sha256()
    received = [0]

    @pc.on("datachannel")
    def on_channel(channel: RTCDataChannel) -> None:
        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            if isinstance(message, bytes):
                digest.update(message)
                received[0] += len(message)
            elif message == "end":
                channel.send(json.dumps({"bytes": received[0], "sha256": digest.hexdigest()}))

    @pc.on("connectionstatechange")
    def on_state() -> None:
        if pc.connectionState in ("closed", "failed") and not finished.done():
            finished.set_result(None)

    signaling = await _connect_signaling(args, listen=True)
    try:
        if args.signaling != "copy-paste":
            await signaling.send({"type": "ready"})  # the offerer times the setup from here
        await pc.setRemoteDescription(_description(await signaling.receive()))
        await pc.setLocalDescription(await pc.createAnswer())
        local = pc.localDescription
        assert local is not None
        await signaling.send({"type": local.type, "sdp": local.sdp})
        await finished  # the offerer closes once it has the summary
    finally:
        signaling.close()
        await pc.close()


async def _offerer(args: argparse.Namespace, console: Console) -> None:
    child: subprocess.Popen[str] | None = None
    if args.offerer:
        signaling = await _connect_signaling(args, listen=False)
    else:
        command = [sys.executable, "-m", "pyrtc", "demo", "--answerer", "--signaling", "pipe"]
        command += ["--timeout", str(args.timeout)]
        child = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        signaling = _Signaling(child.stdout, child.stdin)
        console.print(f"pyrtc demo: answerer running as process {child.pid}")
    pc = RTCPeerConnection(addresses=args.address or ["127.0.0.1"])
    try:
        await _transfer(pc, signaling, args, console)
    finally:
        await pc.close()
        signaling.close()
        if child is not None:
            try:
                await asyncio.get_running_loop().run_in_executor(None, child.wait, 10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


async def _transfer(
    pc: RTCPeerConnection, signaling: _Signaling, args: argparse.Namespace, console: Console
) -> None:
    loop = asyncio.get_running_loop()
    channel = pc.createDataChannel("demo")
    opened: asyncio.Future[None] = loop.create_future()
    summary: asyncio.Future[str] = loop.create_future()
    low = asyncio.Event()
    channel.on("bufferedamountlow", low.set)

    @channel.on("open")
    def on_open() -> None:
        if not opened.done():
            opened.set_result(None)

    @channel.on("message")
    def on_message(message: str | bytes) -> None:
        if not summary.done():
            summary.set_result(str(message))

    @pc.on("connectionstatechange")
    def on_state() -> None:
        if pc.connectionState == "failed":
            for future in (opened, summary):
                if not future.done():
                    future.set_exception(DemoError(pc.failure_reason or "connection failed"))

    if args.signaling != "copy-paste" or not args.offerer:
        ready = await signaling.receive()
        if ready.get("type") != "ready":
            raise DemoError(f"expected the answerer's ready message, got {ready!r}")
    started = time.perf_counter()
    await pc.setLocalDescription(await pc.createOffer())
    local = pc.localDescription
    assert local is not None
    await signaling.send({"type": local.type, "sdp": local.sdp})
    await pc.setRemoteDescription(_description(await signaling.receive()))
    await opened
    setup = time.perf_counter() - started
    console.print(f"connected: ICE + DTLS + SCTP + channel open in {setup * 1000:.1f} ms")

    channel.bufferedAmountLowThreshold = LOW_WATER
    chunk = os.urandom(args.message_size)
    digest = hashlib.sha256()
    total, sent = args.size, 0
    begin = time.perf_counter()
    columns = (*Progress.get_default_columns()[:2], BarColumn(), DownloadColumn())
    with Progress(*columns, TransferSpeedColumn(), console=console) as progress:
        task = progress.add_task("sending", total=total)
        while sent < total:
            if channel.bufferedAmount > HIGH_WATER:
                low.clear()
                progress.update(task, completed=sent - channel.bufferedAmount)
                await low.wait()
            message = chunk[: min(len(chunk), total - sent)]
            channel.send(message)
            digest.update(message)
            sent += len(message)
        channel.send("end")
        while not summary.done():
            progress.update(task, completed=sent - channel.bufferedAmount)
            await asyncio.wait([summary], timeout=0.05)
        progress.update(task, completed=total)
    elapsed = time.perf_counter() - begin
    result = json.loads(summary.result())
    if result != {"bytes": total, "sha256": digest.hexdigest()}:
        raise DemoError(f"the answerer received {result}, expected {total} bytes")
    report = await pc.getStats()
    console.print(_stats_table(report, total, elapsed, setup))
    console.print(
        f"[green]done:[/green] {total:,} bytes verified (SHA-256) in {elapsed:.2f} s, "
        f"{total / elapsed / 1e6:.1f} MB/s"
    )


def _stats_table(report: Any, total: int, elapsed: float, setup: float) -> Table:
    table = Table(title="pyrtc demo: getStats()")
    table.add_column("stat")
    table.add_column("value")
    [transport] = [s for s in report.values() if isinstance(s, RTCTransportStats)]
    pairs = [s for s in report.values() if isinstance(s, RTCIceCandidatePairStats)]
    table.add_row("setup (offer -> channel open)", f"{setup * 1000:.1f} ms")
    table.add_row("throughput", f"{total / elapsed / 1e6:.1f} MB/s ({total:,} bytes)")
    if pairs:
        pair = pairs[0]
        local = report[pair.localCandidateId]
        remote = report[pair.remoteCandidateId]
        assert isinstance(local, RTCIceCandidateStats) and isinstance(remote, RTCIceCandidateStats)
        table.add_row(
            "selected pair",
            f"{local.address}:{local.port} ({local.candidateType}) <-> "
            f"{remote.address}:{remote.port} ({remote.candidateType})",
        )
        rtt = pair.currentRoundTripTime
        table.add_row("RTT (SCTP smoothed)", "-" if rtt is None else f"{rtt * 1000:.2f} ms")
    table.add_row("ICE", f"{transport.iceState} ({transport.iceRole})")
    table.add_row("DTLS", f"{transport.dtlsState}, {transport.dtlsRole}, {transport.dtlsCipher}")
    table.add_row("SRTP profile (negotiated)", str(transport.srtpCipher))
    table.add_row(
        "packets sent / received", f"{transport.packetsSent:,} / {transport.packetsReceived:,}"
    )
    table.add_row("bytes sent / received", f"{transport.bytesSent:,} / {transport.bytesReceived:,}")
    return table
