"""A scripted TURN server for the sans-I/O client tests: parse what the client sent, answer."""

from __future__ import annotations

from typing import Any

from pyrtc.sansio import Address, Event
from pyrtc.stun import Class, Message, Method, long_term_key
from pyrtc.turn import Allocated, TurnClient, is_channel_data

SERVER: Address = ("192.0.2.1", 3478)
RELAYED: Address = ("192.0.2.1", 50000)
MAPPED: Address = ("198.51.100.7", 40000)
PEER: Address = ("203.0.113.5", 7000)
USER = "alice"
PASSWORD = "s3cret"
REALM = "test.local"
NONCE = "nonce-1"
KEY = long_term_key(USER, REALM, PASSWORD)


def new_client(**kwargs: Any) -> TurnClient:
    return TurnClient(SERVER, USER, PASSWORD, **kwargs)


def sent(client: TurnClient, now: float) -> list[bytes]:
    """Everything the client wants to send now; all of it must go to the server."""
    out = client.datagrams_to_send(now)
    assert all(addr == SERVER for _, addr in out)
    return [data for data, _ in out]


def sent_messages(client: TurnClient, now: float) -> list[Message]:
    """What the client sent, all of it STUN (fails on ChannelData)."""
    messages = []
    for data in sent(client, now):
        assert not is_channel_data(data)
        message = Message.parse(data)
        assert message.verify_fingerprint()
        messages.append(message)
    return messages


def one_request(client: TurnClient, now: float, method: Method) -> Message:
    (request,) = sent_messages(client, now)
    assert request.method == method and request.message_class is Class.REQUEST
    return request


def events(client: TurnClient) -> list[Event]:
    out = []
    while (event := client.next_event()) is not None:
        out.append(event)
    return out


def challenge(request: Message, code: int = 401, nonce: str = NONCE) -> bytes:
    """An unsigned 401/438 carrying REALM and NONCE (RFC 8489 §9.2.4)."""
    return Message.error_response(
        request, code, attributes={"REALM": REALM, "NONCE": nonce}
    ).encode(fingerprint=True)


def success(request: Message, attributes: dict[str, Any] | None = None) -> bytes:
    """A success response signed with the long-term key."""
    assert request.verify_integrity(KEY), "the request must be authenticated"
    response = Message.success_response(request, attributes or {})
    return response.encode(KEY, fingerprint=True)


def error(request: Message, code: int) -> bytes:
    """A signed error response."""
    return Message.error_response(request, code).encode(KEY, fingerprint=True)


def allocate(client: TurnClient, now: float = 0.0, lifetime: int = 600) -> Allocated:
    """Drive the 401 + authenticated Allocate exchange to the Allocated event."""
    client.allocate(now)
    client.receive(challenge(one_request(client, now, Method.ALLOCATE)), SERVER, now)
    request = one_request(client, now, Method.ALLOCATE)
    attributes = {
        "XOR-RELAYED-ADDRESS": RELAYED,
        "XOR-MAPPED-ADDRESS": MAPPED,
        "LIFETIME": lifetime,
    }
    client.receive(success(request, attributes), SERVER, now)
    (event,) = events(client)
    assert isinstance(event, Allocated)
    return event


def answer_all(client: TurnClient, now: float) -> list[Message]:
    """Answer every request the client sent now with success; return those requests."""
    requests = sent_messages(client, now)
    for request in requests:
        attributes = (
            {"LIFETIME": request.attributes["LIFETIME"]}
            if (request.method == Method.REFRESH)
            else {}
        )
        client.receive(success(request, attributes), SERVER, now)
    return requests
