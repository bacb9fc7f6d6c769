"""Name resolution for the shells: the server address a core is given, and the local one."""

from __future__ import annotations

import asyncio
import socket

from pyrtc.sansio import Address


async def resolve(server: Address, *, stream: bool = False) -> tuple[socket.AddressFamily, Address]:
    """The family and ``(ip, port)`` of the first address ``getaddrinfo`` gives for ``server``.

    Cores take IP literals only; ``stream`` asks for a TCP address. Raises
    ``socket.gaierror`` when the name does not resolve.
    """
    kind = socket.SOCK_STREAM if stream else socket.SOCK_DGRAM
    infos = await asyncio.get_running_loop().getaddrinfo(server[0], server[1], type=kind)
    family, _, _, _, sockaddr = infos[0]
    return family, (str(sockaddr[0]), int(sockaddr[1]))


def any_address(family: socket.AddressFamily) -> Address:
    """The wildcard address of ``family`` with an ephemeral port, to bind a client socket."""
    return ("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0)
