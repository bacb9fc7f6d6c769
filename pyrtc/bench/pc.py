"""Peer connections on loopback: pyrtc's ``RTCPeerConnection`` against aiortc's, two peers in
one process over real UDP on 127.0.0.1.

``setup``: each call creates two connections (certificates included), runs offer/answer
(non-trickle), ICE, DTLS and SCTP, waits until the data channel is open on both sides, and
closes both. ``data channel``: over one established connection per library and message size
(made on the first call), each call sends 8 MiB (2 MiB for 1 KiB messages) as binary
messages with bufferedAmount back-pressure (pause above 4 MiB, resume at the 1 MiB
``bufferedamountlow``) and waits until the receiver has every byte. The 16 KiB case is the
BASELINES.md measurement and carries its 10x target (8 MiB per call instead of 32 MiB keeps
aiortc's rounds short); 1 KiB and 64 KiB show the per-message and the per-packet ends of the
range.
"""

from __future__ import annotations

import asyncio
import atexit
from collections.abc import Callable, Coroutine
from typing import Any

from pyrtc.bench import Case, aioice_on_loopback

LOOPBACK = ["127.0.0.1"]
MESSAGE = 16384
PER_CALL = 8 << 20
SIZES = [(1024, 2 << 20), (MESSAGE, PER_CALL), (65536, PER_CALL)]
"""(message size, bytes per call) of the data-channel cases."""
HIGH = 4 << 20
LOW = 1 << 20


def _factory(library: str) -> Callable[[], Any]:
    if library == "pyrtc":
        from pyrtc.pc import RTCPeerConnection

        return lambda: RTCPeerConnection(addresses=LOOPBACK)
    import aiortc

    return aiortc.RTCPeerConnection


async def _connect(make: Callable[[], Any]) -> tuple[Any, Any, Any, Any]:
    """Two connected peers and both ends of one open channel."""
    a, b = make(), make()
    channel = a.createDataChannel("bench")
    loop = asyncio.get_running_loop()
    remote: asyncio.Future[Any] = loop.create_future()
    local_open: asyncio.Future[None] = loop.create_future()

    def on_channel(theirs: Any) -> None:
        if not remote.done():
            remote.set_result(theirs)

    def on_open() -> None:
        if not local_open.done():
            local_open.set_result(None)

    b.on("datachannel", on_channel)
    channel.on("open", on_open)
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    theirs = await asyncio.wait_for(remote, 10)
    await asyncio.wait_for(local_open, 10)
    return a, b, channel, theirs


async def _setup(make: Callable[[], Any]) -> None:
    a, b, _, _ = await _connect(make)
    await a.close()
    await b.close()


class _Transfer:
    """One long-lived connection; each call moves ``per_call`` bytes as ``message``-byte
    messages."""

    def __init__(
        self, make: Callable[[], Any], message: int = MESSAGE, per_call: int = PER_CALL
    ) -> None:
        self.make = make
        self.message = message
        self.per_call = per_call
        self.peers: tuple[Any, Any] | None = None
        self.channel: Any = None
        self.received = 0
        self.target = 0
        self.done: asyncio.Future[None] | None = None
        self.low = asyncio.Event()

    def on_message(self, message: bytes) -> None:
        self.received += len(message)
        if self.received >= self.target and self.done is not None and not self.done.done():
            self.done.set_result(None)

    async def run(self) -> None:
        if self.channel is None:
            a, b, self.channel, theirs = await _connect(self.make)
            self.peers = (a, b)
            theirs.on("message", self.on_message)
            self.channel.bufferedAmountLowThreshold = LOW
            self.channel.on("bufferedamountlow", self.low.set)
        self.done = asyncio.get_running_loop().create_future()
        self.target += self.per_call
        payload = bytes(self.message)
        channel = self.channel
        for _ in range(self.per_call // self.message):
            if channel.bufferedAmount > HIGH:
                self.low.clear()
                await self.low.wait()
            channel.send(payload)
        await asyncio.wait_for(self.done, 60)

    async def close(self) -> None:
        if self.peers is not None:
            for pc in self.peers:
                await pc.close()
            self.peers = None


def _runner(
    job: Callable[[], Coroutine[Any, Any, None]],
    patch_aioice: bool,
    cleanup: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> Callable[[], object]:
    loop = asyncio.new_event_loop()

    def close() -> None:
        # Long-lived connections are closed on their loop at exit (no pending-task noise).
        if cleanup is not None and not loop.is_closed():
            loop.run_until_complete(asyncio.wait_for(cleanup(), 10))
        loop.close()

    atexit.register(close)

    def run() -> None:
        with aioice_on_loopback(patch_aioice):
            loop.run_until_complete(asyncio.wait_for(job(), 60))

    return run


def cases() -> list[Case]:
    try:
        import aiortc  # noqa: F401
    except ImportError:
        have_baseline = False
    else:
        have_baseline = True
    ours_make = _factory("pyrtc")
    theirs_make = _factory("aiortc") if have_baseline else None
    cases = [
        Case(
            group="pc",
            name="setup: offer -> channel open (+close)",
            ours=_runner(lambda: _setup(ours_make), False),
            baseline=(
                _runner(lambda: _setup(theirs_make), True) if theirs_make is not None else None
            ),
            baseline_name="aiortc RTCPeerConnection",
            target=1.0,
        )
    ]
    for message, per_call in SIZES:
        ours = _Transfer(ours_make, message, per_call)
        baseline = None
        if theirs_make is not None:
            theirs = _Transfer(theirs_make, message, per_call)
            baseline = _runner(theirs.run, True, theirs.close)
        cases.append(
            Case(
                group="pc",
                name=f"data channel {message >> 10} KiB msgs, {per_call >> 20} MiB/call",
                ours=_runner(ours.run, False, ours.close),
                baseline=baseline,
                baseline_name="aiortc RTCPeerConnection",
                target=10.0 if message == MESSAGE else None,  # the BASELINES.md row
                ops_per_call=per_call // message,
                bytes_per_op=message,
            )
        )
    return cases
