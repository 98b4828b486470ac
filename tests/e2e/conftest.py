"""Fixtures for the end-to-end tests: the provider installed once, a fresh sandbox per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.acceptance import CaseResult, Step, run_case
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[Callable[..., Sandbox]]:
    """Start a fresh sandbox (own database) for this test, optionally from a seed file."""
    started: list[Sandbox] = []

    def start(seed: Path | None = None, name: str = "sandbox") -> Sandbox:
        sandbox = Sandbox(tmp_path / name, seed=seed)
        started.append(sandbox)
        return sandbox.start()

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """A fresh sandbox on the default seed."""
    return start_sandbox()


@pytest.fixture
def case(plugin_dir: Path, tmp_path: Path) -> Callable[..., CaseResult]:
    """`run_case` bound to this session's provider mirror and this test's directory."""
    counter = iter(range(1_000))

    def run(
        binary: TerraformBinary, steps: Sequence[Step], *, sandbox: Sandbox, **kwargs: Any
    ) -> CaseResult:
        workdir = tmp_path / f"case-{next(counter)}"
        return run_case(
            binary, steps, sandbox=sandbox, plugin_dir=plugin_dir, workdir=workdir, **kwargs
        )

    return run
