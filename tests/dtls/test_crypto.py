"""Key schedule pieces checked against OpenSSL's own TLS1-PRF and against each other."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from pyrtc.dtls import DtlsError, HandshakeCompleted, SrtpKeyingMaterial
from pyrtc.dtls.crypto import export_keying_material, extended_master_secret, prf


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
@pytest.mark.parametrize(("hash_name", "digest"), [("sha256", "SHA256"), ("sha384", "SHA384")])
@pytest.mark.parametrize("length", [12, 48, 100])
def test_prf_matches_openssl_tls1_prf(hash_name: str, digest: str, length: int) -> None:
    secret, label, seed = os.urandom(48), b"key expansion", os.urandom(64)
    out = subprocess.run(
        ["openssl", "kdf", "-keylen", str(length), "-kdfopt", f"digest:{digest}",
         "-kdfopt", f"hexsecret:{secret.hex()}", "-kdfopt", f"hexseed:{(label + seed).hex()}",
         "TLS1-PRF"],
        capture_output=True, check=True, text=True, timeout=10,
    ).stdout  # fmt: skip
    assert prf(hash_name, secret, label, seed, length) == bytes.fromhex(out.replace(":", ""))


def test_extended_master_secret_and_exporter_are_prf_calls() -> None:
    pre_master, session_hash = os.urandom(32), os.urandom(32)
    master = extended_master_secret("sha256", pre_master, session_hash)
    assert master == prf("sha256", pre_master, b"extended master secret", session_hash, 48)
    client_random, server_random = os.urandom(32), os.urandom(32)
    material = export_keying_material(
        "sha256", master, "EXTRACTOR-dtls_srtp", client_random, server_random, 60
    )
    expected = prf("sha256", master, b"EXTRACTOR-dtls_srtp", client_random + server_random, 60)
    assert material == expected


def test_srtp_keying_material_split_rfc5764() -> None:
    material = bytes(range(60))
    keys = SrtpKeyingMaterial.from_exported(1, material, is_client=False)
    assert keys.client_master_key == material[0:16]
    assert keys.server_master_key == material[16:32]
    assert keys.client_master_salt == material[32:46]
    assert keys.server_master_salt == material[46:60]
    assert keys.local_master_key == keys.server_master_key  # we are the server
    assert keys.remote_master_salt == keys.client_master_salt
    with pytest.raises(DtlsError):
        SrtpKeyingMaterial.from_exported(1, material[:-1], is_client=True)
    with pytest.raises(DtlsError):
        SrtpKeyingMaterial.from_exported(9, material, is_client=True)


def test_srtp_keys_stay_out_of_reprs() -> None:
    # Events end up in logs, test failure messages and simulator traces; the SRTP master
    # keys and salts must not.
    material = bytes(range(1, 61))
    keys = SrtpKeyingMaterial.from_exported(1, material, is_client=True)
    event = HandshakeCompleted(b"cert", 0xC02B, 1, keys)
    for text in (repr(keys), repr(event), str(event)):
        for secret in (keys.local_master_key, keys.remote_master_key):
            assert repr(secret)[2:-1] not in text
        assert "profile=1" in text or "srtp_profile=1" in text
    assert keys == SrtpKeyingMaterial.from_exported(1, material, is_client=True)
