"""The seam between the ICE agent and the TURN client: relayed candidates (RFC 8445 5.1.1.2).

A :class:`Relay` is one :class:`pyrtc.turn.TurnClient` allocation made from one local base.
The agent treats the relayed address as one more base: checks, responses and data "sent
from" it go through :meth:`TurnClient.send`, and what the client relays back arrives as if
received on it. Only UDP to the TURN server is used (the client then shares the base's
socket); TURN over TCP/TLS needs a stream socket per server and is not wired in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from pyrtc.ice.events import Transmit
from pyrtc.sansio import Address
from pyrtc.turn import TurnClient

__all__ = ["Relay", "TurnServer"]


class TurnServer(NamedTuple):
    """A TURN server to allocate a relayed candidate on: its IP address and port and the
    long-term credentials (RFC 8656 section 9.2 via RFC 8489 section 9.2)."""

    address: Address
    username: str
    password: str


@dataclass(eq=False)
class Relay:
    """One allocation: the TURN client, the base its datagrams leave from, the result."""

    client: TurnClient
    base: Address
    server: TurnServer
    relayed: Address | None = None
    done: bool = False
    """The allocation succeeded or failed: gathering need not wait for it any more."""

    @classmethod
    def start(cls, server: TurnServer, base: Address, now: float) -> Relay:
        client = TurnClient(server.address, server.username, server.password)
        client.allocate(now)
        return cls(client, base, server)

    def transmits(self, now: float) -> list[Transmit]:
        """What the client sends to its server, from the base socket."""
        return [
            Transmit(data, addr, self.base) for data, addr in self.client.datagrams_to_send(now)
        ]
