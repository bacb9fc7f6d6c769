"""Suite-wide settings: hypothesis profiles that suit a shared, noisy 2-core machine.

Timing deadlines are off everywhere (a loaded CI machine is not a failing test). Under CI
(``CI`` set) the search is derandomised so a landing run is reproducible; locally it explores.
"""

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _keep_scheduling_policy() -> Iterator[None]:
    """Tests that drive FFmpeg's SVT-AV1 directly (as root) get SCHED_FIFO on the test
    thread; everything started afterwards would inherit it and could starve the machine."""
    if not hasattr(os, "sched_getscheduler"):
        yield
        return
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    yield
    if os.sched_getscheduler(0) != policy:
        os.sched_setscheduler(0, policy, param)
