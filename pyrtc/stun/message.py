"""The STUN message: header, attribute framing, integrity and fingerprint (RFC 8489 §5, §14).

Parsing is strict and complete: the header, every attribute's framing and every known
attribute's value are checked and decoded in :meth:`Message.parse`, so a message that parses
is well formed; anything else raises :class:`StunError`. MESSAGE-INTEGRITY(-SHA256) and
FINGERPRINT are computed by :meth:`Message.encode` and checked by
:meth:`Message.verify_integrity` / :meth:`Message.verify_fingerprint` against the bytes the
message was parsed from.
"""

from __future__ import annotations

import functools
import hmac
import os
import struct
import zlib
from collections.abc import Callable
from typing import Any, Literal, NoReturn

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

from pyrtc.stun.attributes import (
    BY_NAME,
    BY_TYPE,
    FINGERPRINT,
    MESSAGE_INTEGRITY,
    MESSAGE_INTEGRITY_SHA256,
    AttributeInput,
    Attributes,
    ErrorCode,
    Key,
    Spec,
)
from pyrtc.stun.constants import (
    FINGERPRINT_XOR,
    HEADER_LENGTH,
    MAGIC_COOKIE,
    REASONS,
    Class,
    Method,
)
from pyrtc.stun.errors import StunEncodeError, StunError

Integrity = Literal["sha1", "sha256", "both"]
"""Which integrity attribute(s) :meth:`Message.encode` appends (RFC 8489 §14.5, §14.6)."""

_HEADER = struct.Struct(">HHI12s")
_new_attributes = Attributes.__new__
_NAMES = BY_NAME.keys()
_HH = struct.Struct(">HH")
_U32 = struct.Struct(">I")
_PAD = (b"", b"\x00\x00\x00", b"\x00\x00", b"\x00")
_MI_HEADER = _HH.pack(MESSAGE_INTEGRITY, 20)
_NO_TRAILERS = (-1, -1, -1)  # offsets of MI, MI-SHA256, FINGERPRINT when absent
_FP_HEADER = _HH.pack(FINGERPRINT, 4)

# Parser view of each known type: (name, decode, min_len, max_len, role) with role
# 0 plain, 1 XOR address, 2 MESSAGE-INTEGRITY, 3 MESSAGE-INTEGRITY-SHA256, 4 FINGERPRINT.
_ROLE = {MESSAGE_INTEGRITY: 2, MESSAGE_INTEGRITY_SHA256: 3, FINGERPRINT: 4}
_PARSE: dict[int, tuple[str, Any, int, int, int]] = {
    s.code: (s.name, s.decode, s.min_len, s.max_len, 1 if s.xor else _ROLE.get(s.code, 0))
    for s in BY_TYPE.values()
}


def _parse_trailers(
    data: bytes, pos: int, append: Callable[[tuple[Key, Any]], None]
) -> tuple[int, int, int]:
    """Parse from the first integrity/fingerprint attribute on (RFC 8489 §14.5-14.7).

    Returns the offsets of MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT
    (-1 when absent). Attributes after an integrity attribute are not authenticated and are
    skipped, except a later MI-SHA256 after MI and FINGERPRINT, which must be last.
    """
    n = len(data)
    found = [-1, -1, -1]
    state = 0  # 2 after MI, 3 after MI-SHA256
    while pos < n:
        if found[2] >= 0:
            raise StunError("FINGERPRINT is not the last attribute")
        attr_type, attr_len = _HH.unpack_from(data, pos)
        end = pos + 4 + attr_len
        if end > n:
            raise StunError(f"attribute 0x{attr_type:04x} overruns the message")
        spec = _PARSE.get(attr_type)
        role = 0 if spec is None else spec[4]
        if role > state:
            name, decode, min_len, max_len, _ = spec  # type: ignore[misc]
            if not min_len <= attr_len <= max_len:
                raise StunError(f"{name} has a bad length {attr_len}")
            append((name, decode(data[pos + 4 : end])))
            found[role - 2] = pos
            state = role
        pos = end + (-attr_len & 3)
    if pos != n:
        raise StunError("an attribute overruns the message")
    return found[0], found[1], found[2]


Writer = Callable[[Any, bytes], bytes]


def _writer(spec: Spec) -> Writer:
    """A function ``(value, transaction id) -> attribute bytes`` (header, value, padding)."""
    code, encode, low, high, xor = spec.code, spec.encode, spec.min_len, spec.max_len, spec.xor
    if code in _ROLE:
        return lambda value, tid: b""  # integrity and fingerprint are computed by encode()

    def fail(length: int) -> NoReturn:
        raise StunEncodeError(f"{spec.name} is {length} bytes, not in {low}..{high}")

    if low == high and not xor:
        header = _HH.pack(code, low)
        pad = _PAD[low & 3]

        def write_fixed(value: Any, tid: bytes) -> bytes:
            raw: bytes = encode(value)
            if len(raw) != low:
                fail(len(raw))
            return header + raw + pad

        return write_fixed

    def write(value: Any, tid: bytes) -> bytes:
        raw: bytes = encode(value, tid) if xor else encode(value)
        length = len(raw)
        if length < low or length > high:
            fail(length)
        return _HH.pack(code, length) + raw + _PAD[length & 3]

    return write


_WRITERS: dict[Key, Writer] = {spec.name: _writer(spec) for spec in BY_NAME.values()}


@functools.lru_cache(maxsize=256)
def _hmac_template(key: bytes, sha256: bool) -> crypto_hmac.HMAC:
    # Keying an HMAC costs more than hashing a STUN message; sessions reuse few keys.
    return crypto_hmac.HMAC(key, hashes.SHA256() if sha256 else hashes.SHA1())


def _hmac(key: bytes, data: bytes, sha256: bool) -> bytes:
    """HMAC-SHA1 or HMAC-SHA256 of ``data`` (OpenSSL through ``cryptography``)."""
    mac = _hmac_template(bytes(key), sha256).copy()
    mac.update(data)
    return mac.finalize()


def encode_type(method: int, message_class: int) -> int:
    """The 14-bit message type: method bits M0-M11 interleaved with class bits C0, C1 (§5)."""
    return (
        ((method & 0xF80) << 2)
        | ((method & 0x070) << 1)
        | (method & 0x00F)
        | ((message_class & 2) << 7)
        | ((message_class & 1) << 4)
    )


def decode_type(message_type: int) -> tuple[int, Class]:
    """Split a message type into ``(method, class)``; known methods come back as Method."""
    method = (
        (message_type & 0x000F) | ((message_type >> 1) & 0x0070) | ((message_type >> 2) & 0x0F80)
    )
    message_class = Class(((message_type >> 7) & 2) | ((message_type >> 4) & 1))
    try:
        return Method(method), message_class
    except ValueError:
        return method, message_class


_TYPE_DECODE: dict[int, tuple[int, Class]] = {
    encode_type(m, c): (m, c) for m in Method for c in Class
}
_TYPE_ENCODE: dict[tuple[int, int], int] = {v: k for k, v in _TYPE_DECODE.items()}


def is_stun(data: bytes) -> bool:
    """Whether a datagram looks like STUN (RFC 7983 §7 demux, RFC 8489 §5 header checks).

    True when the first byte is 0..3, the magic cookie is present, and the length field is a
    multiple of 4 that matches the datagram size. It does not validate the attributes.
    """
    return (
        len(data) >= HEADER_LENGTH
        and data[0] < 4
        and data[4:8] == b"\x21\x12\xa4\x42"
        and (len(data) - HEADER_LENGTH) & 3 == 0
        and ((data[2] << 8) | data[3]) == len(data) - HEADER_LENGTH
    )


def read_header(data: bytes) -> tuple[int, Class, bytes] | None:
    """``(method, class, transaction id)`` of anything with a STUN header, else ``None``.

    Servers use it to answer 400 to a request whose attributes do not parse (RFC 8489 §6.3).
    """
    if len(data) < HEADER_LENGTH or data[0] > 3 or data[4:8] != b"\x21\x12\xa4\x42":
        return None
    method, message_class = decode_type((data[0] << 8) | data[1])
    return method, message_class, data[8:20]


class Message:
    """A STUN message: method, class, 96-bit transaction ID and attributes (RFC 8489 §5).

    ``attributes`` accepts a mapping or ``(key, value)`` pairs (use pairs to repeat an
    attribute); ``transaction_id`` defaults to 12 random bytes.
    """

    __slots__ = (
        "_raw",
        "_trailers",
        "attributes",
        "message_class",
        "method",
        "transaction_id",
    )

    def __init__(
        self,
        method: int,
        message_class: Class,
        transaction_id: bytes | None = None,
        attributes: AttributeInput = (),
    ) -> None:
        if not 0 <= method <= 0xFFF:
            raise StunEncodeError(f"method {method} does not fit in 12 bits")
        if transaction_id is None:
            transaction_id = os.urandom(12)
        elif len(transaction_id) != 12:
            raise StunEncodeError("the transaction ID is 12 bytes")
        self.method = method
        self.message_class = message_class
        self.transaction_id = (
            transaction_id if type(transaction_id) is bytes else bytes(transaction_id)
        )
        if type(attributes) is dict and attributes.keys() <= _NAMES:
            # The common case, inlined: a dict keyed by RFC names needs no normalising.
            self.attributes = _new_attributes(Attributes)
            self.attributes._entries = list(attributes.items())
        else:
            self.attributes = Attributes(attributes)
        self._raw: bytes | None = None
        self._trailers = _NO_TRAILERS

    # -- convenience constructors ------------------------------------------------------------

    @classmethod
    def success_response(cls, request: Message, attributes: AttributeInput = ()) -> Message:
        """A success response to ``request``: same method and transaction ID (RFC 8489 §6.3)."""
        return cls(request.method, Class.SUCCESS, request.transaction_id, attributes)

    @classmethod
    def error_response(
        cls,
        request: Message,
        code: int,
        reason: str | None = None,
        attributes: AttributeInput = (),
    ) -> Message:
        """An error response carrying ERROR-CODE (RFC 8489 §14.8) with the usual reason."""
        response = cls(request.method, Class.ERROR, request.transaction_id)
        phrase = REASONS.get(code, "") if reason is None else reason
        response.attributes.add("ERROR-CODE", ErrorCode(code, phrase))
        for key, value in Attributes(attributes).entries():
            response.attributes.add(key, value)
        return response

    # -- inspection -----------------------------------------------------------------------------

    @property
    def unknown_required(self) -> list[int]:
        """Types of comprehension-required attributes (0x0000-0x7FFF) pyrtc does not know.

        A server answers a request carrying any with 420 and UNKNOWN-ATTRIBUTES (§6.3.1).
        """
        return [k for k, _ in self.attributes._entries if isinstance(k, int) and k < 0x8000]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return (
            self.method == other.method
            and self.message_class == other.message_class
            and self.transaction_id == other.transaction_id
            and self.attributes == other.attributes
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        method = self.method.name if isinstance(self.method, Method) else hex(self.method)
        return (
            f"Message({method} {self.message_class.name}, "
            f"transaction_id={self.transaction_id.hex()}, {self.attributes._entries!r})"
        )

    # -- wire format ----------------------------------------------------------------------------

    @classmethod
    def parse(cls, data: bytes) -> Message:
        """Decode one STUN message (RFC 8489 §5, §14); raise :class:`StunError` if malformed.

        Attributes that follow MESSAGE-INTEGRITY (other than MESSAGE-INTEGRITY-SHA256 and
        FINGERPRINT) or MESSAGE-INTEGRITY-SHA256 (other than FINGERPRINT) are not
        authenticated and are dropped, as §14.5 and §14.6 require; FINGERPRINT must be last.
        """
        try:
            if data.__class__ is not bytes:
                data = bytes(data)
            n = len(data)
            if n < HEADER_LENGTH:
                raise StunError(f"{n} bytes is shorter than the STUN header")
            message_type, length, cookie, tid = _HEADER.unpack_from(data)
            if message_type > 0x3FFF:
                raise StunError("the two most significant bits must be zero")
            if cookie != MAGIC_COOKIE:
                raise StunError("no magic cookie")
            if length != n - HEADER_LENGTH or length & 3:
                raise StunError(f"length field {length} does not match {n - HEADER_LENGTH} bytes")
            decoded = _TYPE_DECODE.get(message_type)
            method, message_class = decoded if decoded else decode_type(message_type)

            entries: list[tuple[Key, Any]] = []
            append = entries.append
            unpack_from = _HH.unpack_from
            specs = _PARSE
            pos = HEADER_LENGTH
            while pos < n:
                attr_type, attr_len = unpack_from(data, pos)
                start = pos + 4
                end = start + attr_len
                spec = specs.get(attr_type)
                if spec is None:
                    append((attr_type, data[start:end]))
                else:
                    name, decode, min_len, max_len, role = spec
                    if not min_len <= attr_len <= max_len:
                        raise StunError(f"{name} has a bad length {attr_len}")
                    if not role:
                        append((name, decode(data[start:end])))
                    elif role == 1:
                        append((name, decode(data[start:end], tid)))
                    else:
                        break
                # An attribute that overruns the message makes pos > n: rejected below.
                pos = end + (-attr_len & 3)
            rest = n - pos
            if rest == 0:
                trailers = _NO_TRAILERS
            elif (
                rest == 32
                and data[pos : pos + 4] == _MI_HEADER
                and data[n - 8 : n - 4] == _FP_HEADER
            ):
                # The usual ICE trailer, MESSAGE-INTEGRITY then FINGERPRINT, without the loop.
                append(("MESSAGE-INTEGRITY", data[pos + 4 : pos + 24]))
                append(("FINGERPRINT", int.from_bytes(data[n - 4 :])))
                trailers = (pos, -1, pos + 24)
            elif rest > 0:
                trailers = _parse_trailers(data, pos, append)
            else:
                raise StunError("an attribute overruns the message")
        except StunError:
            raise
        except (struct.error, ValueError, OSError, IndexError) as exc:
            raise StunError(f"malformed STUN message: {exc}") from exc

        message = cls.__new__(cls)
        message.method = method
        message.message_class = message_class
        message.transaction_id = tid
        message.attributes = attributes = _new_attributes(Attributes)
        attributes._entries = entries
        message._raw = data
        message._trailers = trailers
        return message

    def encode(
        self,
        integrity_key: bytes | None = None,
        fingerprint: bool = False,
        integrity: Integrity = "sha1",
    ) -> bytes:
        """Serialise the message (RFC 8489 §5, §14).

        With ``integrity_key``, MESSAGE-INTEGRITY (HMAC-SHA1, §14.5), MESSAGE-INTEGRITY-SHA256
        (§14.6) or both (``integrity``) are appended; with ``fingerprint``, FINGERPRINT
        (§14.7) comes last. Integrity and fingerprint attributes already in ``attributes``
        (e.g. from a parsed message) are never copied: they are recomputed or left out.
        Padding bytes are zero.
        """
        tid = self.transaction_id
        parts: list[bytes] = []
        append = parts.append
        writers = _WRITERS
        key: Key = ""
        value: Any = None
        try:
            for key, value in self.attributes._entries:
                writer = writers.get(key)
                if writer is not None:
                    append(writer(value, tid))
                else:  # an attribute pyrtc does not know: raw bytes under its type
                    raw = bytes(value)
                    append(_HH.pack(key, len(raw)) + raw + _PAD[len(raw) & 3])
        except StunEncodeError:
            raise
        except (struct.error, ValueError, TypeError, OSError, OverflowError) as exc:
            raise StunEncodeError(f"{key}: cannot encode {value!r}: {exc}") from exc
        body = b"".join(parts)
        message_type = _TYPE_ENCODE.get((self.method, self.message_class))
        if message_type is None:
            message_type = encode_type(self.method, self.message_class)
        head = message_type.to_bytes(2)
        tail = b"\x21\x12\xa4\x42" + tid
        if integrity_key is not None:
            if integrity not in ("sha1", "sha256", "both"):
                raise StunEncodeError(f"integrity must be sha1, sha256 or both, not {integrity!r}")
            if integrity != "sha256":
                length = len(body) + 24
                mac = _hmac(integrity_key, head + length.to_bytes(2) + tail + body, False)
                body += _MI_HEADER + mac
            if integrity != "sha1":
                length = len(body) + 36
                mac = _hmac(integrity_key, head + length.to_bytes(2) + tail + body, True)
                body += _HH.pack(MESSAGE_INTEGRITY_SHA256, 32) + mac
        if len(body) + 8 * fingerprint > 0xFFFF:
            raise StunEncodeError("message longer than 65535 bytes")
        if fingerprint:
            message = head + (len(body) + 8).to_bytes(2) + tail + body
            crc = zlib.crc32(message) ^ FINGERPRINT_XOR
            return message + _FP_HEADER + _U32.pack(crc)
        return head + len(body).to_bytes(2) + tail + body

    # -- verification ---------------------------------------------------------------------------

    def verify_integrity(self, key: bytes) -> bool:
        """Check MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256 with ``key`` (RFC 8489 §14.5-6).

        Each HMAC covers the message up to its own attribute with the length field rewritten
        to end just after it, so a FINGERPRINT (or MI-SHA256) that follows does not matter.
        True only if the parsed message has at least one of them and every one present
        matches (compared in constant time). Messages that were not parsed have no wire form
        to check and return False.
        """
        raw = self._raw
        mi_pos, mi256_pos, _ = self._trailers
        if raw is None or (mi_pos < 0 and mi256_pos < 0):
            return False
        for pos, sha256 in ((mi_pos, False), (mi256_pos, True)):
            if pos < 0:
                continue
            mac_len = (raw[pos + 2] << 8) | raw[pos + 3]
            covered = raw[:2] + (pos - HEADER_LENGTH + 4 + mac_len).to_bytes(2) + raw[4:pos]
            expected = _hmac(key, covered, sha256)[:mac_len]
            if not hmac.compare_digest(expected, raw[pos + 4 : pos + 4 + mac_len]):
                return False
        return True

    def verify_fingerprint(self) -> bool:
        """Check FINGERPRINT: CRC-32 of everything before it, XOR 0x5354554E (RFC 8489 §14.7).

        False when the message has no FINGERPRINT or was not parsed.
        """
        raw = self._raw
        pos = self._trailers[2]
        if raw is None or pos < 0:
            return False
        return bool(zlib.crc32(raw[:pos]) ^ FINGERPRINT_XOR == _U32.unpack_from(raw, pos + 4)[0])
