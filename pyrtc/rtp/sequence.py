"""Wraparound arithmetic for RTP sequence numbers (16 bit) and timestamps (32 bit).

RFC 3550 §A.1 extends the 16-bit sequence number with a count of wraps. The unwrappers here
do the same for any width: each value is placed at the extended position nearest the
previous one (forward if less than half the range ahead, backward otherwise), so reordered
packets either side of a wrap get the right extended number.
"""

from __future__ import annotations


def _newer(a: int, b: int, bits: int) -> bool:
    half = 1 << (bits - 1)
    delta = (a - b) & ((1 << bits) - 1)
    if delta == half:  # exactly opposite: break the tie by value, as libwebrtc does
        return a > b
    return 0 < delta < half


def seq_newer(a: int, b: int) -> bool:
    """Whether 16-bit sequence number ``a`` comes after ``b`` (modulo 2**16)."""
    return _newer(a, b, 16)


def timestamp_newer(a: int, b: int) -> bool:
    """Whether 32-bit RTP timestamp ``a`` comes after ``b`` (modulo 2**32)."""
    return _newer(a, b, 32)


class Unwrapper:
    """Maps ``bits``-wide wrapping counter values to an unbounded (extended) counter.

    The first value maps to itself; values that arrive later map next to the previous one.
    A packet older than the first one seen can map below zero.
    """

    def __init__(self, bits: int) -> None:
        self._bits = bits
        self._modulus = 1 << bits
        self._last: int | None = None

    def unwrap(self, value: int) -> int:
        """The extended counter value of ``value`` (0 <= value < 2**bits)."""
        if not 0 <= value < self._modulus:
            raise ValueError(f"{value} is not a {self._bits}-bit value")
        last = self._last
        if last is None:
            self._last = value
            return value
        delta = (value - last) % self._modulus
        if _newer(value, last % self._modulus, self._bits) or delta == 0:
            extended = last + delta
        else:
            extended = last + delta - self._modulus
        self._last = extended
        return extended


class SequenceUnwrapper(Unwrapper):
    """Unwrapper for 16-bit RTP sequence numbers."""

    def __init__(self) -> None:
        super().__init__(16)


class TimestampUnwrapper(Unwrapper):
    """Unwrapper for 32-bit RTP timestamps."""

    def __init__(self) -> None:
        super().__init__(32)
