"""SRTP protection profiles and their key sizes (RFC 5764 §4.1.2, RFC 6188, RFC 7714 §14)."""

from __future__ import annotations

import enum

from pyrtc._native.srtp import PROFILES


class Profile(enum.IntEnum):
    """An SRTP protection profile; the value is its DTLS-SRTP identifier.

    The four profiles WebRTC negotiates carry their IANA "DTLS-SRTP Protection Profiles"
    numbers, so ``Profile(selected_id)`` maps the DTLS ``use_srtp`` extension to a profile.
    RFC 6188's AES-256 counter-mode suites have no DTLS-SRTP code point (IANA lists
    0x0003-0x0004 as unassigned); they are usable with keys agreed out of band and carry
    values above 0xFFFF so they can never be mistaken for a wire value.
    """

    AES_CM_128_HMAC_SHA1_80 = 0x0001
    AES_CM_128_HMAC_SHA1_32 = 0x0002
    AEAD_AES_128_GCM = 0x0007
    AEAD_AES_256_GCM = 0x0008
    AES_256_CM_HMAC_SHA1_80 = 0x1_0003
    AES_256_CM_HMAC_SHA1_32 = 0x1_0004

    @property
    def is_aead(self) -> bool:
        """True for the AES-GCM profiles of RFC 7714 (no separate HMAC)."""
        return PROFILES[self][0]

    @property
    def key_length(self) -> int:
        """Master key length in bytes."""
        return PROFILES[self][1]

    @property
    def salt_length(self) -> int:
        """Master salt length in bytes (14 for AES-CM, 12 for AES-GCM)."""
        return PROFILES[self][2]

    @property
    def rtp_tag_length(self) -> int:
        """Bytes SRTP appends to each RTP packet (authentication tag)."""
        return PROFILES[self][3]

    @property
    def rtcp_tag_length(self) -> int:
        """Authentication tag bytes of SRTCP (80 bits even for the _32 profiles)."""
        return PROFILES[self][4]

    @property
    def dtls_srtp_id(self) -> int | None:
        """The DTLS-SRTP protection profile number, or None when IANA has none."""
        return int(self) if self <= 0xFFFF else None

    @property
    def keying_material_length(self) -> int:
        """Bytes to export from DTLS with label "EXTRACTOR-dtls_srtp" (RFC 5764 §4.2)."""
        return 2 * (self.key_length + self.salt_length)
