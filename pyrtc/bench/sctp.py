"""SCTP throughput in memory: two associations (no DTLS, no sockets) moving messages.

Ours: two :class:`pyrtc.sctp.Association` cores wired by :class:`pyrtc.sctp.pair.MemoryPair`
(virtual clock, no loss). Baseline: two aiortc ``RTCSctpTransport`` objects on one asyncio
loop, wired by a fake DTLS transport that queues packets to the other side; messages go
through aiortc's ``_send`` and are taken from its ``_receive`` (data channels bypassed).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from pyrtc.bench import Case
from pyrtc.sctp import Association, MessageReceived, SctpConfig
from pyrtc.sctp.pair import MemoryPair

BATCH_BYTES = 1 << 20


def _ours(size: int, count: int) -> object:
    pair = MemoryPair(Association(SctpConfig()), Association(SctpConfig()))
    pair.client.connect()
    if not pair.run(lambda: pair.client.established and pair.server.established):
        raise RuntimeError("SCTP handshake did not complete")
    payload = bytes(size)
    received = pair.server_events

    def transfer() -> None:
        received.clear()
        for _ in range(count):
            pair.client.send(0, payload, 53)
        if not pair.run(lambda: len(received) >= count):
            raise RuntimeError("transfer stalled")
        if not all(type(event) is MessageReceived for event in received):
            raise RuntimeError(f"unexpected events {received[:3]}")

    return transfer


class _FakeDtls:
    """The parts of aiortc's RTCDtlsTransport that RTCSctpTransport uses."""

    def __init__(self, role: str) -> None:
        self._role = role
        self.state = "connected"
        self.queue: deque[bytes] = deque()

    def _register_data_receiver(self, receiver: object) -> None:
        pass

    def _unregister_data_receiver(self, receiver: object) -> None:
        pass

    async def _send_data(self, data: bytes) -> None:
        self.queue.append(data)


def _baseline(size: int, count: int) -> object:
    from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport

    loop = asyncio.new_event_loop()
    dtls_a, dtls_b = _FakeDtls("client"), _FakeDtls("server")
    a, b = RTCSctpTransport(dtls_a), RTCSctpTransport(dtls_b)  # type: ignore[arg-type]
    received = [0]

    async def capture(stream_id: int, ppid: int, data: bytes) -> None:
        received[0] += 1

    b._receive = capture  # type: ignore[assignment,method-assign]

    async def pump_until(condition: Callable[[], bool]) -> None:
        """Hand queued packets over; when both sides are idle let aiortc's timers run."""
        for _ in range(100_000):
            if condition():
                return
            moved = False
            for src, dst in ((dtls_a, b), (dtls_b, a)):
                while src.queue:
                    await dst._handle_data(src.queue.popleft())
                    moved = True
            if not moved:
                await asyncio.sleep(0.001)
        raise RuntimeError("aiortc transfer stalled")

    async def setup() -> None:
        caps = RTCSctpCapabilities(maxMessageSize=262144)
        await a.start(caps, 5000)
        await b.start(caps, 5000)
        await pump_until(lambda: a._association_state == RTCSctpTransport.State.ESTABLISHED)

    loop.run_until_complete(setup())
    payload = bytes(size)

    async def run() -> None:
        received[0] = 0
        for _ in range(count):
            await a._send(0, 53, payload)
        await pump_until(lambda: received[0] >= count)

    def transfer() -> None:
        loop.run_until_complete(run())

    return transfer


def cases() -> list[Case]:
    try:
        import aiortc  # noqa: F401
    except ImportError:
        have_baseline = False
    else:
        have_baseline = True
    result = []
    for size in (1024, 16384, 65536):
        count = BATCH_BYTES // size
        result.append(
            Case(
                group="sctp",
                name=f"{size // 1024} KiB messages",
                ours=_ours(size, count),  # type: ignore[arg-type]
                baseline=_baseline(size, count) if have_baseline else None,  # type: ignore[arg-type]
                baseline_name="aiortc RTCSctpTransport",
                ops_per_call=count,
                bytes_per_op=size,
            )
        )
    return result
