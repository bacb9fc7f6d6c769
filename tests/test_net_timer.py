"""DeadlineTimer: one call_at per deadline, never earlier than the deadline it was given."""

from __future__ import annotations

import asyncio

from pyrtc.net.timer import DeadlineTimer


async def test_fires_once_at_the_latest_deadline_never_before_it() -> None:
    loop = asyncio.get_running_loop()
    fired: list[float] = []
    timer = DeadlineTimer(loop, fired.append)
    first = loop.time() + 0.05
    timer.arm(first)
    timer.arm(first)  # same deadline: nothing rescheduled
    later = loop.time() + 0.1
    timer.arm(later)  # moved: only the new one fires
    await asyncio.sleep(0.2)
    assert len(fired) == 1 and fired[0] >= later


async def test_cancel_and_none_disarm() -> None:
    loop = asyncio.get_running_loop()
    fired: list[float] = []
    timer = DeadlineTimer(loop, fired.append)
    timer.arm(loop.time() + 0.02)
    timer.cancel()
    timer.arm(loop.time() + 0.02)
    timer.arm(None)
    await asyncio.sleep(0.08)
    assert fired == []
    timer.arm(loop.time())  # re-arming after a cancel works
    await asyncio.sleep(0.02)
    assert len(fired) == 1
