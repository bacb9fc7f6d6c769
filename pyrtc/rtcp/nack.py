"""Generic NACK FCI entries: lost RTP sequence numbers <-> PID/BLP pairs (RFC 4585 §6.2.1).

Each pair names a lost packet ``pid`` and a 16-bit mask ``blp`` whose bit ``i`` marks packet
``pid + i + 1`` as lost too; sequence numbers are taken modulo 2**16.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["lost_from_nack_pairs", "nack_pairs_from_lost"]


def nack_pairs_from_lost(lost: Iterable[int]) -> list[tuple[int, int]]:
    """Encode lost sequence numbers as the fewest ``(pid, blp)`` pairs, across wraparound.

    Duplicates are ignored. The numbers are walked in circular order starting just after the
    widest gap between them, so a run such as 65534, 65535, 0, 1 becomes one pair; greedy
    covering from there is minimal whenever that gap exceeds 16 (any realistic loss set).
    """
    seqs = sorted({seq & 0xFFFF for seq in lost})
    if not seqs:
        return []
    start = 0
    widest = seqs[0] + 0x10000 - seqs[-1]
    for i in range(1, len(seqs)):
        gap = seqs[i] - seqs[i - 1]
        if gap > widest:
            widest = gap
            start = i
    ordered = seqs[start:] + [seq + 0x10000 for seq in seqs[:start]]
    pairs = []
    pid = ordered[0]
    blp = 0
    for seq in ordered[1:]:
        offset = seq - pid - 1
        if offset < 16:
            blp |= 1 << offset
        else:
            pairs.append((pid & 0xFFFF, blp))
            pid = seq
            blp = 0
    pairs.append((pid & 0xFFFF, blp))
    return pairs


def lost_from_nack_pairs(pairs: Iterable[tuple[int, int]]) -> list[int]:
    """Expand ``(pid, blp)`` pairs into lost sequence numbers, in wire order, without repeats."""
    lost: dict[int, None] = {}
    for pid, blp in pairs:
        lost[pid] = None
        bit = 0
        while blp:
            if blp & 1:
                lost[(pid + bit + 1) & 0xFFFF] = None
            blp >>= 1
            bit += 1
    return list(lost)
