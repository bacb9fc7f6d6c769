"""The DTLS 1.2 handshake state machine, both roles (RFC 6347 §4.2, RFC 5246 §7.4).

Full ECDHE handshake with mutual certificate authentication as WebRTC requires
(RFC 8827 §6.5), the stateless HelloVerifyRequest cookie exchange (RFC 6347 §4.2.1),
extended master secret (RFC 7627), secure renegotiation signalling without renegotiation
(RFC 5746) and use_srtp (RFC 5764). It knows nothing about records, datagrams or timers:
:class:`~pyrtc.dtls.connection.DtlsConnection` feeds it whole messages in order and carries
out what it asks through :class:`HandshakeDriver`. A DTLS 1.3 machine can sit beside it
behind the same driver.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import Protocol, TextIO

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec

from pyrtc.dtls.certificate import RTCCertificate, RTCDtlsFingerprint, fingerprint_matches
from pyrtc.dtls.crypto import (
    ECDSA_SCHEMES,
    KeyShare,
    choose_signature_scheme,
    export_keying_material,
    extended_master_secret,
    finished_verify_data,
    prf,
    sign,
    transcript_hash,
    verify,
)
from pyrtc.dtls.errors import AlertError, DtlsError, DtlsParseError
from pyrtc.dtls.fragments import whole_message
from pyrtc.dtls.keying import SRTP_EXPORTER_LABEL, SrtpKeyingMaterial, srtp_material_length
from pyrtc.dtls.messages import (
    DTLS_1_0,
    DTLS_1_2,
    AlertDescription,
    CertificateRequest,
    ClientHello,
    ContentType,
    ExtensionType,
    HandshakeType,
    HelloVerifyRequest,
    ServerHello,
    ServerKeyExchange,
    build_certificate,
    build_digitally_signed,
    build_use_srtp,
    parse_certificate,
    parse_client_key_exchange,
    parse_digitally_signed,
    parse_renegotiation_info,
    parse_u16_list_extension,
    parse_use_srtp,
    u16_vec,
    vec,
)
from pyrtc.dtls.record import NativeRecordProtection, Protection
from pyrtc.dtls.suites import (
    DEFAULT_GROUPS,
    DEFAULT_SIGNATURE_SCHEMES,
    SUITES,
    CipherSuite,
    Group,
    SuiteParams,
)

EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF
_CERT_TYPE_RSA_SIGN = 1
_CERT_TYPE_ECDSA_SIGN = 64
_MAX_MESSAGE_SEQ = 0xFFFF
_SERVER_MESSAGES = 5
"""Server messages after its ServerHello: Certificate to ServerHelloDone, then Finished."""
_CLIENT_MESSAGES = 4
"""Client messages after its ClientHello: Certificate to CertificateVerify, then Finished."""


@dataclass(frozen=True)
class FlightItem:
    """One message of a flight: a handshake message or a ChangeCipherSpec, in its epoch."""

    epoch: int
    content_type: int
    msg_type: int
    message_seq: int
    body: bytes


class HandshakeDriver(Protocol):
    """What the handshake asks of the connection that carries it."""

    def send_flight(self, items: list[FlightItem], expect_reply: bool) -> None: ...

    def send_stateless(self, item: FlightItem, record_sequence: int) -> None: ...

    def install_keys(self, read: Protection, write: Protection) -> None: ...

    def handshake_done(self) -> None: ...


class State(Enum):
    CLIENT_START = auto()
    CLIENT_WAIT_SERVER_HELLO = auto()
    CLIENT_WAIT_CERTIFICATE = auto()
    CLIENT_WAIT_KEY_EXCHANGE = auto()
    CLIENT_WAIT_CERTIFICATE_REQUEST = auto()
    CLIENT_WAIT_HELLO_DONE = auto()
    CLIENT_WAIT_FINISHED = auto()
    SERVER_WAIT_CLIENT_HELLO = auto()
    SERVER_WAIT_CERTIFICATE = auto()
    SERVER_WAIT_KEY_EXCHANGE = auto()
    SERVER_WAIT_CERTIFICATE_VERIFY = auto()
    SERVER_WAIT_FINISHED = auto()
    DONE = auto()


class Handshake12:
    """State, transcript and secrets of one DTLS 1.2 handshake."""

    def __init__(
        self,
        driver: HandshakeDriver,
        is_client: bool,
        certificate: RTCCertificate,
        remote_fingerprints: list[RTCDtlsFingerprint] | None,
        cipher_suites: Sequence[int],
        srtp_profiles: Sequence[int],
        hello_verify: bool,
        key_log: TextIO | None,
    ) -> None:
        self._driver = driver
        self.is_client = is_client
        self._certificate = certificate
        self._remote_fingerprints = remote_fingerprints
        self._cipher_suites = [CipherSuite(s) for s in cipher_suites]
        self._srtp_profiles = [int(p) for p in srtp_profiles]
        self._cookie_secret = os.urandom(32) if hello_verify and not is_client else None
        self._key_log = key_log
        self.state = State.CLIENT_START if is_client else State.SERVER_WAIT_CLIENT_HELLO
        self._transcript = bytearray()
        self._send_seq = 0
        self._client_random = b""
        self._server_random = b""
        self._client_hello: ClientHello | None = None
        self._client_hello_seq = 0
        self._suite: CipherSuite | None = None
        self._params: SuiteParams | None = None
        self._key_share: KeyShare | None = None
        self._peer_share = b""
        self._group = Group.SECP256R1
        self._master_secret: bytes | None = None
        self._peer_certificate: x509.Certificate | None = None
        self.peer_certificate_der = b""
        self._peer_schemes: list[int] = list(DEFAULT_SIGNATURE_SCHEMES)
        self._certificate_requested = False
        self.srtp_profile: int | None = None
        self.peer_ccs_received = False

    # -- public queries ------------------------------------------------------------------

    @property
    def cipher_suite(self) -> int | None:
        return self._suite

    @property
    def needs_ccs(self) -> bool:
        """Whether the next expected message is the peer's Finished (RFC 6347 §4.1: epoch 1)."""
        return self.state in (State.CLIENT_WAIT_FINISHED, State.SERVER_WAIT_FINISHED)

    @property
    def accepts_any_message_seq(self) -> bool:
        """A server waiting for a ClientHello takes it at any message_seq (stateless cookie)."""
        return self.state == State.SERVER_WAIT_CLIENT_HELLO

    def export_keying_material(self, label: str, length: int) -> bytes:
        """RFC 5705 exporter over this handshake's master secret."""
        if self.state != State.DONE or self._master_secret is None or self._params is None:
            raise DtlsError("keying material is available only after the handshake")
        return export_keying_material(
            self._params.prf_hash,
            self._master_secret,
            label,
            self._client_random,
            self._server_random,
            length,
        )

    def srtp_keying_material(self) -> SrtpKeyingMaterial | None:
        """The SRTP master keys and salts for the negotiated profile (RFC 5764 §4.2)."""
        if self.srtp_profile is None:
            return None
        material = self.export_keying_material(
            SRTP_EXPORTER_LABEL, srtp_material_length(self.srtp_profile)
        )
        return SrtpKeyingMaterial.from_exported(self.srtp_profile, material, self.is_client)

    def wipe(self) -> None:
        """Forget every secret (after a failure or close)."""
        self._master_secret = None
        self._key_share = None
        self._transcript = bytearray()

    # -- message plumbing ----------------------------------------------------------------

    def _item(self, msg_type: HandshakeType, body: bytes, epoch: int = 0) -> FlightItem:
        item = FlightItem(epoch, ContentType.HANDSHAKE, msg_type, self._send_seq, body)
        self._send_seq += 1
        self._transcript += whole_message(msg_type, item.message_seq, body)
        return item

    @staticmethod
    def _ccs() -> FlightItem:
        return FlightItem(0, ContentType.CHANGE_CIPHER_SPEC, 0, 0, b"\x01")

    def _record(self, msg_type: int, seq: int, body: bytes) -> None:
        self._transcript += whole_message(msg_type, seq, body)

    def start(self) -> None:
        """Client: send the first ClientHello (flight 1)."""
        if self.state != State.CLIENT_START:
            raise DtlsError("the handshake has already started")
        self._client_random = os.urandom(32)
        groups = u16_vec(DEFAULT_GROUPS)
        extensions: list[tuple[int, bytes]] = [
            (ExtensionType.SUPPORTED_GROUPS, groups),
            (ExtensionType.EC_POINT_FORMATS, b"\x01\x00"),
            (ExtensionType.SIGNATURE_ALGORITHMS, u16_vec(DEFAULT_SIGNATURE_SCHEMES)),
            (ExtensionType.EXTENDED_MASTER_SECRET, b""),
            (ExtensionType.RENEGOTIATION_INFO, b"\x00"),
        ]
        if self._srtp_profiles:
            extensions.append((ExtensionType.USE_SRTP, build_use_srtp(self._srtp_profiles)))
        self._client_hello = ClientHello(
            version=DTLS_1_2,
            random=self._client_random,
            session_id=b"",
            cookie=b"",
            cipher_suites=list(self._cipher_suites),
            compression_methods=b"\x00",
            extensions=extensions,
        )
        self._send_client_hello()

    def _send_client_hello(self) -> None:
        assert self._client_hello is not None
        self._client_hello_seq = self._send_seq
        self._send_seq += 1
        body = self._client_hello.build()
        item = FlightItem(
            0, ContentType.HANDSHAKE, HandshakeType.CLIENT_HELLO, self._client_hello_seq, body
        )
        self.state = State.CLIENT_WAIT_SERVER_HELLO
        self._driver.send_flight([item], expect_reply=True)

    def handle(self, msg_type: int, seq: int, body: bytes, record_sequence: int) -> None:
        """Process the next in-order handshake message ``seq`` from the peer.

        Raises :class:`AlertError` (or :class:`DtlsParseError`) when the handshake must fail.
        """
        handler = _HANDLERS.get((self.state, msg_type))
        if handler is None:
            raise AlertError(
                AlertDescription.UNEXPECTED_MESSAGE,
                f"unexpected handshake message {msg_type} in state {self.state.name}",
            )
        handler(self, seq, body, record_sequence)

    # -- client --------------------------------------------------------------------------

    def _client_hello_verify(self, seq: int, body: bytes, record_sequence: int) -> None:
        request = HelloVerifyRequest.parse(body)
        assert self._client_hello is not None
        if self._send_seq > _MAX_MESSAGE_SEQ - _CLIENT_MESSAGES:
            # Each request costs a message_seq; ours must still fit 16 bits.
            raise AlertError(AlertDescription.HANDSHAKE_FAILURE, "too many HelloVerifyRequests")
        self._client_hello.cookie = request.cookie
        self._send_client_hello()

    def _client_server_hello(self, seq: int, body: bytes, record_sequence: int) -> None:
        hello = ServerHello.parse(body)
        assert self._client_hello is not None
        if hello.version != DTLS_1_2:
            raise AlertError(
                AlertDescription.PROTOCOL_VERSION, f"server chose version {hello.version:#06x}"
            )
        if hello.cipher_suite not in self._cipher_suites:
            raise AlertError(AlertDescription.ILLEGAL_PARAMETER, "server chose an unoffered suite")
        if hello.compression_method != 0:
            raise AlertError(AlertDescription.ILLEGAL_PARAMETER, "server chose compression")
        offered = {t for t, _ in self._client_hello.extensions}
        extensions = dict(hello.extensions)
        unexpected = set(extensions) - offered
        if unexpected:
            raise AlertError(
                AlertDescription.UNSUPPORTED_EXTENSION,
                f"unsolicited extensions {sorted(unexpected)}",
            )
        if ExtensionType.EXTENDED_MASTER_SECRET not in extensions:
            raise AlertError(
                AlertDescription.HANDSHAKE_FAILURE, "server does not support extended master secret"
            )
        if ExtensionType.RENEGOTIATION_INFO in extensions and parse_renegotiation_info(
            extensions[ExtensionType.RENEGOTIATION_INFO]
        ):
            raise AlertError(AlertDescription.HANDSHAKE_FAILURE, "non-empty renegotiation_info")
        if ExtensionType.USE_SRTP in extensions:
            profiles = parse_use_srtp(extensions[ExtensionType.USE_SRTP])
            if len(profiles) != 1 or profiles[0] not in self._srtp_profiles:
                raise AlertError(
                    AlertDescription.ILLEGAL_PARAMETER, "server chose an unoffered SRTP profile"
                )
            self.srtp_profile = profiles[0]
        self._suite = CipherSuite(hello.cipher_suite)
        self._params = SUITES[self._suite]
        self._server_random = hello.random
        self._transcript = bytearray(
            whole_message(
                HandshakeType.CLIENT_HELLO, self._client_hello_seq, self._client_hello.build()
            )
        )
        self._record(HandshakeType.SERVER_HELLO, seq, body)
        self.state = State.CLIENT_WAIT_CERTIFICATE

    def _peer_certificate_message(self, seq: int, body: bytes) -> None:
        chain = parse_certificate(body)
        if not chain:
            raise AlertError(AlertDescription.HANDSHAKE_FAILURE, "peer sent no certificate")
        der = chain[0]
        if self._remote_fingerprints is not None and not fingerprint_matches(
            der, self._remote_fingerprints
        ):
            raise AlertError(
                AlertDescription.BAD_CERTIFICATE,
                "peer certificate does not match the remote fingerprint",
            )
        try:
            self._peer_certificate = x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise AlertError(AlertDescription.BAD_CERTIFICATE, f"bad certificate: {exc}") from None
        self.peer_certificate_der = der
        self._record(HandshakeType.CERTIFICATE, seq, body)

    def _peer_public_key(self) -> object:
        assert self._peer_certificate is not None
        try:
            return self._peer_certificate.public_key()
        except (ValueError, UnsupportedAlgorithm) as exc:  # e.g. an unknown key algorithm
            raise AlertError(AlertDescription.UNSUPPORTED_CERTIFICATE, str(exc)) from None

    def _client_certificate(self, seq: int, body: bytes, record_sequence: int) -> None:
        self._peer_certificate_message(seq, body)
        self.state = State.CLIENT_WAIT_KEY_EXCHANGE

    def _client_key_exchange_from_server(self, seq: int, body: bytes, record_sequence: int) -> None:
        message = ServerKeyExchange.parse(body)
        if message.group not in DEFAULT_GROUPS:
            raise AlertError(AlertDescription.ILLEGAL_PARAMETER, "server chose an unoffered group")
        if message.scheme not in DEFAULT_SIGNATURE_SCHEMES:
            raise AlertError(AlertDescription.ILLEGAL_PARAMETER, "server used an unoffered scheme")
        assert self._params is not None
        expected = "ecdsa" if message.scheme in ECDSA_SCHEMES else "rsa"
        if expected != self._params.authentication:
            raise AlertError(
                AlertDescription.ILLEGAL_PARAMETER, "signature does not fit the cipher suite"
            )
        verify(
            self._peer_public_key(),
            message.scheme,
            self._client_random + self._server_random + message.params,
            message.signature,
        )
        self._key_share = KeyShare(Group(message.group))
        self._peer_share = message.public
        self._record(HandshakeType.SERVER_KEY_EXCHANGE, seq, body)
        self.state = State.CLIENT_WAIT_CERTIFICATE_REQUEST

    def _client_certificate_request(self, seq: int, body: bytes, record_sequence: int) -> None:
        request = CertificateRequest.parse(body)
        self._peer_schemes = request.signature_schemes
        self._certificate_requested = True
        self._record(HandshakeType.CERTIFICATE_REQUEST, seq, body)
        self.state = State.CLIENT_WAIT_HELLO_DONE

    def _client_hello_done(self, seq: int, body: bytes, record_sequence: int) -> None:
        if body:
            raise DtlsParseError("ServerHelloDone with a body")
        self._record(HandshakeType.SERVER_HELLO_DONE, seq, body)
        assert self._key_share is not None and self._params is not None
        pre_master = self._key_share.exchange(self._peer_share)
        flight: list[FlightItem] = []
        if self._certificate_requested:
            flight.append(
                self._item(HandshakeType.CERTIFICATE, build_certificate([self._certificate.der]))
            )
        flight.append(self._item(HandshakeType.CLIENT_KEY_EXCHANGE, vec(self._key_share.public, 1)))
        self._derive_keys(pre_master)
        if self._certificate_requested:
            key = self._certificate.private_key
            scheme = choose_signature_scheme(key, self._peer_schemes)
            signature = sign(key, scheme, bytes(self._transcript))
            flight.append(
                self._item(
                    HandshakeType.CERTIFICATE_VERIFY, build_digitally_signed(scheme, signature)
                )
            )
        flight.append(self._ccs())
        flight.append(
            self._item(HandshakeType.FINISHED, self._verify_data(is_client=True), epoch=1)
        )
        self.state = State.CLIENT_WAIT_FINISHED
        self._driver.send_flight(flight, expect_reply=True)

    def _client_finished(self, seq: int, body: bytes, record_sequence: int) -> None:
        self._check_finished(body, is_client=False)
        self._record(HandshakeType.FINISHED, seq, body)
        self.state = State.DONE
        self._driver.handshake_done()

    # -- shared key schedule -------------------------------------------------------------

    def _derive_keys(self, pre_master: bytes) -> None:
        """Master secret (RFC 7627 §4) over the transcript up to ClientKeyExchange, then keys."""
        assert self._params is not None
        params = self._params
        session_hash = transcript_hash(params.prf_hash, bytes(self._transcript))
        self._master_secret = extended_master_secret(params.prf_hash, pre_master, session_hash)
        if self._key_log is not None:
            self._key_log.write(
                f"CLIENT_RANDOM {self._client_random.hex()} {self._master_secret.hex()}\n"
            )
            self._key_log.flush()
        key_len, iv_len = params.key_length, params.fixed_iv_length
        block = prf(
            params.prf_hash,
            self._master_secret,
            b"key expansion",
            self._server_random + self._client_random,
            2 * (key_len + iv_len),
        )
        client_key, server_key = block[:key_len], block[key_len : 2 * key_len]
        client_iv = block[2 * key_len : 2 * key_len + iv_len]
        server_iv = block[2 * key_len + iv_len :]
        client = NativeRecordProtection(params, client_key, client_iv)
        server = NativeRecordProtection(params, server_key, server_iv)
        if self.is_client:
            self._driver.install_keys(read=server, write=client)
        else:
            self._driver.install_keys(read=client, write=server)

    def _verify_data(self, is_client: bool) -> bytes:
        assert self._params is not None and self._master_secret is not None
        return finished_verify_data(
            self._params.prf_hash, self._master_secret, is_client, bytes(self._transcript)
        )

    def _check_finished(self, body: bytes, is_client: bool) -> None:
        if not hmac.compare_digest(body, self._verify_data(is_client)):
            raise AlertError(AlertDescription.DECRYPT_ERROR, "peer Finished does not verify")

    # -- server --------------------------------------------------------------------------

    def _cookie(self, hello: ClientHello) -> bytes:
        assert self._cookie_secret is not None
        data = hello.random + hello.session_id + u16_vec(hello.cipher_suites)
        return hmac.digest(self._cookie_secret, data, "sha256")

    def _server_client_hello(self, seq: int, body: bytes, record_sequence: int) -> None:
        hello = ClientHello.parse(body)
        if hello.version >> 8 != 0xFE or hello.version > DTLS_1_0:
            raise AlertError(AlertDescription.PROTOCOL_VERSION, "not a DTLS ClientHello")
        if self._cookie_secret is not None and not hmac.compare_digest(
            hello.cookie, self._cookie(hello)
        ):
            request = HelloVerifyRequest(DTLS_1_0, self._cookie(hello)).build()
            item = FlightItem(
                0, ContentType.HANDSHAKE, HandshakeType.HELLO_VERIFY_REQUEST, seq, request
            )
            self._driver.send_stateless(item, record_sequence)
            return
        if seq > _MAX_MESSAGE_SEQ - _SERVER_MESSAGES:
            # Our messages continue the ClientHello's numbering and must fit 16 bits.
            raise AlertError(
                AlertDescription.ILLEGAL_PARAMETER, f"ClientHello message_seq {seq} is too large"
            )
        if hello.version > DTLS_1_2:  # numerically larger DTLS versions are older ones
            raise AlertError(AlertDescription.PROTOCOL_VERSION, "client does not offer DTLS 1.2")
        if 0 not in hello.compression_methods:
            raise AlertError(AlertDescription.ILLEGAL_PARAMETER, "null compression not offered")
        extensions = dict(hello.extensions)
        if ExtensionType.EXTENDED_MASTER_SECRET not in extensions:
            raise AlertError(
                AlertDescription.HANDSHAKE_FAILURE, "client does not offer extended master secret"
            )
        self._client_hello = hello
        self._client_random = hello.random
        self._choose(hello, extensions)
        self._transcript = bytearray(whole_message(HandshakeType.CLIENT_HELLO, seq, body))
        self._send_seq = seq
        self._send_server_flight(hello, extensions)

    def _choose(self, hello: ClientHello, extensions: dict[int, bytes]) -> None:
        """Pick suite, group, signature scheme and SRTP profile by our preference."""
        key = self._certificate.private_key
        auth = "ecdsa" if isinstance(key, ec.EllipticCurvePrivateKey) else "rsa"
        suites = [s for s in self._cipher_suites if s in hello.cipher_suites]
        suites = [s for s in suites if SUITES[s].authentication == auth]
        if not suites:
            raise AlertError(AlertDescription.HANDSHAKE_FAILURE, "no common cipher suite")
        self._suite = suites[0]
        self._params = SUITES[self._suite]
        groups = (
            parse_u16_list_extension(extensions[ExtensionType.SUPPORTED_GROUPS])
            if ExtensionType.SUPPORTED_GROUPS in extensions
            else [Group.SECP256R1]
        )
        common = [g for g in DEFAULT_GROUPS if g in groups]
        if not common:
            raise AlertError(AlertDescription.HANDSHAKE_FAILURE, "no common ECDHE group")
        self._group = common[0]
        if ExtensionType.SIGNATURE_ALGORITHMS in extensions:
            self._peer_schemes = parse_u16_list_extension(
                extensions[ExtensionType.SIGNATURE_ALGORITHMS]
            )
        if ExtensionType.RENEGOTIATION_INFO in extensions and parse_renegotiation_info(
            extensions[ExtensionType.RENEGOTIATION_INFO]
        ):
            raise AlertError(AlertDescription.HANDSHAKE_FAILURE, "non-empty renegotiation_info")
        if ExtensionType.USE_SRTP in extensions:
            offered = parse_use_srtp(extensions[ExtensionType.USE_SRTP])
            common_profiles = [p for p in self._srtp_profiles if p in offered]
            self.srtp_profile = common_profiles[0] if common_profiles else None

    def _send_server_flight(self, hello: ClientHello, extensions: dict[int, bytes]) -> None:
        """Flight 4: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, Done."""
        assert self._suite is not None
        self._server_random = os.urandom(32)
        reply: list[tuple[int, bytes]] = [(ExtensionType.EXTENDED_MASTER_SECRET, b"")]
        if (
            ExtensionType.RENEGOTIATION_INFO in extensions
            or EMPTY_RENEGOTIATION_INFO_SCSV in hello.cipher_suites
        ):
            reply.append((ExtensionType.RENEGOTIATION_INFO, b"\x00"))
        if ExtensionType.EC_POINT_FORMATS in extensions:
            reply.append((ExtensionType.EC_POINT_FORMATS, b"\x01\x00"))
        if self.srtp_profile is not None:
            reply.append((ExtensionType.USE_SRTP, build_use_srtp([self.srtp_profile])))
        server_hello = ServerHello(DTLS_1_2, self._server_random, b"", self._suite, 0, reply)
        flight = [
            self._item(HandshakeType.SERVER_HELLO, server_hello.build()),
            self._item(HandshakeType.CERTIFICATE, build_certificate([self._certificate.der])),
        ]
        self._key_share = KeyShare(self._group)
        key = self._certificate.private_key
        scheme = choose_signature_scheme(key, self._peer_schemes)
        unsigned = ServerKeyExchange(self._group, self._key_share.public, scheme, b"")
        signature = sign(key, scheme, self._client_random + self._server_random + unsigned.params)
        key_exchange = ServerKeyExchange(self._group, self._key_share.public, scheme, signature)
        request = CertificateRequest(
            bytes([_CERT_TYPE_ECDSA_SIGN, _CERT_TYPE_RSA_SIGN]), list(DEFAULT_SIGNATURE_SCHEMES)
        )
        flight += [
            self._item(HandshakeType.SERVER_KEY_EXCHANGE, key_exchange.build()),
            self._item(HandshakeType.CERTIFICATE_REQUEST, request.build()),
            self._item(HandshakeType.SERVER_HELLO_DONE, b""),
        ]
        self.state = State.SERVER_WAIT_CERTIFICATE
        self._driver.send_flight(flight, expect_reply=True)

    def _server_certificate(self, seq: int, body: bytes, record_sequence: int) -> None:
        self._peer_certificate_message(seq, body)
        self.state = State.SERVER_WAIT_KEY_EXCHANGE

    def _server_key_exchange(self, seq: int, body: bytes, record_sequence: int) -> None:
        peer_public = parse_client_key_exchange(body)
        assert self._key_share is not None
        pre_master = self._key_share.exchange(peer_public)
        self._record(HandshakeType.CLIENT_KEY_EXCHANGE, seq, body)
        self._derive_keys(pre_master)
        self.state = State.SERVER_WAIT_CERTIFICATE_VERIFY

    def _server_certificate_verify(self, seq: int, body: bytes, record_sequence: int) -> None:
        scheme, signature = parse_digitally_signed(body)
        if scheme not in DEFAULT_SIGNATURE_SCHEMES:
            raise AlertError(AlertDescription.ILLEGAL_PARAMETER, "client used an unoffered scheme")
        verify(self._peer_public_key(), scheme, bytes(self._transcript), signature)
        self._record(HandshakeType.CERTIFICATE_VERIFY, seq, body)
        self.state = State.SERVER_WAIT_FINISHED

    def _server_finished(self, seq: int, body: bytes, record_sequence: int) -> None:
        self._check_finished(body, is_client=True)
        self._record(HandshakeType.FINISHED, seq, body)
        flight = [
            self._ccs(),
            self._item(HandshakeType.FINISHED, self._verify_data(is_client=False), epoch=1),
        ]
        self.state = State.DONE
        self._driver.send_flight(flight, expect_reply=False)
        self._driver.handshake_done()


_HANDLERS: dict[tuple[State, int], Callable[[Handshake12, int, bytes, int], None]] = {
    (
        State.CLIENT_WAIT_SERVER_HELLO,
        HandshakeType.HELLO_VERIFY_REQUEST,
    ): Handshake12._client_hello_verify,
    (State.CLIENT_WAIT_SERVER_HELLO, HandshakeType.SERVER_HELLO): Handshake12._client_server_hello,
    (State.CLIENT_WAIT_CERTIFICATE, HandshakeType.CERTIFICATE): Handshake12._client_certificate,
    (
        State.CLIENT_WAIT_KEY_EXCHANGE,
        HandshakeType.SERVER_KEY_EXCHANGE,
    ): Handshake12._client_key_exchange_from_server,
    (
        State.CLIENT_WAIT_CERTIFICATE_REQUEST,
        HandshakeType.CERTIFICATE_REQUEST,
    ): Handshake12._client_certificate_request,
    (
        State.CLIENT_WAIT_CERTIFICATE_REQUEST,
        HandshakeType.SERVER_HELLO_DONE,
    ): Handshake12._client_hello_done,
    (State.CLIENT_WAIT_HELLO_DONE, HandshakeType.SERVER_HELLO_DONE): Handshake12._client_hello_done,
    (State.CLIENT_WAIT_FINISHED, HandshakeType.FINISHED): Handshake12._client_finished,
    (State.SERVER_WAIT_CLIENT_HELLO, HandshakeType.CLIENT_HELLO): Handshake12._server_client_hello,
    (State.SERVER_WAIT_CERTIFICATE, HandshakeType.CERTIFICATE): Handshake12._server_certificate,
    (
        State.SERVER_WAIT_KEY_EXCHANGE,
        HandshakeType.CLIENT_KEY_EXCHANGE,
    ): Handshake12._server_key_exchange,
    (
        State.SERVER_WAIT_CERTIFICATE_VERIFY,
        HandshakeType.CERTIFICATE_VERIFY,
    ): Handshake12._server_certificate_verify,
    (State.SERVER_WAIT_FINISHED, HandshakeType.FINISHED): Handshake12._server_finished,
}
