"""The sans-I/O hub on a virtual clock: rooms, relaying, presence, limits and timers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.signaling import (
    Close,
    ErrorSent,
    Hub,
    Identity,
    Limits,
    ParticipantJoined,
    ParticipantLeft,
    Send,
    TokenIssuer,
    TokenVerifier,
)

SECRET = "hub-test-secret-0123456789-abcdefghij"
WALL = 1_800_000_000.0
ISSUER = TokenIssuer.hs256(SECRET)
VERIFIER = TokenVerifier.hs256(SECRET)


def authenticate(token: str, room: str) -> Identity:
    return VERIFIER.verify(token, room, WALL)


def join_text(room: str, user: str, token_room: str | None = None) -> str:
    token = ISSUER.issue(token_room or room, user, 60, WALL)
    return json.dumps({"v": 1, "type": "join", "room": room, "token": token})


def msg(kind: str, **members: Any) -> str:
    return json.dumps({"v": 1, "type": kind, **members}, ensure_ascii=False)


class Harness:
    """A hub plus helpers that read what it wants sent, per connection."""

    def __init__(self, **limits: Any) -> None:
        self.hub = Hub(Limits(**limits), authenticate)
        self.now = 0.0

    def connect(self, ip: str = "10.0.0.1") -> int:
        return self.hub.connect(ip, self.now)

    def join(self, room: str, user: str, ip: str = "10.0.0.1") -> int:
        conn = self.connect(ip)
        self.hub.receive(conn, join_text(room, user), self.now)
        return conn

    def outputs(self) -> list[Send | Close]:
        return self.hub.messages_to_send()

    def inbox(self) -> dict[int, list[Any]]:
        """Decoded messages and ('close', code) per connection since the last call."""
        boxes: dict[int, list[Any]] = {}
        for action in self.outputs():
            if isinstance(action, Send):
                boxes.setdefault(action.conn, []).append(json.loads(action.text))
            else:
                boxes.setdefault(action.conn, []).append(("close", action.code))
        return boxes

    def events(self) -> list[object]:
        found = []
        while (event := self.hub.next_event()) is not None:
            found.append(event)
        return found


def test_join_presence_and_leave() -> None:
    h = Harness()
    a = h.join("room", "alice")
    assert h.inbox() == {
        a: [{"v": 1, "type": "joined", "room": "room", "id": f"p{a}", "user": "alice", "peers": []}]
    }
    b = h.join("room", "bob")
    boxes = h.inbox()
    assert boxes[a] == [{"v": 1, "type": "peer-joined", "id": f"p{b}", "user": "bob"}]
    assert boxes[b][0]["peers"] == [{"id": f"p{a}", "user": "alice"}]
    h.hub.receive(a, msg("leave"), h.now)
    boxes = h.inbox()
    assert boxes[a] == [("close", 1000)]
    assert boxes[b] == [{"v": 1, "type": "peer-left", "id": f"p{a}"}]
    assert h.hub.room_members("room") == [f"p{b}"]
    h.hub.disconnect(a, h.now)
    h.hub.disconnect(b, h.now)
    assert h.hub.room_members("room") == []
    kinds = [type(e) for e in h.events()]
    assert kinds == [ParticipantJoined, ParticipantJoined, ParticipantLeft, ParticipantLeft]


def test_relay_reaches_only_the_addressed_peer() -> None:
    h = Harness()
    a, b, c = (h.join("room", name) for name in ("alice", "bob", "carol"))
    other = h.join("elsewhere", "dave")
    h.inbox()
    h.hub.receive(a, msg("offer", to=f"p{b}", sdp="v=0\r\n"), h.now)
    h.hub.receive(b, msg("answer", to=f"p{a}", sdp="v=0 answer\r\n"), h.now)
    h.hub.receive(a, msg("candidate", to=f"p{b}", candidate=None), h.now)
    boxes = h.inbox()
    assert set(boxes) == {a, b}
    assert boxes[b] == [
        {"v": 1, "type": "offer", "from": f"p{a}", "sdp": "v=0\r\n"},
        {"v": 1, "type": "candidate", "from": f"p{a}", "candidate": None},
    ]
    assert boxes[a] == [{"v": 1, "type": "answer", "from": f"p{b}", "sdp": "v=0 answer\r\n"}]
    # Another room's participant, oneself and a stranger are all unknown here; not fatal.
    for target in (f"p{other}", f"p{a}", "nobody"):
        h.hub.receive(a, msg("offer", to=target, sdp=""), h.now)
    boxes = h.inbox()
    assert set(boxes) == {a}
    assert [m["code"] for m in boxes[a]] == ["unknown-peer"] * 3
    assert c not in boxes and h.hub.stats.relayed == 3


@pytest.mark.parametrize(
    ("text", "code", "close"),
    [
        ("{", "bad-message", 4400),
        (msg("ping", extra=1), "bad-message", 4400),
        (json.dumps({"v": 7, "type": "ping"}), "unsupported-version", 4400),
        (msg("offer", to="p1", sdp=""), "not-joined", 4400),
        (b"\x00binary", "bad-message", 4400),
        (join_text("r", "x", token_room="other"), "token-wrong-room", 4401),
        (msg("join", room="r", token="garbage"), "token-invalid", 4401),
    ],
)
def test_fatal_errors_send_error_then_close(text: str | bytes, code: str, close: int) -> None:
    h = Harness()
    conn = h.connect()
    h.hub.receive(conn, text, h.now)
    (error, closing) = h.inbox()[conn]
    assert error["type"] == "error" and error["code"] == code
    assert closing == ("close", close)
    # Anything after the close decision is ignored.
    h.hub.receive(conn, msg("ping"), h.now)
    assert h.outputs() == []
    last = h.events()[-1]
    assert isinstance(last, ErrorSent) and last.code == code and last.fatal


def test_already_joined() -> None:
    h = Harness()
    a = h.join("room", "alice")
    h.inbox()
    h.hub.receive(a, join_text("room", "alice"), h.now)
    assert h.inbox()[a] == [
        {
            "v": 1,
            "type": "error",
            "code": "already-joined",
            "message": "this connection is already in a room",
        },
        ("close", 4400),
    ]


def test_message_size_limit_counts_utf8_bytes() -> None:
    h = Harness(max_message_size=400)  # room for the join with its token
    a = h.join("room", "alice")
    b = h.join("room", "bob")
    h.inbox()
    fits = msg("offer", to=f"p{b}", sdp="é" * 150)
    assert len(fits.encode()) <= 400
    h.hub.receive(a, fits, h.now)
    assert h.inbox()[b][0]["type"] == "offer"
    too_big = msg("offer", to=f"p{b}", sdp="é" * 190)
    assert len(too_big) <= 400 < len(too_big.encode())
    h.hub.receive(a, too_big, h.now)
    boxes = h.inbox()
    assert boxes[a][0]["code"] == "message-too-large" and boxes[a][1] == ("close", 1009)
    assert boxes[b] == [{"v": 1, "type": "peer-left", "id": f"p{a}"}]


def test_connection_rate_limit_refills_over_time() -> None:
    h = Harness(rate=2.0, burst=4.0, ip_rate=1000, ip_burst=1000)
    a = h.join("room", "alice")  # the join spends one token
    for _ in range(3):
        h.hub.receive(a, msg("ping"), h.now)
    assert [m["type"] for m in h.inbox()[a]] == ["joined", "pong", "pong", "pong"]
    h.now += 1.0  # two tokens back
    h.hub.receive(a, msg("ping"), h.now)
    h.hub.receive(a, msg("ping"), h.now)
    h.hub.receive(a, msg("ping"), h.now)
    boxes = h.inbox()[a]
    assert [m if isinstance(m, tuple) else m["type"] for m in boxes] == [
        "pong",
        "pong",
        "error",
        ("close", 4429),
    ]
    assert boxes[2]["code"] == "rate-limited"


def test_ip_rate_limit_is_shared_by_connections_of_one_address() -> None:
    h = Harness(rate=1000, burst=1000, ip_rate=1.0, ip_burst=6.0)
    a = h.join("room", "alice", ip="192.0.2.7")  # connect + join: 2 tokens
    b = h.join("room", "bob", ip="192.0.2.7")  # 2 more
    other = h.join("room", "carol", ip="198.51.100.1")
    h.inbox()
    h.hub.receive(a, msg("ping"), h.now)
    h.hub.receive(b, msg("ping"), h.now)
    h.hub.receive(b, msg("ping"), h.now)
    boxes = h.inbox()
    assert boxes[b][-1] == ("close", 4429)
    # The other address is unaffected.
    h.hub.receive(other, msg("ping"), h.now)
    assert h.inbox()[other][0]["type"] == "pong"


def test_room_full_and_room_count_limits() -> None:
    h = Harness(max_participants=2, max_rooms=2)
    h.join("one", "a")
    h.join("one", "b")
    h.inbox()
    c = h.join("one", "c")
    assert h.inbox()[c] == [
        {"v": 1, "type": "error", "code": "room-full", "message": "the room has 2 participants"},
        ("close", 4409),
    ]
    h.join("two", "d")
    e = h.join("three", "e")
    boxes = h.inbox()
    assert boxes[e][0]["code"] == "too-many-rooms" and boxes[e][1] == ("close", 4503)
    assert sorted(m["type"] for m in boxes[next(k for k in boxes if k != e)]) == ["joined"]


def test_connection_limits() -> None:
    h = Harness(max_connections_per_ip=2, max_connections=3)
    first = [h.connect("192.0.2.1") for _ in range(2)]
    third = h.connect("192.0.2.1")
    assert h.inbox() == {
        third: [
            {
                "v": 1,
                "type": "error",
                "code": "too-many-connections",
                "message": "too many connections from your address",
            },
            ("close", 4429),
        ]
    }
    h.hub.disconnect(third, h.now)
    h.connect("198.51.100.2")
    fourth = h.connect("198.51.100.3")
    assert h.inbox()[fourth][1] == ("close", 4503)
    assert all(conn not in h.inbox() for conn in first)


def test_idle_timeout_on_the_virtual_clock() -> None:
    h = Harness(idle_timeout=30.0)
    a = h.join("room", "alice")
    b = h.join("room", "bob")
    h.inbox()
    assert h.hub.get_timer() == 30.0
    h.now = 25.0
    h.hub.receive(b, msg("ping"), h.now)  # bob stays alive until 55
    h.now = 30.0
    h.hub.handle_timer(h.now)
    boxes = h.inbox()
    assert boxes[a] == [
        {
            "v": 1,
            "type": "error",
            "code": "idle-timeout",
            "message": "no message within the idle timeout",
        },
        ("close", 4408),
    ]
    assert boxes[b] == [{"v": 1, "type": "pong"}, {"v": 1, "type": "peer-left", "id": f"p{a}"}]
    assert h.hub.get_timer() == 55.0
    h.now = 55.0
    h.hub.handle_timer(h.now)
    assert h.inbox()[b][1] == ("close", 4408)


def test_ip_table_is_swept_once_buckets_refill() -> None:
    h = Harness(ip_rate=10.0, ip_burst=20.0)
    conns = [h.connect(f"192.0.2.{i}") for i in range(50)]
    assert h.hub.tracked_ips == 50
    for conn in conns:
        h.hub.disconnect(conn, h.now)
    assert h.hub.connection_count == 0
    # Each address spent one token at connect (full again after 0.1 s); the table is
    # swept at most once per second.
    assert h.hub.get_timer() == 1.0
    h.now = 1.0
    h.hub.handle_timer(h.now)
    assert h.hub.tracked_ips == 0
    assert h.hub.charge_ip("203.0.113.9", h.now) is True
    assert h.hub.tracked_ips == 1


def test_ipv6_limits_count_per_64_and_mapped_ipv4_as_ipv4() -> None:
    h = Harness(max_connections_per_ip=2, ip_burst=1000, ip_rate=1000)
    h.connect("2001:db8:1:2::1")
    h.connect("2001:db8:1:2:ffff::9")
    third = h.connect("2001:db8:1:2:abcd::3")  # same /64: refused
    other = h.connect("2001:db8:1:3::1")  # next /64: fine
    h.connect("192.0.2.5")
    h.connect("::ffff:192.0.2.5")
    mapped = h.connect("::ffff:192.0.2.5")  # the same IPv4 host
    boxes = h.inbox()
    assert boxes[third][1] == ("close", 4429) and other not in boxes
    assert boxes[mapped][1] == ("close", 4429)
    assert h.hub.tracked_ips == 3


def test_slow_reader_abort() -> None:
    h = Harness()
    a = h.join("room", "alice")
    h.inbox()
    h.hub.abort(a, "slow-consumer", "you are not reading")
    assert h.inbox()[a][1] == ("close", 1013)
    h.hub.abort(a, "slow-consumer", "twice")
    assert h.outputs() == []


operations = st.lists(
    st.one_of(
        st.tuples(st.just("connect"), st.sampled_from(["192.0.2.1", "192.0.2.2", "::1"])),
        st.tuples(st.just("join"), st.integers(0, 9), st.sampled_from(["a", "b", "c"])),
        st.tuples(st.just("relay"), st.integers(0, 9), st.integers(0, 12)),
        st.tuples(
            st.just("garbage"), st.integers(0, 9), st.text(max_size=40) | st.binary(max_size=8)
        ),
        st.tuples(st.just("leave"), st.integers(0, 9)),
        st.tuples(st.just("drop"), st.integers(0, 9)),
        st.tuples(st.just("wait"), st.floats(0, 20)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_property_any_sequence_keeps_the_hub_consistent(ops: list[tuple[Any, ...]]) -> None:
    h = Harness(max_participants=2, max_rooms=2, max_connections_per_ip=4, burst=5, rate=1)
    conns: list[int] = []
    closed: set[int] = set()
    for op in ops:
        kind = op[0]
        if kind == "connect":
            conns.append(h.connect(op[1]))
        elif kind == "wait":
            h.now += op[1]
            timer = h.hub.get_timer()
            if timer is not None and timer <= h.now:
                h.hub.handle_timer(h.now)
        elif conns:
            conn = conns[op[1] % len(conns)]
            if kind == "join":
                h.hub.receive(conn, join_text(f"room{op[1] % 3}", op[2]), h.now)
            elif kind == "relay":
                h.hub.receive(conn, msg("offer", to=f"p{op[2]}", sdp="v=0"), h.now)
            elif kind == "garbage":
                h.hub.receive(conn, op[2], h.now)
            elif kind == "leave":
                h.hub.receive(conn, msg("leave"), h.now)
            else:
                h.hub.disconnect(conn, h.now)
        for action in h.outputs():
            # Nothing is ever sent on a connection after its close.
            assert action.conn not in closed
            if isinstance(action, Close):
                closed.add(action.conn)
        rooms = [h.hub.room_members(f"room{i}") for i in range(3)]
        assert all(len(members) <= 2 for members in rooms)
        assert sum(1 for members in rooms if members) <= 2
        for members in rooms:
            assert all(int(peer[1:]) not in closed for peer in members)
