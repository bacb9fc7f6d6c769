"""Credential keys (RFC 8489 §9.1, §9.2, §14.4) and the OpaqueString profile (RFC 8265 §4.2)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyrtc.stun import (
    PasswordAlgorithm,
    PrecisError,
    StunEncodeError,
    long_term_key,
    opaque_string,
    short_term_key,
    userhash,
)


@pytest.mark.parametrize(
    ("raw", "prepared"),
    [
        ("correct horse", "correct horse"),
        ("pass\u00a0word", "pass word"),  # NO-BREAK SPACE maps to U+0020
        ("\u3000ideographic", " ideographic"),
        ("e\u0301", "\u00e9"),  # NFC composes
        ("\u212b", "\u00c5"),  # ANGSTROM SIGN is NFC-normalised to A WITH RING
        ("\u2168", "\u2168"),  # no NFKC: ROMAN NUMERAL NINE stays
        ("\u00aa", "\u00aa"),
        ("\u30de\u30c8\u30ea\u30c3\u30af\u30b9", "\u30de\u30c8\u30ea\u30c3\u30af\u30b9"),
    ],
)
def test_opaque_string_preparation(raw: str, prepared: str) -> None:
    assert opaque_string(raw) == prepared


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "tab\there",  # control
        "nul\x00",
        "soft\u00adhyphen",  # default ignorable
        "zero\u200bwidth",
        "bom\ufeff",
        "private\ue000",  # private use
        "line\u2028sep",
        "jamo\u1100",  # old Hangul conjoining jamo
        "nonchar\ufdd0",
        "nonchar\U0001fffe",
        "unassigned\U000e0080",
    ],
)
def test_opaque_string_rejects(bad: str) -> None:
    with pytest.raises(PrecisError):
        opaque_string(bad)


@settings(max_examples=200)
@given(st.text(max_size=30))
def test_opaque_string_is_idempotent_or_rejects(text: str) -> None:
    try:
        once = opaque_string(text)
    except PrecisError:
        return
    assert opaque_string(once) == once


def test_keys() -> None:
    assert short_term_key("VOkJxbRl1RmTxUk/WvJxBt") == b"VOkJxbRl1RmTxUk/WvJxBt"
    assert short_term_key("pa\u00a0ss") == b"pa ss"
    md5 = long_term_key("user", "realm", "pass")
    assert md5 == hashlib.md5(b"user:realm:pass").digest()
    assert md5.hex() == "8493fbc53ba582fb4c044c456bdc40eb"
    sha = long_term_key("user", "realm", "pass", PasswordAlgorithm.SHA256)
    assert sha == hashlib.sha256(b"user:realm:pass").digest()
    assert userhash("user", "realm") == hashlib.sha256(b"user:realm").digest()
    with pytest.raises(StunEncodeError):
        long_term_key("user", "realm", "pass", 3)  # type: ignore[arg-type]
