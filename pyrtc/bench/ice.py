"""ICE on loopback: pyrtc's ``Connection`` against ``aioice.Connection``, two agents in one
process, real UDP sockets on 127.0.0.1 (one host candidate each).

``connect``: each call is a whole session: gather on both sides, exchange credentials and
candidates, ``connect()`` both (controlling and controlled) until a pair is nominated,
close. ``gather``: gather host candidates and close, to separate the two costs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from pyrtc.bench import Case, aioice_on_loopback
from pyrtc.net.ice import Connection

LOOPBACK = ["127.0.0.1"]


def _pyrtc_connection(controlling: bool) -> Connection:
    return Connection(controlling, addresses=LOOPBACK)


def _aioice_connection(controlling: bool) -> Any:
    import aioice

    return aioice.Connection(controlling, use_ipv6=False)


async def _session(make: Callable[[bool], Any]) -> None:
    a, b = make(True), make(False)
    await asyncio.gather(a.gather_candidates(), b.gather_candidates())
    a.remote_username, a.remote_password = b.local_username, b.local_password
    b.remote_username, b.remote_password = a.local_username, a.local_password
    for candidate in b.local_candidates:
        await a.add_remote_candidate(candidate)
    for candidate in a.local_candidates:
        await b.add_remote_candidate(candidate)
    await a.add_remote_candidate(None)
    await b.add_remote_candidate(None)
    await asyncio.gather(a.connect(), b.connect())
    await a.close()
    await b.close()


async def _gather(make: Callable[[bool], Any]) -> None:
    a = make(True)
    await a.gather_candidates()
    await a.close()


def _runner(
    job: Callable[[Callable[[bool], Any]], Coroutine[Any, Any, None]],
    make: Callable[[bool], Any],
    patch_aioice: bool,
) -> Callable[[], object]:
    loop = asyncio.new_event_loop()

    def run() -> None:
        with aioice_on_loopback(patch_aioice):
            loop.run_until_complete(asyncio.wait_for(job(make), 10))

    return run


def cases() -> list[Case]:
    try:
        import aioice  # noqa: F401
    except ImportError:
        have_baseline = False
    else:
        have_baseline = True
    return [
        Case(
            group="ice",
            name="connect (gather+checks+close)",
            ours=_runner(_session, _pyrtc_connection, False),
            baseline=_runner(_session, _aioice_connection, True) if have_baseline else None,
            baseline_name="aioice Connection",
            target=2.0,
        ),
        Case(
            group="ice",
            name="gather host + close",
            ours=_runner(_gather, _pyrtc_connection, False),
            baseline=_runner(_gather, _aioice_connection, True) if have_baseline else None,
            baseline_name="aioice Connection",
        ),
    ]
