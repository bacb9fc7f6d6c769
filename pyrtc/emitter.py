"""A small event emitter with the semantics aiortc users know from pyee's
``AsyncIOEventEmitter``: ``@obj.on("event")`` registers a plain function or a coroutine
function; coroutine handlers are scheduled as tasks on the running loop."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar, overload

Handler = TypeVar("Handler", bound=Callable[..., Any])

logger = logging.getLogger(__name__)


class EventEmitter:
    """``on`` / ``once`` / ``remove_listener`` / ``remove_all_listeners`` / ``emit``."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Callable[..., Any]]] = {}
        self._once: set[tuple[str, int]] = set()
        """``(event, id(handler))`` of the registrations made with :meth:`once`."""
        self._tasks: set[asyncio.Task[Any]] = set()

    @overload
    def on(self, event: str) -> Callable[[Handler], Handler]: ...

    @overload
    def on(self, event: str, handler: Handler) -> Handler: ...

    def on(self, event: str, handler: Handler | None = None) -> Any:
        """Register ``handler`` for ``event``; without it, return a decorator."""
        if handler is None:

            def decorator(func: Handler) -> Handler:
                self._handlers.setdefault(event, []).append(func)
                return func

            return decorator
        self._handlers.setdefault(event, []).append(handler)
        return handler

    @overload
    def once(self, event: str) -> Callable[[Handler], Handler]: ...

    @overload
    def once(self, event: str, handler: Handler) -> Handler: ...

    def once(self, event: str, handler: Handler | None = None) -> Any:
        """Like :meth:`on`, but the handler runs for the next emission only."""
        if handler is None:

            def decorator(func: Handler) -> Handler:
                self.once(event, func)
                return func

            return decorator
        self._once.add((event, id(handler)))
        self._handlers.setdefault(event, []).append(handler)
        return handler

    def remove_listener(self, event: str, handler: Callable[..., Any]) -> None:
        handlers = self._handlers.get(event, [])
        if handler in handlers:
            handlers.remove(handler)
        self._once.discard((event, id(handler)))

    def remove_all_listeners(self, event: str | None = None) -> None:
        if event is None:
            self._handlers.clear()
            self._once.clear()
        else:
            for handler in self._handlers.pop(event, []):
                self._once.discard((event, id(handler)))

    def listeners(self, event: str) -> list[Callable[..., Any]]:
        return list(self._handlers.get(event, []))

    def emit(self, event: str, *args: Any) -> bool:
        """Call every handler of ``event``; returns whether there was one.

        An exception in a handler is logged and does not stop the others (the protocol
        state must not depend on application code); ``error`` events with no handler
        raise their argument, as pyee does.
        """
        handlers = self._handlers.get(event)
        if not handlers:
            if event == "error" and args and isinstance(args[0], BaseException):
                raise args[0]
            return False
        once = self._once
        for handler in (handlers[0],) if len(handlers) == 1 else list(handlers):
            if once and (event, id(handler)) in once:
                self.remove_listener(event, handler)
            try:
                result = handler(*args)
            except Exception:
                logger.exception("handler for %r failed", event)
                continue
            if result is not None and inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._task_done)
        return True

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("async handler failed", exc_info=task.exception())
