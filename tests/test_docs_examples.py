"""Every ```python block in docs/ and README.md runs as written (docs never rot)."""

from __future__ import annotations

import re
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


@pytest.mark.parametrize(
    ("page", "number", "code"),
    EXAMPLES,
    ids=[f"{page.name}#{number}" for page, number, _ in EXAMPLES],
)
def test_example_runs(page: Path, number: int, code: str) -> None:
    source = compile(code, f"{page.name} example {number}", "exec", dont_inherit=True)
    exec(source, {"__name__": "__docs__"})
