"""Fixtures: a token issuer/verifier pair and a real server on 127.0.0.1 (free port)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from pyrtc.signaling import (
    Limits,
    ServerConfig,
    SignalingServer,
    TokenIssuer,
    TokenVerifier,
)

SECRET = "test-secret-0123456789-abcdefghijklmnop"

ServerFactory = Callable[..., AbstractAsyncContextManager[SignalingServer]]


@pytest.fixture
def issuer() -> TokenIssuer:
    return TokenIssuer.hs256(SECRET)


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier.hs256(SECRET)


@pytest.fixture
def token(issuer: TokenIssuer) -> Callable[..., str]:
    """``token(room, user, ttl=60)``: a fresh HS256 token valid now."""

    def make(room: str, user: str, ttl: float = 60) -> str:
        return issuer.issue(room, user, ttl, time.time())

    return make


@pytest.fixture
def make_server(verifier: TokenVerifier) -> ServerFactory:
    """``async with make_server(limits=..., **config) as server``: started on a free port."""

    @asynccontextmanager
    async def factory(**overrides: object) -> AsyncIterator[SignalingServer]:
        settings: dict[str, object] = {"verifier": verifier, "host": "127.0.0.1", "port": 0}
        settings.update(overrides)
        settings.setdefault("limits", Limits())
        async with SignalingServer(ServerConfig(**settings)) as server:  # type: ignore[arg-type]
            yield server

    return factory
