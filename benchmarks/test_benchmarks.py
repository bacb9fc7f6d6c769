"""pytest-benchmark view of the ``pyrtc bench`` cases: each case runs as ours and baseline.

Run with ``make bench-pytest``; compare within a group (``--benchmark-group-by=group``).
"""

from __future__ import annotations

import pytest

from pyrtc import bench

CASES = bench.load_cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.group}:{c.name}" for c in CASES])
@pytest.mark.parametrize("side", ["pyrtc", "baseline"])
def test_case(benchmark: pytest.FixtureRequest, case: bench.Case, side: str) -> None:
    fn = case.ours if side == "pyrtc" else case.baseline
    if fn is None:
        pytest.skip(f"{case.baseline_name} is not installed")
    benchmark.group = f"{case.group}: {case.name}"
    benchmark.extra_info["ops_per_call"] = case.ops_per_call
    benchmark(fn)
