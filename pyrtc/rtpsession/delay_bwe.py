"""The delay-based half of Google Congestion Control, fed by transport-cc feedback (sans-I/O).

draft-ietf-rmcat-gcc-02 section 5, in the shape libwebrtc runs it today (send-side, with a
trendline filter in place of the draft's Kalman filter):

- :class:`InterArrival` (section 5.2, pre-filtering): packets sent within 5 ms of the first
  one of a group form one group, and so do packets that arrive in a burst behind it (a queue
  draining); between consecutive groups it yields the send-time and arrival-time deltas.
- :class:`TrendlineDetector` (sections 5.3 and 5.4): accumulates the delay variation
  ``arrival delta - send delta`` of each group, smooths it, fits a line over the last
  20 groups against arrival time and compares the slope (times the number of samples, up to
  60, and a gain of 4) with an adaptive threshold (``k_up`` 0.0087, ``k_down`` 0.039,
  6..600 ms). Over-use needs the signal above the threshold for more than 10 ms of send
  time, over at least two groups, with the slope not falling.
- :class:`AimdRateControl` (section 5.5): over-use cuts the rate to 0.85 times the
  acknowledged bitrate (what the receiver got over the last 500 ms); under-use holds;
  normal grows it, by 8 % per second while the link capacity is unknown or was left behind,
  and by about one packet per response time (RTT + 100 ms) near the rate of the last
  over-use.
- :class:`DelayBasedEstimator` puts them together behind ``transport_feedback(packets, now)``.

Feedback times (``now``) and send times are on our clock, receive times on the peer's: only
differences between receive times are used, and a jump of that clock (more than 3 s beyond
ours) restarts the filters. Packets reported lost, reported again, or older than the current
group are left out.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from pyrtc.rtpsession.errors import RtpSessionError
from pyrtc.rtpsession.events import PacketFeedback

__all__ = [
    "AimdRateControl",
    "DelayBasedEstimator",
    "GroupDelta",
    "InterArrival",
    "TrendlineDetector",
    "Usage",
]

Usage = Literal["normal", "overusing", "underusing"]
"""What the over-use detector concludes about the path (draft-ietf-rmcat-gcc-02 §5.4)."""

# section 5.2: pre-filtering
GROUP_LENGTH = 0.005
"""Packets sent within this of a group's first packet belong to it (seconds)."""
BURST_ARRIVAL = 0.005
"""A packet arriving within this of the group's last, earlier than its send spacing, joins
the group (a burst coming out of a queue)."""
MAX_BURST_DURATION = 0.1
REORDERED_RESET = 3
"""After this many groups arriving before their predecessor the arrival clock is distrusted."""
CLOCK_JUMP = 3.0
"""A receive clock moving this much more than ours between two groups restarts the filters."""
STREAM_TIMEOUT = 2.0
"""Feedback this long after the previous one restarts the filters (the stream paused)."""

# sections 5.3/5.4: trendline filter and over-use detector (times in milliseconds)
TRENDLINE_WINDOW = 20
SMOOTHING = 0.9
THRESHOLD_GAIN = 4.0
MAX_SAMPLES_GAIN = 60
INITIAL_THRESHOLD_MS = 12.5
K_UP = 0.0087
K_DOWN = 0.039
MIN_THRESHOLD_MS = 6.0
MAX_THRESHOLD_MS = 600.0
MAX_ADAPT_OFFSET_MS = 15.0
"""A signal this far above the threshold is a spike: the threshold does not follow it."""
MAX_ADAPT_STEP_MS = 100.0
OVERUSE_TIME_MS = 10.0

# section 5.5: rate control
BETA = 0.85
INCREASE_PER_SECOND = 1.08
MIN_INCREASE = 1_000
"""The smallest multiplicative step (bit/s)."""
MIN_ADDITIVE_INCREASE = 4_000
"""The smallest additive increase (bit/s per second)."""
PACKET_SIZE = 1200
FRAME_RATE = 30
DETECTOR_DELAY = 0.1
"""Added to the RTT to make the response time of the additive increase (seconds)."""
DEFAULT_RTT = 0.2
ACKED_WINDOW = 0.5
"""The acknowledged bitrate is what arrived over this much receive time (seconds)."""
RTT_SAMPLES = 32
SEEN_HISTORY = 8192
"""How many received packets are remembered to skip them when reported again."""


class GroupDelta(NamedTuple):
    """Send and arrival spacing between two consecutive packet groups, and the arrival time
    of the later one (seconds)."""

    send_delta: float
    arrival_delta: float
    arrival: float


@dataclass(slots=True)
class _Group:
    first_send: float
    last_send: float
    first_arrival: float
    last_arrival: float
    feedback_time: float


class InterArrival:
    """Groups packets into send bursts and measures the spacing between groups
    (draft-ietf-rmcat-gcc-02 §5.2). Feed packets in arrival order."""

    def __init__(self) -> None:
        self._current: _Group | None = None
        self._previous: _Group | None = None
        self._reordered = 0
        self.resets = 0
        """How often the arrival clock was found unusable and the grouping started over."""

    def add(self, send: float, arrival: float, now: float) -> GroupDelta | None:
        """One received packet (``now``: when its feedback arrived, on the send clock);
        returns the deltas when it starts a new group and the two before it are complete."""
        current = self._current
        if current is None:
            self._current = _Group(send, send, arrival, arrival, now)
            return None
        if send < current.first_send:
            return None  # sent before the group being built: reordered, too late to use
        if not self._starts_group(current, send, arrival):
            current.last_send = max(current.last_send, send)
            current.last_arrival = arrival
            current.feedback_time = now
            return None
        result = None
        previous = self._previous
        if previous is not None:
            arrival_delta = current.last_arrival - previous.last_arrival
            feedback_delta = current.feedback_time - previous.feedback_time
            if arrival_delta - feedback_delta >= CLOCK_JUMP:
                self._reset(send, arrival, now)
                return None
            if arrival_delta < 0:
                self._reordered += 1
                if self._reordered >= REORDERED_RESET:
                    self._reset(send, arrival, now)
                return None
            self._reordered = 0
            result = GroupDelta(
                current.last_send - previous.last_send, arrival_delta, current.last_arrival
            )
        self._previous = current
        self._current = _Group(send, send, arrival, arrival, now)
        return result

    def _starts_group(self, current: _Group, send: float, arrival: float) -> bool:
        arrival_delta = arrival - current.last_arrival
        send_delta = send - current.last_send
        if send_delta == 0:
            return False
        in_burst = (
            arrival_delta - send_delta < 0
            and arrival_delta <= BURST_ARRIVAL
            and arrival - current.first_arrival < MAX_BURST_DURATION
        )
        return not in_burst and send - current.first_send > GROUP_LENGTH

    def _reset(self, send: float, arrival: float, now: float) -> None:
        self.resets += 1
        self._reordered = 0
        self._previous = None
        self._current = _Group(send, send, arrival, arrival, now)


class TrendlineDetector:
    """Trendline filter and over-use detector (draft-ietf-rmcat-gcc-02 §5.3-5.4, with
    libwebrtc's linear-regression trendline in place of the Kalman filter). Times in ms."""

    def __init__(self) -> None:
        self.usage: Usage = "normal"
        self.threshold = INITIAL_THRESHOLD_MS
        """The adaptive threshold the modified trend is compared with (ms)."""
        self.trend = 0.0
        """The last fitted slope of the smoothed accumulated delay (ms per ms)."""
        self._samples = 0
        self._first_arrival: float | None = None
        self._accumulated = 0.0
        self._smoothed = 0.0
        self._history: deque[tuple[float, float]] = deque(maxlen=TRENDLINE_WINDOW)
        self._overuse_time: float | None = None
        self._overuse_count = 0
        self._last_threshold_update: float | None = None

    def update(self, arrival_delta: float, send_delta: float, arrival: float) -> Usage:
        """One group's deltas and arrival time (ms); returns the detector state."""
        self._samples = min(self._samples + 1, 1000)
        if self._first_arrival is None:
            self._first_arrival = arrival
        self._accumulated += arrival_delta - send_delta
        self._smoothed = SMOOTHING * self._smoothed + (1 - SMOOTHING) * self._accumulated
        self._history.append((arrival - self._first_arrival, self._smoothed))
        trend = self.trend
        if len(self._history) == TRENDLINE_WINDOW:
            slope = _slope(self._history)
            if slope is not None:
                trend = slope
        self._detect(trend, send_delta, arrival)
        return self.usage

    def _detect(self, trend: float, send_delta: float, now: float) -> None:
        if self._samples < 2:
            self.usage = "normal"
            self.trend = trend
            return
        modified = min(self._samples, MAX_SAMPLES_GAIN) * trend * THRESHOLD_GAIN
        if modified > self.threshold:
            if self._overuse_time is None:
                self._overuse_time = send_delta / 2  # assume half the spacing was over-use
            else:
                self._overuse_time += send_delta
            self._overuse_count += 1
            if (
                self._overuse_time > OVERUSE_TIME_MS
                and self._overuse_count > 1
                and trend >= self.trend
            ):
                self._overuse_time = 0.0
                self._overuse_count = 0
                self.usage = "overusing"
        else:
            self._overuse_time = None
            self._overuse_count = 0
            self.usage = "underusing" if modified < -self.threshold else "normal"
        self.trend = trend
        self._adapt_threshold(modified, now)

    def _adapt_threshold(self, modified: float, now: float) -> None:
        """gamma(i) = gamma(i-1) + dt * k * (|m(i)| - gamma(i-1)), k_up above, k_down below."""
        last = self._last_threshold_update
        self._last_threshold_update = now
        if last is None or abs(modified) > self.threshold + MAX_ADAPT_OFFSET_MS:
            return
        k = K_DOWN if abs(modified) < self.threshold else K_UP
        elapsed = min(max(now - last, 0.0), MAX_ADAPT_STEP_MS)  # a clock jump is no time
        threshold = self.threshold + k * (abs(modified) - self.threshold) * elapsed
        self.threshold = min(max(threshold, MIN_THRESHOLD_MS), MAX_THRESHOLD_MS)


def _slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x, ``None`` if every x is the same."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    numerator = sum((x - mean_x) * (y - mean_y) for x, y in points)
    denominator = sum((x - mean_x) ** 2 for x, _ in points)
    return numerator / denominator if denominator else None


class _LinkCapacity:
    """Running mean and normalised variance of the acknowledged bitrate at over-use
    (libwebrtc's link capacity estimate; kbit/s): tells whether the rate is near it."""

    def __init__(self) -> None:
        self.estimate: float | None = None
        self._deviation = 0.4

    def _spread(self) -> float:
        assert self.estimate is not None
        return 3 * math.sqrt(self._deviation * self.estimate)

    def upper(self) -> float:
        return math.inf if self.estimate is None else (self.estimate + self._spread()) * 1000

    def lower(self) -> float:
        return 0.0 if self.estimate is None else max(0.0, self.estimate - self._spread()) * 1000

    def overuse(self, bitrate: float) -> None:
        sample = bitrate / 1000
        if self.estimate is None:
            self.estimate = sample
        else:
            self.estimate = 0.95 * self.estimate + 0.05 * sample
        error = self.estimate - sample
        deviation = 0.95 * self._deviation + 0.05 * error * error / max(self.estimate, 1.0)
        self._deviation = min(max(deviation, 0.4), 2.5)


class AimdRateControl:
    """The rate controller of draft-ietf-rmcat-gcc-02 §5.5 (libwebrtc's AimdRateControl):
    a state machine (increase / hold / decrease) driven by the detector's signal."""

    def __init__(self, initial: float, *, minimum: float, maximum: float) -> None:
        self.bitrate = float(initial)
        self.minimum = minimum
        self.maximum = maximum
        self.state: Literal["increase", "hold", "decrease"] = "hold"
        self.round_trip_time = DEFAULT_RTT
        self._capacity = _LinkCapacity()
        self._last_change: float | None = None

    @property
    def capacity(self) -> float | None:
        """The link capacity estimated at the over-uses so far (bit/s), if any."""
        return None if self._capacity.estimate is None else self._capacity.estimate * 1000

    def time_to_reduce(self, acknowledged: float | None, now: float) -> bool:
        """Whether over-use may cut again: one RTT (10..200 ms) after the last change, or
        at once when the acknowledged bitrate fell below half the rate."""
        interval = min(max(self.round_trip_time, 0.01), 0.2)
        if self._last_change is None or now - self._last_change >= interval:
            return True
        return acknowledged is not None and acknowledged < 0.5 * self.bitrate

    def update(self, usage: Usage, acknowledged: float | None, now: float) -> None:
        """Move the state on the detector's signal, then the rate on the state."""
        if usage == "overusing":
            self.state = "decrease"
        elif usage == "underusing":
            self.state = "hold"
        elif self.state == "hold":
            self.state = "increase"
            self._last_change = now
        if self.state == "increase":
            self.bitrate = self._increased(acknowledged, now)
            self._last_change = now
        elif self.state == "decrease":
            self.bitrate = self._decreased(acknowledged)
            self.state = "hold"  # until the queue has drained
            self._last_change = now
        self.bitrate = min(max(self.bitrate, self.minimum), self.maximum)

    def _increased(self, acknowledged: float | None, now: float) -> float:
        capacity = self._capacity
        if acknowledged is not None and acknowledged > capacity.upper():
            capacity.estimate = None  # far above the old capacity: search again
        limit = math.inf if acknowledged is None else 1.5 * acknowledged + 10_000
        if self.bitrate >= limit:
            return self.bitrate  # not more than half again what gets through
        elapsed = 0.0 if self._last_change is None else max(now - self._last_change, 0.0)
        if capacity.estimate is not None:
            step = self._near_capacity_increase() * elapsed
        else:
            step = self.bitrate * (INCREASE_PER_SECOND ** min(elapsed, 1.0) - 1)
            step = max(step, MIN_INCREASE)
        return min(self.bitrate + step, limit)

    def _near_capacity_increase(self) -> float:
        """About one average packet per response time, in bit/s per second."""
        frame_bits = self.bitrate / FRAME_RATE
        packets = max(math.ceil(frame_bits / (PACKET_SIZE * 8)), 1)
        response_time = self.round_trip_time + DETECTOR_DELAY
        return max(frame_bits / packets / response_time, MIN_ADDITIVE_INCREASE)

    def _decreased(self, acknowledged: float | None) -> float:
        capacity = self._capacity
        if acknowledged is None:
            return self.bitrate / 2  # nothing measured yet: halve
        target = BETA * acknowledged
        if target > self.bitrate and capacity.estimate is not None:
            target = BETA * capacity.estimate * 1000
        if acknowledged < capacity.lower():
            capacity.estimate = None  # the path got much slower: forget the old capacity
        capacity.overuse(acknowledged)
        return min(target, self.bitrate)  # over-use never raises the rate


class _ReceiveRate:
    """Bytes that arrived over the last ``ACKED_WINDOW`` of receive time, as bit/s."""

    def __init__(self) -> None:
        self._packets: deque[tuple[float, int]] = deque()
        self._bytes = 0
        self._start: float | None = None
        self._latest = -math.inf

    def add(self, arrival: float, size: int) -> None:
        if arrival < self._latest - ACKED_WINDOW:
            self.reset()  # the receive clock went back: start over
        if self._start is None:
            self._start = arrival
        self._latest = max(self._latest, arrival)
        self._packets.append((arrival, size))
        self._bytes += size
        horizon = self._latest - ACKED_WINDOW
        while self._packets and self._packets[0][0] <= horizon:
            self._bytes -= self._packets.popleft()[1]

    def rate(self) -> float | None:
        if self._start is None or self._latest - self._start < ACKED_WINDOW:
            return None
        return self._bytes * 8 / ACKED_WINDOW

    def reset(self) -> None:
        self._packets.clear()
        self._bytes = 0
        self._start = None
        self._latest = -math.inf


class DelayBasedEstimator:
    """Target send bitrate (bit/s) from the delay of transport-cc feedback; nothing but
    arithmetic (draft-ietf-rmcat-gcc-02 section 5)."""

    def __init__(self, initial: int, *, minimum: int, maximum: int) -> None:
        if not 0 < minimum <= maximum:
            raise RtpSessionError("need 0 < minimum <= maximum")
        self.rate_control = AimdRateControl(
            min(max(initial, minimum), maximum), minimum=minimum, maximum=maximum
        )
        self.inter_arrival = InterArrival()
        self.detector = TrendlineDetector()
        self.acknowledged_bitrate: float | None = None
        """What the peer received over the last 500 ms (bit/s), once that much was seen."""
        self._receive_rate = _ReceiveRate()
        self._rtts: deque[float] = deque(maxlen=RTT_SAMPLES)
        # sequence number -> send time of the received ones, oldest first (an OrderedDict:
        # dropping a plain dict's first key again and again rescans its deleted slots)
        self._seen: OrderedDict[int, float] = OrderedDict()
        self._last_feedback: float | None = None

    @property
    def target(self) -> int:
        """The delay-based estimate (bit/s)."""
        return int(self.rate_control.bitrate)

    @property
    def usage(self) -> Usage:
        """The over-use detector's last conclusion."""
        return self.detector.usage

    @property
    def round_trip_time(self) -> float:
        """Mean RTT over the last 32 feedbacks (seconds; 0.2 before the first)."""
        return self.rate_control.round_trip_time

    def transport_feedback(self, packets: Sequence[PacketFeedback], now: float) -> None:
        """The packets of one transport-cc feedback, received at ``now`` (our clock)."""
        received = [p for p in packets if p.receive_time is not None and self._first_report(p)]
        if not received:
            return
        received.sort(key=lambda p: (p.receive_time, p.send_time))
        if self._last_feedback is not None and now - self._last_feedback > STREAM_TIMEOUT:
            self._restart()
        self._last_feedback = now
        self._measure_rtt(received, now)
        for packet in received:
            arrival = packet.receive_time
            assert arrival is not None
            self._receive_rate.add(arrival, packet.size)
            resets = self.inter_arrival.resets
            delta = self.inter_arrival.add(packet.send_time, arrival, now)
            if self.inter_arrival.resets != resets:
                self.detector = TrendlineDetector()
                self._receive_rate.reset()
            elif delta is not None:
                self.detector.update(
                    delta.arrival_delta * 1000, delta.send_delta * 1000, delta.arrival * 1000
                )
        self.acknowledged_bitrate = self._receive_rate.rate()
        control = self.rate_control
        if self.usage != "overusing" or control.time_to_reduce(self.acknowledged_bitrate, now):
            control.update(self.usage, self.acknowledged_bitrate, now)

    def _first_report(self, packet: PacketFeedback) -> bool:
        """Whether this received packet is new (feedback reports some packets again)."""
        seen = self._seen
        if seen.get(packet.sequence_number) == packet.send_time:
            return False
        seen[packet.sequence_number] = packet.send_time
        seen.move_to_end(packet.sequence_number)
        if len(seen) > SEEN_HISTORY:
            seen.popitem(last=False)
        return True

    def _measure_rtt(self, received: Sequence[PacketFeedback], now: float) -> None:
        """Feedback time minus send time, less the time each packet waited at the receiver
        for the last one of this feedback: the smallest of these is one RTT sample."""
        arrivals = [p.receive_time for p in received if p.receive_time is not None]
        last_arrival = arrivals[-1]
        sample = min(
            now - p.send_time - (last_arrival - arrival)
            for p, arrival in zip(received, arrivals, strict=True)
        )
        if sample >= 0:
            self._rtts.append(sample)
            self.rate_control.round_trip_time = sum(self._rtts) / len(self._rtts)

    def _restart(self) -> None:
        self.inter_arrival = InterArrival()
        self.detector = TrendlineDetector()
        self._receive_rate.reset()
