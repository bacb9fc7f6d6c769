"""Wiring two sans-I/O ICE agents together on the simulator (trickle in both directions)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from pyrtc.ice.agent import Agent, TurnServer
from pyrtc.ice.events import CandidateGathered, GatheringStateChanged, StateChanged
from pyrtc.sansio import Address, Event
from pyrtc.sim import HostEndpoint, Nat, Simulator

A_BASES: list[Address] = [("10.0.0.1", 4000)]
B_BASES: list[Address] = [("10.0.1.1", 5000)]


def make_agent(controlling: bool, seed: int, **options: Any) -> Agent:
    return Agent(controlling, rng=random.Random(seed), **options)


def trickle_to(peer: Agent, sim: Simulator) -> Any:
    """An on_event callback that signals local candidates and end-of-candidates to ``peer``."""

    def on_event(now: float, event: Event) -> None:
        if isinstance(event, CandidateGathered):
            peer.add_remote_candidate(event.candidate, now)
        elif isinstance(event, GatheringStateChanged) and event.state == "complete":
            peer.add_remote_candidate(None, now)

    return on_event


def connect_pair(
    sim: Simulator,
    a: Agent,
    b: Agent,
    a_bases: Sequence[Address] = A_BASES,
    b_bases: Sequence[Address] = B_BASES,
    a_nat: Nat | None = None,
    b_nat: Nat | None = None,
    stun_servers: Sequence[Address] = (),
    turn_servers: Sequence[TurnServer] = (),
) -> tuple[HostEndpoint[Agent], HostEndpoint[Agent]]:
    """Attach both agents, exchange credentials and start gathering at the current time."""
    host_a = sim.add_host(a_bases, a, behind=a_nat, on_event=trickle_to(b, sim))
    host_b = sim.add_host(b_bases, b, behind=b_nat, on_event=trickle_to(a, sim))
    now = sim.now
    a.set_remote_credentials(b.local_username, b.local_password, now)
    b.set_remote_credentials(a.local_username, a.local_password, now)
    a.gather(a_bases, now, stun_servers, turn_servers)
    b.gather(b_bases, now, stun_servers, turn_servers)
    return host_a, host_b


def states(host: HostEndpoint[Agent]) -> list[str]:
    return [e.state for e in host.events_of(StateChanged)]


def state_times(host: HostEndpoint[Agent]) -> list[tuple[float, str]]:
    return [(t, e.state) for t, e in host.events if isinstance(e, StateChanged)]
