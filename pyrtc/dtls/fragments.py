"""DTLS handshake message framing: 12-byte header, fragmentation and reassembly (RFC 6347 §4.2.3).

A handshake message may be split into fragments carried in several records and datagrams;
fragments arrive out of order, overlap or repeat, and are reassembled per ``message_seq``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pyrtc.dtls.errors import DtlsParseError

HANDSHAKE_HEADER_LENGTH = 12
MAX_HANDSHAKE_LENGTH = 1 << 16
"""Largest handshake message we accept; WebRTC certificates are far smaller."""


@dataclass(frozen=True)
class Fragment:
    """One handshake fragment as carried in a record."""

    msg_type: int
    length: int
    message_seq: int
    offset: int
    data: bytes


# type + length (8 + 24 bits), message_seq, fragment_offset + fragment_length (24 + 24 bits)
_HEADER = struct.Struct("!IHHI")


def handshake_header(msg_type: int, length: int, seq: int, offset: int, frag_len: int) -> bytes:
    """The 12-byte DTLS handshake header (RFC 6347 §4.2.2)."""
    span = (offset << 24) | frag_len
    return _HEADER.pack((msg_type << 24) | length, seq, span >> 32, span & 0xFFFFFFFF)


def whole_message(msg_type: int, seq: int, body: bytes) -> bytes:
    """The message as a single fragment: the form that enters the transcript (RFC 6347 §4.2.6)."""
    return handshake_header(msg_type, len(body), seq, 0, len(body)) + body


def parse_fragments(data: bytes) -> list[Fragment]:
    """All handshake fragments in one record's plaintext."""
    fragments = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < HANDSHAKE_HEADER_LENGTH:
            raise DtlsParseError("truncated handshake header")
        type_length, seq, span_hi, span_lo = _HEADER.unpack_from(data, pos)
        msg_type, length = type_length >> 24, type_length & 0xFFFFFF
        span = (span_hi << 32) | span_lo
        offset, frag_len = span >> 24, span & 0xFFFFFF
        pos += HANDSHAKE_HEADER_LENGTH
        if pos + frag_len > len(data):
            raise DtlsParseError("handshake fragment runs past its record")
        if offset + frag_len > length:
            raise DtlsParseError("handshake fragment runs past its message")
        if length > MAX_HANDSHAKE_LENGTH:
            raise DtlsParseError(f"handshake message of {length} bytes is too large")
        fragments.append(Fragment(msg_type, length, seq, offset, data[pos : pos + frag_len]))
        pos += frag_len
    return fragments


def split_message(msg_type: int, seq: int, body: bytes, max_fragment: int) -> list[bytes]:
    """The message as fragments (header included) of at most ``max_fragment`` body bytes."""
    if len(body) <= max_fragment:
        return [whole_message(msg_type, seq, body)]
    step = max(1, max_fragment)
    return [
        handshake_header(msg_type, len(body), seq, offset, len(body[offset : offset + step]))
        + body[offset : offset + step]
        for offset in range(0, len(body), step)
    ]


class _Partial:
    """One message being reassembled; a byte map keeps every fragment O(its size)."""

    def __init__(self, msg_type: int, length: int) -> None:
        self.msg_type = msg_type
        self.body = bytearray(length)
        self._have = bytearray(length)
        self._missing = length
        self._seen = False

    def add(self, offset: int, data: bytes) -> None:
        end = offset + len(data)
        self.body[offset:end] = data
        self._missing -= self._have.count(0, offset, end)
        self._have[offset:end] = b"\x01" * len(data)
        self._seen = True

    @property
    def complete(self) -> bool:
        return self._seen and self._missing == 0


class Reassembler:
    """Collects fragments until the next expected handshake message is whole.

    Only messages from ``next_seq`` up to ``window`` ahead are buffered so a flood of
    fragments cannot grow memory without bound.
    """

    def __init__(self, window: int = 16) -> None:
        self.next_seq = 0
        self._window = window
        self._partial: dict[int, _Partial] = {}

    def add(self, fragment: Fragment) -> bool:
        """Buffer ``fragment``; False when it is stale or too far ahead.

        A fragment that disagrees with what is buffered for its message (type or length)
        replaces it.
        """
        if not self.next_seq <= fragment.message_seq < self.next_seq + self._window:
            return False
        partial = self._partial.get(fragment.message_seq)
        if partial is None or (
            partial.msg_type != fragment.msg_type or len(partial.body) != fragment.length
        ):
            # Newest wins: epoch-0 fragments are unauthenticated, so a forged one must not
            # block the genuine retransmission that follows.
            partial = self._partial[fragment.message_seq] = _Partial(
                fragment.msg_type, fragment.length
            )
        partial.add(fragment.offset, fragment.data)
        return True

    def peek(self) -> tuple[int, bytes] | None:
        """Type and body of the next expected message once it is complete."""
        partial = self._partial.get(self.next_seq)
        if partial is None or not partial.complete:
            return None
        return partial.msg_type, bytes(partial.body)

    def advance(self) -> None:
        """Consume the message returned by :meth:`peek`."""
        self._partial.pop(self.next_seq, None)
        self.next_seq += 1

    def reset(self, next_seq: int) -> None:
        """Expect ``next_seq`` next and drop everything buffered."""
        self._partial.clear()
        self.next_seq = next_seq
