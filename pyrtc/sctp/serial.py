"""Serial number arithmetic for TSNs (32 bit) and SSNs (16 bit) (RFC 9260 §1.6, RFC 1982)."""

from __future__ import annotations


def tsn_gt(a: int, b: int) -> bool:
    """``a > b`` in 32-bit serial number arithmetic."""
    return a != b and ((a - b) & 0xFFFFFFFF) < 0x80000000


def tsn_ge(a: int, b: int) -> bool:
    """``a >= b`` in 32-bit serial number arithmetic."""
    return ((a - b) & 0xFFFFFFFF) < 0x80000000


def ssn_gt(a: int, b: int) -> bool:
    """``a > b`` in 16-bit serial number arithmetic."""
    return a != b and ((a - b) & 0xFFFF) < 0x8000
