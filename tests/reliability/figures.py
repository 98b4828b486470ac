"""The figures the reliability, security and fuzz tests measure, printed after the run.

Tests call `record("faults injected", 123)`; the conftests of those folders print every
figure in pytest's terminal summary (once), and `FIGURES_JSON=<path>` also writes them as
JSON for CI to keep.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

_figures: dict[str, Any] = {}
_lock = threading.Lock()
_printed = False


def record(name: str, value: Any) -> None:
    """Keep a figure (a later value with the same name replaces the earlier one)."""
    with _lock:
        _figures[name] = value


def add(name: str, amount: int) -> None:
    """Add to a counting figure."""
    with _lock:
        _figures[name] = _figures.get(name, 0) + amount


def get(name: str, default: Any = None) -> Any:
    """A figure recorded so far."""
    with _lock:
        return _figures.get(name, default)


def terminal_summary(terminalreporter: Any) -> None:
    """Print the figures once per session, and write them to FIGURES_JSON when set."""
    global _printed
    with _lock:
        if _printed or not _figures:
            return
        _printed = True
        figures = dict(sorted(_figures.items()))
    terminalreporter.section("reliability and security figures")
    for name, value in figures.items():
        terminalreporter.write_line(f"{name}: {value}")
    target = os.environ.get("FIGURES_JSON")
    if target:
        with open(target, "w") as f:
            json.dump(figures, f, indent=2, sort_keys=True)
