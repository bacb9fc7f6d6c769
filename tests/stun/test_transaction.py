"""ClientTransaction with a virtual clock (RFC 8489 §6.2.1 retransmission schedule)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.sansio import AddressedCore
from pyrtc.stun import (
    Class,
    ClientTransaction,
    Message,
    Method,
    ResponseReceived,
    TransactionTimedOut,
)

SERVER = ("192.0.2.10", 3478)


def new_transaction(now: float = 0.0, **kwargs: object) -> ClientTransaction:
    request = Message(Method.BINDING, Class.REQUEST, bytes(range(12)))
    return ClientTransaction(request, SERVER, now, **kwargs)  # type: ignore[arg-type]


def run_to_end(transaction: ClientTransaction) -> tuple[list[float], float | None]:
    """Drive the timers; return the send times and when the transaction ended."""
    sends: list[float] = []
    now = 0.0
    for _ in range(100):
        sends += [now for _ in transaction.datagrams_to_send(now)]
        timer = transaction.get_timer()
        if timer is None:
            return sends, now
        now = timer
        transaction.handle_timer(now)
    raise AssertionError("the transaction never ended")


def test_is_an_addressed_core() -> None:
    core: AddressedCore = new_transaction()
    assert core.next_event() is None


def test_rfc8489_retransmission_schedule() -> None:
    transaction = new_transaction()
    sends, ended = run_to_end(transaction)
    assert sends == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert ended == 39.5
    event = transaction.next_event()
    assert event == TransactionTimedOut(bytes(range(12)))
    assert transaction.next_event() is None
    assert transaction.done
    assert transaction.stats.transmissions == 7


def test_schedule_scales_with_rto_and_counts() -> None:
    transaction = new_transaction(rto=0.1, max_sends=3, final_wait=4)
    sends, ended = run_to_end(transaction)
    assert sends == pytest.approx([0, 0.1, 0.3])
    assert ended == pytest.approx(0.7)


def test_every_transmission_is_the_same_request() -> None:
    transaction = new_transaction(integrity_key=b"secret")
    first = transaction.datagrams_to_send(0.0)
    transaction.handle_timer(0.5)
    second = transaction.datagrams_to_send(0.5)
    assert first == second
    ((wire, addr),) = first
    assert addr == SERVER
    sent = Message.parse(wire)
    assert sent.verify_integrity(b"secret") and sent.verify_fingerprint()


def test_early_timer_calls_do_nothing() -> None:
    transaction = new_transaction()
    transaction.datagrams_to_send(0.0)
    transaction.handle_timer(0.3)
    assert transaction.datagrams_to_send(0.3) == []
    assert transaction.get_timer() == 0.5


def response_to(transaction: ClientTransaction, **attrs: object) -> bytes:
    response = Message.success_response(
        transaction.request, {"XOR-MAPPED-ADDRESS": ("198.51.100.7", 40000), **attrs}
    )
    return response.encode(fingerprint=True)


def test_response_stops_retransmissions() -> None:
    transaction = new_transaction()
    transaction.datagrams_to_send(0.0)
    transaction.handle_timer(0.5)
    transaction.datagrams_to_send(0.5)
    transaction.receive(response_to(transaction), SERVER, 0.8)
    event = transaction.next_event()
    assert isinstance(event, ResponseReceived)
    assert event.response.attributes["XOR-MAPPED-ADDRESS"] == ("198.51.100.7", 40000)
    assert event.addr == SERVER
    assert event.rtt == pytest.approx(0.8)
    assert transaction.get_timer() is None and transaction.done
    transaction.handle_timer(1.5)
    assert transaction.datagrams_to_send(1.5) == []
    assert transaction.next_event() is None
    # A duplicate response after the end is counted, not reported again.
    transaction.receive(response_to(transaction), SERVER, 0.9)
    assert transaction.next_event() is None
    assert transaction.stats.ignored == 1


def test_error_response_ends_the_transaction() -> None:
    transaction = new_transaction()
    error = Message.error_response(transaction.request, 400)
    transaction.receive(error.encode(), SERVER, 0.1)
    event = transaction.next_event()
    assert isinstance(event, ResponseReceived)
    assert event.response.message_class is Class.ERROR
    assert event.response.attributes["ERROR-CODE"].code == 400


def test_other_messages_are_ignored() -> None:
    transaction = new_transaction()
    request = transaction.request
    other_id = Message(Method.BINDING, Class.SUCCESS, bytes(12))
    indication = Message(Method.BINDING, Class.INDICATION, request.transaction_id)
    request_echo = Message(Method.BINDING, Class.REQUEST, request.transaction_id)
    other_method = Message(Method.ALLOCATE, Class.SUCCESS, request.transaction_id)
    for message in (other_id, indication, request_echo, other_method):
        transaction.receive(message.encode(), SERVER, 0.1)
    assert transaction.next_event() is None
    assert transaction.stats.ignored == 4
    assert transaction.get_timer() == 0.5


def test_malformed_responses_are_counted_and_ignored() -> None:
    transaction = new_transaction()
    good = response_to(transaction)
    bad_fingerprint = good[:-1] + bytes([good[-1] ^ 1])
    for data in (b"", b"\x17\xfe\xfd", good[:-4], bad_fingerprint):
        transaction.receive(data, SERVER, 0.1)
    assert transaction.stats.malformed == 4
    assert transaction.next_event() is None
    transaction.receive(good, SERVER, 0.2)
    assert isinstance(transaction.next_event(), ResponseReceived)


def test_unauthenticated_responses_are_discarded() -> None:
    transaction = new_transaction(integrity_key=b"secret")
    unsigned = response_to(transaction)
    wrong = Message.success_response(transaction.request).encode(b"other")
    transaction.receive(unsigned, SERVER, 0.1)
    transaction.receive(wrong, SERVER, 0.1)
    assert transaction.next_event() is None
    assert transaction.stats.unauthenticated == 2
    signed = Message.success_response(transaction.request).encode(b"secret")
    transaction.receive(signed, SERVER, 0.2)
    assert isinstance(transaction.next_event(), ResponseReceived)


def test_receive_message_takes_a_parsed_response() -> None:
    """A core that parsed the datagram to demultiplex it hands over the Message itself; the
    matching and the integrity check are the same as for :meth:`receive`."""
    transaction = new_transaction(integrity_key=b"secret")
    other_id = Message(Method.BINDING, Class.SUCCESS, bytes(12)).encode(b"secret")
    unsigned = response_to(transaction)
    transaction.receive_message(Message.parse(other_id), SERVER, 0.1)
    transaction.receive_message(Message.parse(unsigned), SERVER, 0.1)
    assert transaction.next_event() is None
    assert (transaction.stats.ignored, transaction.stats.unauthenticated) == (1, 1)
    signed = Message.parse(Message.success_response(transaction.request).encode(b"secret"))
    transaction.receive_message(signed, SERVER, 0.3)
    event = transaction.next_event()
    assert isinstance(event, ResponseReceived)
    assert event.response is signed
    assert event.rtt == pytest.approx(0.3)
    assert transaction.done


@pytest.mark.parametrize(
    "kwargs", [{"rto": 0}, {"max_sends": 0}, {"final_wait": -1}], ids=["rto", "sends", "wait"]
)
def test_bad_configuration(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        new_transaction(**kwargs)


@pytest.mark.parametrize("code", [401, 438])
def test_long_term_challenges_need_no_integrity(code: int) -> None:
    transaction = new_transaction(integrity_key=b"secret", long_term=True)
    challenge = Message.error_response(transaction.request, code).encode()
    transaction.receive(challenge, SERVER, 0.1)
    event = transaction.next_event()
    assert isinstance(event, ResponseReceived)
    assert event.response.attributes["ERROR-CODE"].code == code


def test_long_term_other_responses_still_need_integrity() -> None:
    transaction = new_transaction(integrity_key=b"secret", long_term=True)
    for response in (
        Message.error_response(transaction.request, 403),
        Message.success_response(transaction.request),
    ):
        transaction.receive(response.encode(), SERVER, 0.1)
    assert transaction.next_event() is None
    assert transaction.stats.unauthenticated == 2


def test_short_term_challenge_without_integrity_is_discarded() -> None:
    transaction = new_transaction(integrity_key=b"secret")
    transaction.receive(Message.error_response(transaction.request, 401).encode(), SERVER, 0.1)
    assert transaction.next_event() is None
    assert transaction.stats.unauthenticated == 1


@settings(max_examples=50)
@given(
    rto=st.floats(0.01, 3.0),
    max_sends=st.integers(1, 9),
    final_wait=st.integers(0, 32),
    start=st.floats(0, 1e6),
)
def test_schedule_property(rto: float, max_sends: int, final_wait: int, start: float) -> None:
    # Send k happens (2**k - 1) RTO after the first; the timeout Rm RTO after the last send.
    request = Message(Method.BINDING, Class.REQUEST)
    transaction = ClientTransaction(
        request, SERVER, start, rto=rto, max_sends=max_sends, final_wait=final_wait
    )
    sends = []
    now = start
    while (timer := transaction.get_timer()) is not None:
        sends += [now - start for _ in transaction.datagrams_to_send(now)]
        now = timer
        transaction.handle_timer(now)
    expected = [(2**k - 1) * rto for k in range(max_sends)]
    assert sends == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert now - start == pytest.approx(expected[-1] + final_wait * rto, rel=1e-6, abs=1e-6)
    assert isinstance(transaction.next_event(), TransactionTimedOut)
