"""Every ```python block in docs/ and README.md runs as written (docs never rot).

Each example runs in a fresh interpreter, as a reader would run it: nothing a previous test
left behind (threads, sockets, event-loop state) can change its outcome, and a hang ends at
the timeout instead of stalling the suite.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
EXAMPLES = [
    (page, number, code)
    for page in PAGES
    for number, code in enumerate(BLOCK.findall(page.read_text()))
]
TIMEOUT = 60


@pytest.mark.parametrize(
    ("page", "number", "code"),
    EXAMPLES,
    ids=[f"{page.name}#{number}" for page, number, _ in EXAMPLES],
)
def test_example_runs(page: Path, number: int, code: str, tmp_path: Path) -> None:
    script = tmp_path / f"{page.stem}_{number}.py"
    script.write_text(code)
    run = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert run.returncode == 0, f"{page.name} example {number} failed:\n{run.stdout}{run.stderr}"
