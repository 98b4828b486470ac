"""Fixtures for the sandbox's HTTP-level tests: one sandbox process per session, reset per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# This directory has no __init__.py (it would shadow the real `sandbox` package), so make the
# repository root importable for `tests.support` and ahead of `tests/` for `sandbox`.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sandbox_api import Api  # noqa: E402

from tests.support.sandbox import Sandbox  # noqa: E402


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox for the whole session (tests reset it)."""
    with Sandbox(tmp_path_factory.mktemp("sandbox")) as sb:
        yield sb


@pytest.fixture
def sb(sandbox_process: Sandbox) -> Sandbox:
    """The shared sandbox, freshly re-seeded, with an empty log and no faults."""
    sandbox_process.clear_faults()
    sandbox_process.reset()
    sandbox_process.clear_requests()
    return sandbox_process


@pytest.fixture
def demo(sb: Sandbox) -> Api:
    """Calls as ``demo`` (admin of tenant 123456) in DFW."""
    return Api(sb, "demo")
