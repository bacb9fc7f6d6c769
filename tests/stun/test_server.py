"""BindingServer: success, 400, 401, 420, ignored and malformed input (RFC 8489 §6.3, §9.1.3)."""

from __future__ import annotations

import stun_vectors as v
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.sansio import AddressedCore
from pyrtc.stun import BindingServer, Class, ClientTransaction, Message, Method, ResponseReceived

CLIENT = ("203.0.113.5", 54321)
CLIENT6 = ("2001:db8::5", 54321)
TID = bytes(range(12))


def answer(server: BindingServer, data: bytes, addr: tuple[str, int] = CLIENT) -> Message | None:
    server.receive(data, addr, 0.0)
    out = server.datagrams_to_send(0.0)
    assert len(out) <= 1
    if not out:
        return None
    wire, to = out[0]
    assert to == addr
    return Message.parse(wire)


def request(**attrs: object) -> Message:
    return Message(Method.BINDING, Class.REQUEST, TID, attrs)


def test_is_an_addressed_core() -> None:
    core: AddressedCore = BindingServer()
    assert core.get_timer() is None and core.next_event() is None


def test_binding_success_ipv4_and_ipv6() -> None:
    server = BindingServer(software="pyrtc test")
    for addr in (CLIENT, CLIENT6):
        response = answer(server, request().encode(), addr)
        assert response is not None
        assert response.message_class is Class.SUCCESS
        assert response.transaction_id == TID
        assert response.attributes["XOR-MAPPED-ADDRESS"] == addr
        assert response.attributes["SOFTWARE"] == "pyrtc test"
        assert "FINGERPRINT" not in response.attributes
    assert server.stats.success == 2


def test_fingerprint_is_echoed() -> None:
    response = answer(BindingServer(), request().encode(fingerprint=True))
    assert response is not None and response.verify_fingerprint()


def test_client_transaction_against_server() -> None:
    server = BindingServer()
    transaction = ClientTransaction(request(), ("192.0.2.1", 3478), 0.0)
    for data, _ in transaction.datagrams_to_send(0.0):
        server.receive(data, CLIENT, 0.01)
    for data, _ in server.datagrams_to_send(0.01):
        transaction.receive(data, ("192.0.2.1", 3478), 0.02)
    event = transaction.next_event()
    assert isinstance(event, ResponseReceived)
    assert event.response.attributes["XOR-MAPPED-ADDRESS"] == CLIENT


def test_unknown_comprehension_required_gets_420() -> None:
    msg = request(PRIORITY=1)
    msg.attributes.add(0x7F01, b"?")
    msg.attributes.add(0xC001, b"optional is fine")
    msg.attributes.add(0x0077, b"")
    response = answer(BindingServer(), msg.encode(fingerprint=True))
    assert response is not None
    assert response.message_class is Class.ERROR
    assert response.attributes["ERROR-CODE"] == (420, "Unknown Attribute")
    assert response.attributes["UNKNOWN-ATTRIBUTES"] == (0x7F01, 0x0077)
    assert response.verify_fingerprint()


def test_malformed_request_with_known_method_gets_400() -> None:
    broken = bytearray(request(PRIORITY=1).encode())
    broken[22:24] = b"\x00\x03"  # PRIORITY must be 4 bytes long
    response = answer(BindingServer(), bytes(broken))
    assert response is not None
    assert response.message_class is Class.ERROR and response.transaction_id == TID
    assert response.attributes["ERROR-CODE"].code == 400


def test_other_methods_get_400() -> None:
    allocate = Message(Method.ALLOCATE, Class.REQUEST, TID, {"REQUESTED-TRANSPORT": 17})
    response = answer(BindingServer(), allocate.encode())
    assert response is not None
    assert response.method is Method.ALLOCATE
    assert response.attributes["ERROR-CODE"].code == 400


def test_dropped_input_is_counted() -> None:
    server = BindingServer()
    unknown_method = Message(0x0ABC, Class.REQUEST, TID).encode()
    broken_unknown_method = unknown_method[:3] + b"\x04" + unknown_method[4:]
    bad_fingerprint = bytearray(request().encode(fingerprint=True))
    bad_fingerprint[-1] ^= 0xFF
    for data in (b"", b"hello world, not stun", v.REQUEST[:30], broken_unknown_method):
        assert answer(server, data) is None
    assert answer(server, bytes(bad_fingerprint)) is None
    assert server.stats.malformed == 5
    for message in (
        Message(Method.BINDING, Class.INDICATION, TID),
        Message(Method.BINDING, Class.SUCCESS, TID),
        Message(Method.BINDING, Class.ERROR, TID, {"ERROR-CODE": (400, "")}),
    ):
        assert answer(server, message.encode()) is None
    assert answer(server, unknown_method) is None
    assert server.stats.ignored == 4
    assert server.stats.success == server.stats.errors == 0


def test_short_term_authentication() -> None:
    server = BindingServer(passwords={"evtj:h6vY": v.SHORT_TERM_PASSWORD})
    key = v.SHORT_TERM_PASSWORD.encode()

    # The RFC 5769 sample request is signed with exactly these credentials.
    ok = answer(server, v.REQUEST)
    assert ok is not None and ok.message_class is Class.SUCCESS
    assert ok.verify_integrity(key) and ok.verify_fingerprint()
    assert "MESSAGE-INTEGRITY-SHA256" not in ok.attributes

    sha = answer(server, request(USERNAME="evtj:h6vY").encode(key, integrity="sha256"))
    assert sha is not None and sha.message_class is Class.SUCCESS
    assert list(sha.attributes)[-1] == "MESSAGE-INTEGRITY-SHA256" and sha.verify_integrity(key)

    def code(message: Message, integrity_key: bytes | None) -> int:
        response = answer(server, message.encode(integrity_key, fingerprint=True))
        assert response is not None and response.message_class is Class.ERROR
        assert "MESSAGE-INTEGRITY" not in response.attributes
        return int(response.attributes["ERROR-CODE"].code)

    assert code(request(USERNAME="evtj:h6vY"), None) == 400
    assert code(request(), key) == 400
    assert code(request(USERNAME="evtj:h6vY"), b"wrong") == 401
    assert code(request(USERNAME="someone:else"), key) == 401


def test_420_comes_after_authentication_and_is_signed() -> None:
    server = BindingServer(passwords={"user": "password"})
    key = b"password"
    unknown = request(USERNAME="user")
    unknown.attributes.add(0x7F01, b"?")
    unsigned = answer(server, unknown.encode())
    assert unsigned is not None and unsigned.attributes["ERROR-CODE"].code == 400
    wrong = answer(server, unknown.encode(b"not the password"))
    assert wrong is not None and wrong.attributes["ERROR-CODE"].code == 401
    signed = answer(server, unknown.encode(key, fingerprint=True))
    assert signed is not None
    assert signed.attributes["ERROR-CODE"].code == 420
    assert signed.attributes["UNKNOWN-ATTRIBUTES"] == (0x7F01,)
    assert signed.verify_integrity(key) and signed.verify_fingerprint()


def flip_bit(message: bytes, bit: int) -> bytes:
    data = bytearray(message)
    data[bit // 8 % len(data)] ^= 1 << (bit % 8)
    return bytes(data)


flipped_requests = st.builds(
    flip_bit, st.sampled_from([v.REQUEST, v.LONG_TERM_REQUEST]), st.integers(0, 1000)
)


@settings(max_examples=300)
@given(data=st.binary(max_size=80) | flipped_requests)
def test_server_never_raises_and_counts_every_datagram(data: bytes) -> None:
    server = BindingServer(passwords={"evtj:h6vY": v.SHORT_TERM_PASSWORD})
    server.receive(data, CLIENT, 0.0)
    stats = server.stats
    assert stats.success + stats.errors + stats.malformed + stats.ignored == 1
    answers = server.datagrams_to_send(0.0)
    assert len(answers) == stats.success + stats.errors
    for wire, _ in answers:
        assert Message.parse(wire).message_class in (Class.SUCCESS, Class.ERROR)
