"""The DNS message codec used for mDNS (RFC 1035 section 4, RFC 6762)."""

from __future__ import annotations

import dataclasses
import struct

import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc import ParseError
from pyrtc.ice.dns import (
    CLASS_IN,
    TYPE_A,
    TYPE_AAAA,
    DnsError,
    DnsMessage,
    DnsQuestion,
    DnsRecord,
    build_query,
)

NAME = "1f3c5a7e-0b2d-4e6f-8a9c-0d1e2f3a4b5c.local"
MDNS_IN = dns.rdataclass.RdataClass.make(0x8001)  # class IN with the cache-flush bit
HEADER_RESPONSE = struct.pack("!6H", 0, 0x8400, 0, 1, 0, 0)


def test_query_bytes_by_hand() -> None:
    encoded_name = b"\x24" + NAME[:-6].encode() + b"\x05local\x00"
    assert build_query(NAME) == (
        struct.pack("!6H", 0, 0, 2, 0, 0, 0)
        + encoded_name
        + struct.pack("!HH", TYPE_A, CLASS_IN)
        + encoded_name
        + struct.pack("!HH", TYPE_AAAA, CLASS_IN)
    )
    qu = DnsMessage.decode(build_query(NAME, unicast_response=True))
    assert [q.unicast_response for q in qu.questions] == [True, True]
    assert [q.rclass for q in qu.questions] == [CLASS_IN, CLASS_IN]


def test_dnspython_reads_our_query() -> None:
    theirs = dns.message.from_wire(build_query(NAME, unicast_response=True))
    assert theirs.id == 0 and theirs.flags == 0
    assert [(str(q.name), q.rdtype, q.rdclass) for q in theirs.question] == [
        (NAME + ".", dns.rdatatype.A, 0x8001),
        (NAME + ".", dns.rdatatype.AAAA, 0x8001),
    ]


def _dnspython_response() -> bytes:
    # A compressed response as a real responder (here dnspython) writes it: the answer's name
    # is a pointer to the question's, the additional record's as well.
    response = dns.message.make_response(dns.message.make_query(NAME, dns.rdatatype.A))
    response.id = 0
    for section, rdtype, data in (
        (response.answer, dns.rdatatype.A, bytes([192, 0, 2, 7])),
        (response.additional, dns.rdatatype.AAAA, bytes.fromhex("20010db8" + "00" * 11 + "07")),
    ):
        rdata = dns.rdata.GenericRdata(rdclass=MDNS_IN, rdtype=rdtype, data=data)
        section.append(dns.rrset.from_rdata(NAME + ".", 120, rdata))
    return response.to_wire()


def test_decodes_a_compressed_dnspython_response() -> None:
    wire = _dnspython_response()
    assert wire.count(b"local") == 1  # compression was used
    message = DnsMessage.decode(wire)
    assert message.is_response and message.opcode == 0 and message.rcode == 0
    assert message.questions == (DnsQuestion(NAME, TYPE_A),)
    assert message.answers == (
        DnsRecord(NAME, TYPE_A, 120, bytes([192, 0, 2, 7]), cache_flush=True),
    )
    assert message.additionals[0].address == "2001:db8::7"
    assert message.additionals[0].cache_flush
    assert message.answers[0].address == "192.0.2.7"


def test_dnspython_reads_our_response() -> None:
    message = DnsMessage(
        flags=0x8400,
        answers=(DnsRecord(NAME, TYPE_A, 120, bytes([192, 0, 2, 9]), cache_flush=True),),
        additionals=(DnsRecord("x.local", 16, 4500, b"\x03abc"),),
    )
    theirs = dns.message.from_wire(message.encode())
    assert str(theirs.answer[0].name) == NAME + "."
    assert theirs.answer[0].rdclass == 0x8001
    assert theirs.answer[0].ttl == 120
    assert [r.to_generic().data for r in theirs.answer[0]] == [bytes([192, 0, 2, 9])]
    assert DnsMessage.decode(message.encode()) == message


def test_non_address_records_have_no_address() -> None:
    assert DnsRecord("x.local", 16, 1, b"\x00").address is None
    assert DnsRecord("x.local", TYPE_A, 1, b"abc", rclass=3).address is None


def test_pointer_loops_are_rejected() -> None:
    # The answer's name is a pointer to itself, then two names pointing at each other.
    selfloop = HEADER_RESPONSE + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 0)
    with pytest.raises(DnsError, match="backwards"):
        DnsMessage.decode(selfloop)
    forward = struct.pack("!6H", 0, 0x8400, 2, 0, 0, 0) + b"\xc0\x12\x00\x01\x00\x01\xc0\x0c"
    with pytest.raises(DnsError, match="backwards"):
        DnsMessage.decode(forward + b"\x00\x01\x00\x01")
    # A label followed by a pointer back into that same name would loop too.
    inner = HEADER_RESPONSE + b"\x01a\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 0)
    with pytest.raises(DnsError, match="backwards"):
        DnsMessage.decode(inner)


def test_a_chain_of_backward_pointers_is_followed() -> None:
    # question "b.local", then "a" + pointer to it, then a pointer to that second name.
    question = b"\x01b\x05local\x00" + struct.pack("!HH", 1, 1)
    second = b"\x01a\xc0\x0c" + struct.pack("!HH", 28, 1)
    third = b"\xc0\x19" + struct.pack("!HHIH", 1, 1, 10, 4) + b"\x7f\x00\x00\x01"
    data = struct.pack("!6H", 0, 0x8400, 2, 1, 0, 0) + question + second + third
    message = DnsMessage.decode(data)
    assert [q.name for q in message.questions] == ["b.local", "a.b.local"]
    assert message.answers[0].name == "a.b.local"
    assert message.answers[0].address == "127.0.0.1"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "header"),
        (b"\x00" * 11, "header"),
        (struct.pack("!6H", 0, 0, 1, 0, 0, 0), "past the end"),
        (struct.pack("!6H", 0, 0, 1, 0, 0, 0) + b"\x05loc", "past the end"),
        (struct.pack("!6H", 0, 0, 1, 0, 0, 0) + b"\x00\x00", "truncated question"),
        (HEADER_RESPONSE + b"\xc0", "truncated compression pointer"),
        (HEADER_RESPONSE + b"\x00" + b"\x00" * 9, "truncated resource record"),
        (HEADER_RESPONSE + b"\x00" + struct.pack("!HHIH", 1, 1, 0, 4) + b"\x01", "runs past"),
        (HEADER_RESPONSE + b"\x00" + struct.pack("!HHIH", 1, 1, 0, 3) + b"abc", "data is 3"),
        (HEADER_RESPONSE + b"\x00" + struct.pack("!HHIH", 28, 1, 0, 4) + b"abcd", "data is 4"),
        (HEADER_RESPONSE + b"\x40", "reserved label type"),
        (HEADER_RESPONSE + b"\x80", "reserved label type"),
        (HEADER_RESPONSE + b"\x02\xff\xfe\x00", "UTF-8"),
        (HEADER_RESPONSE + b"\x03a.b\x00", "dot"),
        (HEADER_RESPONSE + b"\x3fa" * 0 + (b"\x3f" + b"a" * 63) * 4 + b"\x00", "255"),
        (struct.pack("!6H", 0, 0x8400, 0, 0, 0, 0) + b"\x00", "after the last record"),
    ],
)
def test_malformed_messages(data: bytes, problem: str) -> None:
    with pytest.raises(DnsError, match=problem):
        DnsMessage.decode(data)


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda: DnsQuestion("a" * 64 + ".local", TYPE_A).encode(), "1..63"),
        (lambda: DnsQuestion("a..local", TYPE_A).encode(), "1..63"),
        (lambda: DnsQuestion(".".join(["a" * 63] * 4), TYPE_A).encode(), "255"),
        (lambda: DnsQuestion("a.local", 70000), "16-bit"),
        (lambda: DnsQuestion("a.local", 1, rclass=0x8001), "15 bits"),
        (lambda: DnsRecord("a.local", TYPE_A, -1, b"\x00" * 4), "TTL"),
        (lambda: DnsRecord("a.local", TYPE_A, 1, b"\x00" * 5), "data is 5"),
        (lambda: DnsRecord("a.local", 99, 1, b"\x00" * 65536), "65535"),
        (lambda: DnsMessage(id=65536), "16-bit"),
    ],
)
def test_invalid_values_raise_dns_error(make: object, problem: str) -> None:
    with pytest.raises(DnsError, match=problem):
        make()  # type: ignore[operator]


def test_dns_error_is_a_parse_error() -> None:
    assert issubclass(DnsError, ParseError)


# --- properties ------------------------------------------------------------------------------

_utf8_label = st.text(
    st.characters(codec="utf-8", exclude_characters="."), min_size=1, max_size=20
).filter(lambda label: len(label.encode()) <= 63)
_ascii_label = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)
_u16 = st.integers(0, 0xFFFF)


@st.composite
def records(draw: st.DrawFn, names: st.SearchStrategy[str]) -> DnsRecord:
    rtype = draw(st.sampled_from([TYPE_A, TYPE_AAAA, 12, 16, 33, 47]))
    size = {TYPE_A: 4, TYPE_AAAA: 16}.get(rtype)
    rdata = draw(st.binary(min_size=size or 0, max_size=size or 40))
    return DnsRecord(
        name=draw(names),
        type=rtype,
        ttl=draw(st.integers(0, 2**32 - 1)),
        rdata=rdata,
        cache_flush=draw(st.booleans()),
        rclass=draw(st.sampled_from([CLASS_IN, 255, 0x7FFF])) if size is None else CLASS_IN,
    )


def dns_messages(label: st.SearchStrategy[str]) -> st.SearchStrategy[DnsMessage]:
    names = st.lists(label, max_size=4).map(".".join)
    return st.builds(
        DnsMessage,
        id=_u16,
        flags=_u16,
        questions=st.lists(
            st.builds(DnsQuestion, names, _u16, st.booleans(), st.integers(0, 0x7FFF)),
            max_size=3,
        ).map(tuple),
        answers=st.lists(records(names), max_size=3).map(tuple),
        authorities=st.lists(records(names), max_size=2).map(tuple),
        additionals=st.lists(records(names), max_size=3).map(tuple),
    )


messages = dns_messages(_utf8_label)


@given(messages)
def test_round_trip(message: DnsMessage) -> None:
    assert DnsMessage.decode(message.encode()) == message


@given(dns_messages(_ascii_label))
def test_dnspython_decodes_what_we_encode(message: DnsMessage) -> None:
    # dnspython reads opcode UPDATE (RFC 2136) with other section semantics: clear the opcode.
    message = dataclasses.replace(message, flags=message.flags & ~0x7800)
    theirs = dns.message.from_wire(message.encode(), question_only=True)
    assert (theirs.id, theirs.flags) == (message.id, message.flags)
    assert [str(q.name).rstrip(".").lower() for q in theirs.question] == [
        q.name.lower() for q in message.questions
    ]


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes_only_raise_dns_error(data: bytes) -> None:
    try:
        message = DnsMessage.decode(data)
    except DnsError:
        return
    assert DnsMessage.decode(message.encode()) == message


@settings(max_examples=300)
@given(messages, st.data())
def test_corrupted_messages_only_raise_dns_error(message: DnsMessage, data: st.DataObject) -> None:
    wire = bytearray(message.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        wire[data.draw(st.integers(0, len(wire) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(wire)))
    try:
        decoded = DnsMessage.decode(bytes(wire[:cut]))
    except DnsError:
        return
    assert DnsMessage.decode(decoded.encode()) == decoded
