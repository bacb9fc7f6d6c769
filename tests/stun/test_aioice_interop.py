"""Interop with aioice's STUN codec, both directions, with MESSAGE-INTEGRITY and FINGERPRINT."""

from __future__ import annotations

import ipaddress

import pytest
from aioice import stun as aioice_stun
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.stun import Class, Message, Method

KEY = b"an ICE password 22chars"

ice_attributes = st.fixed_dictionaries(
    {
        "USERNAME": st.text(min_size=1, max_size=60),
        "PRIORITY": st.integers(0, 2**32 - 1),
        "ICE-CONTROLLING": st.integers(0, 2**64 - 1),
    },
    optional={"USE-CANDIDATE": st.none()},
)
addresses = st.tuples(
    st.ip_addresses(v=4).map(str) | st.ip_addresses(v=6).map(lambda a: a.exploded),
    st.integers(0, 65535),
)


@settings(max_examples=50)
@given(attributes=ice_attributes, tid=st.binary(min_size=12, max_size=12))
def test_aioice_parses_our_requests(attributes: dict[str, object], tid: bytes) -> None:
    wire = Message(Method.BINDING, Class.REQUEST, tid, attributes).encode(KEY, fingerprint=True)
    theirs = aioice_stun.parse_message(wire)  # verifies FINGERPRINT itself
    assert theirs.message_method == aioice_stun.Method.BINDING
    assert theirs.message_class == aioice_stun.Class.REQUEST
    assert theirs.transaction_id == tid
    assert theirs.check_message_integrity(KEY)
    assert not theirs.check_message_integrity(KEY + b"!")
    for name, value in attributes.items():
        assert theirs.attributes[name] == value


@settings(max_examples=50)
@given(attributes=ice_attributes, tid=st.binary(min_size=12, max_size=12))
def test_we_parse_aioice_requests(attributes: dict[str, object], tid: bytes) -> None:
    theirs = aioice_stun.Message(
        aioice_stun.Method.BINDING, aioice_stun.Class.REQUEST, tid, dict(attributes)
    )
    theirs.add_message_integrity(KEY)
    theirs.add_fingerprint()
    ours = Message.parse(bytes(theirs))
    assert (ours.method, ours.message_class, ours.transaction_id) == (
        Method.BINDING,
        Class.REQUEST,
        tid,
    )
    assert ours.verify_integrity(KEY)
    assert ours.verify_fingerprint()
    for name, value in attributes.items():
        assert ours.attributes[name] == value


@settings(max_examples=50)
@given(address=addresses, tid=st.binary(min_size=12, max_size=12))
def test_xor_mapped_address_both_ways(address: tuple[str, int], tid: bytes) -> None:
    ours = Message(Method.BINDING, Class.SUCCESS, tid, {"XOR-MAPPED-ADDRESS": address})
    theirs = aioice_stun.parse_message(ours.encode(KEY, fingerprint=True))
    assert theirs.check_message_integrity(KEY)
    got_host, got_port = theirs.attributes["XOR-MAPPED-ADDRESS"]
    assert (got_port, _canon(got_host)) == (address[1], _canon(address[0]))

    back = aioice_stun.Message(
        aioice_stun.Method.BINDING,
        aioice_stun.Class.RESPONSE,
        tid,
        {"XOR-MAPPED-ADDRESS": address},
    )
    back.add_message_integrity(KEY)
    parsed = Message.parse(bytes(back))
    assert parsed.verify_integrity(KEY) and parsed.verify_fingerprint()
    host, port = parsed.attributes["XOR-MAPPED-ADDRESS"]
    assert (port, _canon(host)) == (address[1], _canon(address[0]))


def _canon(host: str) -> str:
    return str(ipaddress.ip_address(host))


@pytest.mark.parametrize("code", [400, 401, 420, 487])
def test_error_responses_both_ways(code: int) -> None:
    request = Message(Method.BINDING, Class.REQUEST)
    error = Message.error_response(request, code, attributes={"UNKNOWN-ATTRIBUTES": (0x7777,)})
    theirs = aioice_stun.parse_message(error.encode(fingerprint=True))
    assert theirs.message_class == aioice_stun.Class.ERROR
    assert theirs.attributes["ERROR-CODE"][0] == code

    back = aioice_stun.Message(
        aioice_stun.Method.BINDING,
        aioice_stun.Class.ERROR,
        request.transaction_id,
        {"ERROR-CODE": (code, "Reason")},
    )
    back.add_fingerprint()
    parsed = Message.parse(bytes(back))
    assert parsed.message_class is Class.ERROR
    assert parsed.attributes["ERROR-CODE"] == (code, "Reason")
    assert parsed.verify_fingerprint()
