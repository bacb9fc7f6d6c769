"""RTCP interval (RFC 3550 §6.3.1 / A.7 randomisation, §6.2 initial halving)."""

from __future__ import annotations

import math
import random

from pyrtc.rtpsession import rtcp_interval


def test_interval_is_randomised_over_half_to_one_and_a_half_and_compensated() -> None:
    rng = random.Random(9)
    samples = [rtcp_interval(5.0, rng) for _ in range(2000)]
    low, high = 0.5 * 5.0 / (math.e - 1.5), 1.5 * 5.0 / (math.e - 1.5)
    assert all(low <= s <= high for s in samples)
    assert abs(sum(samples) / len(samples) - 5.0 / (math.e - 1.5)) < 0.05
    assert min(samples) < low + 0.1 and max(samples) > high - 0.1  # the whole range is used


def test_initial_interval_is_halved() -> None:
    first = [rtcp_interval(1.0, random.Random(seed), initial=True) for seed in range(200)]
    later = [rtcp_interval(1.0, random.Random(seed)) for seed in range(200)]
    assert all(a * 2 == b for a, b in zip(first, later, strict=True))
