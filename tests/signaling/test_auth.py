"""JWT issue and verification (RFC 7519, RFC 7518 HS256/ES256) on a fixed clock."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pyrtc.signaling import AUDIENCE, AuthError, ConfigError, Identity, TokenIssuer, TokenVerifier

SECRET = "auth-test-secret-0123456789-abcdefgh"
NOW = 1_800_000_000.0


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture(scope="module")
def es_key() -> bytes:
    return _pem(ec.generate_private_key(ec.SECP256R1()))


def _code(verifier: TokenVerifier, token: str, room: str | None = "r1") -> str:
    with pytest.raises(AuthError) as info:
        verifier.verify(token, room, NOW)
    assert info.value.close_code is None  # the hub picks the close code from the error code
    return info.value.code


def test_hs256_round_trip_and_claims() -> None:
    token = TokenIssuer.hs256(SECRET).issue("r1", "alice", 60, NOW)
    claims = jwt.decode(
        token,
        SECRET,
        algorithms=["HS256"],
        audience=AUDIENCE,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {
        "sub": "alice",
        "room": "r1",
        "aud": AUDIENCE,
        "iat": int(NOW),
        "exp": int(NOW) + 60,
    }
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert TokenVerifier.hs256(SECRET).verify(token, "r1", NOW) == Identity(
        "alice", "r1", int(NOW) + 60
    )


def test_es256_round_trip_with_public_or_private_pem(es_key: bytes) -> None:
    token = TokenIssuer.es256(es_key).issue("r1", "bob", 60, NOW)
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    private = serialization.load_pem_private_key(es_key, password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for key in (public_pem, es_key):
        assert TokenVerifier.es256(key).verify(token, "r1", NOW).user == "bob"
    other = _pem(ec.generate_private_key(ec.SECP256R1()))
    assert _code(TokenVerifier.es256(other), token) == "token-invalid"


def test_expired_token() -> None:
    verifier = TokenVerifier.hs256(SECRET)
    token = TokenIssuer.hs256(SECRET).issue("r1", "alice", 60, NOW - 61)
    assert _code(verifier, token) == "token-expired"
    # exp is exclusive: a token is dead at its expiry second.
    token = TokenIssuer.hs256(SECRET).issue("r1", "alice", 60, NOW - 60)
    assert _code(verifier, token) == "token-expired"
    token = TokenIssuer.hs256(SECRET).issue("r1", "alice", 60, NOW - 59)
    assert verifier.verify(token, "r1", NOW).user == "alice"


def test_wrong_room() -> None:
    token = TokenIssuer.hs256(SECRET).issue("r2", "alice", 60, NOW)
    assert _code(TokenVerifier.hs256(SECRET), token, "r1") == "token-wrong-room"
    # The TURN endpoint does not check the room.
    assert TokenVerifier.hs256(SECRET).verify(token, None, NOW).room == "r2"


def test_wrong_algorithm_both_ways(es_key: bytes) -> None:
    es_token = TokenIssuer.es256(es_key).issue("r1", "alice", 60, NOW)
    hs_token = TokenIssuer.hs256(SECRET).issue("r1", "alice", 60, NOW)
    assert _code(TokenVerifier.hs256(SECRET), es_token) == "token-wrong-algorithm"
    assert _code(TokenVerifier.es256(es_key), hs_token) == "token-wrong-algorithm"
    claims = {"sub": "a", "room": "r1", "aud": AUDIENCE, "exp": int(NOW) + 60}
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert _code(TokenVerifier.hs256(SECRET), unsigned) == "token-wrong-algorithm"
    hs384 = jwt.encode(claims, SECRET + "-longer-for-hs384-0123456789", algorithm="HS384")
    assert _code(TokenVerifier.hs256(SECRET), hs384) == "token-wrong-algorithm"


def test_forged_header_alg_cannot_downgrade() -> None:
    # A token that claims HS256 but is signed with another secret.
    forged = TokenIssuer.hs256("another-secret-0123456789-abcdefghij").issue("r1", "eve", 60, NOW)
    assert _code(TokenVerifier.hs256(SECRET), forged) == "token-invalid"


def _resign(claims: dict[str, object]) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        {"room": "r1", "aud": AUDIENCE, "exp": NOW + 60},
        {"sub": "a", "aud": AUDIENCE, "exp": NOW + 60},
        {"sub": "a", "room": "r1", "exp": NOW + 60},
        {"sub": "a", "room": "r1", "aud": "someone-else", "exp": NOW + 60},
        {"sub": "a", "room": "r1", "aud": AUDIENCE},
        {"sub": "", "room": "r1", "aud": AUDIENCE, "exp": NOW + 60},
        {"sub": "x" * 65, "room": "r1", "aud": AUDIENCE, "exp": NOW + 60},
        {"sub": "a\nb", "room": "r1", "aud": AUDIENCE, "exp": NOW + 60},
        {"sub": "a", "room": "r1", "aud": AUDIENCE, "exp": NOW + 60, "nbf": NOW + 10},
    ],
)
def test_bad_claims_are_invalid(claims: dict[str, object]) -> None:
    assert _code(TokenVerifier.hs256(SECRET), _resign(claims)) == "token-invalid"


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "...", "e30.e30.", "\x00" * 10])
def test_garbage_tokens(token: str) -> None:
    assert _code(TokenVerifier.hs256(SECRET), token) == "token-invalid"


def test_tampered_payload() -> None:
    token = TokenIssuer.hs256(SECRET).issue("r1", "alice", 60, NOW)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert _code(TokenVerifier.hs256(SECRET), f"{header}.{forged}.{signature}") == "token-invalid"


def test_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="32 bytes"):
        TokenVerifier.hs256("short")
    with pytest.raises(ConfigError, match="32 bytes"):
        TokenIssuer.hs256(b"x" * 31)
    with pytest.raises(ConfigError):
        TokenIssuer.es256(b"not a pem")
    p384 = _pem(ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(ConfigError, match="P-256"):
        TokenIssuer.es256(p384)
    with pytest.raises(ConfigError, match="P-256"):
        TokenVerifier.es256(p384)
