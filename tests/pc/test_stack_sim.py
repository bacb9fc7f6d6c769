"""The transport stack (ICE + DTLS + SCTP + data channels) over pyrtc.sim: virtual clock,
deterministic loss, RFC 7983 demultiplexing, fingerprint failure."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyrtc.datachannel import ChannelMessage, ChannelOpened, ChannelParameters
from pyrtc.dtls import RTCCertificate
from pyrtc.ice import IceError
from pyrtc.pc.events import DtlsStateChanged, IceStateChanged, LocalCandidate, MediaReceived
from pyrtc.pc.stack import TransportStack
from pyrtc.sansio import Event
from pyrtc.sim import HostEndpoint, Link, Simulator

A = ("10.0.0.1", 4000)
B = ("10.0.1.1", 5000)
CERT_A = RTCCertificate.generateCertificate()
CERT_B = RTCCertificate.generateCertificate()


def trickle_to(peer: TransportStack) -> object:
    def on_event(now: float, event: Event) -> None:
        if isinstance(event, LocalCandidate):
            peer.agent.add_remote_candidate(event.candidate, now)

    return on_event


def connect(
    loss: float, seed: int, fingerprint_of_b: RTCCertificate = CERT_B
) -> tuple[Simulator, TransportStack, TransportStack, HostEndpoint, HostEndpoint]:
    sim = Simulator(seed=seed, default_link=Link(delay=0.01, loss=loss))
    a = TransportStack(True, CERT_A, rng=random.Random(seed))
    b = TransportStack(False, CERT_B, rng=random.Random(seed + 1))
    host_a = sim.add_host([A], a, on_event=trickle_to(b))  # type: ignore[arg-type]
    host_b = sim.add_host([B], b, on_event=trickle_to(a))  # type: ignore[arg-type]
    a.agent.set_remote_credentials(b.agent.local_username, b.agent.local_password, 0.0)
    b.agent.set_remote_credentials(a.agent.local_username, a.agent.local_password, 0.0)
    a.start(
        "server",
        fingerprint_of_b.getFingerprints(),
        remote_sctp_port=5000,
        remote_max_message_size=262144,
        now=0.0,
    )
    b.start(
        "client",
        CERT_A.getFingerprints(),
        remote_sctp_port=5000,
        remote_max_message_size=262144,
        now=0.0,
    )
    a.gather([A], 0.0)
    b.gather([B], 0.0)
    return sim, a, b, host_a, host_b


def test_channel_over_a_lossy_simulated_link() -> None:
    sim, a, b, _, host_b = connect(loss=0.1, seed=7)
    channel = a.add_channel(ChannelParameters(label="sim"), None)
    assert channel % 2 == 1  # the DTLS server opens odd streams (RFC 8832 section 6)
    assert sim.run(lambda: bool(host_b.events_of(ChannelOpened)), timeout=60)
    assert a.dtls_state == b.dtls_state == "connected"
    for index in range(20):
        assert a.channels is not None
        a.channels.send(channel, f"message {index}")
    assert sim.run(lambda: len(host_b.events_of(ChannelMessage)) == 20, timeout=60)
    assert [e.data for e in host_b.events_of(ChannelMessage)] == [f"message {i}" for i in range(20)]


def test_rfc7983_demux_reports_media_and_drops_unknown() -> None:
    sim, a, b, _, host_b = connect(loss=0.0, seed=3)
    assert sim.run(lambda: a.dtls_state == b.dtls_state == "connected", timeout=30)
    rtp = b"\x80\x6f" + bytes(10)
    sim.call_later(0.0, lambda: a.agent.send(rtp, sim.now))
    sim.call_later(0.0, lambda: a.agent.send(b"\x45junk", sim.now))  # 64-127: no protocol
    sim.run_for(0.5)
    assert [e.data for e in host_b.events_of(MediaReceived)] == [rtp]
    assert b.dropped == 1


def test_send_before_a_pair_is_selected_raises_and_after_reaches_the_peer() -> None:
    """``TransportStack.send`` (DTLS records, SRTP) needs a selected pair; on a host pair it
    addresses the datagrams itself."""
    sim, a, b, _, host_b = connect(loss=0.0, seed=4)
    with pytest.raises(IceError):
        a.send([b"\x80\x6f" + bytes(10)], 0.0)
    assert sim.run(lambda: a.dtls_state == b.dtls_state == "connected", timeout=30)
    rtp = [b"\x80\x6f" + bytes([index]) * 10 for index in range(3)]
    sim.call_later(0.0, lambda: a.send(rtp, sim.now))
    sim.run_for(0.5)
    assert [e.data for e in host_b.events_of(MediaReceived)] == rtp


def test_wrong_fingerprint_fails_both_sides() -> None:
    other = RTCCertificate.generateCertificate()
    sim, a, b, host_a, host_b = connect(loss=0.0, seed=5, fingerprint_of_b=other)
    channel = a.add_channel(ChannelParameters(label="never"), None)
    assert sim.run(lambda: a.dtls_state == "failed" and b.dtls_state == "failed", timeout=30)
    [failed] = [e for e in host_a.events_of(DtlsStateChanged) if e.state == "failed"]
    assert failed.reason is not None and "fingerprint" in failed.reason
    sim.run_for(5.0)
    assert not host_b.events_of(ChannelOpened)
    assert a.channels is not None and not a.channels.association.established
    assert channel == 1


def test_consent_loss_is_reported_as_disconnected_then_recovers() -> None:
    sim, a, b, host_a, _ = connect(loss=0.0, seed=11)
    assert sim.run(lambda: a.dtls_state == b.dtls_state == "connected", timeout=30)
    sim.link(A[0], B[0]).loss = 1.0  # a blackout in both directions
    sim.link(B[0], A[0]).loss = 1.0
    assert sim.run(lambda: a.agent.state == "disconnected", timeout=30)
    sim.link(A[0], B[0]).loss = 0.0
    sim.link(B[0], A[0]).loss = 0.0
    assert sim.run(lambda: a.agent.state in ("connected", "completed"), timeout=30)
    states = [e.state for e in host_a.events_of(IceStateChanged)]
    assert "disconnected" in states and states[-1] in ("connected", "completed")
    assert a.dtls_state == "connected"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(min_size=1, max_size=300), first=st.integers(0, 255))
def test_garbage_from_the_peer_never_raises(data: bytes, first: int) -> None:
    """Random datagrams of every RFC 7983 range, from the selected remote address (the
    DTLS fast path) and from an unknown one, are dropped without an exception."""
    sim, _, b = CONNECTED.get()
    datagram = bytes([first]) + data
    b.receive(datagram, A, sim.now, B)
    b.receive(datagram, ("10.9.9.9", 9), sim.now, B)
    while b.next_event() is not None:
        pass
    b.datagrams_to_send(sim.now)
    assert b.dtls_state == "connected"


def test_empty_datagram_is_dropped() -> None:
    """A zero-length UDP payload, on the selected pair (the DTLS fast path) or not, is
    counted by the agent as malformed instead of raising."""
    sim, _, b = CONNECTED.get()
    malformed = b.agent.stats.malformed
    b.receive(b"", A, sim.now, B)
    b.receive(b"", ("10.9.9.9", 9), sim.now, B)
    assert b.agent.stats.malformed == malformed + 2
    assert b.dtls_state == "connected"


class _Connected:
    """One connected pair shared by the fuzz examples (building one costs DTLS handshakes)."""

    def __init__(self) -> None:
        self.value: tuple[Simulator, TransportStack, TransportStack] | None = None

    def get(self) -> tuple[Simulator, TransportStack, TransportStack]:
        if self.value is None:
            sim, a, b, _, _ = connect(loss=0.0, seed=13)
            assert sim.run(lambda: a.dtls_state == b.dtls_state == "connected", timeout=30)
            self.value = (sim, a, b)
        return self.value


CONNECTED = _Connected()


def test_open_and_abort_in_one_batch() -> None:
    """A DATA_CHANNEL_OPEN and an ABORT read in the same batch: draining the events after
    both must not raise (the DCEP ACK cannot be sent on the aborted association)."""
    sim, a, b, _, _ = connect(loss=0.0, seed=17)
    assert sim.run(lambda: a.dtls_state == b.dtls_state == "connected", timeout=30)
    while b.next_event() is not None:
        pass
    now = sim.now
    a.add_channel(ChannelParameters(label="late"), None)
    for transmit in a.datagrams_to_send(now):  # the OPEN
        b.receive(transmit.data, A, now, B)
    a.close(now)
    for transmit in a.datagrams_to_send(now):  # ABORT, close_notify
        b.receive(transmit.data, A, now, B)
    events = []
    while (event := b.next_event()) is not None:
        events.append(event)
    assert b.dtls_state == "closed"
    assert not [e for e in events if isinstance(e, ChannelMessage)]
