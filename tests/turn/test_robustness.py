"""Whatever the server (or an attacker spoofing it) sends, the client never raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from turn_helpers import PEER, SERVER, allocate, events, new_client, one_request, sent, success

from pyrtc.stun import Class, Message, Method
from pyrtc.turn import DataReceived, TurnClient, encode_channel_data


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
    for event in events(client):
        assert isinstance(event, DataReceived)
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
