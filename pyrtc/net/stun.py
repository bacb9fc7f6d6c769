"""asyncio STUN: a Binding probe (like ``turnutils_stunclient``) and a Binding server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from dataclasses import dataclass

from pyrtc.errors import Error
from pyrtc.net.driver import DatagramDriver, open_driver
from pyrtc.net.resolve import any_address, resolve
from pyrtc.sansio import Address
from pyrtc.stun import (
    BindingServer,
    Class,
    ClientTransaction,
    Message,
    Method,
    ResponseReceived,
)
from pyrtc.stun.transaction import DEFAULT_RTO, RC


class BindingTimeout(Error, TimeoutError):
    """The server did not answer the Binding request in time."""


class BindingFailed(Error):
    """The server answered with an error response or without a mapped address."""

    def __init__(self, message: str, response: Message) -> None:
        super().__init__(message)
        self.response = response


@dataclass(frozen=True)
class BindingResult:
    """Outcome of :func:`stun_binding`."""

    mapped_address: Address
    """The server-reflexive transport address: where the server saw the request come from."""
    local_address: Address
    """The address the probing socket was bound to."""
    server: Address
    """The server address the request was sent to (resolved)."""
    rtt: float
    """Seconds from the first transmission to the response."""
    response: Message


async def stun_binding(
    server: Address,
    *,
    timeout: float | None = None,
    rto: float = DEFAULT_RTO,
    max_sends: int = RC,
    local_addr: Address | None = None,
    software: str | None = None,
) -> BindingResult:
    """Send a Binding request to ``server`` and return the reflexive address and RTT.

    Retransmits per RFC 8489 §6.2.1 (``rto``, ``max_sends``); ``timeout`` caps the whole
    exchange in seconds. Raises :class:`BindingTimeout` or :class:`BindingFailed`.
    """
    loop = asyncio.get_running_loop()
    try:
        family, target = await resolve(server)
    except socket.gaierror as exc:
        raise Error(f"cannot resolve {server[0]}: {exc}") from exc
    if local_addr is None:
        local_addr = any_address(family)
    attributes = {} if software is None else {"SOFTWARE": software}
    request = Message(Method.BINDING, Class.REQUEST, attributes=attributes)
    transaction = ClientTransaction(request, target, loop.time(), rto=rto, max_sends=max_sends)
    driver = await open_driver(transaction, local_addr)
    try:
        async with asyncio.timeout(timeout):
            event = await driver.events.get()
        local = driver.local_address
    except TimeoutError as exc:
        raise BindingTimeout(f"no answer from {target[0]}:{target[1]} in {timeout} s") from exc
    finally:
        driver.close()
    if not isinstance(event, ResponseReceived):
        raise BindingTimeout(
            f"no answer from {target[0]}:{target[1]} after {transaction.stats.transmissions} "
            "requests"
        )
    response = event.response
    if response.message_class is Class.ERROR:
        error = response.attributes.get("ERROR-CODE")
        detail = "without ERROR-CODE" if error is None else f"{error.code} {error.reason}"
        raise BindingFailed(f"error response {detail}", response)
    mapped = response.attributes.get(
        "XOR-MAPPED-ADDRESS", response.attributes.get("MAPPED-ADDRESS")
    )
    if mapped is None:
        raise BindingFailed("success response without a mapped address", response)
    return BindingResult(mapped, local, target, event.rtt, response)


async def serve_stun(
    host: str = "127.0.0.1",
    port: int = 3478,
    *,
    software: str | None = None,
    passwords: Mapping[str, str] | None = None,
) -> DatagramDriver[BindingServer]:
    """Start a STUN Binding server on ``host:port`` (port 0 picks a free one).

    Returns the running driver: ``driver.local_address`` is where it listens,
    ``driver.core.stats`` counts what it did, ``driver.close()`` stops it.
    """
    return await open_driver(BindingServer(software=software, passwords=passwords), (host, port))
