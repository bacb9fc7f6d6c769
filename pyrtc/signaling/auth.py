"""JSON Web Tokens (RFC 7519) that admit a user to one room, signed HS256 or ES256 (RFC 7518).

A token carries ``sub`` (the user name shown to the other participants), ``room``, ``aud``
(always ``"pyrtc-signaling"``), ``iat`` and ``exp``. The verifier accepts exactly one
algorithm, the one its key is for (RFC 8725 §3.1: never trust the token's ``alg``), and
takes the current time as an argument so that expiry is testable without sleeping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pyrtc.signaling.errors import AuthError, ConfigError

AUDIENCE: Final = "pyrtc-signaling"
MIN_SECRET = 32
"""Shortest HS256 secret accepted, in bytes (RFC 7518 §3.2: at least the hash size)."""

_USER = re.compile(r"[^\x00-\x1f\x7f\ud800-\udfff]{1,64}")


@dataclass(frozen=True)
class Identity:
    """Who a verified token admits, to which room, until when (Unix time)."""

    user: str
    room: str
    expires: int


def _secret_bytes(secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    if len(key) < MIN_SECRET:
        raise ConfigError(f"an HS256 secret needs at least {MIN_SECRET} bytes")
    return key


class TokenIssuer:
    """Mints tokens (``pyrtc token`` and tests); build with :meth:`hs256` or :meth:`es256`."""

    def __init__(self, algorithm: str, key: Any) -> None:
        self.algorithm = algorithm
        self._key = key

    @classmethod
    def hs256(cls, secret: str | bytes) -> TokenIssuer:
        """An issuer sharing ``secret`` (at least 32 bytes) with the server."""
        return cls("HS256", _secret_bytes(secret))

    @classmethod
    def es256(cls, private_key_pem: bytes) -> TokenIssuer:
        """An issuer holding a P-256 private key (PEM); the server needs its public half."""
        try:
            key = serialization.load_pem_private_key(private_key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"not an unencrypted PEM private key: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ConfigError("ES256 needs a P-256 (secp256r1) key")
        return cls("ES256", key)

    def issue(self, room: str, user: str, ttl: float, now: float) -> str:
        """A token for ``user`` in ``room`` valid from ``now`` for ``ttl`` seconds."""
        claims = {"sub": user, "room": room, "aud": AUDIENCE, "iat": int(now)}
        claims["exp"] = int(now + ttl)
        return jwt.encode(claims, self._key, algorithm=self.algorithm)


class TokenVerifier:
    """Checks tokens for the server; build with :meth:`hs256` or :meth:`es256`."""

    def __init__(self, algorithm: str, key: Any) -> None:
        self.algorithm = algorithm
        self._key = key

    @classmethod
    def hs256(cls, secret: str | bytes) -> TokenVerifier:
        """A verifier for tokens signed with the shared ``secret``."""
        return cls("HS256", _secret_bytes(secret))

    @classmethod
    def es256(cls, key_pem: bytes) -> TokenVerifier:
        """A verifier for a P-256 public key, or the public half of a private key (PEM)."""
        try:
            if b"PRIVATE KEY" in key_pem:
                private = serialization.load_pem_private_key(key_pem, password=None)
                public: object = private.public_key()
            else:
                public = serialization.load_pem_public_key(key_pem)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"not a PEM key: {exc}") from None
        if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != "secp256r1":
            raise ConfigError("ES256 needs a P-256 (secp256r1) key")
        return cls("ES256", public)

    def verify(self, token: str, room: str | None, now: float) -> Identity:
        """The identity in ``token`` if it is valid at ``now`` for ``room``.

        ``room=None`` skips the room check (the TURN credentials endpoint). Raises
        :class:`AuthError` with code ``token-wrong-algorithm``, ``token-invalid``,
        ``token-expired`` or ``token-wrong-room``.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("token-invalid", "the token is not a JWT") from None
        if not isinstance(header.get("alg"), str):
            raise AuthError("token-invalid", "the token header has no algorithm")
        if header["alg"] != self.algorithm:
            raise AuthError(
                "token-wrong-algorithm", f"this server accepts only {self.algorithm} tokens"
            )
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self.algorithm],
                audience=AUDIENCE,
                # Time claims are checked below against the caller's clock.
                options={
                    "require": ["exp", "sub", "room", "aud"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise AuthError("token-invalid", f"the token was refused ({exc})") from None
        user, token_room, expires = claims["sub"], claims["room"], claims["exp"]
        if not isinstance(user, str) or not _USER.fullmatch(user):
            raise AuthError("token-invalid", "'sub' must be 1-64 printable characters")
        if not isinstance(token_room, str):
            raise AuthError("token-invalid", "'room' must be a string")
        if isinstance(expires, bool) or not isinstance(expires, int | float):
            raise AuthError("token-invalid", "'exp' must be a number")
        not_before = claims.get("nbf", 0)
        if isinstance(not_before, bool) or not isinstance(not_before, int | float):
            raise AuthError("token-invalid", "'nbf' must be a number")
        if now >= expires:
            raise AuthError("token-expired", "the token has expired: get a new one")
        if now < not_before:
            raise AuthError("token-invalid", "the token is not valid yet")
        if room is not None and token_room != room:
            raise AuthError("token-wrong-room", f"the token is for another room, not {room!r}")
        return Identity(user, token_room, int(expires))
