"""Whatever the server (or an attacker spoofing it) sends, the client never raises."""

from __future__ import annotations

from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from turn_helpers import (
    KEY,
    PEER,
    SERVER,
    allocate,
    events,
    new_client,
    one_request,
    sent,
    success,
)

from pyrtc.stun import Class, ErrorCode, Message, Method
from pyrtc.turn import (
    Allocated,
    AllocationFailed,
    Closed,
    DataReceived,
    PermissionFailed,
    Refreshed,
    TurnClient,
    encode_channel_data,
)


def bound_client() -> TurnClient:
    client = new_client()
    allocate(client)
    client.send(b"x", PEER, 1.0)
    client.receive(success(one_request(client, 1.0, Method.CHANNEL_BIND)), SERVER, 1.0)
    sent(client, 1.0)
    return client


def valid_inputs() -> list[bytes]:
    indication = Message(
        Method.DATA, Class.INDICATION, attributes={"XOR-PEER-ADDRESS": PEER, "DATA": b"hello!"}
    )
    response = Message(Method.REFRESH, Class.SUCCESS, attributes={"LIFETIME": 600})
    return [
        indication.encode(fingerprint=True),
        response.encode(fingerprint=True),
        encode_channel_data(0x4000, b"channel data", pad=True),
    ]


def counted(client: TurnClient) -> int:
    stats = client.stats
    return stats.malformed + stats.unexpected + stats.relayed_in


@settings(max_examples=200)
@given(st.binary(max_size=120))
def test_random_bytes(data: bytes) -> None:
    client = bound_client()
    client.receive(data, SERVER, 2.0)
    assert counted(client) == 1
    for emitted in events(client):
        assert isinstance(emitted, DataReceived)
    assert client.state == "allocated"


@settings(max_examples=200)
@given(st.sampled_from(valid_inputs()), st.data())
def test_truncated_and_mutated(wire: bytes, data: st.DataObject) -> None:
    client = bound_client()
    cut = data.draw(st.integers(0, len(wire)))
    flip = data.draw(st.integers(0, len(wire) - 1))
    mutated = bytearray(wire)
    mutated[flip] ^= data.draw(st.integers(1, 255))
    client.receive(wire[:cut], SERVER, 2.0)
    client.receive(bytes(mutated), SERVER, 2.0)
    assert counted(client) == 2
    assert client.state == "allocated"


def test_every_valid_input_is_accounted_for() -> None:
    client = bound_client()
    for wire in valid_inputs():
        client.receive(wire, SERVER, 2.0)
    assert client.stats.relayed_in == 2  # the stray Refresh success is unexpected
    assert client.stats.unexpected == 1


addresses = st.tuples(
    st.sampled_from(["192.0.2.1", "::1", "2001:db8::7", "0.0.0.0"]), st.integers(0, 65535)
)
answers = st.fixed_dictionaries(
    {},
    optional={
        "ERROR-CODE": st.tuples(
            st.sampled_from([401, 438, 403, 437]) | st.integers(300, 699), st.text(max_size=20)
        ),
        "REALM": st.text(max_size=20),
        "NONCE": st.text(max_size=20),
        "LIFETIME": st.integers(0, 2**32 - 1),
        "XOR-RELAYED-ADDRESS": addresses,
        "XOR-MAPPED-ADDRESS": addresses,
    },
)


@settings(max_examples=150)
@given(st.lists(st.tuples(answers, st.booleans(), st.floats(0, 700)), max_size=8))
def test_arbitrary_answers_to_every_request(
    script: list[tuple[dict[str, Any], bool, float]],
) -> None:
    """Answer whatever the client asks with random (signed or unsigned) responses."""
    client = new_client()
    client.allocate(0.0)
    now = 0.0
    for attributes, signed, delay in script:
        for data in sent(client, now):
            if not data or data[0] >= 0x40:
                continue
            request = Message.parse(data)
            if request.message_class is not Class.REQUEST:
                continue
            response_class = Class.ERROR if "ERROR-CODE" in attributes else Class.SUCCESS
            response = Message(request.method, response_class, request.transaction_id)
            for key, value in attributes.items():
                response.attributes[key] = ErrorCode(*value) if key == "ERROR-CODE" else value
            client.receive(response.encode(KEY if signed else None), SERVER, now)
        if client.state == "allocated":
            client.send(b"data", PEER, now)
        now += delay
        client.handle_timer(now)
    for emitted in events(client):
        assert isinstance(
            emitted, Allocated | AllocationFailed | Closed | PermissionFailed | Refreshed
        )
    assert client.state in ("allocating", "allocated", "closing", "closed")
    event(f"ended {client.state}")
