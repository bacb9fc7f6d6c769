"""Typed SDP attributes (``a=`` lines) used by WebRTC, and the generic fallback.

Every attribute is an immutable value. :func:`parse_attribute` turns the text after ``a=`` into
the typed class registered for its name, or :class:`UnknownAttribute`. The received text is
kept privately so :meth:`Attribute.to_line` reproduces it byte for byte even where it differs
from the canonical form the typed fields produce (extra spaces, ``msid-semantic: WMS``,
leading zeros, ...). It is not part of the value (``==`` ignores it) and
``dataclasses.replace`` drops it, so a modified or newly built attribute is written canonically.
"""

from __future__ import annotations

import functools
import re
import string
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import ClassVar, Generic, Self, TypeVar

from pyrtc.ice.candidate import Candidate, CandidateError
from pyrtc.sdp.errors import SdpError
from pyrtc.sdp.syntax import (
    TOKEN,
    check_decimal,
    check_line_text,
    check_range,
    check_text,
    check_token,
    check_word,
    format_decimal,
    parse_decimal,
    parse_uint,
    split_fields,
)

__all__ = [
    "DIRECTIONS",
    "FLAGS",
    "SETUP_ROLES",
    "Attribute",
    "CandidateAttribute",
    "Direction",
    "ExtMap",
    "Fingerprint",
    "Flag",
    "Fmtp",
    "FmtpParameters",
    "Framerate",
    "Group",
    "IceOptions",
    "IcePwd",
    "IceUfrag",
    "Identity",
    "Label",
    "MaxMessageSize",
    "MaxPtime",
    "Mid",
    "Msid",
    "MsidSemantic",
    "Ptime",
    "Rid",
    "Rtcp",
    "RtcpFb",
    "RtpMap",
    "SctpMap",
    "SctpPort",
    "Setup",
    "Simulcast",
    "SimulcastStream",
    "Ssrc",
    "SsrcGroup",
    "TlsId",
    "UnknownAttribute",
    "UnknownLine",
    "parse_attribute",
]

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
"""The direction attributes of RFC 8866 sections 6.7.1-6.7.4."""

FLAGS = (
    "rtcp-mux",  # RFC 5761 section 5.1.1
    "rtcp-mux-only",  # RFC 8858
    "rtcp-rsize",  # RFC 5506 section 5
    "ice-lite",  # RFC 8839 section 5.3
    "end-of-candidates",  # RFC 8840 section 8.2
    "extmap-allow-mixed",  # RFC 8285 section 6
    "bundle-only",  # RFC 8843 section 6
)
"""Property attributes (no value) with a meaning in WebRTC."""

SETUP_ROLES = ("actpass", "active", "passive", "holdconn")
"""The ``a=setup`` roles of RFC 4145 section 4."""

_MAX_UINT32 = 0xFFFFFFFF
_MAX_UINT64 = 0xFFFFFFFFFFFFFFFF
_ICE_CHARS = re.compile(r"[A-Za-z0-9+/]+")
_FINGERPRINT = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*")
_RID_ID = re.compile(r"[A-Za-z0-9\-_]+")
_TLS_ID = re.compile(r"[A-Za-z0-9+/\-_]{20,255}")
_UNKNOWN_LETTERS = frozenset(string.ascii_letters) - frozenset("vosiuepcbtrzkam")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Attribute(ABC):
    """Base of every ``a=`` line: :attr:`name`, :attr:`value` and :meth:`to_line`.

    The constructors of the subclasses check their fields and raise :class:`SdpError`, so a
    built attribute always serializes to text that parses back to an equal value.
    """

    # The text after "a=" exactly as received; None for an attribute built in code.
    _text: str | None = field(default=None, init=False, compare=False, repr=False)

    NAME: ClassVar[str] = ""

    @property
    def name(self) -> str:
        """The attribute name (``rtpmap``, ``sendrecv``, ...)."""
        return self.NAME

    @property
    def value(self) -> str | None:
        """The value after ``name:`` as it will be written, ``None`` for a property attribute."""
        if self._text is not None:
            _, colon, value = self._text.partition(":")
            return value if colon else None
        return self.format_value()

    @abstractmethod
    def format_value(self) -> str | None:
        """The canonical value text built from the typed fields."""

    def to_line(self) -> str:
        """The whole SDP line without its line ending."""
        if self._text is not None:
            return "a=" + self._text
        value = self.format_value()
        return f"a={self.name}" if value is None else f"a={self.name}:{value}"

    @classmethod
    @abstractmethod
    def parse(cls, name: str, value: str | None) -> Self:
        """Build the typed attribute from its name and value text; :class:`SdpError` if bad."""


def _need_value(name: str, value: str | None) -> str:
    if value is None:
        raise SdpError(f"a={name} needs a value")
    return value.strip()


@dataclass(frozen=True)
class UnknownAttribute(Attribute):
    """An attribute this module has no typed view of, kept verbatim (RFC 8866 section 5.13)."""

    key: str
    text: str | None = None

    def __post_init__(self) -> None:
        check_token(self.key, "attribute name")
        if self.key in _TYPED:
            raise SdpError(f"a={self.key} has a typed class; build that instead")
        if self.text is not None:
            check_line_text(self.text, f"a={self.key} value")

    @property
    def name(self) -> str:
        return self.key

    def format_value(self) -> str | None:
        return self.text

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        return cls(name, value)


@dataclass(frozen=True)
class UnknownLine(Attribute):
    """A line whose type letter RFC 8866 does not define (``x=...``), kept in attribute order.

    Its :attr:`name` is ``"<letter>="``, which no attribute name can be.
    """

    letter: str
    text: str

    def __post_init__(self) -> None:
        if len(self.letter) != 1 or self.letter not in _UNKNOWN_LETTERS:
            raise SdpError(f"{self.letter!r} is not a letter that RFC 8866 leaves undefined")
        check_line_text(self.text, f"{self.letter}= value")

    @property
    def name(self) -> str:
        return self.letter + "="

    def format_value(self) -> str | None:
        return self.text

    def to_line(self) -> str:
        return f"{self.letter}={self.text}"

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        """Build from the type letter (``name``) and the text after ``=``."""
        return cls(name, value or "")


@functools.cache
def _field_name(cls: type[Attribute]) -> str:
    """The one constructor field of a single-field attribute class (``mid``, ``rate``, ...)."""
    (name,) = (spec.name for spec in fields(cls) if spec.init)
    return name


@dataclass(frozen=True)
class _SingleField(Attribute, Generic[_T]):
    """Base of the attributes built from one field, which each subclass declares and names.

    The field keeps its public name (``Mid.mid``, ``Ptime.milliseconds``); this base finds it,
    so the check, format and parse logic of a kind of attribute is written once.
    """

    def __post_init__(self) -> None:
        self._check(self._field_value())

    def _field_value(self) -> _T:
        value: _T = getattr(self, _field_name(type(self)))
        return value

    @classmethod
    def _build(cls, value: _T) -> Self:
        return cls(value)  # type: ignore[call-arg]  # the subclass __init__ takes its one field

    @abstractmethod
    def _check(self, value: _T) -> None:
        """Raise :class:`SdpError` unless ``value`` is a valid field for this attribute."""


@dataclass(frozen=True)
class _Property(_SingleField[str]):
    """Base of the attributes without value whose field is their name (``a=rtcp-mux``)."""

    @property
    def name(self) -> str:
        return self._field_value()

    def format_value(self) -> str | None:
        return None

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        if value is not None:
            raise SdpError(f"a={name} takes no value")
        return cls._build(name)


@dataclass(frozen=True)
class _Text(_SingleField[str]):
    """Base of the attributes whose value is one string field, written as it is."""

    def format_value(self) -> str | None:
        return self._field_value()

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        return cls._build(_need_value(name, value))


@dataclass(frozen=True)
class _Unsigned(_SingleField[int]):
    """Base of the attributes whose value is a decimal integer in 0.._MAXIMUM."""

    _MAXIMUM: ClassVar[int]

    def _check(self, value: int) -> None:
        check_range(value, self.NAME, 0, self._MAXIMUM)

    def format_value(self) -> str | None:
        return str(self._field_value())

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        return cls._build(parse_uint(_need_value(name, value), cls.NAME, cls._MAXIMUM))


@dataclass(frozen=True)
class _Decimal(_SingleField[float]):
    """Base of the attributes whose value is a non-negative decimal such as ``20`` or ``2.5``."""

    def _check(self, value: float) -> None:
        check_decimal(value, self.NAME)

    def format_value(self) -> str | None:
        return format_decimal(self._field_value())

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        return cls._build(parse_decimal(_need_value(name, value), name))


@dataclass(frozen=True)
class Flag(_Property):
    """A property attribute without value, one of :data:`FLAGS` (``a=rtcp-mux``, ...)."""

    flag: str

    def _check(self, value: str) -> None:
        if value not in FLAGS:
            raise SdpError(f"{value!r} is not one of {FLAGS}")


@dataclass(frozen=True)
class Direction(_Property):
    """``a=sendrecv`` / ``sendonly`` / ``recvonly`` / ``inactive`` (RFC 8866 section 6.7)."""

    direction: str

    def _check(self, value: str) -> None:
        if value not in DIRECTIONS:
            raise SdpError(f"direction {value!r} is not one of {DIRECTIONS}")


@dataclass(frozen=True)
class Mid(_Text):
    """``a=mid``: the media stream identification tag (RFC 5888 section 4)."""

    NAME = "mid"
    mid: str

    def _check(self, value: str) -> None:
        check_token(value, "mid")


@dataclass(frozen=True)
class IceUfrag(_Text):
    """``a=ice-ufrag`` (RFC 8839 section 5.4); length limits are left to the ICE agent."""

    NAME = "ice-ufrag"
    ufrag: str

    def _check(self, value: str) -> None:
        if not _ICE_CHARS.fullmatch(value):
            raise SdpError(f"ice-ufrag {value!r} is not made of ice-chars")


@dataclass(frozen=True)
class IcePwd(_Text):
    """``a=ice-pwd`` (RFC 8839 section 5.4); length limits are left to the ICE agent."""

    NAME = "ice-pwd"
    password: str

    def _check(self, value: str) -> None:
        if not _ICE_CHARS.fullmatch(value):
            raise SdpError("ice-pwd is not made of ice-chars")


@dataclass(frozen=True)
class IceOptions(Attribute):
    """``a=ice-options``: ICE option tags such as ``trickle`` (RFC 8839 section 5.6)."""

    NAME = "ice-options"
    options: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.options:
            raise SdpError("ice-options needs at least one option")
        for option in self.options:
            check_token(option, "ice option")

    def format_value(self) -> str | None:
        return " ".join(self.options)

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        return cls(tuple(split_fields(_need_value(name, value), "ice-options", 1)))


@dataclass(frozen=True)
class Setup(_Text):
    """``a=setup``: the DTLS/TCP connection role, one of :data:`SETUP_ROLES` (RFC 4145)."""

    NAME = "setup"
    role: str

    def _check(self, value: str) -> None:
        if value not in SETUP_ROLES:
            raise SdpError(f"setup role {value!r} is not one of {SETUP_ROLES}")


@dataclass(frozen=True)
class Fingerprint(Attribute):
    """``a=fingerprint``: certificate hash function and digest (RFC 8122 section 5)."""

    NAME = "fingerprint"
    hash_function: str
    fingerprint: str

    def __post_init__(self) -> None:
        check_token(self.hash_function, "hash function")
        if not _FINGERPRINT.fullmatch(self.fingerprint):
            raise SdpError(f"fingerprint {self.fingerprint!r} is not colon-separated hex bytes")

    def format_value(self) -> str | None:
        return f"{self.hash_function} {self.fingerprint}"

    @property
    def digest(self) -> bytes:
        """The fingerprint as bytes."""
        return bytes.fromhex(self.fingerprint.replace(":", ""))

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        hash_function, fingerprint = split_fields(_need_value(name, value), "fingerprint", 2, 2)
        return cls(hash_function, fingerprint)


@dataclass(frozen=True)
class TlsId(_Text):
    """``a=tls-id`` (RFC 8842 section 4)."""

    NAME = "tls-id"
    tls_id: str

    def _check(self, value: str) -> None:
        if not _TLS_ID.fullmatch(value):
            raise SdpError(f"tls-id {value!r} is not 20 to 255 tls-id-chars")


@dataclass(frozen=True)
class Identity(_Text):
    """``a=identity``: an identity assertion and its extensions (RFC 8827 section 5), as text."""

    NAME = "identity"
    assertion: str

    def _check(self, value: str) -> None:
        check_text(value, "a=identity")


@dataclass(frozen=True)
class Label(_Text):
    """``a=label``: a media stream label (RFC 4574)."""

    NAME = "label"
    label: str

    def _check(self, value: str) -> None:
        check_text(value, "a=label")


@dataclass(frozen=True)
class Group(Attribute):
    """``a=group``: grouping semantics (``BUNDLE``, ``LS``, ...) and mids (RFC 5888 section 5)."""

    NAME = "group"
    semantics: str
    mids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_token(self.semantics, "group semantics")
        for mid in self.mids:
            check_token(mid, "mid")

    def format_value(self) -> str | None:
        return " ".join((self.semantics, *self.mids))

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        fields = split_fields(_need_value(name, value), "group", 1)
        return cls(fields[0], tuple(fields[1:]))


@dataclass(frozen=True)
class MsidSemantic(Attribute):
    """``a=msid-semantic``: e.g. ``WMS`` and stream ids or ``*`` (draft-ietf-mmusic-msid)."""

    NAME = "msid-semantic"
    semantic: str
    identifiers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_token(self.semantic, "msid semantic")
        for identifier in self.identifiers:
            check_word(identifier, "msid-semantic identifier")

    def format_value(self) -> str | None:
        return " ".join((self.semantic, *self.identifiers))

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        fields = split_fields(_need_value(name, value), "msid-semantic", 1)
        return cls(fields[0], tuple(fields[1:]))


@dataclass(frozen=True)
class Msid(Attribute):
    """``a=msid``: media stream id and optional track id (RFC 8830 section 2)."""

    NAME = "msid"
    stream_id: str
    track_id: str | None = None

    def __post_init__(self) -> None:
        check_token(self.stream_id, "msid id")
        if self.track_id is not None:
            check_token(self.track_id, "msid appdata")

    def format_value(self) -> str | None:
        return self.stream_id if self.track_id is None else f"{self.stream_id} {self.track_id}"

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        fields = split_fields(_need_value(name, value), "msid", 1, 2)
        return cls(fields[0], fields[1] if len(fields) == 2 else None)


@dataclass(frozen=True)
class ExtMap(Attribute):
    """``a=extmap``: RTP header extension id, direction, URI, attributes (RFC 8285 section 8)."""

    NAME = "extmap"
    id: int
    uri: str
    direction: str | None = None
    attributes: str | None = None

    def __post_init__(self) -> None:
        if not (1 <= self.id <= 255 or 4096 <= self.id <= 4351):
            raise SdpError(f"extmap id {self.id} is outside 1..255 and 4096..4351")
        check_word(self.uri, "extmap URI")
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise SdpError(f"extmap direction {self.direction!r} is not one of {DIRECTIONS}")
        if self.attributes is not None:
            check_text(self.attributes, "extmap extension attributes")

    def format_value(self) -> str | None:
        head = str(self.id) if self.direction is None else f"{self.id}/{self.direction}"
        parts = [head, self.uri]
        if self.attributes is not None:
            parts.append(self.attributes)
        return " ".join(parts)

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        text = _need_value(name, value)
        fields = text.split(None, 2)
        if len(fields) < 2:
            raise SdpError("extmap needs an id and a URI")
        number, slash, direction = fields[0].partition("/")
        return cls(
            parse_uint(number, "extmap id", 4351),
            fields[1],
            direction if slash else None,
            fields[2] if len(fields) == 3 else None,
        )


@dataclass(frozen=True)
class Rtcp(Attribute):
    """``a=rtcp``: RTCP port and optional address (RFC 3605 section 2.1)."""

    NAME = "rtcp"
    port: int
    nettype: str | None = None
    addrtype: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        check_range(self.port, "rtcp port", 0, 0xFFFF)
        parts = (self.nettype, self.addrtype, self.address)
        if parts != (None, None, None):
            if None in parts:
                raise SdpError("rtcp needs all or none of nettype, addrtype and address")
            check_token(self.nettype or "", "nettype")
            check_token(self.addrtype or "", "addrtype")
            check_word(self.address or "", "rtcp address")

    def format_value(self) -> str | None:
        if self.nettype is None or self.addrtype is None or self.address is None:
            return str(self.port)
        return f"{self.port} {self.nettype} {self.addrtype} {self.address}"

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        fields = _need_value(name, value).split()
        if len(fields) not in (1, 4):
            raise SdpError(f"rtcp has {len(fields)} fields, expected 1 or 4")
        port = parse_uint(fields[0], "rtcp port", 0xFFFF)
        if len(fields) == 1:
            return cls(port)
        return cls(port, fields[1], fields[2], fields[3])


def _payload_type(text: str) -> int:
    return parse_uint(text, "payload type", 127)


def _check_payload_type(payload_type: int) -> None:
    check_range(payload_type, "payload type", 0, 127)


@dataclass(frozen=True)
class RtpMap(Attribute):
    """``a=rtpmap``: payload type to encoding name, clock rate, channels (RFC 8866 6.6)."""

    NAME = "rtpmap"
    payload_type: int
    encoding_name: str
    clock_rate: int
    channels: int | None = None

    def __post_init__(self) -> None:
        _check_payload_type(self.payload_type)
        check_token(self.encoding_name, "encoding name")
        check_range(self.clock_rate, "clock rate", 0, _MAX_UINT32)
        if self.channels is not None:
            check_range(self.channels, "channels", 0, 255)

    def format_value(self) -> str | None:
        text = f"{self.payload_type} {self.encoding_name}/{self.clock_rate}"
        return text if self.channels is None else f"{text}/{self.channels}"

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        pt, encoding = split_fields(_need_value(name, value), "rtpmap", 2, 2)
        parts = encoding.split("/")
        if len(parts) not in (2, 3):
            raise SdpError(f"rtpmap encoding {encoding!r} is not name/rate[/channels]")
        return cls(
            _payload_type(pt),
            parts[0],
            parse_uint(parts[1], "clock rate", _MAX_UINT32),
            parse_uint(parts[2], "channels", 255) if len(parts) == 3 else None,
        )


class FmtpParameters(Mapping[str, str | None]):
    """The ``a=fmtp`` parameters as an ordered, immutable mapping.

    ``key=value`` pieces map the key to the value; a piece without ``=`` (such as
    telephone-event's ``0-15``) maps to ``None``. :meth:`pairs` keeps every piece in order,
    including repeated keys (the mapping returns the first). Keys are non-empty; neither keys
    nor values hold ``;``, surrounding whitespace, CR, LF or NUL, and keys hold no ``=``.
    """

    __slots__ = ("_map", "_pairs")

    def __init__(
        self, pairs: Iterable[tuple[str, str | None]] | Mapping[str, str | None] = ()
    ) -> None:
        self._pairs = tuple(pairs.items() if isinstance(pairs, Mapping) else pairs)
        self._map: dict[str, str | None] = {}
        for key, val in self._pairs:
            check_text(key, "fmtp parameter name")
            if ";" in key or "=" in key:
                raise SdpError(f"fmtp parameter name {key!r} holds ';' or '='")
            if val is not None:
                if val:
                    check_text(val, f"fmtp parameter {key!r}")
                if ";" in val:
                    raise SdpError(f"fmtp parameter {key!r} value {val!r} holds ';'")
            self._map.setdefault(key, val)

    @classmethod
    def parse(cls, text: str) -> FmtpParameters:
        """Parse ``key=value;key2=value2;flag`` (spaces around pieces ignored)."""
        pairs: list[tuple[str, str | None]] = []
        for piece in text.split(";"):
            piece = piece.strip()
            if not piece:
                continue
            key, eq, val = piece.partition("=")
            pairs.append((key.strip(), val.strip() if eq else None))
        return cls(tuple(pairs))

    def pairs(self) -> tuple[tuple[str, str | None], ...]:
        """Every parameter in its original order."""
        return self._pairs

    def format(self) -> str:
        """The canonical ``key=value;...`` text."""
        return ";".join(key if val is None else f"{key}={val}" for key, val in self._pairs)

    def __getitem__(self, key: str) -> str | None:
        return self._map[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FmtpParameters):
            return self._pairs == other._pairs
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(self._pairs)

    def __repr__(self) -> str:
        return f"FmtpParameters({self.format()!r})"


@dataclass(frozen=True)
class Fmtp(Attribute):
    """``a=fmtp``: format-specific parameters of a payload type (RFC 8866 section 6.15)."""

    NAME = "fmtp"
    payload_type: int
    parameters: FmtpParameters

    def __post_init__(self) -> None:
        _check_payload_type(self.payload_type)

    def format_value(self) -> str | None:
        if not self.parameters.pairs():
            return str(self.payload_type)
        return f"{self.payload_type} {self.parameters.format()}"

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        fields = _need_value(name, value).split(None, 1)
        if not fields:
            raise SdpError("fmtp needs a payload type")
        parameters = FmtpParameters.parse(fields[1]) if len(fields) == 2 else FmtpParameters()
        return cls(_payload_type(fields[0]), parameters)


@dataclass(frozen=True)
class RtcpFb(Attribute):
    """``a=rtcp-fb``: an RTCP feedback type for a payload type or ``*`` (RFC 4585 section 4.2).

    ``payload_type`` is ``None`` for ``*``; ``type`` is ``nack``, ``ccm``, ``goog-remb``,
    ``transport-cc``, ``trr-int``, ...; ``parameter`` is the rest (``pli``, ``fir``, ...).
    """

    NAME = "rtcp-fb"
    payload_type: int | None
    type: str
    parameter: str | None = None

    def __post_init__(self) -> None:
        if self.payload_type is not None:
            _check_payload_type(self.payload_type)
        check_token(self.type, "feedback type")
        if self.parameter is not None:
            check_text(self.parameter, "feedback parameter")

    def format_value(self) -> str | None:
        pt = "*" if self.payload_type is None else str(self.payload_type)
        parts = [pt, self.type] if self.parameter is None else [pt, self.type, self.parameter]
        return " ".join(parts)

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        fields = _need_value(name, value).split(None, 2)
        if len(fields) < 2:
            raise SdpError("rtcp-fb needs a payload type and a feedback type")
        pt = None if fields[0] == "*" else _payload_type(fields[0])
        return cls(pt, fields[1], fields[2] if len(fields) == 3 else None)


@dataclass(frozen=True)
class Ssrc(Attribute):
    """``a=ssrc``: one source attribute (``cname:...``, ``msid:...``) of an SSRC (RFC 5576)."""

    NAME = "ssrc"
    ssrc: int
    attribute: str
    attribute_value: str | None = None

    def __post_init__(self) -> None:
        check_range(self.ssrc, "ssrc", 0, _MAX_UINT32)
        check_token(self.attribute, "source attribute")
        if self.attribute_value:
            check_line_text(self.attribute_value, f"source attribute {self.attribute!r}")
            if self.attribute_value != self.attribute_value.rstrip():
                raise SdpError(f"source attribute {self.attribute!r} ends with whitespace")

    def format_value(self) -> str | None:
        if self.attribute_value is None:
            return f"{self.ssrc} {self.attribute}"
        return f"{self.ssrc} {self.attribute}:{self.attribute_value}"

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        fields = _need_value(name, value).split(None, 1)
        if len(fields) != 2:
            raise SdpError("ssrc needs an SSRC and an attribute")
        attribute, colon, attribute_value = fields[1].partition(":")
        return cls(
            parse_uint(fields[0], "ssrc", _MAX_UINT32),
            attribute,
            attribute_value if colon else None,
        )


@dataclass(frozen=True)
class SsrcGroup(Attribute):
    """``a=ssrc-group``: semantics (``FID``, ``SIM``, ``FEC-FR``) and SSRCs (RFC 5576 4.2)."""

    NAME = "ssrc-group"
    semantics: str
    ssrcs: tuple[int, ...]

    def __post_init__(self) -> None:
        check_token(self.semantics, "ssrc-group semantics")
        for ssrc in self.ssrcs:
            check_range(ssrc, "ssrc", 0, _MAX_UINT32)

    def format_value(self) -> str | None:
        return " ".join((self.semantics, *map(str, self.ssrcs)))

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        fields = split_fields(_need_value(name, value), "ssrc-group", 1)
        return cls(fields[0], tuple(parse_uint(ssrc, "ssrc", _MAX_UINT32) for ssrc in fields[1:]))


@dataclass(frozen=True)
class Rid(Attribute):
    """``a=rid``: an RTP stream id with direction, payload types, restrictions (RFC 8851)."""

    NAME = "rid"
    rid: str
    direction: str
    payload_types: tuple[int, ...] = ()
    restrictions: tuple[tuple[str, str | None], ...] = ()

    def __post_init__(self) -> None:
        if not _RID_ID.fullmatch(self.rid):
            raise SdpError(f"rid id {self.rid!r} is not alphanumeric, '-' or '_'")
        if self.direction not in ("send", "recv"):
            raise SdpError(f"rid direction {self.direction!r} is not send or recv")
        for pt in self.payload_types:
            _check_payload_type(pt)
        for key, val in self.restrictions:
            check_token(key, "rid parameter")
            if key == "pt":
                raise SdpError("rid pt= goes in payload_types, not in the restrictions")
            if val:
                check_text(val, f"rid parameter {key!r}")
            if val is not None and ";" in val:
                raise SdpError(f"rid parameter {key!r} value {val!r} holds ';'")

    def format_value(self) -> str | None:
        params = [f"pt={','.join(map(str, self.payload_types))}"] if self.payload_types else []
        params += [key if val is None else f"{key}={val}" for key, val in self.restrictions]
        head = f"{self.rid} {self.direction}"
        return f"{head} {';'.join(params)}" if params else head

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        fields = _need_value(name, value).split(None, 2)
        if len(fields) < 2:
            raise SdpError("rid needs an id and a direction")
        payload_types: tuple[int, ...] = ()
        restrictions: list[tuple[str, str | None]] = []
        pieces = fields[2].split(";") if len(fields) == 3 else []
        for index, piece in enumerate(pieces):
            key, eq, val = (part.strip() for part in piece.partition("="))
            if key == "pt":
                if index or not eq:
                    raise SdpError("rid pt= must be the first parameter and have a value")
                payload_types = tuple(_payload_type(pt.strip()) for pt in val.split(","))
            else:
                restrictions.append((key, val if eq else None))
        return cls(fields[0], fields[1], payload_types, tuple(restrictions))


@dataclass(frozen=True)
class SimulcastStream:
    """One rid in an ``a=simulcast`` list; ``paused`` is the ``~`` prefix (RFC 8853 5.1)."""

    rid: str
    paused: bool = False

    def __post_init__(self) -> None:
        if not _RID_ID.fullmatch(self.rid):
            raise SdpError(f"simulcast rid {self.rid!r} is not a rid id")

    def format(self) -> str:
        """The ``[~]rid`` text."""
        return "~" + self.rid if self.paused else self.rid


def _parse_simulcast_list(text: str) -> tuple[tuple[SimulcastStream, ...], ...]:
    streams = []
    for alternatives in text.split(";"):
        choice = []
        for item in alternatives.split(","):
            paused = item.startswith("~")
            choice.append(SimulcastStream(item[1:] if paused else item, paused))
        streams.append(tuple(choice))
    return tuple(streams)


def _format_simulcast_list(streams: tuple[tuple[SimulcastStream, ...], ...]) -> str:
    return ";".join(",".join(alt.format() for alt in choice) for choice in streams)


@dataclass(frozen=True)
class Simulcast(Attribute):
    """``a=simulcast``: send and receive stream lists (RFC 8853 section 5.1).

    Each list holds simulcast streams in order; a stream is a tuple of alternative rids.
    """

    NAME = "simulcast"
    send: tuple[tuple[SimulcastStream, ...], ...] = ()
    recv: tuple[tuple[SimulcastStream, ...], ...] = ()

    def __post_init__(self) -> None:
        if not (self.send or self.recv):
            raise SdpError("simulcast needs a send or a recv stream list")
        if not all(self.send + self.recv):
            raise SdpError("a simulcast stream needs at least one rid")

    def format_value(self) -> str | None:
        parts = []
        if self.send:
            parts += ["send", _format_simulcast_list(self.send)]
        if self.recv:
            parts += ["recv", _format_simulcast_list(self.recv)]
        return " ".join(parts)

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        fields = split_fields(_need_value(name, value), "simulcast", 2, 4)
        if len(fields) % 2:
            raise SdpError("simulcast has a direction without a stream list")
        lists: dict[str, tuple[tuple[SimulcastStream, ...], ...]] = {}
        for direction, text in zip(fields[::2], fields[1::2], strict=True):
            if direction not in ("send", "recv") or direction in lists:
                raise SdpError(f"simulcast direction {direction!r} is not a new send or recv")
            lists[direction] = _parse_simulcast_list(text)
        return cls(lists.get("send", ()), lists.get("recv", ()))


@dataclass(frozen=True)
class SctpPort(_Unsigned):
    """``a=sctp-port`` (RFC 8841 section 5)."""

    NAME = "sctp-port"
    _MAXIMUM = 0xFFFF
    port: int


@dataclass(frozen=True)
class MaxMessageSize(_Unsigned):
    """``a=max-message-size``; 0 means no limit (RFC 8841 section 6)."""

    NAME = "max-message-size"
    _MAXIMUM = _MAX_UINT64
    size: int


@dataclass(frozen=True)
class SctpMap(Attribute):
    """Legacy ``a=sctpmap:<port> <protocol> [<streams>]`` (draft-ietf-mmusic-sctp-sdp-05)."""

    NAME = "sctpmap"
    port: int
    protocol: str
    streams: int | None = None

    def __post_init__(self) -> None:
        check_range(self.port, "sctpmap port", 0, 0xFFFF)
        check_token(self.protocol, "sctpmap protocol")
        if self.streams is not None:
            check_range(self.streams, "sctpmap streams", 0, 0xFFFF)

    def format_value(self) -> str | None:
        text = f"{self.port} {self.protocol}"
        return text if self.streams is None else f"{text} {self.streams}"

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        fields = split_fields(_need_value(name, value), "sctpmap", 2, 3)
        return cls(
            parse_uint(fields[0], "sctpmap port", 0xFFFF),
            fields[1],
            parse_uint(fields[2], "sctpmap streams", 0xFFFF) if len(fields) == 3 else None,
        )


@dataclass(frozen=True)
class CandidateAttribute(Attribute):
    """``a=candidate``, typed by :class:`pyrtc.ice.Candidate` (RFC 8839 section 5.1)."""

    NAME = "candidate"
    candidate: Candidate

    def format_value(self) -> str | None:
        return self.candidate.to_sdp()

    @classmethod
    def parse(cls, name: str, value: str | None) -> Self:
        try:
            return cls(Candidate.from_sdp(_need_value(name, value)))
        except CandidateError as error:
            raise SdpError(str(error)) from None


@dataclass(frozen=True)
class Ptime(_Decimal):
    """``a=ptime``: packet time in milliseconds (RFC 8866 section 6.4)."""

    NAME = "ptime"
    milliseconds: float


@dataclass(frozen=True)
class MaxPtime(_Decimal):
    """``a=maxptime``: maximum packet time in milliseconds (RFC 8866 section 6.5)."""

    NAME = "maxptime"
    milliseconds: float


@dataclass(frozen=True)
class Framerate(_Decimal):
    """``a=framerate``: maximum video frame rate (RFC 8866 section 6.21)."""

    NAME = "framerate"
    rate: float


_TYPED: dict[str, type[Attribute]] = {
    cls.NAME: cls
    for cls in (
        Mid,
        IceUfrag,
        IcePwd,
        IceOptions,
        Setup,
        Fingerprint,
        TlsId,
        Identity,
        Label,
        Group,
        MsidSemantic,
        Msid,
        ExtMap,
        Rtcp,
        RtpMap,
        Fmtp,
        RtcpFb,
        Ssrc,
        SsrcGroup,
        Rid,
        Simulcast,
        SctpPort,
        MaxMessageSize,
        SctpMap,
        CandidateAttribute,
        Ptime,
        MaxPtime,
        Framerate,
    )
}
_TYPED.update(dict.fromkeys(FLAGS, Flag))
_TYPED.update(dict.fromkeys(DIRECTIONS, Direction))


def parse_attribute(text: str) -> Attribute:
    """Parse the text after ``a=`` (``name`` or ``name:value``) into a typed attribute.

    Whitespace after the name is tolerated. Raises :class:`SdpError` when the name is not a
    token or a known attribute's value is malformed.
    """
    name, colon, value = text.partition(":")
    name = name.rstrip()
    cls = _TYPED.get(name)
    if cls is None:
        if not TOKEN.fullmatch(name):
            raise SdpError(f"attribute name {name!r} is not a token")
        cls = UnknownAttribute
    attribute = cls.parse(name, value if colon else None)
    object.__setattr__(attribute, "_text", text)
    return attribute
