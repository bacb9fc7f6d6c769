"""Batched UDP I/O (pyrtc.net.batch, pyrtc._native.udpbatch) over real loopback sockets."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc._native import udpbatch
from pyrtc.net import batch

Datagram = tuple[bytes, tuple[str, int]]
Recv = Callable[[socket.socket, int, int], list[Datagram]]
Send = Callable[[socket.socket, Sequence[tuple[bytes, tuple[str, int] | None]]], int]

BUFFER = 4 << 20
RECEIVERS: dict[str, Recv] = {
    "native": lambda s, n, size: udpbatch.recv_many(s.fileno(), n, size),
    "python": batch.py_recv_many,
}
SENDERS: dict[str, Send] = {
    "native": lambda s, datagrams: udpbatch.send_many(s.fileno(), datagrams),
    "python": batch.py_send_many,
}

pytestmark = pytest.mark.skipif(not udpbatch.AVAILABLE, reason="recvmmsg/sendmmsg: Linux only")


def _socket(family: socket.AddressFamily, host: str) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFFER)
    sock.bind((host, 0))
    sock.setblocking(False)
    return sock


@pytest.fixture(params=[(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")], ids=["v4", "v6"])
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[socket.socket, socket.socket]]:
    family, host = request.param
    a, b = _socket(family, host), _socket(family, host)
    yield a, b
    a.close()
    b.close()


def _address(sock: socket.socket) -> tuple[str, int]:
    name = sock.getsockname()
    return (name[0], name[1])


def _drain(recv: Recv, sock: socket.socket, expected: int, bufsize: int = 65536) -> list[Datagram]:
    """Everything that arrived, up to ``expected`` datagrams (loopback delivers at once)."""
    received: list[Datagram] = []
    for _ in range(expected + 2):
        batch_ = recv(sock, 64, bufsize)
        if not batch_:
            break
        received.extend(batch_)
    return received


@pytest.mark.parametrize("recv_impl", sorted(RECEIVERS))
@pytest.mark.parametrize("send_impl", sorted(SENDERS))
def test_round_trip_sizes(
    pair: tuple[socket.socket, socket.socket], send_impl: str, recv_impl: str
) -> None:
    a, b = pair
    largest = 65507 if a.family == socket.AF_INET else 65527  # 65535 - IP/UDP headers
    payloads = [b"", b"\x01", os.urandom(1200), os.urandom(largest)] * 5
    target = _address(b)
    assert SENDERS[send_impl](a, [(p, target) for p in payloads]) == len(payloads)
    received = _drain(RECEIVERS[recv_impl], b, len(payloads))
    assert [data for data, _ in received] == payloads
    assert {addr for _, addr in received} == {_address(a)}


def test_many_datagrams_in_chunks(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    payloads = [i.to_bytes(2, "big") * (i % 600) for i in range(300)]  # > CHUNK per call
    assert len(payloads) > udpbatch.CHUNK
    assert batch.send_many(a, [(p, _address(b)) for p in payloads]) == 300
    received: list[Datagram] = []
    for _ in range(10):
        got = batch.recv_many(b, 64)
        assert len(got) <= 64
        received.extend(got)
    assert [data for data, _ in received] == payloads
    assert batch.recv_many(b) == []


def test_two_destinations_in_one_call(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    c = _socket(a.family, _address(a)[0])
    with c:
        datagrams = [(b"to b %d" % i, _address(b)) for i in range(3)]
        datagrams += [(b"to c %d" % i, _address(c)) for i in range(3)]
        datagrams.append((b"to b again", _address(b)))
        assert batch.send_many(a, datagrams) == 7
        assert [d for d, _ in batch.recv_many(b)] == [
            b"to b 0",
            b"to b 1",
            b"to b 2",
            b"to b again",
        ]
        assert [d for d, _ in batch.recv_many(c)] == [b"to c 0", b"to c 1", b"to c 2"]


@pytest.mark.parametrize("send_impl", sorted(SENDERS))
def test_none_sends_to_the_connected_peer(
    pair: tuple[socket.socket, socket.socket], send_impl: str
) -> None:
    a, b = pair
    a.connect(_address(b))
    assert SENDERS[send_impl](a, [(b"one", None), (b"two", _address(b)), (b"three", None)]) == 3
    assert batch.recv_many(b) == [(d, _address(a)) for d in (b"one", b"two", b"three")]
    with _socket(a.family, _address(a)[0]) as unconnected, pytest.raises(OSError):
        SENDERS[send_impl](unconnected, [(b"nowhere", None)])  # no peer: EDESTADDRREQ


def test_source_addresses_of_two_senders(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    c = _socket(a.family, _address(a)[0])
    with c:
        for sender in (a, c, a, c):
            batch.send_many(sender, [(b"x", _address(b))])
        sources = [addr for _, addr in batch.recv_many(b)]
        assert sources == [_address(a), _address(c), _address(a), _address(c)]


@pytest.mark.parametrize("recv_impl", sorted(RECEIVERS))
def test_nothing_waiting_returns_empty(
    pair: tuple[socket.socket, socket.socket], recv_impl: str
) -> None:
    _, b = pair
    assert RECEIVERS[recv_impl](b, 64, 2048) == []
    b.setblocking(True)  # MSG_DONTWAIT: a blocking socket does not block either
    assert RECEIVERS[recv_impl](b, 64, 2048) == []


@pytest.mark.parametrize("recv_impl", sorted(RECEIVERS))
def test_truncated_datagrams_are_dropped_and_counted(
    pair: tuple[socket.socket, socket.socket], recv_impl: str
) -> None:
    a, b = pair
    before = batch.truncated_count()
    batch.send_many(a, [(b"a" * 100, _address(b)), (b"b" * 101, _address(b)), (b"c", _address(b))])
    assert [d for d, _ in RECEIVERS[recv_impl](b, 64, 100)] == [b"a" * 100, b"c"]
    assert batch.truncated_count() == before + 1


@pytest.mark.parametrize("recv_impl", sorted(RECEIVERS))
def test_icmp_error_is_raised_once(recv_impl: str) -> None:
    closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed.bind(("127.0.0.1", 0))
    dead = _address(closed)
    closed.close()
    with _socket(socket.AF_INET, "127.0.0.1") as a:
        a.connect(dead)  # a connected UDP socket reports ICMP port unreachable
        assert batch.send_many(a, [(b"lost", dead)]) == 1
        with pytest.raises(ConnectionRefusedError):
            RECEIVERS[recv_impl](a, 64, 2048)
        assert RECEIVERS[recv_impl](a, 64, 2048) == []


@pytest.mark.parametrize("send_impl", sorted(SENDERS))
def test_send_error_on_first_datagram_raises(send_impl: str) -> None:
    a = _socket(socket.AF_INET, "127.0.0.1")
    with a, pytest.raises(OSError):  # IPv6 destination on an IPv4 socket
        SENDERS[send_impl](a, [(b"x", ("::1", 9))])


def test_not_a_socket_raises_oserror() -> None:
    read_end, write_end = os.pipe()
    try:
        with pytest.raises(OSError):
            udpbatch.recv_many(read_end)
        with pytest.raises(OSError):
            udpbatch.send_many(write_end, [(b"x", ("127.0.0.1", 9))])
    finally:
        os.close(read_end)
        os.close(write_end)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"max_datagrams": 0}, ValueError),
        ({"max_datagrams": udpbatch.MAX_DATAGRAMS + 1}, ValueError),
        ({"bufsize": 0}, ValueError),
        ({"bufsize": udpbatch.MAX_BUFSIZE + 1}, ValueError),
        ({"max_datagrams": "8"}, TypeError),
        ({"max_datagrams": 1 << 70}, OverflowError),
    ],
)
def test_recv_bad_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    sock = _socket(socket.AF_INET, "127.0.0.1")
    with sock, pytest.raises(error):
        udpbatch.recv_many(sock.fileno(), **kwargs)  # type: ignore[arg-type]
    if error is ValueError:
        with _socket(socket.AF_INET, "127.0.0.1") as other, pytest.raises(ValueError):
            batch.py_recv_many(other, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        udpbatch.recv_many(-1)


BAD_ENTRIES: list[tuple[object, type[Exception]]] = [
    ("not a tuple", TypeError),
    ((b"x",), TypeError),
    ((b"x", ("127.0.0.1", 9), 1), TypeError),
    (("str payload", ("127.0.0.1", 9)), TypeError),
    ((bytearray(b"x"), ("127.0.0.1", 9)), TypeError),
    ((b"x", "127.0.0.1:9"), TypeError),
    ((b"x", ("127.0.0.1",)), TypeError),
    ((b"x", (b"127.0.0.1", 9)), TypeError),
    ((b"x", ("127.0.0.1", 9.0)), TypeError),
    ((b"x", ("127.0.0.1", "9")), TypeError),
    ((b"x", ("127.0.0.1", 65536)), ValueError),
    ((b"x", ("127.0.0.1", -1)), ValueError),
    ((b"x", ("localhost", 9)), ValueError),
    ((b"x", ("256.0.0.1", 9)), ValueError),
    ((b"x", ("127.0.0.1\0", 9)), ValueError),
    ((b"x", ("::g", 9)), ValueError),
    ((b"x", ("h\u00e9", 9)), ValueError),
    ((b"x", ("", 9)), ValueError),
]


@pytest.mark.parametrize("send_impl", sorted(SENDERS))
@pytest.mark.parametrize(("entry", "error"), BAD_ENTRIES)
def test_send_bad_entries_send_nothing(
    pair: tuple[socket.socket, socket.socket],
    send_impl: str,
    entry: object,
    error: type[Exception],
) -> None:
    a, b = pair
    good = (b"good", _address(b))
    with pytest.raises(error):
        SENDERS[send_impl](a, [good, entry])  # type: ignore[list-item]
    assert batch.recv_many(b) == []


def test_send_bad_containers() -> None:
    with _socket(socket.AF_INET, "127.0.0.1") as a:
        with pytest.raises(TypeError):
            udpbatch.send_many(a.fileno(), 5)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            udpbatch.send_many(a.fileno(), None)  # type: ignore[arg-type]
        assert udpbatch.send_many(a.fileno(), []) == 0
        with pytest.raises(ValueError):
            udpbatch.send_many(-1, [])


@settings(max_examples=40)
@given(
    payloads=st.lists(st.binary(max_size=1500), max_size=150),
    send_impl=st.sampled_from(sorted(SENDERS)),
    recv_impl=st.sampled_from(sorted(RECEIVERS)),
)
def test_native_and_fallback_agree(payloads: list[bytes], send_impl: str, recv_impl: str) -> None:
    a, b = _socket(socket.AF_INET, "127.0.0.1"), _socket(socket.AF_INET, "127.0.0.1")
    with a, b:
        assert SENDERS[send_impl](a, [(p, _address(b)) for p in payloads]) == len(payloads)
        received = _drain(RECEIVERS[recv_impl], b, len(payloads), 2048)
        assert received == [(p, _address(a)) for p in payloads]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.parametrize("offload", [False, True], ids=["plain", "gso-gro"])
def test_no_leak_over_many_calls(pair: tuple[socket.socket, socket.socket], offload: bool) -> None:
    a, b = pair
    if offload:
        assert batch.enable_gro(b)
    datagrams = [(os.urandom(1200), _address(b)) for _ in range(31)] + [(b"tail", _address(b))]
    bad = [*datagrams[:3], (b"x", ("not an address", 1))]

    def cycle() -> None:
        assert batch.send_many(a, datagrams, gso=offload) == 32
        assert len(_drain(batch.recv_many, b, 32)) == 32
        with pytest.raises(ValueError):
            batch.send_many(a, bad)

    for _ in range(200):  # warm-up: the receive scratch buffer reaches its size
        cycle()
    before = _rss_bytes()
    for _ in range(3000):  # leaking one 1200 B payload per datagram would be 115 MB
        cycle()
    assert _rss_bytes() - before < 4 << 20


# -- segmentation offload (GSO) and receive coalescing (GRO) ----------------------------------


def _gro_socket(family: socket.AddressFamily, host: str) -> socket.socket:
    sock = _socket(family, host)
    assert batch.enable_gro(sock)
    return sock


def test_gso_sends_one_coalesced_message(pair: tuple[socket.socket, socket.socket]) -> None:
    """The kernel really segments: a GRO socket read with plain ``recvmsg`` gets one buffer
    carrying the run and its segment size (UDP_GRO control message)."""
    a, _ = pair
    b = _gro_socket(a.family, _address(a)[0])
    with b:
        run = [os.urandom(1000) for _ in range(5)] + [os.urandom(300)]
        assert batch.send_many(a, [(p, _address(b)) for p in run], gso=True) == 6
        data, ancillary, _, _ = b.recvmsg(65536, 64)
        assert data == b"".join(run)
        ((level, kind, value),) = ancillary
        assert (level, kind) == (udpbatch.SOL_UDP_LEVEL, udpbatch.UDP_GRO_OPTION)
        assert int.from_bytes(value[:4], "little") == 1000
    assert batch.gso_available()


@pytest.mark.parametrize("gro", [False, True], ids=["plain", "gro"])
def test_gso_runs_arrive_as_the_same_datagrams(
    pair: tuple[socket.socket, socket.socket], gro: bool
) -> None:
    a, b = pair
    if gro:
        assert batch.enable_gro(b)
    sizes = [1200] * 70 + [500, 1200, 1200, 0, 0, 7, 7, 7, 9] + [1500] * 3 + [1400]
    payloads = [os.urandom(n) for n in sizes]  # runs longer than MAX_SEGMENTS, empty ones
    assert len([s for s in sizes if s == 1200]) > udpbatch.MAX_SEGMENTS
    assert batch.send_many(a, [(p, _address(b)) for p in payloads], gso=True) == len(payloads)
    received = _drain(batch.recv_many, b, len(payloads))
    assert received == [(p, _address(a)) for p in payloads]


def test_gso_runs_stop_at_a_new_destination(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    c = _gro_socket(a.family, _address(a)[0])
    assert batch.enable_gro(b)
    with c:
        to_b = [os.urandom(800) for _ in range(4)]
        to_c = [os.urandom(800) for _ in range(4)]
        datagrams = [(p, _address(b)) for p in to_b[:2]] + [(p, _address(c)) for p in to_c]
        datagrams += [(p, _address(b)) for p in to_b[2:]]
        assert batch.send_many(a, datagrams, gso=True) == 8
        assert [d for d, _ in _drain(batch.recv_many, b, 4)] == to_b
        assert [d for d, _ in _drain(batch.recv_many, c, 4)] == to_c


def test_gso_on_a_connected_socket(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    a.connect(_address(b))
    assert batch.enable_gro(b)
    payloads = [os.urandom(1100) for _ in range(40)]
    assert batch.send_many(a, [(p, None) for p in payloads], gso=True) == 40
    assert [d for d, _ in _drain(batch.recv_many, b, 40)] == payloads


def test_gro_run_longer_than_the_buffer_is_dropped_and_counted() -> None:
    a, b = _socket(socket.AF_INET, "127.0.0.1"), _gro_socket(socket.AF_INET, "127.0.0.1")
    with a, b:
        before = batch.truncated_count()
        batch.send_many(a, [(bytes(1000), _address(b))] * 10, gso=True)
        assert batch.recv_many(b, 64, 2048) == []  # the 10 kB run does not fit 2 kB
        assert batch.truncated_count() == before + 1


_FALLBACK = """
import socket
from pyrtc.net import batch
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b.bind(("127.0.0.1", 0))
b.setblocking(False)
a.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK: the kernel refuses GSO (EINVAL)
payloads = [bytes([i]) * 1000 for i in range(5)]
assert batch.gso_available()
assert batch.send_many(a, [(p, b.getsockname()) for p in payloads], gso=True) == 5
assert not batch.gso_available()
assert [d for d, _ in batch.recv_many(b, 64, 65536)] == payloads
print("ok")
"""


def test_gso_refused_by_the_kernel_falls_back_to_plain_datagrams() -> None:
    """Run in a child: the fallback switches GSO off for the whole process."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _FALLBACK], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@settings(max_examples=40)
@given(
    sizes=st.lists(st.sampled_from([0, 1, 99, 100, 1200, 1201, 9000]), max_size=200),
    gro=st.booleans(),
)
def test_gso_and_gro_deliver_what_plain_sends_deliver(sizes: list[int], gro: bool) -> None:
    a, b = _socket(socket.AF_INET, "127.0.0.1"), _socket(socket.AF_INET, "127.0.0.1")
    with a, b:
        if gro:
            assert batch.enable_gro(b)
        payloads = [os.urandom(n) for n in sizes]
        assert batch.send_many(a, [(p, _address(b)) for p in payloads], gso=True) == len(sizes)
        received = _drain(batch.recv_many, b, len(payloads))
        assert received == [(p, _address(a)) for p in payloads]
