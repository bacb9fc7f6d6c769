"""Session descriptions (RFC 8866): parsing, the model, accessors, serialization.

:meth:`SessionDescription.parse` accepts CRLF or LF line endings (and a missing final line
ending); :meth:`SessionDescription.serialize` always writes CRLF. Everything else round-trips
byte for byte: line order within a section, attribute spelling and spacing, unknown attributes
and unknown line types. Structure is checked strictly (``v=`` first, RFC 8866 section 5 line
order, ``m=`` syntax, numeric fields); a missing ``s=`` or ``t=`` is tolerated. A line with a
type letter RFC 8866 does not define is kept as an :class:`UnknownLine` among the attributes,
so only ``a=`` lines (and other unknown lines) may follow it in its section.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from string import ascii_letters
from typing import ClassVar, Self, TypeVar

from pyrtc.ice.candidate import Candidate
from pyrtc.sdp.attributes import (
    Attribute,
    CandidateAttribute,
    Direction,
    ExtMap,
    Fingerprint,
    Group,
    IceOptions,
    IcePwd,
    IceUfrag,
    MaxMessageSize,
    Mid,
    Msid,
    MsidSemantic,
    Rid,
    Rtcp,
    SctpMap,
    SctpPort,
    Setup,
    Simulcast,
    Ssrc,
    SsrcGroup,
    UnknownLine,
    parse_attribute,
)
from pyrtc.sdp.codecs import Codec, join_codecs
from pyrtc.sdp.errors import SdpError
from pyrtc.sdp.syntax import (
    TOKEN,
    check_line_text,
    check_range,
    check_token,
    check_word,
    parse_uint,
    split_fields,
)

__all__ = [
    "Bandwidth",
    "Connection",
    "IceCredentials",
    "MediaDescription",
    "Origin",
    "SessionDescription",
    "Timing",
]

A = TypeVar("A", bound=Attribute)

# The order of the lines in the session part and in a media section (RFC 8866 section 5).
_SESSION_ORDER = {letter: rank for rank, letter in enumerate("vosiuepcbtrzka")}
_SESSION_REPEATABLE = frozenset("epbtra")
_RANK_T, _RANK_R, _RANK_Z = (_SESSION_ORDER[letter] for letter in "trz")
_MEDIA_ORDER = {letter: rank for rank, letter in enumerate("micbka")}
_MEDIA_REPEATABLE = frozenset("cba")
_MEDIA_ATTRIBUTES = _MEDIA_ORDER["a"]
_MAX_UINT64 = 0xFFFFFFFFFFFFFFFF
_MAX_SESSION_ID = 10**40 - 1  # sess-id = 1*DIGIT; libwebrtc writes up to 2**63


@dataclass(frozen=True)
class _HeaderValue(ABC):
    """A typed ``<type>=`` line value that remembers non-canonical received text."""

    _text: str | None = field(default=None, init=False, compare=False, repr=False)

    @abstractmethod
    def format(self) -> str:
        """The canonical value text."""

    @property
    def text(self) -> str:
        """The value as it will be written (as received, unless built or replaced)."""
        return self._text if self._text is not None else self.format()

    def _remember(self, text: str) -> Self:
        if self.format() != text:
            object.__setattr__(self, "_text", text)
        return self


@dataclass(frozen=True)
class Origin(_HeaderValue):
    """``o=``: username, session id and version, and the originating address (RFC 8866 5.2)."""

    username: str
    session_id: int
    session_version: int
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "127.0.0.1"

    def __post_init__(self) -> None:
        check_word(self.username, "username")
        check_range(self.session_id, "session id", 0, _MAX_SESSION_ID)
        check_range(self.session_version, "session version", 0, _MAX_SESSION_ID)
        check_token(self.nettype, "nettype")
        check_token(self.addrtype, "addrtype")
        check_word(self.address, "address")

    def format(self) -> str:
        return (
            f"{self.username} {self.session_id} {self.session_version} "
            f"{self.nettype} {self.addrtype} {self.address}"
        )

    @classmethod
    def parse(cls, text: str) -> Origin:
        """Parse the value of an ``o=`` line."""
        user, sess_id, version, nettype, addrtype, address = split_fields(text, "o=", 6, 6)
        return cls(
            user,
            parse_uint(sess_id, "session id", _MAX_SESSION_ID),
            parse_uint(version, "session version", _MAX_SESSION_ID),
            nettype,
            addrtype,
            address,
        )._remember(text)


@dataclass(frozen=True)
class Connection(_HeaderValue):
    """``c=``: network type, address type and connection address (RFC 8866 section 5.7).

    ``address`` keeps any ``/ttl/count`` suffix of a multicast address as written.
    """

    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "0.0.0.0"

    def __post_init__(self) -> None:
        check_token(self.nettype, "nettype")
        check_token(self.addrtype, "addrtype")
        check_word(self.address, "connection address")

    def format(self) -> str:
        return f"{self.nettype} {self.addrtype} {self.address}"

    @classmethod
    def parse(cls, text: str) -> Connection:
        """Parse the value of a ``c=`` line."""
        nettype, addrtype, address = split_fields(text, "c=", 3, 3)
        return cls(nettype, addrtype, address)._remember(text)


@dataclass(frozen=True)
class Bandwidth(_HeaderValue):
    """``b=<type>:<bandwidth>`` such as ``AS:300`` or ``TIAS:256000`` (RFC 8866 section 5.8)."""

    type: str
    bandwidth: int

    def __post_init__(self) -> None:
        check_token(self.type, "bandwidth type")
        check_range(self.bandwidth, "bandwidth", 0, _MAX_UINT64)

    def format(self) -> str:
        return f"{self.type}:{self.bandwidth}"

    @classmethod
    def parse(cls, text: str) -> Bandwidth:
        """Parse the value of a ``b=`` line."""
        bwtype, colon, value = text.partition(":")
        if not colon:
            raise SdpError("b= is not <type>:<bandwidth>")
        bandwidth = parse_uint(value.strip(), "bandwidth", _MAX_UINT64)
        return cls(bwtype.strip(), bandwidth)._remember(text)


@dataclass(frozen=True)
class Timing(_HeaderValue):
    """A time description: ``t=<start> <stop>`` (NTP seconds, RFC 8866 section 5.9), its
    ``r=`` lines (5.10) and its ``z=`` line (5.11), the latter two as text.

    RFC 4566 put one ``z=`` after all time descriptions; that reads as the zone of the last.
    """

    start: int = 0
    stop: int = 0
    repeats: tuple[str, ...] = ()
    zone: str | None = None

    def __post_init__(self) -> None:
        check_range(self.start, "start time", 0, _MAX_UINT64)
        check_range(self.stop, "stop time", 0, _MAX_UINT64)
        for text in (*self.repeats, self.zone or ""):
            check_line_text(text, "r= or z= value")

    def format(self) -> str:
        return f"{self.start} {self.stop}"

    def _with(self, repeats: tuple[str, ...], zone: str | None) -> Timing:
        """A copy with ``repeats`` and ``zone`` set that keeps the received ``t=`` text."""
        timing = dataclasses.replace(self, repeats=repeats, zone=zone)
        object.__setattr__(timing, "_text", self._text)
        return timing

    @classmethod
    def parse(cls, text: str) -> Timing:
        """Parse the value of a ``t=`` line (without repeat times)."""
        start, stop = split_fields(text, "t=", 2, 2)
        return cls(
            parse_uint(start, "start time", _MAX_UINT64),
            parse_uint(stop, "stop time", _MAX_UINT64),
        )._remember(text)


@dataclass(frozen=True)
class IceCredentials:
    """The ``ice-ufrag`` and ``ice-pwd`` that apply to a media section."""

    ufrag: str
    password: str


class _Section:
    """Attribute lookups shared by the session level and media sections."""

    attributes: list[Attribute]

    def find(self, kind: type[A]) -> list[A]:
        """Every attribute of the typed class ``kind``, in order."""
        return [attribute for attribute in self.attributes if isinstance(attribute, kind)]

    def first(self, kind: type[A]) -> A | None:
        """The first attribute of the typed class ``kind``, or ``None``."""
        for attribute in self.attributes:
            if isinstance(attribute, kind):
                return attribute
        return None

    def find_named(self, name: str) -> list[Attribute]:
        """Every attribute called ``name`` (typed or not), in order."""
        return [attribute for attribute in self.attributes if attribute.name == name]

    def has_flag(self, name: str) -> bool:
        """Whether the property attribute ``name`` (``rtcp-mux``, ``ice-lite``...) is present."""
        return any(attribute.name == name for attribute in self.attributes)

    @property
    def direction(self) -> str | None:
        """The direction attribute written at this level, if any."""
        attribute = self.first(Direction)
        return None if attribute is None else attribute.direction

    @property
    def ice_ufrag(self) -> str | None:
        """``a=ice-ufrag`` at this level."""
        attribute = self.first(IceUfrag)
        return None if attribute is None else attribute.ufrag

    @property
    def ice_pwd(self) -> str | None:
        """``a=ice-pwd`` at this level."""
        attribute = self.first(IcePwd)
        return None if attribute is None else attribute.password

    @property
    def ice_options(self) -> tuple[str, ...]:
        """The ``a=ice-options`` tags at this level."""
        return tuple(option for options in self.find(IceOptions) for option in options.options)

    @property
    def fingerprints(self) -> list[Fingerprint]:
        """Every ``a=fingerprint`` at this level (RFC 8122 allows several)."""
        return self.find(Fingerprint)

    @property
    def setup(self) -> str | None:
        """The ``a=setup`` role at this level."""
        attribute = self.first(Setup)
        return None if attribute is None else attribute.role


@dataclass(eq=False)
class MediaDescription(_Section):
    """One media section: its ``m=`` line fields, ``i=``, ``c=``, ``b=``, ``k=`` and attributes.

    ``port_count`` is the ``/<number of ports>`` suffix of the port, if written; ``formats``
    are the ``<fmt>`` strings (payload type numbers for RTP, ``webrtc-datachannel`` for SCTP).
    """

    kind: str
    port: int
    protocol: str
    formats: list[str]
    port_count: int | None = None
    information: str | None = None
    connections: list[Connection] = field(default_factory=list)
    bandwidths: list[Bandwidth] = field(default_factory=list)
    key: str | None = None
    attributes: list[Attribute] = field(default_factory=list)
    # (canonical m= value when parsed, received m= value) if they differ.
    _m_text: tuple[str, str] | None = field(default=None, init=False, repr=False)

    _FIELDS: ClassVar[tuple[str, ...]] = (
        "kind",
        "port",
        "protocol",
        "formats",
        "port_count",
        "information",
        "connections",
        "bandwidths",
        "key",
        "attributes",
    )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MediaDescription):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self._FIELDS)

    @classmethod
    def _from_media_line(cls, text: str) -> MediaDescription:
        """A section with the fields of an ``m=`` line value (RFC 8866 section 5.14)."""
        kind, port_text, protocol, *formats = split_fields(text, "m=", 4)
        number, slash, count = port_text.partition("/")
        media = cls(
            kind,
            parse_uint(number, "port", 0xFFFF),
            protocol,
            formats,
            parse_uint(count, "number of ports", 0xFFFF) if slash else None,
        )
        canonical = media._format_media_line()
        if canonical != text:
            media._m_text = (canonical, text)
        return media

    def _format_media_line(self) -> str:
        """The canonical ``m=`` value; :class:`SdpError` if a field cannot be written."""
        check_token(self.kind, "media type")
        check_range(self.port, "port", 0, 0xFFFF)
        if self.port_count is not None:
            check_range(self.port_count, "number of ports", 0, 0xFFFF)
        if not all(TOKEN.fullmatch(part) for part in self.protocol.split("/")):
            raise SdpError(f"protocol {self.protocol!r} is not tokens separated by '/'")
        if not self.formats:
            raise SdpError("an m= line needs at least one format")
        for fmt in self.formats:
            check_token(fmt, "format")
        port = str(self.port) if self.port_count is None else f"{self.port}/{self.port_count}"
        return " ".join((self.kind, port, self.protocol, *self.formats))

    def to_lines(self) -> list[str]:
        """The section's lines in RFC 8866 order, without line endings."""
        media_line = self._format_media_line()
        if self._m_text is not None and self._m_text[0] == media_line:
            media_line = self._m_text[1]
        lines = ["m=" + media_line]
        if self.information is not None:
            lines.append("i=" + self.information)
        lines += ["c=" + connection.text for connection in self.connections]
        lines += ["b=" + bandwidth.text for bandwidth in self.bandwidths]
        if self.key is not None:
            lines.append("k=" + self.key)
        lines += [attribute.to_line() for attribute in self.attributes]
        return lines

    @property
    def mid(self) -> str | None:
        """``a=mid`` (RFC 5888), the section's identification tag."""
        attribute = self.first(Mid)
        return None if attribute is None else attribute.mid

    @property
    def codecs(self) -> list[Codec]:
        """The RTP codecs in ``m=`` order, joined from rtpmap, fmtp and rtcp-fb."""
        return join_codecs(self.formats, self.attributes)

    def add_codec(self, codec: Codec) -> None:
        """Append ``codec``'s payload type to the formats and its attributes to the section."""
        self.formats.append(str(codec.payload_type))
        self.attributes += codec.to_attributes()

    @property
    def extmaps(self) -> list[ExtMap]:
        """The ``a=extmap`` header extension mappings (RFC 8285)."""
        return self.find(ExtMap)

    @property
    def candidates(self) -> list[Candidate]:
        """The ``a=candidate`` ICE candidates, in order."""
        return [attribute.candidate for attribute in self.find(CandidateAttribute)]

    @property
    def end_of_candidates(self) -> bool:
        """Whether ``a=end-of-candidates`` is present (RFC 8840 section 8.2)."""
        return self.has_flag("end-of-candidates")

    @property
    def rtcp_mux(self) -> bool:
        """Whether ``a=rtcp-mux`` is present (RFC 5761)."""
        return self.has_flag("rtcp-mux")

    @property
    def rtcp_rsize(self) -> bool:
        """Whether ``a=rtcp-rsize`` is present (RFC 5506)."""
        return self.has_flag("rtcp-rsize")

    @property
    def rtcp(self) -> Rtcp | None:
        """``a=rtcp`` (RFC 3605)."""
        return self.first(Rtcp)

    @property
    def msids(self) -> list[Msid]:
        """The ``a=msid`` attributes (RFC 8830)."""
        return self.find(Msid)

    @property
    def ssrcs(self) -> dict[int, dict[str, str | None]]:
        """The ``a=ssrc`` source attributes grouped by SSRC, both in order of appearance."""
        grouped: dict[int, dict[str, str | None]] = {}
        for attribute in self.find(Ssrc):
            grouped.setdefault(attribute.ssrc, {})[attribute.attribute] = attribute.attribute_value
        return grouped

    @property
    def ssrc_groups(self) -> list[SsrcGroup]:
        """The ``a=ssrc-group`` attributes (``FID``, ``SIM``, ``FEC-FR``)."""
        return self.find(SsrcGroup)

    @property
    def rids(self) -> list[Rid]:
        """The ``a=rid`` attributes (RFC 8851)."""
        return self.find(Rid)

    @property
    def simulcast(self) -> Simulcast | None:
        """``a=simulcast`` (RFC 8853)."""
        return self.first(Simulcast)

    @property
    def sctp_port(self) -> int | None:
        """``a=sctp-port`` (RFC 8841), or the port of a legacy ``a=sctpmap``."""
        attribute = self.first(SctpPort)
        if attribute is not None:
            return attribute.port
        legacy = self.first(SctpMap)
        return None if legacy is None else legacy.port

    @property
    def max_message_size(self) -> int | None:
        """``a=max-message-size`` (RFC 8841 section 6); ``None`` when absent."""
        attribute = self.first(MaxMessageSize)
        return None if attribute is None else attribute.size


def _check_order(
    letter: str, rank: int, state: list[int], repeatable: frozenset[str], what: str
) -> None:
    if rank < state[0] or (rank == state[0] and letter not in repeatable):
        problem = "repeated" if rank == state[0] else "out of order"
        raise SdpError(f"{letter}= line {problem} in the {what} (RFC 8866 section 5)")
    state[0] = rank


def _split_lines(text: str | bytes) -> tuple[list[str], bool]:
    """The lines without their CRLF or LF, and whether any line may hold a CR or NUL."""
    if isinstance(text, bytes):
        try:
            text = text.decode()
        except UnicodeDecodeError as error:
            raise SdpError(f"not UTF-8: {error.reason} at byte {error.start}") from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    stray = "\0" in text or "\r" in text.replace("\r\n", "")
    return [line[:-1] if line.endswith("\r") else line for line in lines], stray


@dataclass(eq=False)
class SessionDescription(_Section):
    """A whole SDP session description: session-level fields, attributes and media sections.

    Build one programmatically with the constructor, or read one with :meth:`parse`;
    :meth:`serialize` (and ``str()``) write it with CRLF line endings.
    """

    origin: Origin
    name: str | None = "-"
    information: str | None = None
    uri: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    connection: Connection | None = None
    bandwidths: list[Bandwidth] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=lambda: [Timing(0, 0)])
    key: str | None = None
    attributes: list[Attribute] = field(default_factory=list)
    media: list[MediaDescription] = field(default_factory=list)
    # The v= value as received when it is not exactly "0" (trailing whitespace).
    _version_text: str | None = field(default=None, init=False, repr=False)

    _FIELDS: ClassVar[tuple[str, ...]] = (
        "origin",
        "name",
        "information",
        "uri",
        "emails",
        "phones",
        "connection",
        "bandwidths",
        "timings",
        "key",
        "attributes",
        "media",
    )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SessionDescription):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self._FIELDS)

    @classmethod
    def parse(cls, text: str | bytes) -> SessionDescription:
        """Parse a session description (RFC 8866 section 5); :class:`SdpError` if malformed.

        The error names the 1-based line number and the line.
        """
        lines, stray = _split_lines(text)
        if not lines or not lines[0].startswith("v="):
            raise SdpError("a session description starts with v=", 1, lines[0] if lines else "")
        session: SessionDescription | None = None
        media: MediaDescription | None = None
        state = [0]
        version_text = None
        for number, line in enumerate(lines, 1):
            try:
                if len(line) < 2 or line[1] != "=" or line[0] not in ascii_letters:
                    raise SdpError("not a <type>=<value> line")
                if stray and ("\r" in line or "\0" in line):
                    raise SdpError("CR or NUL inside a line")
                letter, value = line[0], line[2:]
                if letter == "m":
                    if session is None:
                        raise SdpError("m= before the o= line")
                    media = MediaDescription._from_media_line(value)
                    session.media.append(media)
                    state = [0]
                elif media is not None:
                    if letter == "a" and state[0] == _MEDIA_ATTRIBUTES:  # the common case
                        media.attributes.append(parse_attribute(value))
                    else:
                        cls._parse_line_in_media(media, letter, value, state)
                elif number == 1:
                    parse_uint(value.strip(), "version", 0)
                    version_text = None if value == "0" else value
                elif letter == "o":
                    if number != 2:
                        raise SdpError("o= must follow v=")
                    session = cls(Origin.parse(value), name=None, timings=[])
                    session._version_text = version_text
                    state = [1]
                elif session is None:
                    raise SdpError("o= must follow v=")
                else:
                    session._parse_line_in_session(letter, value, state)
            except SdpError as error:
                raise SdpError(error.reason, number, line) from None
        if session is None:
            raise SdpError("no o= line", len(lines), lines[-1])
        return session

    def _parse_line_in_session(self, letter: str, value: str, state: list[int]) -> None:
        rank = _SESSION_ORDER.get(letter)
        if rank is None:
            # Kept among the attributes; only a= lines may follow, so the order stays exact.
            state[0] = _SESSION_ORDER["a"]
            self.attributes.append(UnknownLine.parse(letter, value))
            return
        if letter == "t" and state[0] in (_RANK_R, _RANK_Z):
            state[0] = rank  # the next time description
        if letter in "rz" and state[0] not in (_RANK_T, _RANK_R):
            raise SdpError(f"{letter}= must follow a t= or r= line")
        _check_order(letter, rank, state, _SESSION_REPEATABLE, "session")
        if letter == "a":
            self.attributes.append(parse_attribute(value))
        elif letter == "s":
            self.name = value
        elif letter == "i":
            self.information = value
        elif letter == "u":
            self.uri = value
        elif letter == "e":
            self.emails.append(value)
        elif letter == "p":
            self.phones.append(value)
        elif letter == "c":
            self.connection = Connection.parse(value)
        elif letter == "b":
            self.bandwidths.append(Bandwidth.parse(value))
        elif letter == "t":
            self.timings.append(Timing.parse(value))
        elif letter == "r":
            last = self.timings[-1]
            self.timings[-1] = last._with((*last.repeats, value), last.zone)
        elif letter == "z":
            last = self.timings[-1]
            self.timings[-1] = last._with(last.repeats, value)
        else:  # k=
            self.key = value

    @staticmethod
    def _parse_line_in_media(
        media: MediaDescription, letter: str, value: str, state: list[int]
    ) -> None:
        rank = _MEDIA_ORDER.get(letter)
        if rank is None:
            if letter in _SESSION_ORDER:
                raise SdpError(f"{letter}= is not allowed in a media section")
            state[0] = _MEDIA_ATTRIBUTES
            media.attributes.append(UnknownLine.parse(letter, value))
            return
        _check_order(letter, rank, state, _MEDIA_REPEATABLE, "media section")
        if letter == "a":
            media.attributes.append(parse_attribute(value))
        elif letter == "c":
            media.connections.append(Connection.parse(value))
        elif letter == "b":
            media.bandwidths.append(Bandwidth.parse(value))
        elif letter == "i":
            media.information = value
        else:  # k=
            media.key = value

    def to_lines(self) -> list[str]:
        """Every line in RFC 8866 order, without line endings."""
        lines = ["v=" + (self._version_text or "0"), "o=" + self.origin.text]
        if self.name is not None:
            lines.append("s=" + self.name)
        if self.information is not None:
            lines.append("i=" + self.information)
        if self.uri is not None:
            lines.append("u=" + self.uri)
        lines += ["e=" + email for email in self.emails]
        lines += ["p=" + phone for phone in self.phones]
        if self.connection is not None:
            lines.append("c=" + self.connection.text)
        lines += ["b=" + bandwidth.text for bandwidth in self.bandwidths]
        for timing in self.timings:
            lines.append("t=" + timing.text)
            lines += ["r=" + repeat for repeat in timing.repeats]
            if timing.zone is not None:
                lines.append("z=" + timing.zone)
        if self.key is not None:
            lines.append("k=" + self.key)
        lines += [attribute.to_line() for attribute in self.attributes]
        for media in self.media:
            lines += media.to_lines()
        return lines

    def serialize(self) -> str:
        """The description as text with CRLF line endings (RFC 8866 section 5)."""
        lines = self.to_lines()
        for line in lines:
            if "\r" in line or "\n" in line or "\0" in line:
                raise SdpError(f"a value contains a line break or NUL: {line!r}")
        return "\r\n".join(lines) + "\r\n"

    def __str__(self) -> str:
        return self.serialize()

    @property
    def groups(self) -> list[Group]:
        """Every ``a=group`` (RFC 5888)."""
        return self.find(Group)

    @property
    def bundle_groups(self) -> list[tuple[str, ...]]:
        """The mids of each ``a=group:BUNDLE`` (RFC 8843)."""
        return [group.mids for group in self.groups if group.semantics == "BUNDLE"]

    @property
    def ice_lite(self) -> bool:
        """Whether the session-level ``a=ice-lite`` is present (RFC 8839 section 5.3)."""
        return self.has_flag("ice-lite")

    @property
    def extmap_allow_mixed(self) -> bool:
        """Whether the session-level ``a=extmap-allow-mixed`` is present (RFC 8285 section 6)."""
        return self.has_flag("extmap-allow-mixed")

    @property
    def msid_semantics(self) -> list[MsidSemantic]:
        """The ``a=msid-semantic`` attributes."""
        return self.find(MsidSemantic)

    def media_by_mid(self, mid: str) -> MediaDescription | None:
        """The media section whose ``a=mid`` is ``mid``."""
        for media in self.media:
            if media.mid == mid:
                return media
        return None

    def effective_direction(self, media: MediaDescription) -> str:
        """The media direction: media level, else session level, else ``sendrecv`` (6.7)."""
        return media.direction or self.direction or "sendrecv"

    def effective_ice_credentials(self, media: MediaDescription) -> IceCredentials | None:
        """ufrag and password: media-level values, else session-level (RFC 8839 5.4)."""
        ufrag = media.ice_ufrag or self.ice_ufrag
        password = media.ice_pwd or self.ice_pwd
        if ufrag is None or password is None:
            return None
        return IceCredentials(ufrag, password)

    def effective_ice_options(self, media: MediaDescription) -> tuple[str, ...]:
        """The ICE options of the media section, else of the session (RFC 8839 section 5.6)."""
        return media.ice_options or self.ice_options

    def effective_fingerprints(self, media: MediaDescription) -> list[Fingerprint]:
        """The media-level fingerprints, else the session-level ones (RFC 8122 section 5)."""
        return media.fingerprints or self.fingerprints

    def effective_setup(self, media: MediaDescription) -> str | None:
        """The ``a=setup`` role of the media section, else of the session (RFC 4145)."""
        return media.setup or self.setup
