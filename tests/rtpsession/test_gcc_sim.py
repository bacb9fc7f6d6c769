"""GCC in a closed loop over ``pyrtc.sim``: a sender paces 1200-byte packets at the
estimator's target through a FIFO bottleneck (20 ms each way); the receiver records arrivals
in a :class:`TwccRecorder` and sends real transport-cc feedback every 100 ms. The delay-based
half keeps the queue short where the loss-based estimator alone fills it to the limit, and
follows the capacity down and up. Last, the same with RTP video frames between RtpSessions."""

from __future__ import annotations

import functools
import struct

from pyrtc.rtcp import RtcpTransportCcPacket, parse_compound, serialize_compound
from pyrtc.rtpsession import (
    GccEstimator,
    LossBasedEstimator,
    TransportFeedbackReceived,
    TransportSequence,
    TwccRecorder,
)
from pyrtc.sansio import Event
from pyrtc.sim import Link, Simulator, TraceRecord

from .helpers import send_video, video_pair

SIZE = 1200  # bytes on the wire, IPv4/UDP headers included
HEADERS = 28
QUEUE_LIMIT = 60_000  # 480 ms at 1 Mbit/s


class PacedSender:
    """ConnectionCore: sends at the estimator's target, feeds it the peer's feedback."""

    def __init__(self, estimator: LossBasedEstimator) -> None:
        self.estimator = estimator
        self.sequence = TransportSequence()
        self.targets: list[tuple[float, int]] = []
        self._next = 0.0
        self._outbox: list[bytes] = []

    def receive(self, data: bytes, now: float) -> None:
        for packet in parse_compound(data):
            assert isinstance(packet, RtcpTransportCcPacket)
            self.estimator.transport_feedback(self.sequence.match(packet), now)
        self.targets.append((now, self.estimator.target))

    def datagrams_to_send(self, now: float) -> list[bytes]:
        out, self._outbox = self._outbox, []
        return out

    def get_timer(self) -> float:
        return self._next

    def handle_timer(self, now: float) -> None:
        seq = self.sequence.next()
        self.sequence.sent(seq, now, SIZE)
        self._outbox.append(struct.pack("!Hd", seq, now).ljust(SIZE - HEADERS, b"\0"))
        self._next = now + SIZE * 8 / self.estimator.target

    def next_event(self) -> None:
        return None


class FeedbackReceiver:
    """ConnectionCore: records arrivals and one-way delays, sends feedback every 100 ms."""

    def __init__(self) -> None:
        self.twcc = TwccRecorder(0x1234)
        self.delays: list[tuple[float, float]] = []
        self._timer = self.twcc.interval
        self._outbox: list[bytes] = []

    def receive(self, data: bytes, now: float) -> None:
        seq, sent = struct.unpack_from("!Hd", data)
        self.twcc.record(seq, now + 1000.0)  # the receiver's clock is not the sender's
        self.delays.append((now, now - sent))

    def datagrams_to_send(self, now: float) -> list[bytes]:
        out, self._outbox = self._outbox, []
        return out

    def get_timer(self) -> float:
        return self._timer

    def handle_timer(self, now: float) -> None:
        self._outbox.extend(serialize_compound([p]) for p in self.twcc.feedback(0x5678))
        self._timer = now + self.twcc.interval

    def next_event(self) -> None:
        return None


def run(
    estimator: LossBasedEstimator,
    bandwidth: float,
    duration: float,
    changes: tuple[tuple[float, float], ...] = (),
) -> tuple[PacedSender, FeedbackReceiver, Link]:
    sim = Simulator(seed=1)
    sender, receiver = PacedSender(estimator), FeedbackReceiver()
    link = Link(delay=0.02, bandwidth=bandwidth, queue_limit=QUEUE_LIMIT)
    a, b = sim.add_pair(sender, receiver, link=link)
    forward = sim.link(a.address[0], b.address[0])
    for at, capacity in changes:
        sim.call_at(at, functools.partial(setattr, forward, "bandwidth", capacity))
    sim.run_for(duration)
    return sender, receiver, forward


def queueing_delays(receiver: FeedbackReceiver, start: float) -> list[float]:
    """One-way delay beyond propagation and one packet's serialisation, from ``start``."""
    base = min(delay for _, delay in receiver.delays)
    return [delay - base for now, delay in receiver.delays if now >= start]


def percentile_95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def test_steady_bottleneck_keeps_the_queue_short() -> None:
    capacity = 1_000_000
    gcc = GccEstimator(800_000, minimum=100_000, maximum=3_000_000)
    sender, receiver, link = run(gcc, capacity, 40.0)
    settled = [target for now, target in sender.targets if now >= 10.0]
    assert 0.5 * capacity <= min(settled) and max(settled) <= 1.1 * capacity
    assert sum(settled) / len(settled) >= 0.8 * capacity  # the link is used
    delays = queueing_delays(receiver, 10.0)
    assert percentile_95(delays) < 0.2
    assert link.stats.drops["queue"] == 0
    assert gcc.delay_based.rate_control.capacity is not None
    assert 0.9 * capacity <= gcc.delay_based.rate_control.capacity <= 1.1 * capacity

    # the same path with the loss-based estimator alone: the queue is full most of the time
    alone = LossBasedEstimator(800_000, minimum=100_000, maximum=3_000_000)
    _, receiver, link = run(alone, capacity, 40.0)
    full = QUEUE_LIMIT * 8 / capacity
    assert percentile_95(queueing_delays(receiver, 10.0)) > 0.8 * full
    assert link.stats.drops["queue"] > 100


def test_target_follows_a_capacity_drop_and_rise() -> None:
    gcc = GccEstimator(1_500_000, minimum=100_000, maximum=3_000_000)
    sender, receiver, link = run(gcc, 2_000_000, 45.0, changes=((15.0, 500_000), (25.0, 2_000_000)))
    before = [target for now, target in sender.targets if 10.0 <= now < 15.0]
    assert min(before) > 1_500_000
    after_drop = [target for now, target in sender.targets if 17.0 <= now < 25.0]
    assert max(after_drop) < 600_000
    assert min(after_drop) > 300_000  # cut to what gets through, not to the floor
    # capacity is back at 25 s: 8 %/s once the rate leaves the old capacity behind
    risen = [target for now, target in sender.targets if now >= 40.0]
    assert min(risen) > 2.5 * max(after_drop)
    assert sender.targets[-1][1] > 1_500_000
    # the queue the drop built has drained, and the climb builds no new one
    assert percentile_95(queueing_delays(receiver, 30.0)) < 0.05
    # sending 4x the new capacity until the first cut overflows the queue a little
    assert 0 < link.stats.drops["queue"] < 20


def test_target_falls_below_600k_within_2_s_of_the_drop() -> None:
    gcc = GccEstimator(1_500_000, minimum=100_000, maximum=3_000_000)
    sender, _, _ = run(gcc, 2_000_000, 17.0, changes=((15.0, 500_000),))
    fallen = next(now for now, target in sender.targets if now >= 15.0 and target < 600_000)
    assert fallen - 15.0 < 2.0


def test_rtp_video_over_sessions_keeps_the_queue_short() -> None:
    """The real pipeline: 30 fps VP8-like frames sized to the target, sent by an RtpSender
    whose RtpSession numbers them transport-wide; the receiving RtpSession's feedback comes
    back as TransportFeedbackReceived events that feed the estimator."""
    sim = Simulator(seed=5)
    send_session, sender, recv_session, _ = video_pair(rtx=False, nack=False)
    gcc = GccEstimator(600_000, minimum=100_000, maximum=3_000_000)
    targets: list[tuple[float, int]] = []
    arrivals: list[tuple[float, float]] = []

    def on_event(now: float, event: Event) -> None:
        if isinstance(event, TransportFeedbackReceived):
            gcc.transport_feedback(event.packets, now)
            targets.append((now, gcc.target))

    capacity = 1_000_000
    link = Link(delay=0.02, bandwidth=capacity, queue_limit=QUEUE_LIMIT)
    a, b = sim.add_pair(send_session, recv_session, link=link, on_event=on_event)
    forward = sim.link(a.address[0], b.address[0])
    sent_at: dict[int, float] = {}

    def trace(record: TraceRecord) -> None:
        """One-way delay of each RTP packet (payload type 96) the sender emits."""
        data = record.data
        if record.src != a.address or len(data) < 12 or data[1] & 0x7F != 96:
            return
        seq = int.from_bytes(data[2:4], "big")
        if record.kind == "send":
            sent_at[seq] = record.time
        elif record.kind == "deliver":
            arrivals.append((record.time, record.time - sent_at[seq]))

    sim.add_tracer(trace)

    def frame(index: int) -> None:
        send_video(sender, index, sim.now, size=max(gcc.target // 8 // 30, 200))

    for index in range(30 * 40):
        sim.call_at(index / 30, functools.partial(frame, index))
    sim.run_for(40.0)
    settled = [target for now, target in targets if now >= 15.0]
    assert 0.5 * capacity <= min(settled) and max(settled) <= 1.1 * capacity
    base = min(delay for _, delay in arrivals)
    queued = [delay - base for now, delay in arrivals if now >= 15.0]
    assert percentile_95(queued) < 0.2
    assert forward.stats.drops["queue"] == 0
