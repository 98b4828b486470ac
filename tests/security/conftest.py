"""Fixtures for the security tests (shared with the reliability scenarios)."""

from __future__ import annotations

from typing import Any

from tests.reliability import figures
from tests.reliability.conftest import make_sandbox

__all__ = ["make_sandbox"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    figures.terminal_summary(terminalreporter)
