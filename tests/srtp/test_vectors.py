"""Known-answer tests: RFC 3711 Appendix B, RFC 6188 §7.2 and RFC 7714 §16-17, verbatim."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from pyrtc._native.srtp import aes_cm_keystream, derive_key
from pyrtc.srtp import Profile, SrtpSession


def h(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


# RFC 3711 Appendix B.2: AES-CM keystream segment.
B2_SESSION_KEY = h("2B7E151628AED2A6ABF7158809CF4F3C")
B2_SESSION_SALT = h("F0F1F2F3F4F5F6F7F8F9FAFBFCFD")
B2_KEYSTREAM_BLOCKS = {
    0x0000: h("E03EAD0935C95E80E166B16DD92B4EB4"),
    0x0001: h("D23513162B02D0F72A43A2FE4A5F97AB"),
    0x0002: h("41E95B3BB0A2E8DD477901E4FCA894C0"),
    0xFEFF: h("EC8CDF7398607CB0F2D21675EA9EA1E4"),
    0xFF00: h("362B7C3C6773516318A077D7FC5073AE"),
    0xFF01: h("6A2CC3787889374FBEB4C81B17BA6C44"),
}


def test_rfc3711_b2_aes_cm_keystream() -> None:
    # SSRC 0 and index 0: the IV is the salt shifted left 16 bits, F0F1...FCFD0000.
    keystream = aes_cm_keystream(B2_SESSION_KEY, B2_SESSION_SALT, 0, 0, 0xFF02 * 16)
    for block, expected in B2_KEYSTREAM_BLOCKS.items():
        assert keystream[block * 16 : block * 16 + 16] == expected


def test_aes_cm_iv_places_ssrc_and_index() -> None:
    # RFC 3711 §4.1.1: IV = (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16); the first
    # keystream block is AES(k, IV), computed here independently with `cryptography`.
    ssrc, index = 0x01020304, 0x05060708090A
    iv = int.from_bytes(B2_SESSION_SALT, "big") << 16 ^ ssrc << 64 ^ index << 16
    encryptor = Cipher(algorithms.AES(B2_SESSION_KEY), modes.ECB()).encryptor()
    expected = encryptor.update(iv.to_bytes(16, "big"))
    assert aes_cm_keystream(B2_SESSION_KEY, B2_SESSION_SALT, ssrc, index, 16) == expected


# RFC 3711 Appendix B.3: key derivation.
B3_MASTER_KEY = h("E1F97A0D3E018BE0D64FA32C06DE4139")
B3_MASTER_SALT = h("0EC675AD498AFEEBB6960B3AABE6")


def test_rfc3711_b3_key_derivation() -> None:
    assert derive_key(B3_MASTER_KEY, B3_MASTER_SALT, 0x00, 16) == h(
        "C61E7A93744F39EE10734AFE3FF7A087"
    )
    assert derive_key(B3_MASTER_KEY, B3_MASTER_SALT, 0x02, 14) == h("30CBBC08863D8C85D49DB34A9AE1")
    assert derive_key(B3_MASTER_KEY, B3_MASTER_SALT, 0x01, 94) == h(
        "CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE"
        "E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25"
        "6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2"
    )


def test_rfc6188_7_2_aes_256_key_derivation() -> None:
    master_key = h("f0f04914b513f2763a1b1fa130f10e29 98f6f6e43e4309d1e622a0e332b9f1b6")
    master_salt = h("3b04803de51ee7c96423ab5b78d2")
    assert derive_key(master_key, master_salt, 0x00, 32) == h(
        "5ba1064e30ec51613cad926c5a28ef73 1ec7fb397f70a960653caf06554cd8c4"
    )
    assert derive_key(master_key, master_salt, 0x02, 14) == h("fa31791685ca444a9e07c6c64e93")
    assert derive_key(master_key, master_salt, 0x01, 20) == h(
        "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05"
    )


# RFC 7714 §16 and §17: session keys given directly (no KDF), salt "Quid pro quo".
GCM_KEY_128 = h("000102030405060708090a0b0c0d0e0f")
GCM_KEY_256 = h("000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f")
GCM_SALT = h("517569642070726f2071756f")
GCM_RTP = h(
    "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976"
    "69736120 696e2070 61727465 73207472 6573"
)
GCM_SRTP = {
    Profile.AEAD_AES_128_GCM: h(
        "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5"
        "0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce"
    ),
    Profile.AEAD_AES_256_GCM: h(
        "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238"
        "9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13"
    ),
}
GCM_RTCP = h(
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
    "deadbeef deadbeef deadbeef deadbeef deadbeef"
)
GCM_SRTCP_INDEX = 0x5D4
GCM_SRTCP = {
    Profile.AEAD_AES_128_GCM: h(
        "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d"
        "c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872"
        "45d9eade 800005d4"
    ),
    Profile.AEAD_AES_256_GCM: h(
        "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50"
        "a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c"
        "b26ac3be 800005d4"
    ),
}


def gcm_session(profile: Profile) -> SrtpSession:
    key = GCM_KEY_128 if profile is Profile.AEAD_AES_128_GCM else GCM_KEY_256
    return SrtpSession._from_session_keys(profile, key, GCM_SALT, key, GCM_SALT)


GCM_PROFILES = [Profile.AEAD_AES_128_GCM, Profile.AEAD_AES_256_GCM]


@pytest.mark.parametrize("profile", GCM_PROFILES)
def test_rfc7714_16_srtp_encryption(profile: Profile) -> None:
    # Sequence number 0xf17b with ROC 0 is the first packet of the stream.
    assert gcm_session(profile).protect(GCM_RTP) == GCM_SRTP[profile]


@pytest.mark.parametrize("profile", GCM_PROFILES)
def test_rfc7714_16_srtp_decryption(profile: Profile) -> None:
    assert gcm_session(profile).unprotect(GCM_SRTP[profile]) == GCM_RTP


@pytest.mark.parametrize("profile", GCM_PROFILES)
def test_rfc7714_17_srtcp_encryption(profile: Profile) -> None:
    # The vector uses SRTCP index 0x5d4; our sender numbers from 0, so send that many first.
    session = gcm_session(profile)
    for index in range(GCM_SRTCP_INDEX):
        assert session.protect_rtcp(GCM_RTCP)[-4:] == (0x80000000 | index).to_bytes(4, "big")
    assert session.protect_rtcp(GCM_RTCP) == GCM_SRTCP[profile]


@pytest.mark.parametrize("profile", GCM_PROFILES)
def test_rfc7714_17_srtcp_decryption(profile: Profile) -> None:
    assert gcm_session(profile).unprotect_rtcp(GCM_SRTCP[profile]) == GCM_RTCP


# libsrtp's known-answer packets (test/srtp_driver.c, srtp_validate and srtp_validate_aes_256):
# SSRC 0xcafebabe, sequence 0x1234, sixteen 0xab payload bytes. pylibsrtp exposes no AES-256-CM
# profile, so this is the interoperability check for RFC 6188's suites.
LIBSRTP_PLAIN = h("800f1234 decafbad cafebabe abababab abababab abababab abababab")


def test_libsrtp_aes_cm_128_known_answer() -> None:
    session = SrtpSession(Profile.AES_CM_128_HMAC_SHA1_80, B3_MASTER_KEY, B3_MASTER_SALT)
    expected = h(
        "800f1234 decafbad cafebabe 4e55dc4c e79978d8 8ca4d215 949d2402 b78d6acc 99ea179b 8dbb"
    )
    assert session.protect(LIBSRTP_PLAIN) == expected


def test_libsrtp_aes_256_cm_known_answer() -> None:
    key = h("f0f04914b513f2763a1b1fa130f10e29 98f6f6e43e4309d1e622a0e332b9f1b6")
    salt = h("3b04803de51ee7c96423ab5b78d2")
    expected = h(
        "800f1234 decafbad cafebabe f1d9de17 ff251ff1 aa007774 b0b4b40d a08d9d9a 5b3a55d8 873b"
    )
    assert (
        SrtpSession(Profile.AES_256_CM_HMAC_SHA1_80, key, salt).protect(LIBSRTP_PLAIN) == expected
    )
    receiver = SrtpSession(Profile.AES_256_CM_HMAC_SHA1_80, key, salt)
    assert receiver.unprotect(expected) == LIBSRTP_PLAIN
    # The _32 variant shares keys and keystream and keeps the first 4 bytes of the same tag.
    short = SrtpSession(Profile.AES_256_CM_HMAC_SHA1_32, key, salt).protect(LIBSRTP_PLAIN)
    assert short == expected[:-6]
