"""Shared helpers for the peer-connection tests (real UDP on 127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shlex
import shutil
import signal as signals
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")

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


@asynccontextmanager
async def media_call(*local: Any) -> AsyncIterator[tuple[Any, Any, list[Any]]]:
    """A caller sending the ``local`` tracks and a callee whose ``track`` events are
    collected: ``(caller, callee, remote tracks)``, not yet signaled. The local tracks are
    stopped and both connections closed when the block ends."""
    from pyrtc.pc import RTCPeerConnection

    caller = RTCPeerConnection(addresses=LOOPBACK)
    callee = RTCPeerConnection(addresses=LOOPBACK)
    tracks: list[Any] = []
    callee.on("track", tracks.append)
    for track in local:
        caller.addTrack(track)
    try:
        yield caller, callee, tracks
    finally:
        for track in local:
            track.stop()
        await caller.close()
        await callee.close()


@asynccontextmanager
async def video_call(
    codecs: list[Any] | None = None,
) -> AsyncIterator[tuple[Any, Any, list[Any], Any]]:
    """A caller sending one ``VideoStreamTrack`` on a ``sendonly`` transceiver that prefers
    ``codecs`` (default: our default order), and a callee whose ``track`` events are
    collected: ``(caller, callee, remote tracks, transceiver)``, not yet signaled. The track
    is stopped and both connections closed when the block ends."""
    from pyrtc.mediastreams import VideoStreamTrack
    from pyrtc.pc import RTCPeerConnection

    caller = RTCPeerConnection(addresses=LOOPBACK)
    callee = RTCPeerConnection(addresses=LOOPBACK)
    tracks: list[Any] = []
    callee.on("track", tracks.append)
    video = VideoStreamTrack()
    transceiver = caller.addTransceiver(video, "sendonly")
    transceiver.setCodecPreferences(codecs or [])
    try:
        yield caller, callee, tracks, transceiver
    finally:
        video.stop()
        await caller.close()
        await callee.close()


@asynccontextmanager
async def closing(*connections: Any) -> AsyncIterator[None]:
    """Close every connection when the block ends, however it ends."""
    try:
        yield
    finally:
        for pc in connections:
            await pc.close()


async def wait_for_state(pc: Any, attribute: str, wanted: str, timeout: float = STEP) -> None:
    """Poll ``pc.<attribute>`` until it equals ``wanted`` (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while getattr(pc, attribute) != wanted:
        if loop.time() > deadline:
            raise AssertionError(f"{attribute} is {getattr(pc, attribute)!r}, not {wanted!r}")
        await asyncio.sleep(0.01)


def chromium_missing() -> str | None:
    """Why the Chromium interop tests cannot run here (``None`` when they can)."""
    if not CHROMIUM.exists():
        return "Debian chromium is not installed (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright Python package is not installed"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare/ip (util-linux, iproute2) are needed for the network namespace"
    if os.geteuid() != 0:
        return "unshare -n needs root"
    return None


def run_in_namespace(module: str, *args: str, timeout: float = 100) -> dict[str, Any]:
    """Run ``python -m <module> <args>`` in a loopback-only network namespace (``unshare
    -n``, docs/INTEROP.md §1), bounded by ``timeout`` (then its whole process group, browser
    included, is killed); the JSON object of its last output line."""
    command = shlex.join([sys.executable, "-m", module, *args])
    script = f"ip link set lo up; exec {command}"
    proc = subprocess.Popen(
        ["unshare", "-n", "sh", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,  # its own process group: Chromium's helpers die with it
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signals.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{module} did not finish in {timeout:g} s:\n{err[-4000:]}")
    assert proc.returncode == 0, err[-4000:]
    outcome: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return outcome
