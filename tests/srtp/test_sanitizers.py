"""The C packet transforms under AddressSanitizer and UndefinedBehaviorSanitizer.

Compiles ``sanitize_harness.c`` against ``native/srtp_impl.h`` with gcc and runs it: random and
mutated packets through every entry point must produce no sanitizer report and no forgery.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NATIVE = HERE.parent.parent / "native"


def test_transforms_are_memory_safe(tmp_path: Path) -> None:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    binary = tmp_path / "harness"
    flags = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
    source = str(HERE / "sanitize_harness.c")
    build = subprocess.run(
        ["gcc", *flags, f"-I{NATIVE}", source, "-o", str(binary), "-lcrypto"],
        capture_output=True,
        text=True,
        check=False,
    )
    if build.returncode != 0 and "asan" in build.stderr.lower():
        pytest.skip(f"sanitizer runtime unavailable: {build.stderr[-200:]}")
    assert build.returncode == 0, build.stderr
    result = subprocess.run([str(binary), "40000"], capture_output=True, text=True, timeout=100)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "accepted=" in result.stdout
