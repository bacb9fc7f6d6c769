"""``pyrtc demo``: two processes over UDP on 127.0.0.1, and the TCP-signaling mode."""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys

import pytest

from pyrtc.pc.demo import _size

PYRTC = [sys.executable, "-m", "pyrtc"]
WIDE = {**os.environ, "COLUMNS": "200"}  # rich wraps table cells at the default 80


def test_demo_two_processes() -> None:
    run = subprocess.run(
        [*PYRTC, "demo", "--size", "2M", "--message-size", "8K", "--timeout", "30"],
        capture_output=True,
        text=True,
        timeout=60,
        env=WIDE,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "answerer running as process" in run.stdout
    assert re.search(r"done: 2,097,152 bytes verified \(SHA-256\)", run.stdout), run.stdout
    # The answerer's checks can arrive before its answer: then its address is peer-reflexive.
    pair = r"127\.0\.0\.1:\d+ \(host\) <-> 127\.0\.0\.1:\d+ \((host|prflx)\)"
    assert re.search(pair, run.stdout), run.stdout
    assert "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" in run.stdout


def test_demo_offerer_and_answerer_over_tcp_signaling() -> None:
    with socket.socket() as probe:  # a free TCP port for the signaling
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    common = ["--signaling", "tcp", "--signaling-port", port, "--timeout", "30"]
    answerer = subprocess.Popen(
        [*PYRTC, "demo", "--answerer", *common],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        offerer = subprocess.run(
            [*PYRTC, "demo", "--offerer", "--size", "300K", *common],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert offerer.returncode == 0, offerer.stdout + offerer.stderr
        assert "done: 307,200 bytes verified" in offerer.stdout
        assert answerer.wait(timeout=30) == 0
    finally:
        if answerer.poll() is None:
            answerer.kill()
            answerer.wait()


def test_demo_rejects_oversized_messages() -> None:
    run = subprocess.run(
        [*PYRTC, "demo", "--message-size", "1M"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2 and "limited to 256 KiB" in run.stdout


def read_json_line(process: subprocess.Popen[str]) -> str:
    """The next line that holds a JSON description (copy-paste mode prints them)."""
    assert process.stdout is not None
    for _ in range(50):
        line = process.stdout.readline()
        if line.startswith("{"):
            return line
        assert line, "the process ended before printing its description"
    raise AssertionError("no description printed")


def test_demo_copy_paste_signaling() -> None:
    """What a user does by hand: paste the offer into the answerer, the answer back."""
    common = ["--signaling", "copy-paste", "--timeout", "30"]
    options = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True, "env": WIDE}
    answerer = subprocess.Popen([*PYRTC, "demo", "--answerer", *common], **options)  # type: ignore[call-overload]
    offerer = subprocess.Popen(
        [*PYRTC, "demo", "--offerer", "--size", "100K", *common],
        **options,  # type: ignore[call-overload]
    )
    try:
        assert answerer.stdin is not None and offerer.stdin is not None
        answerer.stdin.write(read_json_line(offerer))
        answerer.stdin.flush()
        offerer.stdin.write(read_json_line(answerer))
        offerer.stdin.flush()
        output, _ = offerer.communicate(timeout=60)
        assert offerer.returncode == 0, output
        assert "done: 102,400 bytes verified" in output
        assert answerer.wait(timeout=30) == 0
    finally:
        for process in (answerer, offerer):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_demo_sizes() -> None:
    """``--size``/``--message-size`` take k/M/G suffixes; anything else is a usage error."""
    assert (_size("16K"), _size("32MiB"), _size("1.5k"), _size("100")) == (
        16384,
        32 << 20,
        1536,
        100,
    )
    for bad in ("", "x", "nan", "inf", "-1k", "0"):
        with pytest.raises(argparse.ArgumentTypeError):
            _size(bad)
