"""Numbers from the STUN and TURN registries: methods, classes, families, error reasons."""

from __future__ import annotations

from enum import IntEnum

MAGIC_COOKIE = 0x2112A442
"""RFC 8489 §5: fixed value of the second header word."""

HEADER_LENGTH = 20
FINGERPRINT_XOR = 0x5354554E
"""RFC 8489 §14.7: the CRC-32 of the message is XOR-ed with this ("STUN")."""


class Method(IntEnum):
    """STUN methods (RFC 8489 §18.2; TURN methods from RFC 8656 §17)."""

    BINDING = 0x001
    ALLOCATE = 0x003
    REFRESH = 0x004
    SEND = 0x006
    DATA = 0x007
    CREATE_PERMISSION = 0x008
    CHANNEL_BIND = 0x009


class Class(IntEnum):
    """The two class bits of the message type (RFC 8489 §5)."""

    REQUEST = 0
    INDICATION = 1
    SUCCESS = 2
    ERROR = 3


class AddressFamily(IntEnum):
    """Address family byte of address attributes (RFC 8489 §14.1, RFC 8656 §18.8)."""

    IPV4 = 0x01
    IPV6 = 0x02


class PasswordAlgorithm(IntEnum):
    """Registered password algorithms (RFC 8489 §18.5)."""

    MD5 = 0x0001
    SHA256 = 0x0002


REASONS: dict[int, str] = {
    300: "Try Alternate",
    400: "Bad Request",
    401: "Unauthenticated",
    403: "Forbidden",
    420: "Unknown Attribute",
    437: "Allocation Mismatch",
    438: "Stale Nonce",
    440: "Address Family not Supported",
    441: "Wrong Credentials",
    442: "Unsupported Transport Protocol",
    443: "Peer Address Family Mismatch",
    486: "Allocation Quota Reached",
    500: "Server Error",
    508: "Insufficient Capacity",
}
"""Recommended reason phrases (RFC 8489 §14.8, RFC 8656 §19)."""
