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
from unittest import mock

from pyrtc.bench import Case
from pyrtc.net.ice import Connection

LOOPBACK = ["127.0.0.1"]


async def _pyrtc_session() -> None:
    a = Connection(True, addresses=LOOPBACK)
    b = Connection(False, addresses=LOOPBACK)
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


async def _pyrtc_gather() -> None:
    a = Connection(True, addresses=LOOPBACK)
    await a.gather_candidates()
    await a.close()


async def _aioice_session() -> None:
    import aioice

    a = aioice.Connection(True, use_ipv6=False)
    b = aioice.Connection(False, use_ipv6=False)
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


async def _aioice_gather() -> None:
    import aioice

    a = aioice.Connection(True, use_ipv6=False)
    await a.gather_candidates()
    await a.close()


def _runner(
    session: Callable[[], Coroutine[Any, Any, None]], patch_aioice: bool
) -> Callable[[], object]:
    loop = asyncio.new_event_loop()

    def run() -> None:
        if patch_aioice:
            # aioice never gathers on 127.0.0.1; pin it there as the tests do.
            with mock.patch(
                "aioice.ice.get_host_addresses", lambda use_ipv4, use_ipv6: list(LOOPBACK)
            ):
                loop.run_until_complete(asyncio.wait_for(session(), 10))
        else:
            loop.run_until_complete(asyncio.wait_for(session(), 10))

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
            ours=_runner(_pyrtc_session, False),
            baseline=_runner(_aioice_session, True) if have_baseline else None,
            baseline_name="aioice Connection",
            target=2.0,
        ),
        Case(
            group="ice",
            name="gather host + close",
            ours=_runner(_pyrtc_gather, False),
            baseline=_runner(_aioice_gather, True) if have_baseline else None,
            baseline_name="aioice Connection",
        ),
    ]
