"""TurnClient against a scripted server with a virtual clock (RFC 8656 client behaviour)."""

from __future__ import annotations

import pytest
from turn_helpers import (
    KEY,
    MAPPED,
    NONCE,
    PASSWORD,
    PEER,
    REALM,
    RELAYED,
    SERVER,
    USER,
    allocate,
    answer_all,
    challenge,
    error,
    events,
    new_client,
    one_request,
    sent,
    sent_messages,
    success,
)

from pyrtc.sansio import AddressedCore
from pyrtc.stun import AddressFamily, Class, Icmp, Message, Method, long_term_key
from pyrtc.turn import (
    Allocated,
    AllocationFailed,
    Closed,
    DataReceived,
    IcmpReceived,
    PermissionFailed,
    Refreshed,
    TurnClient,
    TurnError,
    encode_channel_data,
    parse_channel_data,
)


def test_is_an_addressed_core() -> None:
    core: AddressedCore = new_client()
    assert core.get_timer() is None


# -- allocation and long-term credentials ---------------------------------------------------------


def test_allocate_with_long_term_credentials() -> None:
    client = new_client(software="test-agent")
    client.allocate(0.0)
    first = one_request(client, 0.0, Method.ALLOCATE)
    assert first.attributes["REQUESTED-TRANSPORT"] == 17
    assert first.attributes["LIFETIME"] == 600
    assert first.attributes["SOFTWARE"] == "test-agent"
    assert "USERNAME" not in first.attributes and "MESSAGE-INTEGRITY" not in first.attributes

    client.receive(challenge(first), SERVER, 0.1)
    second = one_request(client, 0.1, Method.ALLOCATE)
    assert second.transaction_id != first.transaction_id
    assert second.attributes["USERNAME"] == USER
    assert second.attributes["REALM"] == REALM
    assert second.attributes["NONCE"] == NONCE
    assert second.attributes["REQUESTED-TRANSPORT"] == 17
    assert second.verify_integrity(KEY)

    attributes = {"XOR-RELAYED-ADDRESS": RELAYED, "XOR-MAPPED-ADDRESS": MAPPED, "LIFETIME": 300}
    client.receive(success(second, attributes), SERVER, 0.2)
    assert events(client) == [Allocated(RELAYED, MAPPED, 300)]
    assert client.state == "allocated"
    assert client.relayed_address == RELAYED and client.mapped_address == MAPPED


def test_optional_allocate_attributes() -> None:
    client = new_client(family=AddressFamily.IPV6, even_port=True, dont_fragment=True, lifetime=60)
    client.allocate(0.0)
    request = one_request(client, 0.0, Method.ALLOCATE)
    assert request.attributes["REQUESTED-ADDRESS-FAMILY"] == 2
    assert request.attributes["EVEN-PORT"] is False  # even port, no reservation of the next
    assert "DONT-FRAGMENT" in request.attributes
    assert request.attributes["LIFETIME"] == 60


def test_wrong_password_is_a_clear_401() -> None:
    client = new_client()
    client.allocate(0.0)
    client.receive(challenge(one_request(client, 0.0, Method.ALLOCATE)), SERVER, 0.0)
    retry = one_request(client, 0.0, Method.ALLOCATE)
    client.receive(challenge(retry), SERVER, 0.1)  # the server still says 401
    (event,) = events(client)
    assert isinstance(event, AllocationFailed)
    assert event.error.code == 401
    assert str(event.error).startswith("401 Unauthenticated")
    assert "alice" in str(event.error) and "password" in str(event.error)
    assert client.state == "closed" and client.get_timer() is None
    assert sent(client, 0.1) == []


def test_stale_nonce_during_allocate_retries_with_the_new_nonce() -> None:
    client = new_client()
    client.allocate(0.0)
    client.receive(challenge(one_request(client, 0.0, Method.ALLOCATE)), SERVER, 0.0)
    stale = one_request(client, 0.0, Method.ALLOCATE)
    client.receive(challenge(stale, 438, nonce="nonce-2"), SERVER, 0.1)
    retry = one_request(client, 0.1, Method.ALLOCATE)
    assert retry.attributes["NONCE"] == "nonce-2" and retry.verify_integrity(KEY)
    client.receive(success(retry, {"XOR-RELAYED-ADDRESS": RELAYED}), SERVER, 0.2)
    (event,) = events(client)
    assert event == Allocated(RELAYED, None, 600)


def test_endless_stale_nonces_give_up() -> None:
    client = new_client()
    allocate(client)
    client.handle_timer(540.0)
    for attempt in range(4):
        request = one_request(client, 540.0, Method.REFRESH)
        client.receive(challenge(request, 438, nonce=f"n{attempt}"), SERVER, 540.0)
    (event,) = events(client)
    assert isinstance(event, Closed) and event.error is not None and event.error.code == 438


def test_stale_nonce_with_a_new_realm_changes_the_key() -> None:
    client = new_client()
    allocate(client)
    client.handle_timer(540.0)
    stale = Message.error_response(
        one_request(client, 540.0, Method.REFRESH),
        438,
        attributes={"REALM": "other.realm", "NONCE": "n2"},
    )
    client.receive(stale.encode(), SERVER, 540.1)
    retry = one_request(client, 540.1, Method.REFRESH)
    assert retry.attributes["REALM"] == "other.realm"
    assert retry.verify_integrity(long_term_key(USER, "other.realm", PASSWORD))


def test_stale_nonce_before_any_challenge_fails() -> None:
    client = new_client()
    client.allocate(0.0)
    stale = Message.error_response(one_request(client, 0.0, Method.ALLOCATE), 438)
    stale.attributes["NONCE"] = "n"
    client.receive(stale.encode(), SERVER, 0.1)
    (event,) = events(client)
    assert isinstance(event, AllocationFailed) and event.error.code == 438


@pytest.mark.parametrize("code", [403, 437, 486, 508])
def test_other_allocate_errors(code: int) -> None:
    client = new_client()
    client.allocate(0.0)
    client.receive(challenge(one_request(client, 0.0, Method.ALLOCATE)), SERVER, 0.0)
    client.receive(error(one_request(client, 0.0, Method.ALLOCATE), code), SERVER, 0.1)
    (event,) = events(client)
    assert isinstance(event, AllocationFailed)
    assert event.error.code == code and str(event.error).startswith(str(code))


def test_unsigned_responses_to_authenticated_requests_are_ignored() -> None:
    client = new_client()
    client.allocate(0.0)
    client.receive(challenge(one_request(client, 0.0, Method.ALLOCATE)), SERVER, 0.0)
    request = one_request(client, 0.0, Method.ALLOCATE)
    forged = Message.success_response(request, {"XOR-RELAYED-ADDRESS": ("6.6.6.6", 6)})
    client.receive(forged.encode(fingerprint=True), SERVER, 0.1)
    client.receive(forged.encode(b"wrong key", fingerprint=True), SERVER, 0.1)
    assert events(client) == [] and client.state == "allocating"
    assert client.stats.unauthenticated == 2
    client.receive(success(request, {"XOR-RELAYED-ADDRESS": RELAYED}), SERVER, 0.2)
    assert isinstance(events(client)[0], Allocated)


def test_success_without_relayed_address_fails() -> None:
    client = new_client()
    client.allocate(0.0)
    client.receive(challenge(one_request(client, 0.0, Method.ALLOCATE)), SERVER, 0.0)
    client.receive(success(one_request(client, 0.0, Method.ALLOCATE)), SERVER, 0.1)
    (event,) = events(client)
    assert isinstance(event, AllocationFailed) and "relayed" in str(event.error)


def test_udp_retransmits_then_times_out() -> None:
    client = new_client()
    client.allocate(0.0)
    sends = [0.0 for _ in sent(client, 0.0)]
    now = 0.0
    while (timer := client.get_timer()) is not None:
        now = timer
        client.handle_timer(now)
        sends += [now for _ in sent(client, now)]
    assert sends == pytest.approx([0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5])
    assert now == pytest.approx(39.5)
    (event,) = events(client)
    assert isinstance(event, AllocationFailed) and "no answer" in str(event.error)


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_stream_transports_send_once_and_wait_39_5_s(transport: str) -> None:
    client = new_client(transport=transport)
    client.allocate(0.0)
    assert len(sent(client, 0.0)) == 1
    assert client.get_timer() == pytest.approx(39.5)
    client.handle_timer(39.4)
    assert events(client) == []
    client.handle_timer(39.5)
    assert sent(client, 39.5) == []
    (event,) = events(client)
    assert isinstance(event, AllocationFailed)


def test_responses_from_elsewhere_and_unknown_transactions_are_counted() -> None:
    client = new_client()
    client.allocate(0.0)
    request = one_request(client, 0.0, Method.ALLOCATE)
    client.receive(challenge(request), ("192.0.2.99", 3478), 0.1)
    stray = Message(Method.ALLOCATE, Class.SUCCESS, bytes(12)).encode()
    client.receive(stray, SERVER, 0.1)
    assert client.stats.unexpected == 2 and events(client) == []
    assert client.state == "allocating"


def test_misuse_raises() -> None:
    client = new_client()
    with pytest.raises(TurnError):
        client.send(b"x", PEER, 0.0)
    allocate(client)
    with pytest.raises(TurnError):
        client.allocate(1.0)
    with pytest.raises(TurnError):
        client.send(b"x", ("not-an-ip", 1), 1.0)
    with pytest.raises(TurnError):
        client.send(b"x", ("192.0.2.7", 65536), 1.0)
    assert sent(client, 1.0) == []
    with pytest.raises(ValueError):
        TurnClient(SERVER, USER, "p", transport="sctp")  # type: ignore[arg-type]


# -- refresh schedule -----------------------------------------------------------------------------


@pytest.mark.parametrize(("lifetime", "due"), [(600, 540.0), (3600, 3540.0), (100, 50.0)])
def test_refresh_is_due_before_expiry(lifetime: int, due: float) -> None:
    client = new_client(lifetime=lifetime)
    allocate(client, lifetime=lifetime)
    assert client.get_timer() == pytest.approx(due)
    client.handle_timer(due - 0.01)
    assert sent(client, due - 0.01) == []
    client.handle_timer(due)
    request = one_request(client, due, Method.REFRESH)
    assert request.attributes["LIFETIME"] == lifetime
    assert request.attributes["NONCE"] == NONCE and request.verify_integrity(KEY)
    client.receive(success(request, {"LIFETIME": lifetime}), SERVER, due + 0.05)
    assert events(client) == [Refreshed(lifetime)]
    assert client.get_timer() == pytest.approx(2 * due)


def test_refresh_keeps_the_allocation_for_an_hour() -> None:
    client = new_client(lifetime=300)
    allocate(client, lifetime=300)
    client.send(b"hello", PEER, 0.0)
    answer_all(client, 0.0)  # the ChannelBind
    sent(client, 0.0)
    methods: dict[Method, list[float]] = {}
    now = 0.0
    while now < 3600:
        now = client.get_timer() or 3600.0
        client.handle_timer(now)
        for request in answer_all(client, now):
            methods.setdefault(Method(request.method), []).append(now)
    assert client.state == "allocated"
    refreshes = methods[Method.REFRESH]
    assert refreshes[:3] == pytest.approx([240, 480, 720])  # 300 s lifetime: a minute early
    permissions = methods[Method.CREATE_PERMISSION]
    # Permissions last 300 s; the ChannelBind refresh at 540 s refreshes the permission too.
    assert permissions[:3] == pytest.approx([240, 480, 780])
    channels = methods[Method.CHANNEL_BIND]
    assert channels[:3] == pytest.approx([540, 1080, 1620])  # bindings last 600 s
    assert all(isinstance(e, Refreshed) for e in events(client))


def test_refresh_failure_loses_the_allocation() -> None:
    client = new_client()
    allocate(client)
    client.handle_timer(540.0)
    client.receive(error(one_request(client, 540.0, Method.REFRESH), 437), SERVER, 540.1)
    (event,) = events(client)
    assert isinstance(event, Closed) and event.error is not None and event.error.code == 437
    assert client.state == "closed" and client.get_timer() is None


def test_stale_nonce_on_refresh() -> None:
    client = new_client()
    allocate(client)
    client.handle_timer(540.0)
    stale = one_request(client, 540.0, Method.REFRESH)
    client.receive(challenge(stale, 438, nonce="fresh"), SERVER, 540.1)
    retry = one_request(client, 540.1, Method.REFRESH)
    assert retry.attributes["NONCE"] == "fresh"
    client.receive(success(retry, {"LIFETIME": 600}), SERVER, 540.2)
    assert events(client) == [Refreshed(600)]
    client.send(b"x", PEER, 541.0)  # later requests use the new nonce too
    assert one_request(client, 541.0, Method.CHANNEL_BIND).attributes["NONCE"] == "fresh"


# -- permissions, channels and data ---------------------------------------------------------------


def test_peer_addresses_are_normalised() -> None:
    client = new_client()
    allocate(client)
    client.send(b"x", ("2001:DB8:0:0::1", 5000), 1.0)
    bind = one_request(client, 1.0, Method.CHANNEL_BIND)
    assert bind.attributes["XOR-PEER-ADDRESS"] == ("2001:db8::1", 5000)
    client.receive(success(bind), SERVER, 1.0)
    assert client.channel_number(("2001:db8::1", 5000)) == 0x4000


def test_first_send_binds_a_channel_then_uses_channel_data() -> None:
    client = new_client()
    allocate(client)
    client.send(b"first", PEER, 1.0)
    client.send(b"second", PEER, 1.0)
    bind = one_request(client, 1.0, Method.CHANNEL_BIND)
    assert bind.attributes["CHANNEL-NUMBER"] == 0x4000
    assert bind.attributes["XOR-PEER-ADDRESS"] == PEER
    assert bind.verify_integrity(KEY)
    assert client.channel_number(PEER) is None
    client.receive(success(bind), SERVER, 1.1)
    assert [parse_channel_data(d) for d in sent(client, 1.1)] == [
        (0x4000, b"first"),
        (0x4000, b"second"),
    ]
    assert client.channel_number(PEER) == 0x4000
    client.send(b"third", PEER, 2.0)
    assert sent(client, 2.0) == [encode_channel_data(0x4000, b"third")]
    client.send(b"other", ("203.0.113.6", 1), 2.0)
    assert one_request(client, 2.0, Method.CHANNEL_BIND).attributes["CHANNEL-NUMBER"] == 0x4001
    assert client.stats.relayed_out == 3


def test_stream_channel_data_is_padded() -> None:
    client = new_client(transport="tcp")
    allocate(client)
    client.send(b"abcde", PEER, 1.0)
    client.receive(success(one_request(client, 1.0, Method.CHANNEL_BIND)), SERVER, 1.1)
    assert sent(client, 1.1) == [b"\x40\x00\x00\x05abcde\x00\x00\x00"]


def test_indications_while_the_channel_is_pending_once_permitted() -> None:
    client = new_client()
    allocate(client)
    client.send(b"a", PEER, 1.0)
    client.receive(success(one_request(client, 1.0, Method.CHANNEL_BIND)), SERVER, 1.0)
    sent(client, 1.0)
    other_port = (PEER[0], 9999)  # same IP: the permission exists, its channel does not
    client.send(b"b", other_port, 2.0)
    bind, indication = sent_messages(client, 2.0)
    assert bind.method == Method.CHANNEL_BIND
    assert indication.method == Method.SEND and indication.message_class is Class.INDICATION
    assert indication.attributes["XOR-PEER-ADDRESS"] == other_port
    assert indication.attributes["DATA"] == b"b"


def test_send_indications_without_channels() -> None:
    client = new_client(use_channels=False, dont_fragment=True)
    allocate(client)
    client.send(b"one", PEER, 1.0)
    client.send(b"two", (PEER[0], 1234), 1.0)  # same IP: one CreatePermission
    request = one_request(client, 1.0, Method.CREATE_PERMISSION)
    assert request.attributes["XOR-PEER-ADDRESS"] == PEER and request.verify_integrity(KEY)
    client.receive(success(request), SERVER, 1.1)
    indications = sent_messages(client, 1.1)
    assert [(m.method, m.attributes["DATA"]) for m in indications] == [
        (Method.SEND, b"one"),
        (Method.SEND, b"two"),
    ]
    assert indications[1].attributes["XOR-PEER-ADDRESS"] == (PEER[0], 1234)
    assert "DONT-FRAGMENT" in indications[0].attributes
    assert "MESSAGE-INTEGRITY" not in indications[0].attributes
    client.send(b"three", PEER, 2.0)
    (indication,) = sent_messages(client, 2.0)
    assert indication.attributes["DATA"] == b"three"


def test_permission_failure_drops_the_queue() -> None:
    client = new_client(use_channels=False)
    allocate(client)
    client.send(b"one", PEER, 1.0)
    client.send(b"two", PEER, 1.0)
    client.receive(error(one_request(client, 1.0, Method.CREATE_PERMISSION), 403), SERVER, 1.1)
    (event,) = events(client)
    assert isinstance(event, PermissionFailed) and event.peer == PEER
    assert event.error.code == 403
    assert client.stats.dropped == 2 and sent(client, 1.1) == []
    client.send(b"again", PEER, 2.0)  # a later send tries again
    one_request(client, 2.0, Method.CREATE_PERMISSION)


def test_channel_bind_failure() -> None:
    client = new_client()
    allocate(client)
    client.send(b"one", PEER, 1.0)
    client.receive(error(one_request(client, 1.0, Method.CHANNEL_BIND), 400), SERVER, 1.1)
    (event,) = events(client)
    assert isinstance(event, PermissionFailed) and event.error.code == 400
    assert client.channel_number(PEER) is None and client.stats.dropped == 1


def test_a_peer_keeps_its_channel_number_after_a_failed_bind() -> None:
    client = new_client()
    allocate(client)
    client.send(b"x", PEER, 1.0)
    client.receive(success(one_request(client, 1.0, Method.CHANNEL_BIND)), SERVER, 1.0)
    sent(client, 1.0)
    client.handle_timer(541.0)  # the refresh of the binding fails, the others succeed
    for request in sent_messages(client, 541.0):
        if request.method == Method.CHANNEL_BIND:
            client.receive(error(request, 500), SERVER, 541.0)
        else:
            attributes = {"LIFETIME": 600} if request.method == Method.REFRESH else {}
            client.receive(success(request, attributes), SERVER, 541.0)
    assert isinstance(events(client)[-1], PermissionFailed)
    client.send(b"y", ("203.0.113.9", 1), 542.0)  # another peer takes the next number
    client.send(b"z", PEER, 542.0)  # the same number again, or the server would refuse
    binds = [m for m in sent_messages(client, 542.0) if m.method == Method.CHANNEL_BIND]
    assert [m.attributes["CHANNEL-NUMBER"] for m in binds] == [0x4001, 0x4000]


def test_when_channel_numbers_run_out_peers_use_indications() -> None:
    client = new_client()
    allocate(client)
    for i in range(0x1000):
        client.send(b"x", (f"10.{i >> 8}.{i & 255}.1", 1000), 1.0)
    assert len(sent(client, 1.0)) == 0x1000
    client.send(b"x", ("10.99.0.1", 1000), 1.0)
    assert one_request(client, 1.0, Method.CREATE_PERMISSION)


def test_queue_is_bounded() -> None:
    client = new_client()
    allocate(client)
    for i in range(100):
        client.send(bytes([i]), PEER, 1.0)
    client.receive(success(one_request(client, 1.0, Method.CHANNEL_BIND)), SERVER, 1.1)
    frames = [parse_channel_data(d)[1] for d in sent(client, 1.1)]
    assert frames == [bytes([i]) for i in range(36, 100)]
    assert client.stats.dropped == 36


def test_channel_data_on_a_pending_channel_is_accepted() -> None:
    client = new_client()
    allocate(client)
    client.receive(encode_channel_data(0x4000, b"unknown"), SERVER, 1.0)  # no such channel
    assert client.stats.unexpected == 1
    client.send(b"x", PEER, 1.0)  # ChannelBind in flight: the server may already use it
    client.receive(encode_channel_data(0x4000, b"early"), SERVER, 1.05)
    assert events(client) == [DataReceived(PEER, b"early")]


def test_receive_channel_data_and_data_indications() -> None:
    client = new_client()
    allocate(client)
    client.send(b"x", PEER, 1.0)
    client.receive(success(one_request(client, 1.0, Method.CHANNEL_BIND)), SERVER, 1.0)
    client.receive(encode_channel_data(0x4000, b"hello"), SERVER, 1.1)
    client.receive(encode_channel_data(0x4000, b"pad", pad=True), SERVER, 1.1)
    indication = Message(
        Method.DATA, Class.INDICATION, attributes={"XOR-PEER-ADDRESS": PEER, "DATA": b"ind"}
    )
    client.receive(indication.encode(fingerprint=True), SERVER, 1.2)
    assert events(client) == [
        DataReceived(PEER, b"hello"),
        DataReceived(PEER, b"pad"),
        DataReceived(PEER, b"ind"),
    ]
    assert client.stats.relayed_in == 3
    incomplete = Message(Method.DATA, Class.INDICATION, attributes={"DATA": b"?"})
    client.receive(incomplete.encode(), SERVER, 1.3)
    icmp = Message(
        Method.DATA, Class.INDICATION, attributes={"XOR-PEER-ADDRESS": PEER, "ICMP": Icmp(3, 3)}
    )
    client.receive(icmp.encode(), SERVER, 1.3)
    client.receive(b"\x40\x00\x00\x09short", SERVER, 1.3)
    assert client.stats.malformed == 2
    assert events(client) == [IcmpReceived(PEER, Icmp(3, 3))]


# -- deallocation ---------------------------------------------------------------------------------


def test_close_deallocates() -> None:
    client = new_client()
    allocate(client)
    client.send(b"x", PEER, 1.0)
    sent(client, 1.0)
    client.close(2.0)
    request = one_request(client, 2.0, Method.REFRESH)
    assert request.attributes["LIFETIME"] == 0 and request.verify_integrity(KEY)
    assert client.state == "closing"
    client.receive(success(request, {"LIFETIME": 0}), SERVER, 2.1)
    assert events(client) == [Closed()]
    assert client.state == "closed" and client.get_timer() is None
    client.close(3.0)  # idempotent
    assert sent(client, 3.0) == [] and events(client) == []


def test_sends_after_the_allocation_is_gone_are_dropped() -> None:
    client = new_client()
    allocate(client)
    client.close(1.0)
    client.send(b"late", PEER, 1.0)
    one_request(client, 1.0, Method.REFRESH)  # only the deallocation goes out
    assert client.stats.dropped == 1


def test_close_ends_even_without_an_answer() -> None:
    client = new_client()
    allocate(client)
    client.close(1.0)
    now = 1.0
    while (timer := client.get_timer()) is not None:
        now = timer
        client.handle_timer(now)
    assert events(client) == [Closed()]


def test_close_before_allocate() -> None:
    client = new_client()
    client.close(0.0)
    assert events(client) == [Closed()] and client.state == "closed"
    assert client.get_timer() is None and sent(client, 0.0) == []


def test_close_while_allocating_releases_what_the_server_grants() -> None:
    client = new_client()
    client.allocate(0.0)
    client.receive(challenge(one_request(client, 0.0, Method.ALLOCATE)), SERVER, 0.0)
    request = one_request(client, 0.0, Method.ALLOCATE)
    client.close(0.05)
    assert client.state == "closing" and sent(client, 0.05) == []
    client.receive(success(request, {"XOR-RELAYED-ADDRESS": RELAYED}), SERVER, 0.1)
    release = one_request(client, 0.1, Method.REFRESH)
    assert release.attributes["LIFETIME"] == 0
    client.receive(success(release, {"LIFETIME": 0}), SERVER, 0.2)
    assert events(client) == [Closed()]  # never Allocated


def test_close_while_challenged_needs_no_release() -> None:
    client = new_client()
    client.allocate(0.0)
    first = one_request(client, 0.0, Method.ALLOCATE)
    client.close(0.05)
    client.receive(challenge(first), SERVER, 0.1)
    assert sent(client, 0.1) == [] and events(client) == [Closed()]
    assert client.get_timer() is None
