"""Batched UDP I/O for the asyncio shells: many datagrams per system call.

:func:`recv_many` and :func:`send_many` use Linux ``recvmmsg``/``sendmmsg`` through
:mod:`pyrtc._native.udpbatch` (up to 64 messages per call) and fall back to one
``recvmsg``/``sendto`` per datagram elsewhere. Both variants behave alike; the
``py_`` functions are the fallback, public so tests can compare the two.

On Linux two kernel offloads cut the per-datagram cost further: ``send_many(...,
gso=True)`` sends each run of equal-sized datagrams to one destination as one
``UDP_SEGMENT`` message (UDP GSO), and a socket passed to :func:`enable_gro` receives
such runs coalesced (UDP GRO), which :func:`recv_many` splits again. On loopback the pair
moves a 1200-byte datagram for about a tenth of what ``sendmmsg``/``recvmmsg`` cost.

Both take a non-blocking-or-not UDP socket and never block. Addresses are ``(host, port)``
with a numeric host (IPv6 link-local hosts carry ``%scope``).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

from pyrtc._native import udpbatch

__all__ = [
    "NATIVE",
    "enable_gro",
    "gso_available",
    "py_recv_many",
    "py_send_many",
    "recv_many",
    "send_many",
    "truncated_count",
]

Datagram = tuple[bytes, tuple[str, int]]
Outgoing = tuple[bytes, tuple[str, int] | None]
"""A datagram to send; ``None`` for the connected peer of a connected socket."""

NATIVE: bool = udpbatch.AVAILABLE
"""Whether :func:`recv_many`/:func:`send_many` use ``recvmmsg``/``sendmmsg``."""

_py_truncated = 0


def truncated_count() -> int:
    """Datagrams dropped so far (both variants) because they were longer than ``bufsize``."""
    return udpbatch.truncated_count() + _py_truncated


def gso_available() -> bool:
    """Whether ``send_many(..., gso=True)`` segments in the kernel (see :func:`send_many`)."""
    return NATIVE and udpbatch.gso_available()


def enable_gro(sock: socket.socket) -> bool:
    """Let the kernel hand ``sock``'s incoming datagrams to :func:`recv_many` in coalesced
    runs (``UDP_GRO``, Linux 5.0+); ``False`` where that is not possible. Such a socket
    must be read with ``bufsize=65536``: a shorter buffer truncates whole runs."""
    if not NATIVE:
        return False  # the per-datagram fallback cannot split runs
    try:
        sock.setsockopt(udpbatch.SOL_UDP_LEVEL, udpbatch.UDP_GRO_OPTION, 1)
    except OSError:
        return False
    return True


def recv_many(sock: socket.socket, max_datagrams: int = 64, bufsize: int = 2048) -> list[Datagram]:
    """Receive up to ``max_datagrams`` waiting messages: ``[(payload, (host, port)), ...]``.

    ``[]`` when nothing is waiting. On a socket with :func:`enable_gro` a message can be a
    coalesced run, returned as its datagrams. A message longer than ``bufsize`` is dropped
    and counted (:func:`truncated_count`). ``OSError`` for a socket error (e.g. an ICMP
    port-unreachable queued on it) when no datagram came before it.
    """
    if NATIVE:
        return udpbatch.recv_many(sock.fileno(), max_datagrams, bufsize)
    return py_recv_many(sock, max_datagrams, bufsize)


def send_many(sock: socket.socket, datagrams: Sequence[Outgoing], gso: bool = False) -> int:
    """Send ``[(payload, (host, port)), ...]``; return how many leading datagrams were sent.

    With ``gso``, consecutive equal-sized datagrams to one destination (the last of a run
    may be shorter) leave as one segmentation-offload message; the receiver sees the same
    datagrams. Where the kernel refuses that, GSO is switched off for the process
    (:func:`gso_available`) and nothing is lost.

    An address of ``None`` sends to a connected socket's peer: cheaper than naming it, as
    the kernel then reuses the socket's cached route instead of looking one up per datagram.

    It stops early when the socket would block or when a datagram fails after others were
    sent: sending the rest again raises that datagram's ``OSError``. The caller decides
    what the rest means (UDP: usually dropped). ``OSError`` when the first datagram fails
    other than by blocking; ``TypeError``/``ValueError`` for a malformed entry, before
    anything is sent.
    """
    if NATIVE:
        return udpbatch.send_many(sock.fileno(), datagrams, gso)
    return py_send_many(sock, datagrams)


def py_recv_many(
    sock: socket.socket, max_datagrams: int = 64, bufsize: int = 2048
) -> list[Datagram]:
    """:func:`recv_many` with one ``recvmsg`` per datagram (the portable fallback)."""
    global _py_truncated
    if not 1 <= max_datagrams <= udpbatch.MAX_DATAGRAMS:
        raise ValueError(f"max_datagrams must be 1..{udpbatch.MAX_DATAGRAMS}")
    if not 1 <= bufsize <= udpbatch.MAX_BUFSIZE:
        raise ValueError(f"bufsize must be 1..{udpbatch.MAX_BUFSIZE}")
    received: list[Datagram] = []
    for _ in range(max_datagrams):
        try:
            data, _ancillary, flags, addr = sock.recvmsg(bufsize, 0, socket.MSG_DONTWAIT)
        except BlockingIOError:
            break
        except OSError:
            if received:  # reported by the next call, as recvmmsg does
                break
            raise
        if flags & socket.MSG_TRUNC:
            _py_truncated += 1
            continue
        received.append((data, (addr[0], addr[1])))
    return received


def py_send_many(sock: socket.socket, datagrams: Sequence[Outgoing]) -> int:
    """:func:`send_many` with one ``sendto`` per datagram (the portable fallback)."""
    items = list(datagrams)
    for item in items:
        _check(item)
    for sent, (data, addr) in enumerate(items):
        try:
            if addr is None:
                sock.send(data, socket.MSG_DONTWAIT)
            else:
                sock.sendto(data, socket.MSG_DONTWAIT, addr)
        except BlockingIOError:
            return sent
        except OSError:
            if sent:
                return sent
            raise
    return len(items)


def _check(item: object) -> None:
    """The same entry checks as the native ``send_many`` (numeric hosts, exact types)."""
    if type(item) is not tuple or len(item) != 2:
        raise TypeError(f"each datagram must be a (bytes, (host, port)) tuple, got {item!r}")
    data, addr = item
    if type(data) is not bytes:
        raise TypeError(f"payload must be bytes, got {type(data).__name__}")
    if addr is None:
        return
    if type(addr) is not tuple or len(addr) != 2:
        raise TypeError(f"address must be a (host, port) tuple, got {addr!r}")
    host, port = addr
    if type(host) is not str:
        raise TypeError(f"host must be str, got {type(host).__name__}")
    if type(port) is not int:
        raise TypeError(f"port must be int, got {type(port).__name__}")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be 0..65535, got {port}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        socket.inet_pton(family, host.partition("%")[0])
    except (OSError, ValueError) as exc:
        raise ValueError(f"not a numeric IP address: {host!r}") from exc
