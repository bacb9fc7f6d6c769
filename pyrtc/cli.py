"""The ``pyrtc`` command line: one subcommand per tool, output through rich."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

import pyrtc
from pyrtc import bench

console = Console(width=max(Console().width, 120))


def _cmd_bench(args: argparse.Namespace) -> int:
    try:
        cases = bench.load_cases(args.groups)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    table = Table(title=f"pyrtc {pyrtc.__version__} vs baselines (same run, best of {args.rounds})")
    for column in ("case", "pyrtc ops/s", "MB/s", "baseline", "baseline ops/s", "ratio", "target"):
        table.add_column(column, justify="left" if column in ("case", "baseline") else "right")
    failed = 0
    for case in cases:
        result = bench.run_case(case, rounds=args.rounds, min_time=args.min_time)
        mbps = f"{result.ours_ops * case.bytes_per_op / 1e6:,.0f}" if case.bytes_per_op else ""
        base = f"{result.baseline_ops:,.0f}" if result.baseline_ops else "not installed"
        ratio = f"{result.ratio:.2f}x" if result.ratio is not None else "-"
        target = ""
        if case.target is not None:
            met = result.meets_target
            mark = "" if met is None else (" [green]ok[/green]" if met else " [red]MISS[/red]")
            failed += met is False
            target = f">= {case.target:g}x{mark}"
        table.add_row(
            f"{case.group}: {case.name}",
            f"{result.ours_ops:,.0f}",
            mbps,
            case.baseline_name,
            base,
            ratio,
            target,
        )
    console.print(table)
    if failed:
        console.print(f"[yellow]{failed} case(s) below target on this run[/yellow]")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="pyrtc", description=pyrtc.__doc__)
    parser.add_argument("--version", action="version", version=f"pyrtc {pyrtc.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("bench", help="benchmark pyrtc against baseline libraries")
    p.add_argument("groups", nargs="*", metavar="NAME", help=f"groups: {', '.join(bench.groups())}")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds per case")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per round per side")
    p.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pyrtc`` console script."""
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
