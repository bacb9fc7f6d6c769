"""Two point-to-point cores wired back to back in memory with a virtual clock.

For examples, tests and the benchmark (SCTP associations or data channel managers): packets
go straight from one core to the other with no delay, and when both are quiet the clock
jumps to the earliest timer. An optional ``drop`` predicate lets a test lose chosen packets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from pyrtc.sansio import ConnectionCore, Event

C = TypeVar("C", bound=ConnectionCore)


class MemoryPair(Generic[C]):
    """Drive ``client`` and ``server`` against each other until a condition holds."""

    def __init__(
        self,
        client: C,
        server: C,
        drop: Callable[[bytes], bool] | None = None,
        now: float = 0.0,
    ) -> None:
        self.client = client
        self.server = server
        self.drop = drop
        self.now = now
        self.client_events: list[Event] = []
        self.server_events: list[Event] = []

    def exchange(self) -> int:
        """Move packets both ways at the current time until neither side sends; count them."""
        moved = 0
        while True:
            batch = 0
            for src, dst in ((self.client, self.server), (self.server, self.client)):
                for packet in src.datagrams_to_send(self.now):
                    batch += 1
                    if self.drop is None or not self.drop(packet):
                        dst.receive(packet, self.now)
            self._collect()
            moved += batch
            if not batch:
                return moved

    def _collect(self) -> None:
        for core, sink in ((self.client, self.client_events), (self.server, self.server_events)):
            while (event := core.next_event()) is not None:
                sink.append(event)

    def run(self, until: Callable[[], bool], timeout: float = 60.0) -> bool:
        """Exchange and fire timers until ``until()`` is true or ``timeout`` virtual seconds pass.

        Returns whether the condition was met.
        """
        deadline = self.now + timeout
        while True:
            self.exchange()
            if until():
                return True
            timers = [
                t for t in (self.client.get_timer(), self.server.get_timer()) if t is not None
            ]
            if not timers or min(timers) > deadline:
                return False
            self.now = max(self.now, min(timers))
            for core in (self.client, self.server):
                timer = core.get_timer()
                if timer is not None and timer <= self.now:
                    core.handle_timer(self.now)
