"""Generic NACK FCI entries: lost RTP sequence numbers <-> PID/BLP pairs (RFC 4585 §6.2.1).

Each pair names a lost packet ``pid`` and a 16-bit mask ``blp`` whose bit ``i`` marks packet
``pid + i + 1`` as lost too; sequence numbers are taken modulo 2**16.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

__all__ = ["circular_order", "lost_from_nack_pairs", "nack_pairs_from_lost"]


def circular_order(seqs: Iterable[int]) -> list[int]:
    """Distinct sequence numbers (mod 2**16) in ascending order across wraparound.

    The order starts just after the widest gap between the numbers, so 65534, 0, 65535, 1
    comes out as 65534, 65535, 0, 1.
    """
    ordered = sorted({seq & 0xFFFF for seq in seqs})
    if not ordered or ordered[-1] - ordered[0] < 0x8000:
        return ordered  # no wrap: the gap across 65535 -> 0 is the widest
    start = 0
    widest = ordered[0] + 0x10000 - ordered[-1]
    for i in range(1, len(ordered)):
        gap = ordered[i] - ordered[i - 1]
        if gap > widest:
            widest = gap
            start = i
    return ordered[start:] + ordered[:start]


def nack_pairs_from_lost(lost: Iterable[int]) -> list[tuple[int, int]]:
    """Encode lost sequence numbers as the fewest ``(pid, blp)`` pairs, across wraparound.

    Duplicates are ignored. Numbers are covered greedily in :func:`circular_order`, which is
    minimal whenever the widest gap between them exceeds 16 (any realistic loss set).
    """
    pairs = []
    pid = blp = -1
    for seq in circular_order(lost):
        offset = (seq - pid - 1) & 0xFFFF
        if pid >= 0 and offset < 16:
            blp |= 1 << offset
        else:
            if pid >= 0:
                pairs.append((pid, blp))
            pid, blp = seq, 0
    if pid >= 0:
        pairs.append((pid, blp))
    return pairs


@lru_cache(maxsize=4096)
def _blp_offsets(blp: int) -> tuple[int, ...]:
    return tuple(bit + 1 for bit in range(16) if blp >> bit & 1)


def lost_from_nack_pairs(pairs: Iterable[tuple[int, int]]) -> list[int]:
    """Expand ``(pid, blp)`` pairs into lost sequence numbers, in wire order, without repeats."""
    lost: dict[int, None] = {}
    for pid, blp in pairs:
        lost[pid & 0xFFFF] = None
        for offset in _blp_offsets(blp & 0xFFFF):
            lost[(pid + offset) & 0xFFFF] = None
    return list(lost)
