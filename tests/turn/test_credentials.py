"""TURN REST API ephemeral credentials (coturn --use-auth-secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from pyrtc.turn import rest_credentials


def test_username_is_expiry_colon_user_and_password_is_hmac_sha1() -> None:
    username, password = rest_credentials("north", "alice", 3600, now=1_700_000_000.7)
    assert username == "1700003600:alice"
    expected = hmac.new(b"north", b"1700003600:alice", hashlib.sha1).digest()
    assert password == base64.b64encode(expected).decode()


def test_known_value() -> None:
    # Computed once with: echo -n "1000:bob" | openssl dgst -sha1 -hmac secret -binary | base64
    assert rest_credentials(b"secret", "bob", 1000, now=0) == (
        "1000:bob",
        "gvkKl/2xciaYzQ89WEgYkPVzkoY=",
    )


def test_empty_user_and_default_clock() -> None:
    username, _ = rest_credentials("s", "", 10, now=5)
    assert username == "15"
    username, _ = rest_credentials("s", "u", 60)
    assert int(username.split(":")[0]) > 1_700_000_000
