"""Properties of two agents on random simulated networks (hypothesis, virtual clock)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.sim import Link, Nat, Simulator
from pyrtc.stun import BindingServer

from .test_agent_support import connect_pair, make_agent

STUN_SERVER = ("198.51.100.100", 3478)


# derandomize: the same examples every run, so a failure is a regression and not bad luck.
# Above about 30 % loss each way a check (7 transmissions) can fail on one side only, after
# the other side's check succeeded: RFC 8445 then ends in "failed" on one side and a wait
# for nomination on the other, which is correct but not what this property is about.
@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**16),
    loss=st.floats(0.0, 0.3),
    delay=st.floats(0.001, 0.2),
    a_controlling=st.booleans(),
    b_controlling=st.booleans(),
)
def test_agents_always_agree_on_one_pair(
    seed: int, loss: float, delay: float, a_controlling: bool, b_controlling: bool
) -> None:
    sim = Simulator(seed=seed, default_link=Link(delay=delay, loss=loss))
    a = make_agent(a_controlling, seed)
    b = make_agent(b_controlling, seed + 1)
    connect_pair(sim, a, b)
    assert sim.run(lambda: a.selected_pair is not None and b.selected_pair is not None, 60)
    assert a.controlling != b.controlling  # any role conflict was resolved
    a_local, a_remote = a.selected_pair
    b_local, b_remote = b.selected_pair
    assert (a_local.address, a_local.port) == (b_remote.address, b_remote.port)
    assert (b_local.address, b_local.port) == (a_remote.address, a_remote.port)
    usable = ("connected", "completed", "disconnected")  # heavy loss may delay a consent
    assert a.state in usable and b.state in usable


BEHAVIOURS = st.sampled_from(
    ["endpoint-independent", "address-dependent", "address-and-port-dependent"]
)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**16), mapping=BEHAVIOURS, filtering=BEHAVIOURS)
def test_any_nat_on_one_side_connects_to_a_public_peer(
    seed: int, mapping: str, filtering: str
) -> None:
    sim = Simulator(seed=seed, default_link=Link(delay=0.01, loss=0.1))
    sim.add_endpoint(STUN_SERVER, BindingServer())
    a = make_agent(True, seed)
    b = make_agent(False, seed + 1)
    nat = Nat("203.0.113.1", mapping=mapping, filtering=filtering)  # type: ignore[arg-type]
    connect_pair(sim, a, b, a_nat=nat, b_bases=[("192.0.2.10", 5000)], stun_servers=[STUN_SERVER])
    assert sim.run(lambda: a.state == "completed" and b.state == "completed", 60)
    assert b.selected_pair is not None and b.selected_pair[1].address == "203.0.113.1"
