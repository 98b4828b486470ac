"""Test-suite root: make `tests.support` importable however pytest is started, hold the
fixtures every Terraform-driving folder shares, and give the session its own fork servers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support import warm  # noqa: E402 - needs the path above

_REPORTS: list[warm.SessionReport] = []


@pytest.fixture(scope="session", autouse=True)
def warm_launches() -> Iterator[Path]:
    """Every launch of the session is warm, through fork servers in a private 0700 directory
    that this fixture empties at the end.

    `<PREFIX>_WARM=1` is explicit, so the suite tests warm launches whatever the default and
    whether or not `CI` is set; tests of the cold or switched-off path set their own value.
    Teardown fails the session when any process naming the directory outlives the stop.
    """
    directory = warm.make_session_dir()
    report = warm.SessionReport(directory)
    _REPORTS.append(report)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(warm.WARM_VAR, "1")
        patch.setenv(warm.WARM_DIR_VAR, str(directory))
        yield directory
    warm.finish_session(report)
    assert not report.left_alive, f"fork server processes left behind: {report.summary()}"


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    """After every test, note how many children the session's fork servers have forked (a
    server may hand over or go idle before the end: its count is kept)."""
    for report in _REPORTS:
        report.poll()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many launches the session's fork servers served (the proof that the run was
    warm) and that none was left running."""
    for report in _REPORTS:
        terminalreporter.write_line(report.summary())


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private plugin mirror holding the provider's launcher, shared by the whole session."""
    from tests.support.terraform import install_provider

    directory = tmp_path_factory.mktemp("plugins")
    install_provider(directory)
    return directory
