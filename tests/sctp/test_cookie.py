"""State cookie: HMAC-signed, time-limited, tamper-evident (RFC 9260 §5.1.3, §5.1.5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyrtc.sctp import SctpParseError
from pyrtc.sctp.cookie import COOKIE_LENGTH, CookieState, StaleCookieError, open_cookie, seal_cookie

KEY = b"k" * 32
STATE = CookieState(
    expires=100.0,
    local_tag=1,
    peer_tag=2,
    local_tsn=3,
    peer_tsn=4,
    peer_rwnd=5,
    outbound_streams=6,
    inbound_streams=7,
    peer_forward_tsn=True,
    peer_reconfig=False,
)


def test_seal_open_roundtrip() -> None:
    cookie = seal_cookie(KEY, STATE)
    assert len(cookie) == COOKIE_LENGTH
    assert open_cookie(KEY, cookie, now=99.0) == STATE


def test_expired_cookie_is_stale() -> None:
    with pytest.raises(StaleCookieError) as raised:
        open_cookie(KEY, seal_cookie(KEY, STATE), now=100.5)
    assert raised.value.staleness == pytest.approx(100.5 - STATE.expires)
    assert raised.value.peer_tag == STATE.peer_tag


def test_wrong_key_rejected() -> None:
    with pytest.raises(SctpParseError, match="MAC"):
        open_cookie(b"x" * 32, seal_cookie(KEY, STATE), now=0.0)


@given(st.integers(0, COOKIE_LENGTH - 1), st.integers(1, 255))
def test_any_bit_flip_rejected(position: int, flip: int) -> None:
    cookie = bytearray(seal_cookie(KEY, STATE))
    cookie[position] ^= flip
    with pytest.raises(SctpParseError):
        open_cookie(KEY, bytes(cookie), now=0.0)


@given(st.binary(max_size=COOKIE_LENGTH + 4))
def test_garbage_rejected(data: bytes) -> None:
    with pytest.raises(SctpParseError):
        open_cookie(KEY, data, now=0.0)
