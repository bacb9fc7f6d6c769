"""Ephemeral TURN credentials of the "TURN REST API" (coturn ``--use-auth-secret``).

The scheme (draft-uberti-behave-turn-rest-00, used by coturn, Janus and most WebRTC
services) shares a secret between the web service and the TURN server. The username is
``"<expiry unix time>:<user>"`` and the password ``base64(HMAC-SHA1(secret, username))``;
the TURN server recomputes the password and refuses usernames whose time has passed.
"""

from __future__ import annotations

import base64
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC


def rest_credentials(
    secret: str | bytes, user: str, ttl: int, now: float | None = None
) -> tuple[str, str]:
    """``(username, password)`` valid for ``ttl`` seconds from ``now`` (default: wall clock).

    ``user`` may be empty, in which case the username is the expiry time alone.
    """
    if now is None:
        now = time.time()
    expiry = int(now) + ttl
    username = f"{expiry}:{user}" if user else str(expiry)
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    mac = HMAC(key, hashes.SHA1())
    mac.update(username.encode())
    return username, base64.b64encode(mac.finalize()).decode("ascii")
