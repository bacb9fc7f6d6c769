"""The benchmark harness measures both sides and computes the ratio; no timing is asserted."""

from __future__ import annotations

import pytest

from pyrtc import bench
from pyrtc.cli import main


def test_groups_are_discovered_and_loadable() -> None:
    assert "crc32c" in bench.groups()
    cases = bench.load_cases(["crc32c"])
    assert cases and all(case.group == "crc32c" for case in cases)


def test_unknown_group_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown benchmark group"):
        bench.load_cases(["no-such-group"])


def test_run_case_counts_operations_of_both_sides() -> None:
    calls = {"ours": 0, "base": 0}

    def ours() -> None:
        calls["ours"] += 1

    def base() -> None:
        calls["base"] += 1

    case = bench.Case("t", "count", ours, base, "baseline", target=1.0, ops_per_call=10)
    result = bench.run_case(case, rounds=2, min_time=0.001)
    assert calls["ours"] >= 3 and calls["base"] >= 3  # warm-up plus at least one call per round
    assert result.ours_ops > 0 and result.baseline_ops is not None and result.baseline_ops > 0
    assert result.ratio == pytest.approx(result.ours_ops / result.baseline_ops)
    assert result.meets_target == (result.ratio >= 1.0)


def test_missing_baseline_gives_no_ratio() -> None:
    case = bench.Case("t", "alone", lambda: None, None, "absent", target=2.0)
    result = bench.run_case(case, rounds=1, min_time=0.001)
    assert result.ratio is None and result.meets_target is None


def test_cli_bench_prints_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "crc32c", "--rounds", "1", "--min-time", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "crc32c: 1200 B" in out and "crc32c (PyPI)" in out


def test_cli_bench_unknown_group_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "nope"]) == 2
    assert "unknown benchmark group" in capsys.readouterr().out


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("pyrtc ")
