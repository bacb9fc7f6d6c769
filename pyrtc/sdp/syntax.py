"""Lexical helpers shared by the SDP parsers and the value constructors (RFC 8866 section 9)."""

from __future__ import annotations

import re

from pyrtc.sdp.errors import SdpError

# token-char of RFC 8866 section 9: visible ASCII except "(),/:;<=>?@[\]
TOKEN = re.compile(r"[!#-'*+\-.0-9A-Z^-~]+")
_DECIMAL = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")
_MAX_DIGITS = 40  # bounds int() work; no SDP number is longer (sess-id is at most 2**64)


def parse_uint(text: str, what: str, maximum: int) -> int:
    """A decimal number without sign in 0..maximum, or :class:`SdpError`."""
    if len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        raise SdpError(f"{what} {text!r} is not a decimal number")
    value = int(text)
    if value > maximum:
        raise SdpError(f"{what} {value} is larger than {maximum}")
    return value


def parse_decimal(text: str, what: str) -> float:
    """A non-negative integer or real such as ``20`` or ``2.5`` (RFC 8866 ptime/framerate)."""
    if not _DECIMAL.fullmatch(text):
        raise SdpError(f"{what} {text!r} is not a decimal number")
    return float(text)


def check_decimal(value: float, what: str) -> None:
    """Raise :class:`SdpError` unless ``value`` is one :func:`parse_decimal` can read back."""
    if not (value >= 0 and _DECIMAL.fullmatch(format_decimal(value))):
        raise SdpError(f"{what} {value!r} is not a non-negative decimal of at most 9+9 digits")


def format_decimal(value: float) -> str:
    """The shortest text :func:`parse_decimal` reads back as ``value``."""
    value = float(value)  # an int is a valid float argument but has no is_integer() on 3.11
    return str(int(value)) if value.is_integer() else repr(value)


def check_token(text: str, what: str) -> str:
    """Return ``text`` if it is an RFC 8866 token, else raise :class:`SdpError`."""
    if not TOKEN.fullmatch(text):
        raise SdpError(f"{what} {text!r} is not a token")
    return text


def split_fields(text: str, what: str, minimum: int, maximum: int | None = None) -> list[str]:
    """Split on whitespace, checking the number of fields (``maximum`` None: unbounded)."""
    fields = text.split()
    if len(fields) < minimum or (maximum is not None and len(fields) > maximum):
        wanted = str(minimum) if maximum == minimum else f"{minimum} or more"
        if maximum is not None and maximum != minimum:
            wanted = f"{minimum} to {maximum}"
        raise SdpError(f"{what} has {len(fields)} fields, expected {wanted}")
    return fields


def check_range(value: int, what: str, low: int, high: int) -> None:
    """Raise :class:`SdpError` unless ``low <= value <= high``."""
    if not low <= value <= high:
        raise SdpError(f"{what} {value} is outside {low}..{high}")


def check_word(text: str, what: str) -> str:
    """Return ``text`` if it is one non-empty field: no whitespace, CR, LF or NUL."""
    if text.split() != [text] or "\0" in text:
        raise SdpError(f"{what} {text!r} is not a single non-empty field")
    return text


def check_text(text: str, what: str) -> str:
    """Return ``text`` if it is non-empty, without surrounding whitespace, CR, LF or NUL."""
    if not text:
        raise SdpError(f"{what} is empty")
    if text != text.strip() or "\r" in text or "\n" in text or "\0" in text:
        raise SdpError(f"{what} {text!r} has surrounding whitespace, CR, LF or NUL")
    return text


def check_line_text(text: str, what: str) -> str:
    """Return ``text`` if it holds no CR, LF or NUL (the rest of a line, kept verbatim)."""
    if "\r" in text or "\n" in text or "\0" in text:
        raise SdpError(f"{what} {text!r} holds CR, LF or NUL")
    return text
