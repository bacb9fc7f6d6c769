"""A deterministic network simulator for sans-I/O cores (see ``docs/sim.md``).

Virtual clock; per-direction links with loss (Bernoulli, Gilbert-Elliott bursts, scripted),
delay, jitter, reordering, duplication, bandwidth with a FIFO queue, MTU; RFC 4787 NATs; trace
hooks and a pcap writer. No sockets: addresses are virtual.
"""

from pyrtc.sim.errors import SimError
from pyrtc.sim.link import GilbertElliott, Link
from pyrtc.sim.nat import Mapping, Nat
from pyrtc.sim.simulator import (
    Endpoint,
    HostEndpoint,
    MultiHomedCore,
    Node,
    PairEndpoint,
    Simulator,
    TimedEvent,
)
from pyrtc.sim.stats import DropReason, Stats
from pyrtc.sim.trace import PcapWriter, TraceRecord

__all__ = [
    "DropReason",
    "Endpoint",
    "GilbertElliott",
    "HostEndpoint",
    "Link",
    "Mapping",
    "MultiHomedCore",
    "Nat",
    "Node",
    "PairEndpoint",
    "PcapWriter",
    "SimError",
    "Simulator",
    "Stats",
    "TimedEvent",
    "TraceRecord",
]
