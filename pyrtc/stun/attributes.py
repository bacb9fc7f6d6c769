"""STUN attribute codecs (RFC 8489 §14, RFC 8445 §16.1, RFC 8656 §18) and the attribute list.

Every known attribute has a :class:`Spec`: its length bounds, a decoder that checks the
content the RFC prescribes (raising :class:`StunError`) and an encoder. Values by attribute:

* address attributes (MAPPED-ADDRESS, XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS,
  XOR-RELAYED-ADDRESS, ALTERNATE-SERVER): ``(host, port)`` with a textual IPv4/IPv6 host;
* USERNAME, REALM, NONCE, SOFTWARE, ALTERNATE-DOMAIN: ``str``;
* USERHASH, MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256, DATA, RESERVATION-TOKEN: ``bytes``;
* PRIORITY, LIFETIME, FINGERPRINT, ICE-CONTROLLED, ICE-CONTROLLING, CHANNEL-NUMBER,
  REQUESTED-TRANSPORT, REQUESTED-ADDRESS-FAMILY, ADDITIONAL-ADDRESS-FAMILY: ``int``;
* USE-CANDIDATE, DONT-FRAGMENT: ``None`` (presence is the information); EVEN-PORT: ``bool``;
* ERROR-CODE: :class:`ErrorCode`; ADDRESS-ERROR-CODE: :class:`AddressErrorCode`;
  ICMP: :class:`Icmp`; UNKNOWN-ATTRIBUTES: ``tuple[int, ...]``;
  PASSWORD-ALGORITHM: ``(algorithm, parameters)``; PASSWORD-ALGORITHMS: a tuple of those.

Attributes pyrtc does not know are kept as raw ``bytes`` under their numeric type.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any, NamedTuple

from pyrtc.stun.constants import MAGIC_COOKIE
from pyrtc.stun.errors import StunEncodeError, StunError

Key = str | int
"""An attribute key: its RFC name, or its numeric type when pyrtc does not know it."""

AttributeInput = Mapping[str, Any] | Mapping[Key, Any] | Iterable[tuple[Key, Any]]
"""What constructors accept: a mapping, or ``(key, value)`` pairs (which may repeat keys)."""


class ErrorCode(NamedTuple):
    """Value of ERROR-CODE (RFC 8489 §14.8): a code in 300..699 and a reason phrase."""

    code: int
    reason: str = ""


class AddressErrorCode(NamedTuple):
    """Value of ADDRESS-ERROR-CODE (RFC 8656 §18.13): the family the error is about."""

    family: int
    code: int
    reason: str = ""


class Icmp(NamedTuple):
    """Value of ICMP (RFC 8656 §18.14): an ICMP error seen by the TURN server."""

    type: int
    code: int
    data: int = 0


class Spec(NamedTuple):
    """How one attribute type is framed and coded.

    ``decode(raw)`` / ``encode(value)`` take and return the value bytes; when ``xor`` is
    set they also take the transaction ID (XOR address attributes, RFC 8489 §14.2). The
    value length must lie in ``min_len..max_len`` both ways; the parser checks it before
    calling ``decode``, which checks whatever else the RFC says about the content.
    """

    code: int
    name: str
    decode: Callable[..., Any]
    encode: Callable[..., bytes]
    min_len: int
    max_len: int
    xor: bool = False


_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_HH = struct.Struct(">HH")
_COOKIE_BYTES = _U32.pack(MAGIC_COOKIE)
_COOKIE_HIGH = MAGIC_COOKIE >> 16
_MAX_TEXT = 762  # "fewer than 763 bytes": REALM, NONCE, SOFTWARE, reason phrases (§14)
_MAX_USERNAME = 512  # RFC 5389 "less than 513 bytes" (RFC 8489 tightened it to 509)


# -- addresses (RFC 8489 §14.1, §14.2) ---------------------------------------------------------


def _decode_address(raw: bytes) -> tuple[str, int]:
    if len(raw) == 8 and raw[1] == 1:
        return socket.inet_ntop(socket.AF_INET, raw[4:]), (raw[2] << 8) | raw[3]
    if len(raw) == 20 and raw[1] == 2:
        return socket.inet_ntop(socket.AF_INET6, raw[4:]), (raw[2] << 8) | raw[3]
    raise StunError(f"bad address: family {raw[1]} with {len(raw)} bytes")


def _encode_address(value: tuple[str, int]) -> bytes:
    host, port = value
    if ":" in host:
        return b"\x00\x02" + _U16.pack(port) + socket.inet_pton(socket.AF_INET6, host)
    return b"\x00\x01" + _U16.pack(port) + socket.inet_pton(socket.AF_INET, host)


def _xor(raw: bytes, tid: bytes) -> bytes:
    """Apply (or undo: it is an involution) the XOR of RFC 8489 §14.2 to an address value."""
    port = ((raw[2] << 8) | raw[3]) ^ _COOKIE_HIGH
    if len(raw) == 8:
        address = (int.from_bytes(raw[4:8]) ^ MAGIC_COOKIE).to_bytes(4)
    else:
        address = (int.from_bytes(raw[4:20]) ^ int.from_bytes(_COOKIE_BYTES + tid)).to_bytes(16)
    return raw[:2] + _U16.pack(port) + address


def _decode_xor_address(raw: bytes, tid: bytes) -> tuple[str, int]:
    if len(raw) != 8 and len(raw) != 20:
        raise StunError(f"bad XOR address length {len(raw)}")
    return _decode_address(_xor(raw, tid))


def _encode_xor_address(value: tuple[str, int], tid: bytes) -> bytes:
    return _xor(_encode_address(value), tid)


# -- small values ------------------------------------------------------------------------------


def _decode_ascii(raw: bytes) -> str:
    return raw.decode("ascii")


def _encode_ascii(value: str) -> bytes:
    return value.encode("ascii")


def _decode_none(raw: bytes) -> None:
    return None


def _encode_none(value: None) -> bytes:
    if value is not None:
        raise StunEncodeError("this attribute carries no value; use None")
    return b""


def _decode_first_byte(raw: bytes) -> int:
    return raw[0]


def _encode_first_byte(value: int) -> bytes:
    return bytes((value, 0, 0, 0))


def _decode_channel(raw: bytes) -> int:
    return (raw[0] << 8) | raw[1]


def _encode_channel(value: int) -> bytes:
    return _U16.pack(value) + b"\x00\x00"


def _decode_even_port(raw: bytes) -> bool:
    return raw[0] >= 0x80


def _encode_even_port(value: bool) -> bytes:
    return b"\x80" if value else b"\x00"


def _decode_integrity_sha256(raw: bytes) -> bytes:
    if len(raw) & 3:
        raise StunError(f"MESSAGE-INTEGRITY-SHA256 of {len(raw)} bytes, not a multiple of 4")
    return raw


def _encode_integrity_sha256(value: bytes) -> bytes:
    return _decode_integrity_sha256(bytes(value))


# -- error codes (RFC 8489 §14.8, RFC 8656 §18.13) --------------------------------------------


def _decode_code(raw: bytes) -> tuple[int, str]:
    klass = raw[2] & 0x07
    number = raw[3]
    if not 3 <= klass <= 6 or number > 99:
        raise StunError(f"bad error code: class {klass}, number {number}")
    return klass * 100 + number, raw[4:].decode()


def _encode_code(code: int, reason: str) -> bytes:
    if not 300 <= code <= 699:
        raise StunEncodeError(f"error code {code} outside 300..699")
    return bytes((code // 100, code % 100)) + reason.encode()


def _decode_error_code(raw: bytes) -> ErrorCode:
    return ErrorCode(*_decode_code(raw))


def _encode_error_code(value: tuple[int, str]) -> bytes:
    code, reason = value
    return b"\x00\x00" + _encode_code(code, reason)


def _decode_address_error_code(raw: bytes) -> AddressErrorCode:
    return AddressErrorCode(raw[0], *_decode_code(raw))


def _encode_address_error_code(value: tuple[int, int, str]) -> bytes:
    family, code, reason = value
    return bytes((family, 0)) + _encode_code(code, reason)


def _decode_icmp(raw: bytes) -> Icmp:
    return Icmp(raw[2], raw[3], _U32.unpack_from(raw, 4)[0])


def _encode_icmp(value: tuple[int, int, int]) -> bytes:
    icmp_type, code, data = value
    return bytes((0, 0, icmp_type, code)) + _U32.pack(data)


# -- lists ------------------------------------------------------------------------------------


def _decode_unknown_attributes(raw: bytes) -> tuple[int, ...]:
    if len(raw) % 2:
        raise StunError(f"UNKNOWN-ATTRIBUTES of odd length {len(raw)}")
    return struct.unpack(f">{len(raw) // 2}H", raw)


def _encode_unknown_attributes(value: Iterable[int]) -> bytes:
    types = tuple(value)
    return struct.pack(f">{len(types)}H", *types)


def _decode_algorithms(raw: bytes, single: bool) -> list[tuple[int, bytes]]:
    """PASSWORD-ALGORITHM(S) entries: algorithm, length, parameters (RFC 8489 §14.11-12)."""
    algorithms = []
    pos, end = 0, len(raw)
    while pos < end:
        if pos + 4 > end:
            raise StunError("truncated password algorithm")
        algorithm, length = _HH.unpack_from(raw, pos)
        start = pos + 4
        pos = start + length if single else start + length + (-length & 3)
        if pos > end or (single and pos != end):
            raise StunError("bad password algorithm parameters length")
        algorithms.append((algorithm, raw[start : start + length]))
    return algorithms


def _encode_algorithm(value: tuple[int, bytes], pad: bool) -> bytes:
    algorithm, parameters = value
    raw = _HH.pack(algorithm, len(parameters)) + bytes(parameters)
    return raw + bytes(-len(parameters) & 3) if pad else raw


def _decode_password_algorithm(raw: bytes) -> tuple[int, bytes]:
    return _decode_algorithms(raw, single=True)[0]


def _encode_password_algorithm(value: tuple[int, bytes]) -> bytes:
    return _encode_algorithm(value, pad=False)


def _decode_password_algorithms(raw: bytes) -> tuple[tuple[int, bytes], ...]:
    return tuple(_decode_algorithms(raw, single=False))


def _encode_password_algorithms(value: Iterable[tuple[int, bytes]]) -> bytes:
    return b"".join(_encode_algorithm(v, pad=True) for v in value)


# -- the registry -------------------------------------------------------------------------------

MESSAGE_INTEGRITY = 0x0008
MESSAGE_INTEGRITY_SHA256 = 0x001C
FINGERPRINT = 0x8028

_ANY = 0xFFFF
_utf8 = bytes.decode
_str = str.encode
_u32 = _U32.pack
_u64 = _U64.pack
_int = int.from_bytes

SPECS: tuple[Spec, ...] = (
    Spec(0x0001, "MAPPED-ADDRESS", _decode_address, _encode_address, 8, 20),
    Spec(0x0006, "USERNAME", _utf8, _str, 0, _MAX_USERNAME),
    Spec(MESSAGE_INTEGRITY, "MESSAGE-INTEGRITY", bytes, bytes, 20, 20),
    Spec(0x0009, "ERROR-CODE", _decode_error_code, _encode_error_code, 4, 4 + _MAX_TEXT),
    Spec(
        0x000A,
        "UNKNOWN-ATTRIBUTES",
        _decode_unknown_attributes,
        _encode_unknown_attributes,
        0,
        _ANY,
    ),
    Spec(0x000C, "CHANNEL-NUMBER", _decode_channel, _encode_channel, 4, 4),
    Spec(0x000D, "LIFETIME", _int, _u32, 4, 4),
    Spec(0x0012, "XOR-PEER-ADDRESS", _decode_xor_address, _encode_xor_address, 8, 20, True),
    Spec(0x0013, "DATA", bytes, bytes, 0, _ANY),
    Spec(0x0014, "REALM", _utf8, _str, 0, _MAX_TEXT),
    Spec(0x0015, "NONCE", _utf8, _str, 0, _MAX_TEXT),
    Spec(0x0016, "XOR-RELAYED-ADDRESS", _decode_xor_address, _encode_xor_address, 8, 20, True),
    Spec(0x0017, "REQUESTED-ADDRESS-FAMILY", _decode_first_byte, _encode_first_byte, 4, 4),
    Spec(0x0018, "EVEN-PORT", _decode_even_port, _encode_even_port, 1, 1),
    Spec(0x0019, "REQUESTED-TRANSPORT", _decode_first_byte, _encode_first_byte, 4, 4),
    Spec(0x001A, "DONT-FRAGMENT", _decode_none, _encode_none, 0, 0),
    Spec(
        MESSAGE_INTEGRITY_SHA256,
        "MESSAGE-INTEGRITY-SHA256",
        _decode_integrity_sha256,
        _encode_integrity_sha256,
        16,
        32,
    ),
    Spec(
        0x001D,
        "PASSWORD-ALGORITHM",
        _decode_password_algorithm,
        _encode_password_algorithm,
        4,
        _ANY,
    ),
    Spec(0x001E, "USERHASH", bytes, bytes, 32, 32),
    Spec(0x0020, "XOR-MAPPED-ADDRESS", _decode_xor_address, _encode_xor_address, 8, 20, True),
    Spec(0x0022, "RESERVATION-TOKEN", bytes, bytes, 8, 8),
    Spec(0x0024, "PRIORITY", _int, _u32, 4, 4),
    Spec(0x0025, "USE-CANDIDATE", _decode_none, _encode_none, 0, 0),
    Spec(0x8000, "ADDITIONAL-ADDRESS-FAMILY", _decode_first_byte, _encode_first_byte, 4, 4),
    Spec(
        0x8001,
        "ADDRESS-ERROR-CODE",
        _decode_address_error_code,
        _encode_address_error_code,
        4,
        4 + _MAX_TEXT,
    ),
    Spec(
        0x8002,
        "PASSWORD-ALGORITHMS",
        _decode_password_algorithms,
        _encode_password_algorithms,
        4,
        _ANY,
    ),
    Spec(0x8003, "ALTERNATE-DOMAIN", _decode_ascii, _encode_ascii, 1, 255),
    Spec(0x8004, "ICMP", _decode_icmp, _encode_icmp, 8, 8),
    Spec(0x8022, "SOFTWARE", _utf8, _str, 0, _MAX_TEXT),
    Spec(0x8023, "ALTERNATE-SERVER", _decode_address, _encode_address, 8, 20),
    Spec(FINGERPRINT, "FINGERPRINT", _int, _u32, 4, 4),
    Spec(0x8029, "ICE-CONTROLLED", _int, _u64, 8, 8),
    Spec(0x802A, "ICE-CONTROLLING", _int, _u64, 8, 8),
)
"""Every attribute pyrtc decodes, in type order."""

BY_TYPE: dict[int, Spec] = {spec.code: spec for spec in SPECS}
BY_NAME: dict[str, Spec] = {spec.name: spec for spec in SPECS}


def normalize_key(key: Key) -> Key:
    """Map a numeric type pyrtc knows to its RFC name; reject unknown names."""
    if isinstance(key, str):
        if key not in BY_NAME:
            raise KeyError(f"unknown STUN attribute name {key!r}")
        return key
    spec = BY_TYPE.get(key)
    if spec is None and not 0 <= key <= 0xFFFF:
        raise KeyError(f"attribute type {key} does not fit in 16 bits")
    return key if spec is None else spec.name


class Attributes(MutableMapping[Key, Any]):
    """The attributes of a message, in wire order, keyed by RFC name.

    It reads like a dict: ``attrs["XOR-MAPPED-ADDRESS"]`` is the first (usually only)
    occurrence; ``attrs["PRIORITY"] = 5`` replaces every occurrence of the attribute (or
    appends it). Attributes that may repeat (XOR-PEER-ADDRESS in CreatePermission, RFC 8656
    §9.1) are added with :meth:`add` and read with :meth:`get_all`. Unknown attributes are
    keyed by their numeric type with raw ``bytes`` values and are re-encoded in order.
    """

    __slots__ = ("_entries",)

    def __init__(self, items: AttributeInput = ()) -> None:
        if type(items) is dict and items.keys() <= BY_NAME.keys():
            self._entries: list[tuple[Key, Any]] = list(items.items())  # all RFC names
            return
        pairs = items.items() if isinstance(items, Mapping) else items
        self._entries = [(normalize_key(key), value) for key, value in pairs]

    def __getitem__(self, key: Key) -> Any:
        key = normalize_key(key)
        for k, value in self._entries:
            if k == key:
                return value
        raise KeyError(key)

    def __setitem__(self, key: Key, value: Any) -> None:
        key = normalize_key(key)
        entries = self._entries
        for i, (k, _) in enumerate(entries):
            if k == key:
                entries[i] = (key, value)
                entries[i + 1 :] = [e for e in entries[i + 1 :] if e[0] != key]
                return
        entries.append((key, value))

    def __delitem__(self, key: Key) -> None:
        key = normalize_key(key)
        kept = [e for e in self._entries if e[0] != key]
        if len(kept) == len(self._entries):
            raise KeyError(key)
        self._entries = kept

    def __iter__(self) -> Iterator[Key]:
        return iter(dict.fromkeys(k for k, _ in self._entries))

    def __len__(self) -> int:
        return len({k for k, _ in self._entries})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Attributes):
            return self._entries == other._entries
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Attributes({self._entries!r})"

    def add(self, key: Key, value: Any) -> None:
        """Append one occurrence of an attribute, keeping any earlier ones."""
        self._entries.append((normalize_key(key), value))

    def get_all(self, key: Key) -> list[Any]:
        """Every occurrence of an attribute, in wire order (empty if absent)."""
        key = normalize_key(key)
        return [value for k, value in self._entries if k == key]

    def entries(self) -> list[tuple[Key, Any]]:
        """All ``(key, value)`` pairs in wire order, repeats included."""
        return list(self._entries)
