"""STUN credentials: OpaqueString preparation and the integrity keys (RFC 8489 §9, §14.4).

``opaque_string`` implements the PRECIS OpaqueString profile (RFC 8265 §4.2) with the
standard library's ``unicodedata``:

* preparation/enforcement: non-ASCII spaces (category Zs) become U+0020, then NFC;
* the FreeformClass (RFC 8264 §4.3) is approximated by general category: letters, marks,
  numbers, symbols, punctuation and spaces are allowed; controls (Cc), format characters
  (Cf), surrogates, private use, unassigned code points (as known to this Python's Unicode
  database), line/paragraph separators, default-ignorable code points, noncharacters and old
  Hangul conjoining jamo are rejected with :class:`PrecisError`; so is an empty result.

Not implemented: the CONTEXTJ rules for ZERO WIDTH (NON-)JOINER (they are simply rejected)
and PRECIS's own derived-property tables (the category approximation can differ for a few
compatibility characters).
"""

from __future__ import annotations

import hashlib
import unicodedata

from pyrtc.stun.constants import PasswordAlgorithm
from pyrtc.stun.errors import PrecisError, StunEncodeError

_IGNORABLE = (  # Default_Ignorable_Code_Point ranges (Unicode DerivedCoreProperties)
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_OLD_HANGUL_JAMO = (  # Hangul_Syllable_Type L, V and T (RFC 8264 §9.9)
    (0x1100, 0x11FF),
    (0xA960, 0xA97C),
    (0xD7B0, 0xD7C6),
    (0xD7CB, 0xD7FB),
)
_DISALLOWED_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))


def _in(ranges: tuple[tuple[int, int], ...], cp: int) -> bool:
    return any(low <= cp <= high for low, high in ranges)


def _disallowed(char: str) -> bool:
    cp = ord(char)
    return (
        unicodedata.category(char) in _DISALLOWED_CATEGORIES
        or _in(_IGNORABLE, cp)
        or _in(_OLD_HANGUL_JAMO, cp)
        or 0xFDD0 <= cp <= 0xFDEF
        or cp & 0xFFFE == 0xFFFE
    )


def opaque_string(value: str) -> str:
    """Prepare and enforce ``value`` with the PRECIS OpaqueString profile (RFC 8265 §4.2)."""
    if value.isascii():
        # Fast path: ASCII is NFC already and has no non-ASCII spaces.
        mapped = value
    else:
        spaced = "".join(" " if c != " " and unicodedata.category(c) == "Zs" else c for c in value)
        mapped = unicodedata.normalize("NFC", spaced)
    if not mapped:
        raise PrecisError("OpaqueString: empty string")
    for char in mapped:
        if _disallowed(char):
            raise PrecisError(f"OpaqueString: disallowed code point U+{ord(char):04X}")
    return mapped


def short_term_key(password: str) -> bytes:
    """Short-term credential key: OpaqueString(password) in UTF-8 (RFC 8489 §9.1.1)."""
    return opaque_string(password).encode()


def long_term_key(
    username: str,
    realm: str,
    password: str,
    algorithm: PasswordAlgorithm = PasswordAlgorithm.MD5,
) -> bytes:
    """Long-term credential key (RFC 8489 §9.2.2, §18.5.1).

    ``MD5(username ":" OpaqueString(realm) ":" OpaqueString(password))`` or the same with
    SHA-256 for :attr:`PasswordAlgorithm.SHA256`; the username is prepared with OpaqueString
    as it is before being put in USERNAME.
    """
    text = f"{opaque_string(username)}:{opaque_string(realm)}:{opaque_string(password)}"
    if algorithm == PasswordAlgorithm.MD5:
        return hashlib.md5(text.encode(), usedforsecurity=False).digest()
    if algorithm == PasswordAlgorithm.SHA256:
        return hashlib.sha256(text.encode()).digest()
    raise StunEncodeError(f"unsupported password algorithm {algorithm!r}")


def userhash(username: str, realm: str) -> bytes:
    """USERHASH value: ``SHA-256(OpaqueString(username) ":" realm)`` (RFC 8489 §14.4)."""
    return hashlib.sha256(f"{opaque_string(username)}:{realm}".encode()).digest()
