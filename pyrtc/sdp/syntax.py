"""Lexical helpers shared by the SDP line and attribute parsers (RFC 8866 section 9 grammar)."""

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
