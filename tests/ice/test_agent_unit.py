"""The ICE agent driven by hand: check validation, nomination rules, mDNS, robustness."""

from __future__ import annotations

import ipaddress
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.ice import Candidate
from pyrtc.ice.agent import Agent, IceError
from pyrtc.ice.dns import TYPE_A, DnsMessage, DnsRecord
from pyrtc.ice.events import (
    CandidateGathered,
    DataReceived,
    GatheringStateChanged,
    SelectedPairChanged,
    StateChanged,
    Transmit,
)
from pyrtc.ice.mdns import MDNS_IPV4_GROUP, MDNS_IPV6_GROUP, MdnsResolver
from pyrtc.sansio import Event
from pyrtc.stun import Class, Message, Method, short_term_key

BASE = ("10.0.0.1", 4000)
PEER = ("10.0.1.1", 5000)
PEER_UFRAG = "peerUfrag"
PEER_PWD = "peerPassword0123456789ab"


def make(controlling: bool = False, **options: object) -> Agent:
    agent = Agent(controlling, rng=random.Random(7), **options)  # type: ignore[arg-type]
    agent.gather([BASE], 0.0)
    return agent


def events(agent: Agent) -> list[Event]:
    out = []
    while (event := agent.next_event()) is not None:
        out.append(event)
    return out


def check(
    agent: Agent,
    *,
    use_candidate: bool = False,
    role: str = "ICE-CONTROLLING",
    tie_breaker: int = 1,
    password: str | None = None,
    username: str | None = None,
) -> Message:
    request = Message(Method.BINDING, Class.REQUEST)
    request.attributes["USERNAME"] = username or f"{agent.local_username}:{PEER_UFRAG}"
    request.attributes["PRIORITY"] = 1853824767
    request.attributes[role] = tie_breaker
    if use_candidate:
        request.attributes["USE-CANDIDATE"] = None
    return request


def wire(agent: Agent, request: Message, password: str | None = None) -> bytes:
    return request.encode(short_term_key(password or agent.local_password), fingerprint=True)


def answers(agent: Agent) -> list[Message]:
    return [Message.parse(t.data) for t in agent.datagrams_to_send(0.0)]


def respond_to_checks(agent: Agent, now: float, sink: list[Transmit] | None = None) -> int:
    """Answer every check the agent sent, as the peer would; return how many."""
    count = 0
    for transmit in agent.datagrams_to_send(now):
        message = Message.parse(transmit.data)
        if message.message_class is not Class.REQUEST:
            if sink is not None:
                sink.append(transmit)
            continue
        assert message.verify_integrity(short_term_key(PEER_PWD))
        response = Message.success_response(message, {"XOR-MAPPED-ADDRESS": transmit.local})
        agent.receive(
            response.encode(short_term_key(PEER_PWD), fingerprint=True),
            transmit.addr,
            now,
            transmit.local,
        )
        count += 1
    return count


def test_gathering_events_and_host_candidate() -> None:
    agent = Agent(True, rng=random.Random(1))
    agent.gather([BASE, ("::1", 4001)], 0.0)
    got = events(agent)
    assert got[0] == GatheringStateChanged("gathering")
    assert got[-1] == GatheringStateChanged("complete")
    candidates = [e.candidate for e in got if isinstance(e, CandidateGathered)]
    assert [(c.address, c.port, c.type) for c in candidates] == [
        ("10.0.0.1", 4000, "host"),
        ("::1", 4001, "host"),
    ]
    # RFC 8421: IPv6 first, so the IPv6 host candidate has the higher local preference.
    assert candidates[1].priority > candidates[0].priority
    with pytest.raises(IceError):
        agent.gather([BASE], 0.0)


def test_check_carries_rfc8445_attributes() -> None:
    agent = make(controlling=True)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    agent.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 10.0.1.1 5000 typ host"), 0)
    [transmit] = agent.datagrams_to_send(0.0)
    assert (transmit.addr, transmit.local) == (PEER, BASE)
    request = Message.parse(transmit.data)
    assert request.attributes["USERNAME"] == f"{PEER_UFRAG}:{agent.local_username}"
    assert request.attributes["ICE-CONTROLLING"] == agent.tie_breaker
    assert request.attributes["PRIORITY"] == (110 << 24) + (65535 << 8) + 255
    assert "USE-CANDIDATE" not in request.attributes  # regular nomination comes later
    assert request.verify_integrity(short_term_key(PEER_PWD))
    assert request.verify_fingerprint()


def test_regular_nomination_after_success() -> None:
    agent = make(controlling=True)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    agent.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 10.0.1.1 5000 typ host"), 0)
    assert agent.state == "checking"
    # Answer the ordinary check; the agent then nominates at once with USE-CANDIDATE.
    assert respond_to_checks(agent, 0.001) == 1
    nomination = [Message.parse(t.data) for t in agent.datagrams_to_send(0.002)]
    assert len(nomination) == 1 and "USE-CANDIDATE" in nomination[0].attributes
    assert agent.selected_pair is None
    response = Message.success_response(nomination[0], {"XOR-MAPPED-ADDRESS": BASE})
    agent.receive(response.encode(short_term_key(PEER_PWD), fingerprint=True), PEER, 0.003, BASE)
    assert agent.selected_pair is not None
    changes = [e for e in events(agent) if isinstance(e, StateChanged)]
    assert changes == [StateChanged("checking"), StateChanged("connected")]
    agent.send(b"media", 0.004)
    assert agent.datagrams_to_send(0.004) == [Transmit(b"media", PEER, BASE)]


def test_response_from_wrong_address_fails_the_pair() -> None:
    agent = make(controlling=True, check_max_sends=1)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    agent.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 10.0.1.1 5000 typ host"), 0)
    [transmit] = agent.datagrams_to_send(0.0)
    request = Message.parse(transmit.data)
    response = Message.success_response(request, {"XOR-MAPPED-ADDRESS": BASE})
    wire_response = response.encode(short_term_key(PEER_PWD), fingerprint=True)
    forged = response.encode(short_term_key("someOtherPassword0123456"), fingerprint=True)
    agent.receive(forged, ("10.0.1.99", 5000), 0.01, BASE)  # forged: ignored
    assert agent.pair_states[0][2].value == "in-progress"
    agent.receive(wire_response, ("10.0.1.99", 5000), 0.01, BASE)  # not symmetric (7.2.5.2.1)
    assert agent.pair_states[0][2].value == "failed"
    assert agent.selected_pair is None


def test_response_with_wrong_integrity_is_discarded() -> None:
    agent = make(controlling=True)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    agent.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 10.0.1.1 5000 typ host"), 0)
    [transmit] = agent.datagrams_to_send(0.0)
    request = Message.parse(transmit.data)
    response = Message.success_response(request, {"XOR-MAPPED-ADDRESS": BASE})
    forged = response.encode(short_term_key("someOtherPassword0123456"), fingerprint=True)
    agent.receive(forged, PEER, 0.01, BASE)
    assert agent.pair_states[0][2].value == "in-progress"
    assert agent.datagrams_to_send(0.01) == []  # no nomination followed


def test_accepts_aggressive_nomination_from_the_peer() -> None:
    agent = make(controlling=False)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    # The peer's very first check already carries USE-CANDIDATE (aggressive nomination).
    agent.receive(wire(agent, check(agent, use_candidate=True)), PEER, 0.0, BASE)
    out = agent.datagrams_to_send(0.0)
    response = Message.parse(out[0].data)
    assert response.message_class is Class.SUCCESS
    assert response.attributes["XOR-MAPPED-ADDRESS"] == PEER
    assert response.verify_integrity(short_term_key(agent.local_password))
    # The triggered check toward the peer-reflexive source went out right away.
    triggered = Message.parse(out[1].data)
    assert triggered.message_class is Class.REQUEST and out[1].addr == PEER
    assert agent.remote_candidates[0].type == "prflx"
    assert agent.selected_pair is None  # not valid yet: wait for our own check
    ok = Message.success_response(triggered, {"XOR-MAPPED-ADDRESS": BASE})
    agent.receive(ok.encode(short_term_key(PEER_PWD), fingerprint=True), PEER, 0.01, BASE)
    assert agent.selected_pair is not None
    assert agent.selected_pair[1].address == PEER[0]
    assert any(isinstance(e, SelectedPairChanged) for e in events(agent))


def test_early_checks_are_processed_when_credentials_arrive() -> None:
    agent = make(controlling=False)
    agent.receive(wire(agent, check(agent)), PEER, 0.0, BASE)
    [response] = agent.datagrams_to_send(0.0)
    assert Message.parse(response.data).message_class is Class.SUCCESS
    assert agent.remote_candidates == []
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.1)
    [triggered] = agent.datagrams_to_send(0.1)
    assert triggered.addr == PEER
    assert Message.parse(triggered.data).attributes["USERNAME"] == (
        f"{PEER_UFRAG}:{agent.local_username}"
    )


def test_bad_credentials_get_400_and_401() -> None:
    agent = make()
    no_integrity = check(agent).encode(fingerprint=True)
    agent.receive(no_integrity, PEER, 0.0, BASE)
    agent.receive(wire(agent, check(agent), password="wrongPassword0123456789"), PEER, 0.0, BASE)
    agent.receive(wire(agent, check(agent, username="otherUfrag:x")), PEER, 0.0, BASE)
    codes = [m.attributes["ERROR-CODE"].code for m in answers(agent)]
    assert codes == [400, 401, 401]
    assert agent.stats.unauthenticated == 3
    assert agent.remote_candidates == [] and agent.stats.checks_received == 0


def test_check_without_priority_gets_400() -> None:
    agent = make()
    request = check(agent)
    del request.attributes["PRIORITY"]
    agent.receive(wire(agent, request), PEER, 0.0, BASE)
    [answer] = answers(agent)
    assert answer.attributes["ERROR-CODE"].code == 400
    assert agent.remote_candidates == []


def test_remote_candidate_with_port_zero_is_not_paired() -> None:
    agent = make(controlling=True)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    agent.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 10.0.1.1 0 typ host"), 0)
    assert agent.pair_states == [] and agent.stats.unusable_candidates == 1


def test_unknown_comprehension_required_attribute_gets_420() -> None:
    agent = make()
    request = check(agent)
    request.attributes[0x7FFE] = b"????"
    agent.receive(wire(agent, request), PEER, 0.0, BASE)
    [answer] = answers(agent)
    assert answer.attributes["ERROR-CODE"].code == 420
    assert answer.attributes["UNKNOWN-ATTRIBUTES"] == (0x7FFE,)


def test_role_conflict_487_when_our_tie_breaker_wins() -> None:
    agent = make(controlling=True)
    agent.tie_breaker = 2**63
    agent.receive(wire(agent, check(agent, tie_breaker=5)), PEER, 0.0, BASE)
    [answer] = answers(agent)
    assert answer.attributes["ERROR-CODE"].code == 487
    assert answer.verify_integrity(short_term_key(agent.local_password))
    assert agent.controlling
    # A controlled peer with a bigger tie-breaker than ours: we are controlled, so we switch.
    other = make(controlling=False)
    other.tie_breaker = 1
    other.receive(wire(other, check(other, role="ICE-CONTROLLED", tie_breaker=9)), PEER, 0, BASE)
    assert [m.message_class for m in answers(other)] == [Class.ERROR]
    other.tie_breaker = 10
    other.receive(wire(other, check(other, role="ICE-CONTROLLED", tie_breaker=9)), PEER, 0, BASE)
    assert other.controlling


def test_non_stun_datagrams_go_to_the_next_layer() -> None:
    agent = make()
    dtls = b"\x16\xfe\xfd" + bytes(10)
    agent.receive(dtls, PEER, 0.0, BASE)  # from nobody we know: dropped
    assert agent.stats.unknown_source == 1
    agent.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 10.0.1.1 5000 typ host"), 0)
    agent.receive(dtls, PEER, 0.0, BASE)
    assert [e for e in events(agent) if isinstance(e, DataReceived)] == [
        DataReceived(dtls, BASE, PEER)
    ]
    with pytest.raises(IceError):
        agent.send(b"x", 0.0)


def test_mdns_candidate_is_resolved_before_pairing() -> None:
    agent = Agent(True, rng=random.Random(3), mdns=MdnsResolver(first_retry=1.0, timeout=5.0))
    agent.gather([BASE], 0.0)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    name = "0b6f8a2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b.local"
    agent.add_remote_candidate(Candidate.from_sdp(f"1 1 udp 2130706431 {name} 5000 typ host"), 0)
    [query] = agent.datagrams_to_send(0.0)
    assert query.addr == ("224.0.0.251", 5353) and query.local == BASE
    assert agent.pair_states == []
    answer = DnsMessage(
        id=0,
        flags=0x8400,
        answers=(DnsRecord(name, TYPE_A, 120, bytes([10, 0, 1, 1])),),
    )
    agent.receive(answer.encode(), ("10.0.1.1", 5353), 0.2, BASE)
    assert [(c.address, c.port) for c in agent.remote_candidates] == [PEER]
    [check_out] = agent.datagrams_to_send(0.2)
    assert check_out.addr == PEER


def test_unanswered_mdns_candidate_is_dropped() -> None:
    agent = make(controlling=True)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    name = "1b6f8a2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b.local"
    agent.add_remote_candidate(Candidate.from_sdp(f"1 1 udp 2130706431 {name} 5000 typ host"), 0)
    agent.add_remote_candidate(None, 0.0)
    now = 0.0
    for _ in range(20):
        timer = agent.get_timer()
        if timer is None:
            break
        now = timer
        agent.handle_timer(now)
    assert agent.stats.mdns_failed == 1
    assert agent.state == "new"  # nothing was ever checked
    assert agent.remote_candidates == []


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120), st.integers(min_value=0, max_value=3))
def test_random_stun_is_dropped_and_counted(data: bytes, first: int) -> None:
    agent = make()
    before = agent.stats.malformed + agent.stats.ignored + agent.stats.unauthenticated
    agent.receive(bytes([first]) + data, PEER, 0.0, BASE)
    after = agent.stats.malformed + agent.stats.ignored + agent.stats.unauthenticated
    assert after == before + 1
    assert agent.state == "new"


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_truncated_and_mangled_checks_never_raise(data: st.DataObject) -> None:
    agent = make()
    good = wire(agent, check(agent, use_candidate=True))
    cut = data.draw(st.integers(min_value=0, max_value=len(good)))
    flip = data.draw(st.integers(min_value=0, max_value=len(good) - 1))
    mangled = bytearray(good[:cut] if cut < len(good) else good)
    if cut == len(good):
        mangled[flip] ^= 0xFF
    agent.receive(bytes(mangled), PEER, 0.0, BASE)
    stats = agent.stats
    handled = stats.malformed + stats.ignored + stats.unauthenticated + stats.checks_received
    assert handled == 1 or (mangled and mangled[0] > 3)


def test_check_rto_grows_with_the_number_of_active_pairs() -> None:
    # RFC 8445 section 14.3: RTO = MAX(500 ms, Ta * (Num-Waiting + Num-In-Progress)).
    agent = Agent(True, rng=random.Random(1), ta=0.05)
    bases = [(f"10.0.0.{i}", 4000) for i in range(1, 31)]
    agent.gather(bases, 0.0)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    agent.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 10.0.1.1 5000 typ host"), 0)
    assert len(agent.pair_states) == 30  # distinct bases -> distinct foundations, all Waiting
    [first] = agent.datagrams_to_send(0.0)
    # 29 Waiting + 1 In-Progress pairs: 30 * 50 ms = 1.5 s before the first retransmission.
    timers = []
    now = 0.0
    while now < 1.6:
        now = agent.get_timer() or 2.0
        agent.handle_timer(now)
        timers += [(now, t.data) for t in agent.datagrams_to_send(now)]
    retransmissions = [t for t, data in timers if data == first.data]
    assert retransmissions == [pytest.approx(1.5)]


def test_candidates_of_an_earlier_generation_are_dropped() -> None:
    agent = make(controlling=True)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    stale = "1 1 udp 2130706431 10.0.1.1 5000 typ host generation 0 ufrag oldUfrag"
    agent.add_remote_candidate(Candidate.from_sdp(stale), 0.0)
    assert agent.remote_candidates == [] and agent.stats.stale_candidates == 1
    current = f"1 1 udp 2130706431 10.0.1.1 5000 typ host generation 0 ufrag {PEER_UFRAG}"
    agent.add_remote_candidate(Candidate.from_sdp(current), 0.0)
    assert len(agent.remote_candidates) == 1


ADDRESSES = st.one_of(
    st.tuples(st.ip_addresses(v=4).map(str), st.integers(1, 65535)),
    st.tuples(st.ip_addresses(v=6).map(str), st.integers(1, 65535)),
    st.just(("fe80::1%eth0", 5000)),  # what a socket reports for a link-local source
)


@settings(max_examples=150, deadline=None)
@given(
    source=ADDRESSES,
    priority=st.integers(0, 2**32 - 1),
    role=st.sampled_from(["ICE-CONTROLLING", "ICE-CONTROLLED"]),
    tie_breaker=st.integers(0, 2**64 - 1),
    use_candidate=st.booleans(),
    controlling=st.booleans(),
    credentials_first=st.booleans(),
)
def test_authentic_checks_with_any_values_never_raise(
    source: tuple[str, int],
    priority: int,
    role: str,
    tie_breaker: int,
    use_candidate: bool,
    controlling: bool,
    credentials_first: bool,
) -> None:
    agent = make(controlling=controlling)
    if credentials_first:
        agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    request = check(agent, use_candidate=use_candidate, role=role, tie_breaker=tie_breaker)
    request.attributes["PRIORITY"] = priority
    agent.receive(wire(agent, request), source, 0.0, BASE)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.1)
    [answer, *_] = answers(agent)
    assert answer.transaction_id == request.transaction_id
    assert answer.message_class in (Class.SUCCESS, Class.ERROR)


@settings(max_examples=150, deadline=None)
@given(
    mapped=ADDRESSES.filter(lambda a: "%" not in a[0]),
    code=st.one_of(st.none(), st.integers(300, 699)),
    source_ok=st.booleans(),
)
def test_authentic_responses_with_any_values_never_raise(
    mapped: tuple[str, int], code: int | None, source_ok: bool
) -> None:
    agent = make(controlling=True)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    agent.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 10.0.1.1 5000 typ host"), 0)
    [transmit] = agent.datagrams_to_send(0.0)
    request = Message.parse(transmit.data)
    if code is None:
        response = Message.success_response(request, {"XOR-MAPPED-ADDRESS": mapped})
    else:
        response = Message.error_response(request, code)
    source = PEER if source_ok else ("10.0.1.2", 5000)
    agent.receive(response.encode(short_term_key(PEER_PWD), fingerprint=True), source, 0.01, BASE)
    state = agent.pair_states[0][2].value
    if not source_ok or (code is not None and code != 487):
        assert state == "failed"
    elif code is None:
        assert state == "succeeded"
    for _ in range(5):  # whatever happened, timers keep working
        timer = agent.get_timer()
        if timer is None:
            break
        agent.handle_timer(timer)
        agent.datagrams_to_send(timer)


REMOTE_CANDIDATES = st.builds(
    Candidate,
    foundation=st.sampled_from(["1", "abc", "x+/9"]),
    component=st.integers(1, 3),
    transport=st.sampled_from(["udp", "tcp"]),
    priority=st.integers(0, 2**32 - 1),
    address=st.one_of(
        st.ip_addresses().map(str),
        st.just("0b6f8a2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b.local"),
        st.just("example.org"),
    ),
    port=st.integers(0, 65535),
    type=st.sampled_from(["host", "srflx", "prflx", "relay"]),
    tcptype=st.sampled_from([None, "active", "passive", "so"]),
    ufrag=st.sampled_from([None, PEER_UFRAG, "other"]),
)


@settings(max_examples=100, deadline=None)
@given(candidates=st.lists(REMOTE_CANDIDATES, max_size=8), controlling=st.booleans())
def test_any_remote_candidates_are_accepted_or_counted(
    candidates: list[Candidate], controlling: bool
) -> None:
    agent = Agent(controlling, rng=random.Random(5))
    agent.gather([BASE, ("2001:db8::1", 4001)], 0.0)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    now = 0.0
    for candidate in [*candidates, None]:
        agent.add_remote_candidate(candidate, now)
    for _ in range(30):  # run the checks to their end: nobody answers
        timer = agent.get_timer()
        if timer is None:
            break
        now = timer
        agent.handle_timer(now)
        for transmit in agent.datagrams_to_send(now):
            assert transmit.local in (BASE, ("2001:db8::1", 4001))
            assert transmit.addr[1] != 0
            if transmit.addr in (MDNS_IPV4_GROUP, MDNS_IPV6_GROUP):
                continue  # a query for the .local candidate
            ip = ipaddress.ip_address(transmit.addr[0])
            assert not (ip.is_multicast or ip.is_unspecified or str(ip) == "255.255.255.255")
    for local, remote, _ in agent.pair_states:
        assert remote.component == 1 and remote.transport == "udp"
        assert local.ip is not None and remote.ip is not None
        assert local.ip.version == remote.ip.version


def test_failed_by_exhaustion_recovers_when_a_late_check_succeeds() -> None:
    agent = make(controlling=True, check_max_sends=1, check_rto=0.1)
    agent.set_remote_credentials(PEER_UFRAG, PEER_PWD, 0.0)
    agent.add_remote_candidate(Candidate.from_sdp("1 1 udp 2130706431 10.0.1.1 5000 typ host"), 0)
    agent.add_remote_candidate(None, 0.0)
    agent.datagrams_to_send(0.0)  # the only check: lost
    now = agent.get_timer() or 0.0
    agent.handle_timer(now)
    assert agent.state == "failed" and agent.selected_pair is None
    # The peer's check gets through later: answered, and the pair is checked again.
    agent.receive(wire(agent, check(agent, role="ICE-CONTROLLED")), PEER, now + 1, BASE)
    assert agent.state == "checking"
    assert respond_to_checks(agent, now + 1.01) == 1  # the triggered check
    assert respond_to_checks(agent, now + 1.02) == 1  # the nomination
    assert agent.state == "completed" and agent.selected_pair is not None
