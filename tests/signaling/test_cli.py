"""``pyrtc token`` and ``pyrtc serve`` as a user runs them."""

from __future__ import annotations

import asyncio
import re
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pyrtc.cli import main
from pyrtc.signaling import SignalingClient, TokenVerifier

from .conftest import SECRET


def test_token_hs256_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYRTC_SIGNALING_SECRET", SECRET)
    assert main(["token", "--room", "demo", "--user", "alice", "--ttl", "120"]) == 0
    token = capsys.readouterr().out.strip()
    identity = TokenVerifier.hs256(SECRET).verify(token, "demo", time.time())
    assert identity.user == "alice"
    assert 115 <= identity.expires - time.time() <= 120


def test_token_es256_link(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    argv = ["token", "--room", "r", "--user", "bob", "--jwt-key", str(key)]
    assert main([*argv, "--url", "https://127.0.0.1:8443/"]) == 0
    link = capsys.readouterr().out.strip()
    match = re.fullmatch(r"https://127\.0\.0\.1:8443/#room=r&token=(\S+)", link)
    assert match is not None
    assert TokenVerifier.es256(key.read_bytes()).verify(match[1], "r", time.time()).user == "bob"


def test_token_without_a_key_fails_cleanly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYRTC_SIGNALING_SECRET", raising=False)
    assert main(["token", "--room", "r", "--user", "u"]) == 2
    assert "PYRTC_SIGNALING_SECRET" in capsys.readouterr().out
    assert main(["token", "--room", "r", "--user", "u", "--secret", "short"]) == 2
    assert "32 bytes" in capsys.readouterr().out


def test_serve_refuses_plain_http_off_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--port", "0", "--secret", SECRET]) == 2
    assert "--insecure" in capsys.readouterr().out


async def test_serve_self_signed_end_to_end(token: Any) -> None:
    """Run ``pyrtc serve --self-signed`` in a subprocess and join over WSS."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pyrtc",
        "serve",
        "--port",
        "0",
        "--self-signed",
        "--secret",
        SECRET,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    try:
        cert = url = None
        output = []
        while url is None:
            line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
            assert line, "".join(output)
            output.append(line)
            if found := re.search(r"certificate (\S+cert\.pem)", line):
                cert = found[1]
            if found := re.search(r"websocket (wss://\S+)", line):
                url = found[1]
        assert cert is not None
        context = ssl.create_default_context(cafile=cert)
        client = await SignalingClient.connect(url, "demo", token("demo", "carol"), ssl=context)
        assert client.user == "carol"
        await client.close()
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    # SIGTERM stops it cleanly: the temporary key is gone.
    assert not Path(cert).parent.exists()
