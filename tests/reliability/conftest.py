"""Fixtures for the reliability scenarios: the installed provider and seeded sandboxes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import figures
from tests.reliability.harness import write_seed
from tests.support.sandbox import Sandbox


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Iterator[Any]:
    """`make_sandbox(servers)`: a sandbox seeded with that many servers, stopped afterwards."""
    started: list[Sandbox] = []

    def make(servers: int, *args: str) -> Sandbox:
        directory = tmp_path / f"sandbox-{len(started)}"
        directory.mkdir()
        seed = write_seed(directory / "seed.yaml", servers)
        sandbox = Sandbox(directory, seed=seed, args=list(args)).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    figures.terminal_summary(terminalreporter)
