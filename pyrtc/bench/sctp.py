"""SCTP throughput: two associations (no DTLS, no sockets) moving messages.

In memory: two :class:`pyrtc.sctp.Association` cores wired by
:class:`pyrtc.sctp.pair.MemoryPair` (virtual clock, no loss). Baseline: two aiortc
``RTCSctpTransport`` objects on one asyncio loop, wired by a fake DTLS transport that queues
packets to the other side; messages go through aiortc's ``_send`` and are taken from its
``_receive`` (data channels bypassed).

Lossy link: the same transfer over one :class:`pyrtc.sim.Link` model per direction (25 ms
each way, 1 % Bernoulli loss, 50 Mbit/s with a one-BDP FIFO, fixed seed), in virtual time on
both sides. Ours runs inside :class:`pyrtc.sim.Simulator`; aiortc runs on an asyncio loop whose
clock is virtual (its selector advances the clock by the time to the next timer instead of
sleeping) and whose datagrams go through ``Link`` objects with the same parameters. The case's
name carries the *simulated* goodput of one transfer (payload bytes / virtual seconds from the
first send to the last delivery); the table's ops/s are real CPU throughput of the simulation.
"""

from __future__ import annotations

import asyncio
import random
import selectors
import types
from collections import deque
from collections.abc import Callable
from unittest import mock

from pyrtc.bench import Case
from pyrtc.sctp import Association, MessageReceived, SctpConfig
from pyrtc.sctp.pair import MemoryPair
from pyrtc.sim import Link, Simulator
from pyrtc.sim.link import IPV4_UDP_OVERHEAD

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


LOSSY_BYTES = 4 << 20
LOSSY_SIZE = 16384
LOSSY_SEED = 7
LOSSY_TIMEOUT = 600.0  # virtual seconds


def _lossy_link() -> Link:
    """One direction: 25 ms, 1 % loss, 50 Mbit/s, FIFO of one bandwidth-delay product."""
    return Link(delay=0.025, loss=0.01, bandwidth=50e6, queue_limit=312_500)


def _ours_lossy() -> float:
    """Move LOSSY_BYTES over the lossy link; return the simulated goodput in bytes/s."""
    sim = Simulator(LOSSY_SEED)
    a, b = sim.add_pair(Association(), Association(), link=_lossy_link())
    sim.call_at(0.0, a.core.connect)
    sim.call_at(0.0, b.core.connect)
    if not sim.run(lambda: a.core.established and b.core.established):
        raise RuntimeError("SCTP handshake did not complete")
    payload = bytes(LOSSY_SIZE)
    count = LOSSY_BYTES // LOSSY_SIZE
    start = sim.now

    def send_all() -> None:
        for _ in range(count):
            a.core.send(0, payload, 53)

    sim.call_at(start, send_all)
    if not sim.run(lambda: len(b.events_of(MessageReceived)) >= count, timeout=LOSSY_TIMEOUT):
        raise RuntimeError("lossy transfer stalled")
    delivered = b.events_of(MessageReceived)
    return sum(len(event.data) for event in delivered) / (sim.now - start)


class _VirtualClockSelector(selectors.DefaultSelector):
    """Never sleeps: polls without blocking and advances the clock by the loop's timeout."""

    now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            raise RuntimeError("the loop is idle with no timer pending: transfer stalled")
        self.now += timeout
        return super().select(0)


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time (only for in-memory transports: no real I/O waits)."""

    def __init__(self) -> None:
        self._virtual = _VirtualClockSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now


class _LossyDtls(_FakeDtls):
    """Hands aiortc's packets through a :class:`Link` to the peer transport, in virtual time."""

    def __init__(self, role: str, loop: asyncio.AbstractEventLoop, link: Link) -> None:
        super().__init__(role)
        self._loop = loop
        self._link = link
        self.peer: object = None

    async def _send_data(self, data: bytes) -> None:
        result = self._link._transmit(data, len(data) + IPV4_UDP_OVERHEAD, self._loop.time())
        if isinstance(result, str):
            return
        peer = self.peer
        for arrival in result:
            self._loop.call_at(
                arrival,
                lambda: self._loop.create_task(peer._handle_data(data)),  # type: ignore[attr-defined]
            )


def _baseline_lossy() -> float:
    """aiortc's RTCSctpTransport pair over the same link model; simulated goodput in bytes/s."""
    from aiortc import rtcsctptransport
    from aiortc.rtcsctptransport import RTCSctpCapabilities, RTCSctpTransport

    loop = _VirtualTimeLoop()
    links = []
    for direction in ("ab", "ba"):
        link = _lossy_link()
        link._attach(random.Random(f"{LOSSY_SEED}/aiortc/{direction}"))
        links.append(link)
    count = LOSSY_BYTES // LOSSY_SIZE
    received = [0, 0]
    done = loop.create_future()

    async def capture(stream_id: int, ppid: int, data: bytes) -> None:
        received[0] += 1
        received[1] += len(data)
        if received[0] == count:
            done.set_result(None)

    async def run() -> float:
        # Built inside the loop: aiortc schedules its timers on get_event_loop() at creation.
        dtls_a = _LossyDtls("client", loop, links[0])
        dtls_b = _LossyDtls("server", loop, links[1])
        a, b = RTCSctpTransport(dtls_a), RTCSctpTransport(dtls_b)  # type: ignore[arg-type]
        dtls_a.peer, dtls_b.peer = b, a
        b._receive = capture  # type: ignore[assignment,method-assign]
        caps = RTCSctpCapabilities(maxMessageSize=262144)
        await a.start(caps, 5000)
        await b.start(caps, 5000)
        while a._association_state != RTCSctpTransport.State.ESTABLISHED:
            await asyncio.sleep(0.01)
        start = loop.time()
        payload = bytes(LOSSY_SIZE)
        for _ in range(count):
            await a._send(0, 53, payload)
        await asyncio.wait_for(done, LOSSY_TIMEOUT)
        goodput = received[1] / (loop.time() - start)
        await a.stop()
        await b.stop()
        return goodput

    # aiortc stamps chunks with time.time() for its RTT samples: give it the virtual clock.
    virtual_time = types.SimpleNamespace(time=loop.time)
    try:
        with mock.patch.object(rtcsctptransport, "time", virtual_time):
            return loop.run_until_complete(run())
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()


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
    goodput = f"simulated goodput: ours {_ours_lossy() / 1e6:.3f} MB/s"
    if have_baseline:
        goodput += f", aiortc {_baseline_lossy() / 1e6:.3f} MB/s"
    result.append(
        Case(
            group="sctp",
            name=f"4 MiB over 50 ms RTT, 1% loss ({goodput})",
            ours=_ours_lossy,
            baseline=_baseline_lossy if have_baseline else None,
            baseline_name="aiortc RTCSctpTransport",
            ops_per_call=LOSSY_BYTES // LOSSY_SIZE,
            bytes_per_op=LOSSY_SIZE,
        )
    )
    return result
