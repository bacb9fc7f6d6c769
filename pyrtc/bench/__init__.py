"""Side-by-side benchmarks: pyrtc against its baseline library, in the same run.

Each module ``pyrtc.bench.<group>`` (``stun``, ``rtp``, ``srtp``, ...) defines
``cases() -> list[Case]``. ``pyrtc bench [GROUP...]`` and ``benchmarks/`` (pytest-benchmark)
both run them. The ratio is ours/baseline in operations per second; it is reported, never
asserted in the test suite, because the machines are shared and noisy.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from unittest import mock


@contextlib.contextmanager
def aioice_on_loopback(enabled: bool = True) -> Iterator[None]:
    """Pin aioice's host candidates to 127.0.0.1 while the block runs (aioice never gathers
    there on its own; the tests pin it the same way). ``enabled=False`` changes nothing."""
    if not enabled:
        yield
        return
    with mock.patch("aioice.ice.get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"]):
        yield


@dataclass
class Case:
    """One benchmark: our implementation and the baseline doing the same work.

    ``ours`` and ``baseline`` each perform ``ops_per_call`` operations per call (a batch
    lets a case feed distinct packets without per-call set-up noise). ``baseline`` is
    ``None`` when the baseline library is not installed; ``bytes_per_op`` enables MB/s.
    """

    group: str
    name: str
    ours: Callable[[], object]
    baseline: Callable[[], object] | None
    baseline_name: str
    target: float | None = None
    ops_per_call: int = 1
    bytes_per_op: int | None = None


@dataclass
class Result:
    """Best-of-rounds throughput of one case, both sides."""

    case: Case
    ours_ops: float
    baseline_ops: float | None

    @property
    def ratio(self) -> float | None:
        if self.baseline_ops is None:
            return None
        return self.ours_ops / self.baseline_ops

    @property
    def meets_target(self) -> bool | None:
        if self.case.target is None or self.ratio is None:
            return None
        return self.ratio >= self.case.target


def groups() -> list[str]:
    """Names of the benchmark groups that ship with pyrtc."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load_cases(names: Iterable[str] = ()) -> list[Case]:
    """Build the cases of the named groups (all groups when ``names`` is empty)."""
    wanted = list(names) or groups()
    unknown = sorted(set(wanted) - set(groups()))
    if unknown:
        raise ValueError(f"unknown benchmark group(s) {unknown}; known: {groups()}")
    cases: list[Case] = []
    for name in wanted:
        module = importlib.import_module(f"{__name__}.{name}")
        cases.extend(module.cases())
    return cases


def _ops_per_second(fn: Callable[[], object], ops_per_call: int, min_time: float) -> float:
    calls = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < min_time or calls == 0:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
    return calls * ops_per_call / elapsed


def run_case(case: Case, rounds: int = 5, min_time: float = 0.2) -> Result:
    """Time ``case`` in interleaved rounds (ours, baseline, ours, ...) and keep the best."""
    case.ours()  # warm-up: caches, lazily built contexts
    if case.baseline is not None:
        case.baseline()
    best_ours = 0.0
    best_base: float | None = None if case.baseline is None else 0.0
    for _ in range(rounds):
        best_ours = max(best_ours, _ops_per_second(case.ours, case.ops_per_call, min_time))
        if case.baseline is not None and best_base is not None:
            ops = _ops_per_second(case.baseline, case.ops_per_call, min_time)
            best_base = max(best_base, ops)
    return Result(case, best_ours, best_base)
