"""The pyee-like event emitter behind ``.on("event")``."""

from __future__ import annotations

import asyncio

import pytest

from pyrtc.pc import EventEmitter


def test_sync_handlers_once_and_removal() -> None:
    emitter = EventEmitter()
    calls: list[tuple[str, int]] = []

    @emitter.on("x")
    def first(value: int) -> None:
        calls.append(("first", value))

    def second(value: int) -> None:
        calls.append(("second", value))

    emitter.once("x", second)
    assert emitter.emit("x", 1) is True
    assert emitter.emit("x", 2) is True
    emitter.remove_listener("x", first)
    assert emitter.emit("x", 3) is False
    assert calls == [("first", 1), ("second", 1), ("first", 2)]
    assert emitter.listeners("x") == []


def test_a_failing_handler_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    emitter = EventEmitter()
    seen: list[int] = []
    emitter.on("x", lambda: 1 / 0)
    emitter.on("x", lambda: seen.append(1))
    emitter.emit("x")
    assert seen == [1]
    assert "handler for 'x' failed" in caplog.text


def test_error_without_handler_raises() -> None:
    emitter = EventEmitter()
    with pytest.raises(ValueError, match="boom"):
        emitter.emit("error", ValueError("boom"))
    received: list[Exception] = []
    emitter.on("error", received.append)
    emitter.emit("error", ValueError("handled"))
    assert [str(e) for e in received] == ["handled"]


async def test_coroutine_handlers_run_as_tasks() -> None:
    emitter = EventEmitter()
    done = asyncio.Event()
    values: list[str] = []

    @emitter.on("message")
    async def on_message(message: str) -> None:
        await asyncio.sleep(0)
        values.append(message)
        done.set()

    emitter.emit("message", "hi")
    assert values == []  # scheduled, not run inline
    await asyncio.wait_for(done.wait(), 1)
    assert values == ["hi"]
    emitter.remove_all_listeners()
    assert emitter.emit("message", "again") is False


def test_once_on_one_event_leaves_the_same_handler_on_another() -> None:
    """``once`` is per registration: a handler also registered with ``on`` elsewhere stays."""
    emitter = EventEmitter()
    calls: list[str] = []

    def handler(name: str) -> None:
        calls.append(name)

    emitter.on("always", handler)
    emitter.once("first", handler)
    emitter.emit("always", "a1")
    emitter.emit("always", "a2")
    emitter.emit("first", "f1")
    emitter.emit("first", "f2")
    assert calls == ["a1", "a2", "f1"]
    assert emitter.listeners("always") == [handler] and emitter.listeners("first") == []
