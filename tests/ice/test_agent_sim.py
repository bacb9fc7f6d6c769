"""Two ICE agents on the deterministic simulator: clean links, loss, NATs, roles, consent."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pyrtc.ice import Candidate
from pyrtc.ice.agent import Agent, IceError
from pyrtc.ice.checklist import PairState
from pyrtc.ice.events import (
    CandidateGathered,
    DataReceived,
    GatheringStateChanged,
    RoleChanged,
    SelectedPairChanged,
    StateChanged,
)
from pyrtc.sansio import Event
from pyrtc.sim import Link, Nat, Simulator, TraceRecord
from pyrtc.stun import BindingServer

from .test_agent_support import A_BASES, B_BASES, connect_pair, make_agent, state_times, states

STUN_SERVER = ("198.51.100.100", 3478)


def test_connect_over_clean_link_and_exchange_data() -> None:
    sim = Simulator()
    a, b = make_agent(True, 1), make_agent(False, 2)
    host_a, host_b = connect_pair(sim, a, b)
    assert sim.run(lambda: a.state == "completed" and b.state == "completed", timeout=5)
    assert states(host_a) == ["checking", "connected", "completed"]
    assert states(host_b) == ["checking", "connected", "completed"]
    assert a.selected_pair is not None and b.selected_pair is not None
    assert a.selected_pair[1].address == "10.0.1.1"
    assert b.selected_pair[1].address == "10.0.0.1"
    sim.call_later(0.1, lambda: a.send(b"hello", sim.now))
    sim.call_later(0.1, lambda: b.send(b"\x80world", sim.now))
    sim.run_for(0.2)
    assert [e.data for e in host_b.events_of(DataReceived)] == [b"hello"]
    assert [e.data for e in host_a.events_of(DataReceived)] == [b"\x80world"]
    assert len(host_a.events_of(SelectedPairChanged)) == 1


def test_lost_checks_are_retransmitted() -> None:
    sim = Simulator(seed=3, default_link=Link(delay=0.02, loss=0.3))
    a, b = make_agent(True, 1), make_agent(False, 2)
    connect_pair(sim, a, b)
    assert sim.run(lambda: a.selected_pair is not None and b.selected_pair is not None, 20)
    assert a.stats.checks_sent + b.stats.checks_sent > 2
    assert sim.stats.drops["loss"] > 0


def test_srflx_through_endpoint_independent_nats() -> None:
    sim = Simulator()
    stun = BindingServer()
    sim.add_endpoint(STUN_SERVER, stun)
    a = make_agent(True, 1)
    b = make_agent(False, 2)
    connect_pair(
        sim, a, b, a_nat=Nat("203.0.113.1"), b_nat=Nat("203.0.113.2"), stun_servers=[STUN_SERVER]
    )
    assert sim.run(lambda: a.state == "completed" and b.state == "completed", 10)
    types = {c.type for c in a.local_candidates}
    assert types == {"host", "srflx"}
    assert a.selected_pair is not None and b.selected_pair is not None
    assert a.selected_pair[1].address == "203.0.113.2"
    assert b.selected_pair[1].address == "203.0.113.1"
    assert stun.stats.success == 2
    # Host-to-host checks between the private realms were unroutable.
    assert sim.stats.drops["unroutable"] > 0


def test_symmetric_nat_on_one_side_gives_peer_reflexive_candidates() -> None:
    sim = Simulator()
    sim.add_endpoint(STUN_SERVER, BindingServer())
    a = make_agent(True, 1)
    b = make_agent(False, 2)
    symmetric = Nat("203.0.113.1", "address-and-port-dependent")
    connect_pair(
        sim, a, b, a_nat=symmetric, b_bases=[("192.0.2.10", 5000)], stun_servers=[STUN_SERVER]
    )
    assert sim.run(lambda: a.state == "completed" and b.state == "completed", 10)
    assert a.selected_pair is not None and b.selected_pair is not None
    # B saw A's checks come from a mapping nobody signalled: a remote prflx candidate ...
    assert b.selected_pair[1].type == "prflx"
    assert b.selected_pair[1].address == "203.0.113.1"
    # ... and A learnt its mapping toward B from the check response: a local prflx.
    assert a.selected_pair[0].type == "prflx"
    assert (a.selected_pair[0].address, a.selected_pair[0].port) == (
        b.selected_pair[1].address,
        b.selected_pair[1].port,
    )


@pytest.mark.parametrize("controlling", [True, False])
def test_role_conflict_is_resolved_by_tie_breaker(controlling: bool) -> None:
    sim = Simulator()
    a, b = make_agent(controlling, 1), make_agent(controlling, 2)
    host_a, host_b = connect_pair(sim, a, b)
    assert sim.run(lambda: a.state == "completed" and b.state == "completed", 10)
    assert a.controlling != b.controlling
    # The agent with the larger tie-breaker ends up controlling (RFC 8445 section 7.3.1.1).
    winner = a if a.tie_breaker > b.tie_breaker else b
    assert winner.controlling
    assert a.stats.role_conflicts + b.stats.role_conflicts >= 1
    switched = host_a.events_of(RoleChanged) + host_b.events_of(RoleChanged)
    assert len(switched) == 1
    assert a.selected_pair is not None and b.selected_pair is not None


def test_consent_loss_goes_disconnected_then_failed_with_rfc7675_timing() -> None:
    sim = Simulator()
    a, b = make_agent(True, 1), make_agent(False, 2)
    host_a, host_b = connect_pair(sim, a, b)
    assert sim.run(lambda: a.state == "completed" and b.state == "completed", 5)
    sim.run_for(20)  # consent keeps the session alive
    assert a.state == "completed" and b.state == "completed"
    start = sim.now
    sim.blackout("10.0.0.1", "10.0.1.1", start, start + 1000)
    sim.run_for(60)
    times_a = state_times(host_a)
    disconnected = [t for t, s in times_a if s == "disconnected"]
    failed = [t for t, s in times_a if s == "failed"]
    assert len(disconnected) == 1 and len(failed) == 1
    # A consent request goes out at most 1.2 * 5 s into the blackout; unanswered for
    # 2.5 s it makes the pair disconnected.
    assert start + 2.5 <= disconnected[0] <= start + 6.0 + 2.5
    # RFC 7675 section 5.1: 30 s after the last consent the transport fails.
    assert start + 30 - 6.0 <= failed[0] <= start + 30
    assert states(host_b)[-2:] == ["disconnected", "failed"]
    with pytest.raises(IceError):
        a.send(b"x", sim.now)


def test_consent_recovers_after_short_outage() -> None:
    sim = Simulator()
    a, b = make_agent(True, 1), make_agent(False, 2)
    host_a, _ = connect_pair(sim, a, b)
    assert sim.run(lambda: a.state == "completed", 5)
    start = sim.now
    sim.blackout("10.0.0.1", "10.0.1.1", start, start + 10)
    sim.run_for(25)
    assert states(host_a)[-2:] == ["disconnected", "completed"]


def test_ice_restart_keeps_data_on_old_pair_until_new_selection() -> None:
    sim = Simulator(default_link=Link(delay=0.05))
    a, b = make_agent(True, 1), make_agent(False, 2)
    host_a, host_b = connect_pair(sim, a, b)
    assert sim.run(lambda: a.state == "completed" and b.state == "completed", 5)
    received: list[bytes] = []
    host_b.on_event = _collect_data(received, host_b.on_event)
    for i in range(40):
        sim.call_at(sim.now + 0.01 * i, lambda i=i: a.send(b"%d" % i, sim.now))

    def restart() -> None:
        now = sim.now
        a.restart(now)
        b.restart(now)
        a.set_remote_credentials(b.local_username, b.local_password, now)
        b.set_remote_credentials(a.local_username, a.local_password, now)
        for candidate in a.local_candidates:
            b.add_remote_candidate(candidate, now)
        for candidate in b.local_candidates:
            a.add_remote_candidate(candidate, now)
        a.add_remote_candidate(None, now)
        b.add_remote_candidate(None, now)

    sim.call_at(sim.now + 0.1, restart)
    sim.run_for(2)
    assert received == [b"%d" % i for i in range(40)]  # nothing lost across the restart
    assert len(host_a.events_of(SelectedPairChanged)) == 2
    assert len(host_b.events_of(SelectedPairChanged)) == 2
    assert a.state == "completed" and b.state == "completed"
    # Old-generation checks are no longer answered once the new pair is selected.
    assert a.remote_username == b.local_username


def test_remote_ice_lite_peer() -> None:
    sim = Simulator()
    a = make_agent(False, 1, local_username="fullUfrag")
    lite_address = ("192.0.2.50", 3478)
    lite = BindingServer(passwords={"liteUfrag:fullUfrag": "litePassword0123456789ab"})
    sim.add_endpoint(lite_address, lite)
    host_a = sim.add_host(A_BASES, a)
    a.set_remote_credentials("liteUfrag", "litePassword0123456789ab", 0.0, lite=True)
    assert a.controlling  # a full agent is controlling against a lite one
    a.gather(A_BASES, 0.0)
    a.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 192.0.2.50 3478 typ host"), 0.0)
    a.add_remote_candidate(None, 0.0)
    assert sim.run(lambda: a.state == "completed", 5)
    assert a.selected_pair is not None and a.selected_pair[1].port == 3478
    # One ordinary check, then the nomination with USE-CANDIDATE.
    assert lite.stats.success == 2
    assert host_a.events_of(RoleChanged) == [RoleChanged(True)]


def test_all_checks_failing_ends_in_failed() -> None:
    sim = Simulator()
    a = make_agent(True, 1, check_max_sends=3)
    host_a = sim.add_host(A_BASES, a)
    a.set_remote_credentials("peerUfrag", "peerPassword0123456789ab", 0.0)
    a.gather(A_BASES, 0.0)
    a.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 192.0.2.77 9 typ host"), 0.0)
    a.add_remote_candidate(None, 0.0)
    sim.run_for(60)
    assert states(host_a) == ["checking", "failed"]
    assert a.pair_states[0][2] is PairState.FAILED


def test_relay_only_policy_uses_no_host_or_srflx_candidates() -> None:
    sim = Simulator()
    stun = BindingServer()
    sim.add_endpoint(STUN_SERVER, stun)
    a = make_agent(True, 1, relay_only=True)
    b = make_agent(False, 2)
    sent_by_a: list[TraceRecord] = []
    sim.add_tracer(lambda r: sent_by_a.append(r) if r.kind == "send" and r.src in A_BASES else None)
    connect_pair(sim, a, b, stun_servers=[STUN_SERVER])
    # B learns A's host address anyway (say, from an older offer) and checks it.
    b.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 10.0.0.1 4000 typ host"), 0)
    sim.run_for(10)
    assert b.stats.checks_sent > 0
    assert sent_by_a == [] and a.stats.ignored > 0  # not even a response to B's checks
    assert a.local_candidates == [] and a.gathering_state == "complete"
    assert a.pair_states == [] and a.stats.checks_sent == 0
    assert stun.stats.success == 1  # B's request; A sent none (sent_by_a is empty)
    # B's checks to nothing: A never pairs or answers on its host base.
    assert a.state == "new" and a.selected_pair is None


def test_multi_homed_agent_connects_over_the_reachable_base() -> None:
    sim = Simulator()
    a, b = make_agent(True, 1), make_agent(False, 2)
    a_bases = [("10.0.0.1", 4000), ("10.9.0.1", 4001)]
    sim.blackout("10.0.0.1", "10.0.1.1", 0, 1000)  # the first interface is cut off
    connect_pair(sim, a, b, a_bases=a_bases)
    assert sim.run(lambda: a.state == "completed" and b.state == "completed", 60)
    assert a.selected_pair is not None
    assert a.selected_pair[0].address == "10.9.0.1"
    assert len(a.local_candidates) == 2
    assert len({c.priority for c in a.local_candidates}) == 2  # distinct local preferences


def _collect_data(
    sink: list[bytes], chained: Callable[[float, Event], None] | None
) -> Callable[[float, Event], None]:
    def on_event(now: float, event: Event) -> None:
        if isinstance(event, DataReceived):
            sink.append(event.data)
        if chained is not None:
            chained(now, event)

    return on_event


def test_late_signalling_uses_early_checks_and_trickle() -> None:
    """The answerer's checks arrive before the offerer knows its credentials (RFC 8445
    section 7.3.1.4 early checks) and candidates trickle over a 150 ms signalling path."""
    sim = Simulator(default_link=Link(delay=0.01))
    a, b = make_agent(True, 1), make_agent(False, 2)

    def signal(peer: Agent) -> Callable[[float, Event], None]:
        def on_event(now: float, event: Event) -> None:
            if isinstance(event, CandidateGathered):
                sim.call_later(0.15, lambda: peer.add_remote_candidate(event.candidate, sim.now))
            elif isinstance(event, GatheringStateChanged) and event.state == "complete":
                sim.call_later(0.15, lambda: peer.add_remote_candidate(None, sim.now))

        return on_event

    host_a = sim.add_host(A_BASES, a, on_event=signal(b))
    sim.add_host(B_BASES, b, on_event=signal(a))
    # B (the answerer) knows everything at once; A learns B's credentials only at 0.5 s.
    b.set_remote_credentials(a.local_username, a.local_password, 0.0)
    a.gather(A_BASES, 0.0)
    b.gather(B_BASES, 0.0)
    sim.call_at(0.5, lambda: a.set_remote_credentials(b.local_username, b.local_password, 0.5))
    sim.run_for(0.45)
    assert a.stats.checks_received >= 1 and a.stats.checks_sent == 0  # answered, queued
    assert sim.run(lambda: a.state == "completed" and b.state == "completed", 5)
    first_check = min(t for t, e in host_a.events if isinstance(e, StateChanged))
    assert first_check < 0.5  # A was already "checking" because of B's check
