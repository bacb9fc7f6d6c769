"""The sans-I/O mDNS resolver core, driven by a virtual clock and hand-made responses."""

from __future__ import annotations

import struct

import pytest

from pyrtc.ice.dns import TYPE_A, TYPE_AAAA, DnsError, DnsMessage, DnsQuestion, DnsRecord
from pyrtc.ice.mdns import (
    MDNS_IPV4_GROUP,
    MDNS_IPV6_GROUP,
    MdnsFailed,
    MdnsResolved,
    MdnsResolver,
    is_mdns_name,
)
from pyrtc.sansio import AddressedCore, Event

NAME = "4d2c5f0a-9b1e-4c3d-8e7f-a1b2c3d4e5f6.local"
OTHER = "0e1f2a3b-4c5d-4e6f-8a9b-c0d1e2f3a4b5.local"
RESPONDER = ("192.168.1.20", 5353)


def response(
    *records: DnsRecord, additionals: tuple[DnsRecord, ...] = (), flags: int = 0x8400
) -> bytes:
    return DnsMessage(flags=flags, answers=records, additionals=additionals).encode()


def a_record(name: str, address: bytes, ttl: int = 120) -> DnsRecord:
    return DnsRecord(name, TYPE_A if len(address) == 4 else TYPE_AAAA, ttl, address, True)


def events(core: MdnsResolver) -> list[Event]:
    out = []
    while (event := core.next_event()) is not None:
        out.append(event)
    return out


def run_until(core: MdnsResolver, end: float) -> list[tuple[float, int]]:
    """Drive the timer up to ``end``; return (time, datagram count) of every send."""
    sends = []
    while (deadline := core.get_timer()) is not None and deadline <= end:
        core.handle_timer(deadline)
        sent = core.datagrams_to_send(deadline)
        if sent:
            sends.append((deadline, len(sent)))
    return sends


def test_is_an_addressed_core() -> None:
    core: AddressedCore = MdnsResolver()
    assert core.get_timer() is None
    assert core.next_event() is None


def test_query_goes_to_both_groups_and_asks_for_a_and_aaaa() -> None:
    core = MdnsResolver()
    core.resolve(NAME, now=10.0)
    sent = core.datagrams_to_send(10.0)
    assert [addr for _, addr in sent] == [MDNS_IPV4_GROUP, MDNS_IPV6_GROUP]
    query = DnsMessage.decode(sent[0][0])
    assert not query.is_response and query.id == 0
    assert query.questions == (DnsQuestion(NAME, TYPE_A), DnsQuestion(NAME, TYPE_AAAA))
    assert core.datagrams_to_send(10.0) == []


def test_retries_back_off_then_fail() -> None:
    core = MdnsResolver(destinations=[MDNS_IPV4_GROUP])
    core.resolve(NAME, now=100.0)
    assert core.datagrams_to_send(100.0)
    assert core.get_timer() == 101.0
    assert run_until(core, 200.0) == [(101.0, 1), (103.0, 1)]
    assert events(core) == [MdnsFailed(NAME)]
    assert core.get_timer() is None


def test_custom_timing() -> None:
    core = MdnsResolver(destinations=[MDNS_IPV4_GROUP], first_retry=0.25, timeout=2.0)
    core.resolve(NAME, now=0.0)
    core.datagrams_to_send(0.0)
    assert run_until(core, 10.0) == [(0.25, 1), (0.75, 1), (1.75, 1)]
    assert events(core) == [MdnsFailed(NAME)]


def test_early_timer_call_does_nothing() -> None:
    core = MdnsResolver()
    core.resolve(NAME, now=0.0)
    core.datagrams_to_send(0.0)
    core.handle_timer(0.5)
    assert core.datagrams_to_send(0.5) == []
    assert events(core) == []
    assert core.get_timer() == 1.0


def test_answer_resolves_and_stops_retries() -> None:
    core = MdnsResolver()
    core.resolve(NAME, now=0.0)
    core.datagrams_to_send(0.0)
    core.receive(response(a_record(NAME.upper(), bytes([192, 168, 1, 20]))), RESPONDER, 0.3)
    assert events(core) == [MdnsResolved(NAME, "192.168.1.20")]
    assert core.get_timer() is None
    assert run_until(core, 60.0) == []


def test_ipv6_answer_in_the_additional_section() -> None:
    core = MdnsResolver()
    core.resolve(NAME, now=0.0)
    address = bytes.fromhex("fe80000000000000020c29fffe123456")
    core.receive(response(additionals=(a_record(NAME, address),)), ("fe80::1", 5353), 0.1)
    assert events(core) == [MdnsResolved(NAME, "fe80::20c:29ff:fe12:3456")]


def test_two_names_resolve_independently() -> None:
    core = MdnsResolver(destinations=[MDNS_IPV4_GROUP])
    core.resolve(NAME, now=0.0)
    core.resolve(OTHER, now=0.5)
    core.resolve(NAME, now=0.6)  # already pending: no second query
    assert len(core.datagrams_to_send(0.6)) == 2
    core.receive(response(a_record(OTHER, bytes([10, 0, 0, 2]))), RESPONDER, 0.7)
    assert events(core) == [MdnsResolved(OTHER, "10.0.0.2")]
    assert run_until(core, 10.0) == [(1.0, 1), (3.0, 1)]
    assert events(core) == [MdnsFailed(NAME)]


def test_only_the_first_address_counts() -> None:
    core = MdnsResolver()
    core.resolve(NAME, now=0.0)
    data = response(a_record(NAME, bytes([10, 0, 0, 1])), a_record(NAME, bytes([10, 0, 0, 9])))
    core.receive(data, RESPONDER, 0.1)
    core.receive(data, RESPONDER, 0.2)
    assert events(core) == [MdnsResolved(NAME, "10.0.0.1")]


@pytest.mark.parametrize(
    ("data", "source"),
    [
        # Not from port 5353 (RFC 6762 section 6).
        (response(a_record(NAME, bytes(4))), ("192.168.1.20", 5354)),
        # A query, not a response.
        (response(a_record(NAME, bytes(4)), flags=0), RESPONDER),
        # Non-zero opcode or response code (section 18.3).
        (response(a_record(NAME, bytes(4)), flags=0x8400 | (1 << 11)), RESPONDER),
        (response(a_record(NAME, bytes(4)), flags=0x8403), RESPONDER),
        # Malformed.
        (b"\x00\x00\x84", RESPONDER),
        (struct.pack("!6H", 0, 0x8400, 0, 1, 0, 0) + b"\xc0\x0c", RESPONDER),
    ],
)
def test_dropped_datagrams(data: bytes, source: tuple[str, int]) -> None:
    core = MdnsResolver()
    core.resolve(NAME, now=0.0)
    core.receive(data, source, 0.1)
    assert core.dropped == 1
    assert events(core) == []
    assert core.get_timer() == 1.0


def test_ignored_records() -> None:
    core = MdnsResolver()
    core.resolve(NAME, now=0.0)
    goodbye = a_record(NAME, bytes([10, 0, 0, 1]), ttl=0)
    other_name = a_record(OTHER, bytes([10, 0, 0, 2]))
    ptr = DnsRecord(NAME, 12, 120, b"\x00")
    authority = DnsMessage(flags=0x8400, authorities=(a_record(NAME, bytes(4)),)).encode()
    core.receive(response(goodbye, other_name, ptr), RESPONDER, 0.1)
    core.receive(authority, RESPONDER, 0.2)
    assert events(core) == []
    assert core.dropped == 0
    assert core.get_timer() == 1.0


@pytest.mark.parametrize(
    "name",
    ["example.com", "local", ".local", "a..local", "-a.local", "a b.local", "192.168.1.1", ""],
)
def test_rejects_names_that_are_not_local(name: str) -> None:
    assert not is_mdns_name(name)
    with pytest.raises(DnsError, match=r"not a \.local host name"):
        MdnsResolver().resolve(name, now=0.0)


def test_accepts_local_names() -> None:
    assert is_mdns_name(NAME)
    assert is_mdns_name("printer.LOCAL")


def test_rejects_bad_timing() -> None:
    with pytest.raises(ValueError, match="positive"):
        MdnsResolver(timeout=0)
