"""The checklist of the ICE agent: pair states, unfreezing and check scheduling.

RFC 8445 sections 6.1.2.6 (initial states by foundation), 6.1.4.2 (which check goes next),
7.2.5.3.3 (a success unfreezes pairs of the same foundation) and 7.3.1.4 (the triggered-check
queue). Pair formation and pruning are :func:`pyrtc.ice.pairs.form_checklist`'s job.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from pyrtc.ice.candidate import Candidate
from pyrtc.ice.pairs import CandidatePair, candidate_base
from pyrtc.sansio import Address

__all__ = ["CheckPair", "Checklist", "PairState"]


class PairState(enum.Enum):
    """Candidate pair states (RFC 8445 section 6.1.2.6)."""

    FROZEN = "frozen"
    WAITING = "waiting"
    IN_PROGRESS = "in-progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


_PENDING = (PairState.FROZEN, PairState.WAITING, PairState.IN_PROGRESS)


@dataclass(eq=False)
class CheckPair:
    """A pair of the checklist: a local host/relay candidate (its base) and a remote one."""

    local: Candidate
    remote: Candidate
    priority: int
    state: PairState = PairState.FROZEN
    nominate_on_success: bool = False
    """The controlled agent got USE-CANDIDATE while the pair was not yet valid (7.3.1.5)."""

    @property
    def base(self) -> Address:
        return candidate_base(self.local)

    @property
    def remote_addr(self) -> Address:
        return (self.remote.address, self.remote.port)

    @property
    def key(self) -> tuple[Address, Address]:
        return (self.base, self.remote_addr)

    @property
    def foundation(self) -> tuple[str, str]:
        return (self.local.foundation, self.remote.foundation)

    def set_priority(self, controlling: bool) -> None:
        self.priority = CandidatePair(self.local, self.remote).priority(controlling)


class Checklist:
    """One checklist (a single data stream and component) and its triggered-check queue."""

    def __init__(self) -> None:
        self.pairs: list[CheckPair] = []
        self._by_key: dict[tuple[Address, Address], CheckPair] = {}
        self.triggered: deque[CheckPair] = deque()

    def find(self, base: Address, remote: Address) -> CheckPair | None:
        return self._by_key.get((base, remote))

    def merge(self, formed: Iterable[CandidatePair], controlling: bool) -> None:
        """Add the pairs of a freshly formed checklist that are not in it yet.

        A new pair starts Waiting when no pair of its foundation is pending, or when one of
        them succeeded already (section 7.2.5.3.3); otherwise Frozen (sections 6.1.2.6 and,
        for trickled candidates, RFC 8838 section 10).
        """
        for candidate_pair in formed:
            pair = CheckPair(candidate_pair.local, candidate_pair.remote, 0)
            if pair.key in self._by_key:
                continue
            pair.set_priority(controlling)
            states = {p.state for p in self.pairs if p.foundation == pair.foundation}
            if PairState.SUCCEEDED in states or not states & set(_PENDING):
                pair.state = PairState.WAITING
            self.add(pair)
        self.sort()

    def add(self, pair: CheckPair) -> None:
        self.pairs.append(pair)
        self._by_key[pair.key] = pair

    def sort(self) -> None:
        self.pairs.sort(key=lambda p: p.priority, reverse=True)

    def reprioritize(self, controlling: bool) -> None:
        """Recompute pair priorities after a role switch (section 7.2.5.1)."""
        for pair in self.pairs:
            pair.set_priority(controlling)
        self.sort()

    def trigger(self, pair: CheckPair) -> None:
        """Put ``pair`` in the triggered-check queue (section 7.3.1.4), once."""
        pair.state = PairState.WAITING
        if pair not in self.triggered:
            self.triggered.append(pair)

    def unfreeze(self, foundation: tuple[str, str]) -> None:
        """A check succeeded: Frozen pairs of the same foundation become Waiting."""
        for pair in self.pairs:
            if pair.state is PairState.FROZEN and pair.foundation == foundation:
                pair.state = PairState.WAITING

    def next_check(self, take: bool = True) -> CheckPair | None:
        """The pair to check at this Ta tick (section 6.1.4.2), or None.

        The triggered queue first; then the highest-priority Waiting pair; then the
        highest-priority Frozen pair whose foundation has nothing Waiting or In-Progress.
        With ``take`` false the triggered queue is left as it is (a peek).
        """
        while self.triggered:
            pair = self.triggered[0]
            if pair.state is PairState.WAITING:
                if take:
                    self.triggered.popleft()
                return pair
            self.triggered.popleft()
        for pair in self.pairs:
            if pair.state is PairState.WAITING:
                return pair
        busy = {
            p.foundation
            for p in self.pairs
            if p.state in (PairState.WAITING, PairState.IN_PROGRESS)
        }
        for pair in self.pairs:
            if pair.state is PairState.FROZEN and pair.foundation not in busy:
                return pair
        return None

    @property
    def pending(self) -> bool:
        """Whether some pair has not reached Succeeded or Failed yet."""
        return any(p.state in _PENDING for p in self.pairs)

    def stop(self) -> None:
        """Nomination done (section 8.1.2): drop Frozen and Waiting pairs and the queue."""
        self.triggered.clear()
        for pair in [p for p in self.pairs if p.state in (PairState.FROZEN, PairState.WAITING)]:
            self.pairs.remove(pair)
            del self._by_key[pair.key]
