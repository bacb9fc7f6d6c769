"""Make ``turn_helpers`` importable by the TURN test modules (importlib import mode)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from collections.abc import Iterator

import pytest
from coturn import Coturn, run_coturn


@pytest.fixture(scope="session")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    """coturn with long-term credentials alice:s3cret, UDP/TCP and TLS listeners."""
    with run_coturn(tmp_path_factory.mktemp("coturn"), tls=True) as server:
        yield server


@pytest.fixture(scope="session")
def coturn_rest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    """coturn with TURN REST API credentials (--use-auth-secret)."""
    with run_coturn(tmp_path_factory.mktemp("coturn-rest"), auth="rest") as server:
        yield server


@pytest.fixture(scope="session")
def coturn_short(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    """coturn whose nonces go stale after 2 s and allocations last at most 6 s."""
    directory = tmp_path_factory.mktemp("coturn-short")
    with run_coturn(directory, "--stale-nonce=2", "--max-allocate-lifetime=6") as server:
        yield server


@pytest.fixture(scope="session")
def coturn_v6(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    """coturn listening and relaying on ::1 only."""
    with run_coturn(tmp_path_factory.mktemp("coturn-v6"), ip="::1") as server:
        yield server
