"""RFC 5769 test vectors (all four) and RFC 8489 Appendix B.1, parsed, verified and re-encoded."""

from __future__ import annotations

import hashlib
import hmac
import zlib

import pytest
import stun_vectors as v

from pyrtc.stun import (
    Class,
    Message,
    Method,
    PasswordAlgorithm,
    PrecisError,
    is_stun,
    long_term_key,
    opaque_string,
    short_term_key,
    userhash,
)

KEY = short_term_key(v.SHORT_TERM_PASSWORD)


def reference_encoding(vector: bytes, key: bytes) -> bytes:
    """What a sender with zero padding emits for ``vector``: MI and FP recomputed by hand.

    Independent of pyrtc: hashlib/hmac/zlib applied as RFC 8489 §14.5 and §14.7 describe.
    """
    zeroed = v.zero_padding(vector)
    mi_at = zeroed.rindex(b"\x00\x08\x00\x14")
    prefix = zeroed[:2] + (mi_at - 20 + 24).to_bytes(2) + zeroed[4:mi_at]
    with_mi = prefix + b"\x00\x08\x00\x14" + hmac.digest(key, prefix, "sha1")
    with_mi = with_mi[:2] + (len(with_mi) - 20 + 8).to_bytes(2) + with_mi[4:]
    crc = zlib.crc32(with_mi) ^ 0x5354554E
    return with_mi + b"\x80\x28\x00\x04" + crc.to_bytes(4)


def test_sample_request() -> None:
    msg = Message.parse(v.REQUEST)
    assert msg.method is Method.BINDING
    assert msg.message_class is Class.REQUEST
    assert msg.transaction_id == bytes.fromhex("b7e7a701bc34d686fa87dfae")
    assert msg.attributes["SOFTWARE"] == "STUN test client"
    assert msg.attributes["PRIORITY"] == 0x6E0001FF
    assert msg.attributes["ICE-CONTROLLED"] == 0x932FF9B151263B36
    assert msg.attributes["USERNAME"] == "evtj:h6vY"
    assert msg.attributes["MESSAGE-INTEGRITY"] == bytes.fromhex(
        "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
    )
    assert msg.attributes["FINGERPRINT"] == 0xE57A3BCF
    assert list(msg.attributes) == [
        "SOFTWARE",
        "PRIORITY",
        "ICE-CONTROLLED",
        "USERNAME",
        "MESSAGE-INTEGRITY",
        "FINGERPRINT",
    ]
    assert msg.unknown_required == []
    assert msg.verify_integrity(KEY)
    assert not msg.verify_integrity(b"VOkJxbRl1RmTxUk/WvJxBT")
    assert msg.verify_fingerprint()
    assert is_stun(v.REQUEST)


@pytest.mark.parametrize(
    ("vector", "address"),
    [
        (v.IPV4_RESPONSE, ("192.0.2.1", 32853)),
        (v.IPV6_RESPONSE, ("2001:db8:1234:5678:11:2233:4455:6677", 32853)),
    ],
    ids=["ipv4", "ipv6"],
)
def test_sample_responses(vector: bytes, address: tuple[str, int]) -> None:
    msg = Message.parse(vector)
    assert msg.method is Method.BINDING
    assert msg.message_class is Class.SUCCESS
    assert msg.transaction_id == bytes.fromhex("b7e7a701bc34d686fa87dfae")
    assert msg.attributes["SOFTWARE"] == "test vector"
    assert msg.attributes["XOR-MAPPED-ADDRESS"] == address
    assert msg.verify_integrity(KEY)
    assert not msg.verify_integrity(KEY[:-1])
    assert msg.verify_fingerprint()


@pytest.mark.parametrize(
    "vector", [v.REQUEST, v.IPV4_RESPONSE, v.IPV6_RESPONSE], ids=["req", "ipv4", "ipv6"]
)
def test_reencoding_matches_reference(vector: bytes) -> None:
    # The vectors pad with spaces; RFC 8489 §14 has senders pad with zeros, so the re-encoding
    # equals the vector with zeroed padding and MI/FP recomputed over it.
    encoded = Message.parse(vector).encode(KEY, fingerprint=True)
    assert encoded == reference_encoding(vector, KEY)
    again = Message.parse(encoded)
    assert again.verify_integrity(KEY) and again.verify_fingerprint()
    assert [k for k in again.attributes] == [k for k in Message.parse(vector).attributes]


def test_long_term_request() -> None:
    msg = Message.parse(v.LONG_TERM_REQUEST)
    assert msg.method is Method.BINDING and msg.message_class is Class.REQUEST
    assert msg.transaction_id == bytes.fromhex("78ad3433c6ad72c029da412e")
    assert msg.attributes["USERNAME"] == v.LONG_TERM_USERNAME
    assert msg.attributes["NONCE"] == v.LONG_TERM_NONCE
    assert msg.attributes["REALM"] == v.LONG_TERM_REALM
    assert "FINGERPRINT" not in msg.attributes
    assert not msg.verify_fingerprint()

    key = long_term_key(v.LONG_TERM_USERNAME, v.LONG_TERM_REALM, v.LONG_TERM_PASSWORD)
    expected = f"{v.LONG_TERM_USERNAME}:example.org:TheMatrIX".encode()
    assert key == hashlib.md5(expected).digest()
    assert msg.verify_integrity(key)
    wrong = long_term_key(v.LONG_TERM_USERNAME, v.LONG_TERM_REALM, "TheMatrIx")
    assert not msg.verify_integrity(wrong)
    # Padding in this vector is zero, so re-encoding reproduces it byte for byte.
    assert msg.encode(key) == v.LONG_TERM_REQUEST


def test_long_term_password_is_not_valid_opaque_string() -> None:
    # The RFC 5769 password was prepared with SASLprep, which deletes U+00AD and maps U+00AA
    # and U+2168 by NFKC. PRECIS OpaqueString (RFC 8265) keeps NFC only and disallows the
    # default-ignorable U+00AD, so the raw password is rejected rather than silently mapped.
    with pytest.raises(PrecisError, match=r"U\+00AD"):
        opaque_string(v.LONG_TERM_PASSWORD_RAW)
    with pytest.raises(PrecisError):
        long_term_key(v.LONG_TERM_USERNAME, v.LONG_TERM_REALM, v.LONG_TERM_PASSWORD_RAW)
    assert opaque_string(v.LONG_TERM_USERNAME) == v.LONG_TERM_USERNAME


def test_rfc8489_b1_sha256_request() -> None:
    msg = Message.parse(v.SHA256_REQUEST)
    assert msg.attributes["USERHASH"] == userhash(v.LONG_TERM_USERNAME, v.LONG_TERM_REALM)
    assert msg.attributes["NONCE"] == v.SHA256_NONCE
    assert msg.attributes["REALM"] == v.LONG_TERM_REALM
    assert msg.attributes["PASSWORD-ALGORITHM"] == (PasswordAlgorithm.SHA256, b"")
    key = long_term_key(
        v.LONG_TERM_USERNAME, v.LONG_TERM_REALM, v.LONG_TERM_PASSWORD, PasswordAlgorithm.SHA256
    )
    assert len(key) == 32
    assert msg.verify_integrity(key)
    assert not msg.verify_integrity(
        long_term_key(v.LONG_TERM_USERNAME, v.LONG_TERM_REALM, v.LONG_TERM_PASSWORD)
    )
    assert msg.encode(key, integrity="sha256") == v.SHA256_REQUEST
