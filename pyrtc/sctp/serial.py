"""Serial number arithmetic for TSNs (32 bit) and SSNs (16 bit) (RFC 9260 §1.6, RFC 1982)."""

from __future__ import annotations


def tsn_gt(a: int, b: int) -> bool:
    """``a > b`` in 32-bit serial number arithmetic."""
    return a != b and ((a - b) & 0xFFFFFFFF) < 0x80000000


def tsn_ge(a: int, b: int) -> bool:
    """``a >= b`` in 32-bit serial number arithmetic."""
    return ((a - b) & 0xFFFFFFFF) < 0x80000000


def tsn_add(a: int, n: int) -> int:
    """``a + n`` modulo 2**32."""
    return (a + n) & 0xFFFFFFFF


def tsn_diff(a: int, b: int) -> int:
    """Signed distance ``a - b`` between two TSNs (valid within 2**31)."""
    d = (a - b) & 0xFFFFFFFF
    return d - 0x100000000 if d >= 0x80000000 else d


def ssn_gt(a: int, b: int) -> bool:
    """``a > b`` in 16-bit serial number arithmetic."""
    return a != b and ((a - b) & 0xFFFF) < 0x8000
