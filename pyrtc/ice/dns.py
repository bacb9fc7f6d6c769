"""The DNS message format (RFC 1035 section 4) as far as mDNS candidate resolution needs it.

Encodes and decodes whole messages: header, questions and the three resource record
sections. Names are ``str`` (labels joined by dots, UTF-8 as RFC 6762 section 16 allows, no
trailing dot); compression pointers (RFC 1035 section 4.1.4) are followed on decode, each one
strictly backwards, so a crafted loop cannot hang the decoder; encode never compresses.
Record data is kept as bytes; A and AAAA data are checked for length and exposed as addresses
through :attr:`DnsRecord.address`. Names inside other record data are not expanded.
Malformed input raises :class:`DnsError`.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from pyrtc.errors import ParseError

__all__ = [
    "CLASS_IN",
    "TYPE_A",
    "TYPE_AAAA",
    "DnsError",
    "DnsMessage",
    "DnsQuestion",
    "DnsRecord",
    "build_query",
]

TYPE_A = 1
TYPE_AAAA = 28
CLASS_IN = 1
_TOP_BIT = 0x8000  # QU in a question class, cache-flush in a record class (RFC 6762 10.2, 5.4)
_FLAG_QR = 0x8000
_MAX_NAME = 255  # wire length, RFC 1035 section 3.1
_MAX_LABEL = 63
_ADDRESS_LENGTHS = {TYPE_A: 4, TYPE_AAAA: 16}


class DnsError(ParseError):
    """A DNS message (or a name to put in one) is malformed."""


def _encode_name(name: str) -> bytes:
    out = bytearray()
    if name:
        for label in name.split("."):
            raw = label.encode()
            if not 1 <= len(raw) <= _MAX_LABEL:
                raise DnsError(f"label {label!r} of {name!r} is not 1..63 bytes")
            out += bytes((len(raw),)) + raw
    out.append(0)
    if len(out) > _MAX_NAME:
        raise DnsError(f"name {name!r} is longer than 255 bytes")
    return bytes(out)


def _decode_name(data: bytes, offset: int) -> tuple[str, int]:
    """Decode the name at ``offset``; return it and the offset just past it in the message."""
    labels: list[str] = []
    wire_length = 1
    end: int | None = None  # where the name ends in the message, set at the first pointer
    floor = offset  # every pointer must go strictly below the previous hop's start
    while True:
        if offset >= len(data):
            raise DnsError("name runs past the end of the message")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data):
                raise DnsError("truncated compression pointer")
            target = ((length & 0x3F) << 8) | data[offset + 1]
            if end is None:
                end = offset + 2
            if target >= floor:
                raise DnsError("compression pointer does not point backwards")
            offset = floor = target
            continue
        if length & 0xC0:
            raise DnsError(f"reserved label type 0x{length & 0xC0:02x}")
        offset += 1
        if length == 0:
            return ".".join(labels), (offset if end is None else end)
        raw = data[offset : offset + length]
        if len(raw) < length:
            raise DnsError("label runs past the end of the message")
        wire_length += length + 1
        if wire_length > _MAX_NAME:
            raise DnsError("name is longer than 255 bytes")
        try:
            label = raw.decode()
        except UnicodeDecodeError:
            raise DnsError("label is not UTF-8") from None
        if "." in label:
            raise DnsError(f"label {label!r} contains a dot")
        labels.append(label)
        offset += length


def _check_type_and_class(rtype: int, rclass: int) -> None:
    if not 0 <= rtype <= 0xFFFF:
        raise DnsError(f"type {rtype} is not a 16-bit number")
    if not 0 <= rclass <= 0x7FFF:
        raise DnsError(f"class {rclass} does not fit 15 bits")


@dataclass(frozen=True, slots=True)
class DnsQuestion:
    """A question (RFC 1035 section 4.1.2); ``unicast_response`` is mDNS's QU bit."""

    name: str
    type: int
    unicast_response: bool = False
    rclass: int = CLASS_IN

    def __post_init__(self) -> None:
        _check_type_and_class(self.type, self.rclass)

    def encode(self) -> bytes:
        rclass = self.rclass | (_TOP_BIT if self.unicast_response else 0)
        return _encode_name(self.name) + struct.pack("!HH", self.type, rclass)


@dataclass(frozen=True, slots=True)
class DnsRecord:
    """A resource record (RFC 1035 section 4.1.3); ``cache_flush`` is mDNS's top class bit."""

    name: str
    type: int
    ttl: int
    rdata: bytes
    cache_flush: bool = False
    rclass: int = CLASS_IN

    def __post_init__(self) -> None:
        _check_type_and_class(self.type, self.rclass)
        if not 0 <= self.ttl <= 0xFFFFFFFF:
            raise DnsError(f"TTL {self.ttl} is not a 32-bit unsigned number")
        expected = _ADDRESS_LENGTHS.get(self.type)
        if expected is not None and self.rclass == CLASS_IN and len(self.rdata) != expected:
            raise DnsError(f"type {self.type} record data is {len(self.rdata)} bytes")
        if len(self.rdata) > 0xFFFF:
            raise DnsError("record data is longer than 65535 bytes")

    @property
    def address(self) -> str | None:
        """The address of an IN A or AAAA record as text, ``None`` for any other record."""
        if self.rclass != CLASS_IN or self.type not in _ADDRESS_LENGTHS:
            return None
        return str(ipaddress.ip_address(self.rdata))

    def encode(self) -> bytes:
        rclass = self.rclass | (_TOP_BIT if self.cache_flush else 0)
        header = struct.pack("!HHIH", self.type, rclass, self.ttl, len(self.rdata))
        return _encode_name(self.name) + header + self.rdata


@dataclass(frozen=True, slots=True)
class DnsMessage:
    """A whole DNS message (RFC 1035 section 4.1). ``flags`` is the 16-bit second header word."""

    id: int = 0
    flags: int = 0
    questions: tuple[DnsQuestion, ...] = ()
    answers: tuple[DnsRecord, ...] = ()
    authorities: tuple[DnsRecord, ...] = ()
    additionals: tuple[DnsRecord, ...] = ()

    @property
    def is_response(self) -> bool:
        return bool(self.flags & _FLAG_QR)

    @property
    def opcode(self) -> int:
        return (self.flags >> 11) & 0xF

    @property
    def rcode(self) -> int:
        return self.flags & 0xF

    def __post_init__(self) -> None:
        if not 0 <= self.id <= 0xFFFF or not 0 <= self.flags <= 0xFFFF:
            raise DnsError("id and flags are 16-bit numbers")

    def encode(self) -> bytes:
        """The wire form, without name compression."""
        sections = (self.questions, self.answers, self.authorities, self.additionals)
        if any(len(section) > 0xFFFF for section in sections):
            raise DnsError("a section has more than 65535 entries")
        out = [struct.pack("!6H", self.id, self.flags, *map(len, sections))]
        out += [question.encode() for question in self.questions]
        out += [record.encode() for record in (*self.answers, *self.authorities, *self.additionals)]
        return b"".join(out)

    @classmethod
    def decode(cls, data: bytes) -> DnsMessage:
        """Parse a message; raises :class:`DnsError` on anything malformed or left over."""
        if len(data) < 12:
            raise DnsError(f"message of {len(data)} bytes is shorter than the 12-byte header")
        ident, flags, qdcount, ancount, nscount, arcount = struct.unpack_from("!6H", data)
        offset = 12
        questions = []
        for _ in range(qdcount):
            name, offset = _decode_name(data, offset)
            if offset + 4 > len(data):
                raise DnsError("truncated question")
            qtype, qclass = struct.unpack_from("!HH", data, offset)
            offset += 4
            questions.append(DnsQuestion(name, qtype, bool(qclass & _TOP_BIT), qclass & 0x7FFF))
        sections: list[list[DnsRecord]] = [[], [], []]
        for section, count in zip(sections, (ancount, nscount, arcount), strict=True):
            for _ in range(count):
                name, offset = _decode_name(data, offset)
                if offset + 10 > len(data):
                    raise DnsError("truncated resource record header")
                rtype, rclass, ttl, rdlength = struct.unpack_from("!HHIH", data, offset)
                offset += 10
                rdata = data[offset : offset + rdlength]
                if len(rdata) < rdlength:
                    raise DnsError("record data runs past the end of the message")
                offset += rdlength
                section.append(
                    DnsRecord(name, rtype, ttl, rdata, bool(rclass & _TOP_BIT), rclass & 0x7FFF)
                )
        if offset != len(data):
            raise DnsError(f"{len(data) - offset} bytes after the last record")
        answers, authorities, additionals = sections
        return cls(
            ident, flags, tuple(questions), tuple(answers), tuple(authorities), tuple(additionals)
        )


def build_query(name: str, unicast_response: bool = False) -> bytes:
    """A one-shot mDNS query for the A and AAAA records of ``name`` (RFC 6762 section 5.1).

    Query ID and flags are zero (RFC 6762 section 18); ``unicast_response`` sets the QU bit of
    both questions (section 5.4).
    """
    questions = (
        DnsQuestion(name, TYPE_A, unicast_response),
        DnsQuestion(name, TYPE_AAAA, unicast_response),
    )
    return DnsMessage(questions=questions).encode()
