"""Wire codecs of DTLS 1.2 handshake messages and extensions (RFC 6347 §4.2, RFC 5246 §7.4).

Parsers raise :class:`~pyrtc.dtls.errors.DtlsParseError` on any malformed input; builders
return ``bytes``. Handshake bodies are kept separate from the 12-byte DTLS handshake header,
which lives with fragmentation in :mod:`pyrtc.dtls.fragments`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

from pyrtc.dtls.errors import DtlsParseError

DTLS_1_0 = 0xFEFF
DTLS_1_2 = 0xFEFD
DTLS_1_3 = 0xFEFC


class ContentType(IntEnum):
    """Record content types (RFC 5246 §6.2.1)."""

    CHANGE_CIPHER_SPEC = 20
    ALERT = 21
    HANDSHAKE = 22
    APPLICATION_DATA = 23


class HandshakeType(IntEnum):
    """Handshake message types (RFC 5246 §7.4, RFC 6347 §4.3.2)."""

    HELLO_REQUEST = 0
    CLIENT_HELLO = 1
    SERVER_HELLO = 2
    HELLO_VERIFY_REQUEST = 3
    CERTIFICATE = 11
    SERVER_KEY_EXCHANGE = 12
    CERTIFICATE_REQUEST = 13
    SERVER_HELLO_DONE = 14
    CERTIFICATE_VERIFY = 15
    CLIENT_KEY_EXCHANGE = 16
    FINISHED = 20


class AlertDescription(IntEnum):
    """Alert codes (RFC 5246 §7.2)."""

    CLOSE_NOTIFY = 0
    UNEXPECTED_MESSAGE = 10
    BAD_RECORD_MAC = 20
    HANDSHAKE_FAILURE = 40
    BAD_CERTIFICATE = 42
    UNSUPPORTED_CERTIFICATE = 43
    ILLEGAL_PARAMETER = 47
    DECODE_ERROR = 50
    DECRYPT_ERROR = 51
    PROTOCOL_VERSION = 70
    INTERNAL_ERROR = 80
    NO_RENEGOTIATION = 100
    UNSUPPORTED_EXTENSION = 110


class ExtensionType(IntEnum):
    """Extension numbers this stack reads or writes (IANA "TLS ExtensionType Values")."""

    SUPPORTED_GROUPS = 10
    EC_POINT_FORMATS = 11
    SIGNATURE_ALGORITHMS = 13
    USE_SRTP = 14
    EXTENDED_MASTER_SECRET = 23
    SUPPORTED_VERSIONS = 43
    RENEGOTIATION_INFO = 0xFF01


class Reader:
    """Bounds-checked big-endian reader over one message body."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise DtlsParseError(f"truncated: wanted {n} bytes at offset {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def vector(self, length_bytes: int) -> bytes:
        return self.take(int.from_bytes(self.take(length_bytes), "big"))

    def u16_list(self, length_bytes: int) -> list[int]:
        raw = self.vector(length_bytes)
        if len(raw) % 2:
            raise DtlsParseError("odd length in a list of 16-bit values")
        return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]

    def end(self) -> None:
        if self.pos != len(self.data):
            raise DtlsParseError(f"{len(self.data) - self.pos} trailing bytes")


def vec(data: bytes, length_bytes: int) -> bytes:
    """Prefix ``data`` with its length in ``length_bytes`` bytes."""
    return len(data).to_bytes(length_bytes, "big") + data


def u16_vec(values: list[int] | tuple[int, ...], length_bytes: int = 2) -> bytes:
    return vec(b"".join(struct.pack("!H", v) for v in values), length_bytes)


Extensions = list[tuple[int, bytes]]


def parse_extensions(reader: Reader) -> Extensions:
    """The optional extensions block at the end of a hello (RFC 5246 §7.4.1.4)."""
    if reader.pos == len(reader.data):
        return []
    block = Reader(reader.vector(2))
    extensions: Extensions = []
    seen: set[int] = set()
    while block.pos < len(block.data):
        ext_type = block.u16()
        if ext_type in seen:
            raise DtlsParseError(f"duplicate extension {ext_type}")
        seen.add(ext_type)
        extensions.append((ext_type, block.vector(2)))
    return extensions


def build_extensions(extensions: Extensions) -> bytes:
    return vec(b"".join(struct.pack("!H", t) + vec(d, 2) for t, d in extensions), 2)


@dataclass
class ClientHello:
    """ClientHello with the DTLS cookie field (RFC 6347 §4.2.1)."""

    version: int
    random: bytes
    session_id: bytes
    cookie: bytes
    cipher_suites: list[int]
    compression_methods: bytes
    extensions: Extensions = field(default_factory=list)

    @classmethod
    def parse(cls, body: bytes) -> ClientHello:
        r = Reader(body)
        hello = cls(
            version=r.u16(),
            random=r.take(32),
            session_id=r.vector(1),
            cookie=r.vector(1),
            cipher_suites=r.u16_list(2),
            compression_methods=r.vector(1),
        )
        if len(hello.session_id) > 32:
            raise DtlsParseError("session_id longer than 32 bytes")
        hello.extensions = parse_extensions(r)
        r.end()
        return hello

    def build(self) -> bytes:
        return (
            struct.pack("!H", self.version)
            + self.random
            + vec(self.session_id, 1)
            + vec(self.cookie, 1)
            + u16_vec(self.cipher_suites)
            + vec(self.compression_methods, 1)
            + build_extensions(self.extensions)
        )


@dataclass
class HelloVerifyRequest:
    """The server's stateless cookie challenge (RFC 6347 §4.2.1)."""

    version: int
    cookie: bytes

    @classmethod
    def parse(cls, body: bytes) -> HelloVerifyRequest:
        r = Reader(body)
        message = cls(version=r.u16(), cookie=r.vector(1))
        r.end()
        return message

    def build(self) -> bytes:
        return struct.pack("!H", self.version) + vec(self.cookie, 1)


@dataclass
class ServerHello:
    """ServerHello (RFC 5246 §7.4.1.3)."""

    version: int
    random: bytes
    session_id: bytes
    cipher_suite: int
    compression_method: int
    extensions: Extensions = field(default_factory=list)

    @classmethod
    def parse(cls, body: bytes) -> ServerHello:
        r = Reader(body)
        hello = cls(
            version=r.u16(),
            random=r.take(32),
            session_id=r.vector(1),
            cipher_suite=r.u16(),
            compression_method=r.u8(),
        )
        hello.extensions = parse_extensions(r)
        r.end()
        return hello

    def build(self) -> bytes:
        return (
            struct.pack("!H", self.version)
            + self.random
            + vec(self.session_id, 1)
            + struct.pack("!HB", self.cipher_suite, self.compression_method)
            + build_extensions(self.extensions)
        )


def parse_certificate(body: bytes) -> list[bytes]:
    """Certificate message: a chain of DER certificates (RFC 5246 §7.4.2)."""
    r = Reader(body)
    chain = Reader(r.vector(3))
    r.end()
    certificates = []
    while chain.pos < len(chain.data):
        certificates.append(chain.vector(3))
    return certificates


def build_certificate(certificates: list[bytes]) -> bytes:
    return vec(b"".join(vec(c, 3) for c in certificates), 3)


@dataclass
class ServerKeyExchange:
    """ECDHE parameters signed by the server (RFC 8422 §5.4, named curves only)."""

    group: int
    public: bytes
    scheme: int
    signature: bytes

    @property
    def params(self) -> bytes:
        """The ServerECDHParams the signature covers."""
        return struct.pack("!BH", 3, self.group) + vec(self.public, 1)

    @classmethod
    def parse(cls, body: bytes) -> ServerKeyExchange:
        r = Reader(body)
        if r.u8() != 3:
            raise DtlsParseError("only named_curve ECParameters are supported")
        message = cls(group=r.u16(), public=r.vector(1), scheme=r.u16(), signature=r.vector(2))
        r.end()
        return message

    def build(self) -> bytes:
        return self.params + struct.pack("!H", self.scheme) + vec(self.signature, 2)


@dataclass
class CertificateRequest:
    """CertificateRequest (RFC 5246 §7.4.4); WebRTC always sends one (RFC 8827 §6.5)."""

    certificate_types: bytes
    signature_schemes: list[int]
    authorities: bytes = b""

    @classmethod
    def parse(cls, body: bytes) -> CertificateRequest:
        r = Reader(body)
        message = cls(
            certificate_types=r.vector(1), signature_schemes=r.u16_list(2), authorities=r.vector(2)
        )
        r.end()
        return message

    def build(self) -> bytes:
        return (
            vec(self.certificate_types, 1)
            + u16_vec(self.signature_schemes)
            + vec(self.authorities, 2)
        )


def parse_client_key_exchange(body: bytes) -> bytes:
    """ClientECDiffieHellmanPublic: the client's ECDHE point (RFC 8422 §5.7)."""
    r = Reader(body)
    public = r.vector(1)
    r.end()
    if not public:
        raise DtlsParseError("empty ECDHE public value")
    return public


def parse_digitally_signed(body: bytes) -> tuple[int, bytes]:
    """CertificateVerify: signature scheme and signature (RFC 5246 §7.4.8)."""
    r = Reader(body)
    scheme = r.u16()
    signature = r.vector(2)
    r.end()
    return scheme, signature


def build_digitally_signed(scheme: int, signature: bytes) -> bytes:
    return struct.pack("!H", scheme) + vec(signature, 2)


def parse_use_srtp(data: bytes) -> list[int]:
    """use_srtp extension: protection profiles and an MKI we do not use (RFC 5764 §4.1.1)."""
    r = Reader(data)
    profiles = r.u16_list(2)
    r.vector(1)
    r.end()
    return profiles


def build_use_srtp(profiles: list[int] | tuple[int, ...]) -> bytes:
    return u16_vec(profiles) + b"\x00"


def parse_u16_list_extension(data: bytes) -> list[int]:
    """supported_groups and signature_algorithms: a 2-byte-length list of 16-bit values."""
    r = Reader(data)
    values = r.u16_list(2)
    r.end()
    return values


def parse_supported_versions(data: bytes) -> list[int]:
    """ClientHello supported_versions: a 1-byte-length list (RFC 8446 §4.2.1)."""
    r = Reader(data)
    values = r.u16_list(1)
    r.end()
    return values


def parse_renegotiation_info(data: bytes) -> bytes:
    """renegotiation_info: the previous verify_data, empty on an initial handshake (RFC 5746)."""
    r = Reader(data)
    value = r.vector(1)
    r.end()
    return value
