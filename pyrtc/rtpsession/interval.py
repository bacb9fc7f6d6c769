"""When to send the next regular RTCP compound packet (RFC 3550 §6.2, §6.3.1, Appendix A.7).

pyrtc's cores are point-to-point streams (one sender, one receiver per SSRC), so the
member-count and bandwidth-share part of §6.3.1 reduces to a fixed deterministic interval
``minimum`` (RFC 3550 §6.2 allows a smaller minimum than 5 s; WebRTC implementations use
about 1 s for video and 5 s for audio, RFC 8108 §5.3 applies it per stream). What is kept is
the part that matters between two peers: the first report after half the minimum (§6.2 "the
initial delay"), and the randomisation to ``[0.5, 1.5]`` times the interval divided by
``e - 3/2`` (§6.3.1, A.7) so that reports from many streams do not synchronise.
"""

from __future__ import annotations

import math
import random

__all__ = ["rtcp_interval"]

_COMPENSATION = math.e - 1.5


def rtcp_interval(minimum: float, rng: random.Random, *, initial: bool = False) -> float:
    """Seconds until the next RTCP report for a stream with the deterministic interval
    ``minimum``; ``initial`` halves it for the first report (RFC 3550 §6.3.1 steps 1-4)."""
    deterministic = minimum / 2 if initial else minimum
    return deterministic * rng.uniform(0.5, 1.5) / _COMPENSATION
