"""Shared helpers for the peer-connection tests (real UDP on 127.0.0.1 only)."""

from __future__ import annotations

import asyncio
from typing import Any

LOOPBACK = ["127.0.0.1"]
STEP = 30.0
"""Seconds to wait for one step (open, a message, a state): generous because the shared
machine is sometimes very loaded; pytest-timeout still bounds every test."""


async def signal(offerer: Any, answerer: Any) -> None:
    """Non-trickle offer/answer between two connections (pyrtc or aiortc)."""
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)


async def wait_for_state(pc: Any, attribute: str, wanted: str, timeout: float = STEP) -> None:
    """Poll ``pc.<attribute>`` until it equals ``wanted`` (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while getattr(pc, attribute) != wanted:
        if loop.time() > deadline:
            raise AssertionError(f"{attribute} is {getattr(pc, attribute)!r}, not {wanted!r}")
        await asyncio.sleep(0.01)
