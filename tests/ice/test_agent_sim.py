"""Two ICE agents on the deterministic simulator: clean links, loss, NATs, roles, consent."""

from __future__ import annotations

from pyrtc.ice.events import DataReceived, SelectedPairChanged
from pyrtc.sim import Link, Simulator

from .agent_helpers import connect_pair, make_agent, states


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
