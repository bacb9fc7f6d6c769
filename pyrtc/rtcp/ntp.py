"""NTP timestamps as used by RTCP, and the round-trip time from a report block.

RTCP carries wallclock time as 64-bit NTP timestamps (RFC 3550 §4): seconds since
1900-01-01 in the high 32 bits, the fraction in the low 32 bits. LSR, DLSR, LRR, DLRR and the
RFC 8888 report timestamp use the compact form: the middle 32 bits, in 1/65536 s.
"""

from __future__ import annotations

__all__ = [
    "NTP_UNIX_OFFSET",
    "ntp_middle32",
    "ntp_to_seconds",
    "rtt_from_report",
    "seconds_to_ntp",
]

NTP_UNIX_OFFSET = 2_208_988_800
"""Seconds from the NTP epoch (1900) to the Unix epoch (1970): add it to ``time.time()``."""


def ntp_to_seconds(ntp: int) -> float:
    """Seconds since the NTP epoch for a 64-bit NTP timestamp."""
    return ntp / 4294967296.0


def seconds_to_ntp(seconds: float) -> int:
    """The 64-bit NTP timestamp for ``seconds`` since the NTP epoch (rounded, mod 2**64)."""
    return round(seconds * 4294967296.0) & 0xFFFFFFFFFFFFFFFF


def ntp_middle32(ntp: int) -> int:
    """The compact NTP form: the middle 32 bits of a 64-bit timestamp (RFC 3550 §6.4.1 LSR)."""
    return (ntp >> 16) & 0xFFFFFFFF


def rtt_from_report(arrival_ntp: int, lsr: int, dlsr: int) -> float | None:
    """Round-trip time in seconds from a report block, per RFC 3550 §6.4.1.

    ``arrival_ntp`` is the 64-bit NTP time at which the report arrived, ``lsr`` and ``dlsr``
    the report block's fields. Computed modulo 2**32 in 1/65536 s; returns ``None`` when
    ``lsr`` is 0 (the reporter has not received an SR yet). A negative result means the
    report is inconsistent with the local clock and is returned as is.
    """
    if lsr == 0:
        return None
    rtt = (ntp_middle32(arrival_ntp) - lsr - dlsr) & 0xFFFFFFFF
    if rtt & 0x80000000:
        rtt -= 0x100000000
    return rtt / 65536.0
