"""The installed launcher: one file for every machine, and a clear line when it cannot run.

The launcher is run for real (`/bin/sh`, the virtualenv's Python); Terraform is not needed to
see what it prints, because Terraform shows the first stdout line of a plugin that does not
answer the handshake as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provider.plugin.install import Installation, install, interpreter_variable, uninstall

SOURCE = "registry.terraform.io/rackspace/rackspace"
VERSION = "0.1.0"
PROG = "terraform-provider-rackspace"


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TF_", "PLUGIN_")) and k != interpreter_variable(PROG)
    }
    env.update(extra)
    return env


def _run(launcher: Path, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(launcher)], cwd=cwd, env=_env(**extra), capture_output=True, text=True, timeout=60
    )


def _assert_one_line_for_terraform(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 1, done
    assert done.stdout.count("\n") == 1 and done.stdout.endswith("\n"), done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    for needle in needles:
        assert needle in done.stdout, done.stdout


def test_launcher_bytes_do_not_depend_on_the_environment(tmp_path: Path) -> None:
    first = install(SOURCE, VERSION, "provider", tmp_path / "a", python="/opt/one/bin/python")
    second = install(SOURCE, VERSION, "provider", tmp_path / "b", python="/home/x/v/bin/python3")
    assert first.launcher.read_bytes() == second.launcher.read_bytes()
    text = first.launcher.read_text()
    for machine_specific in ("/opt/one", "/home/x", str(tmp_path), str(Path.home())):
        assert machine_specific not in text
    assert first.record.read_text() == "/opt/one/bin/python\n"
    assert second.record.read_text() == "/home/x/v/bin/python3\n"
    # Another version is another file: the lock file pins one version's hash.
    other = install(SOURCE, "0.2.0", "provider", tmp_path / "a", python="/opt/one/bin/python")
    assert other.launcher.read_bytes() != first.launcher.read_bytes()


def test_the_launcher_finds_its_record_through_terraforms_symlinks(tmp_path: Path) -> None:
    where = install(SOURCE, VERSION, "provider", tmp_path / "mirror")
    # What `terraform init` does with an unpacked mirror (and a plugin cache): symlink the
    # package directory, then run the launcher through the link.
    cache = tmp_path / "cache" / "registry.terraform.io/rackspace/rackspace" / VERSION
    cache.mkdir(parents=True)
    (cache / where.launcher.parent.name).symlink_to(where.launcher.parent)
    local = tmp_path / "work/.terraform/providers/registry.terraform.io/rackspace/rackspace"
    (local / VERSION).mkdir(parents=True)
    (local / VERSION / where.launcher.parent.name).symlink_to(cache / where.launcher.parent.name)
    linked = local / VERSION / where.launcher.parent.name / where.launcher.name
    done = _run(linked, tmp_path / "work")
    # No magic cookie: the real provider answers with its help text on stderr.
    assert done.returncode == 1 and done.stdout == "", done
    assert "This binary is a plugin" in done.stderr


def test_a_missing_record_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    where = install(SOURCE, VERSION, "provider", tmp_path)
    where.record.unlink()
    done = _run(where.launcher, tmp_path)
    _assert_one_line_for_terraform(
        done, str(where.record), "terraform-provider-rackspace install", "_PYTHON"
    )


def test_a_removed_environment_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    where = install(SOURCE, VERSION, "provider", tmp_path, python=str(tmp_path / "gone/python"))
    done = _run(where.launcher, tmp_path)
    _assert_one_line_for_terraform(
        done, "is gone", str(tmp_path / "gone/python"), "terraform-provider-rackspace install"
    )


def test_an_interpreter_without_the_package_is_one_line(tmp_path: Path) -> None:
    base = Path(sys.base_prefix) / "bin" / "python3"
    if not base.exists() or Path(sys.prefix) == Path(sys.base_prefix):
        pytest.skip("needs a base interpreter outside the virtualenv")
    where = install(SOURCE, VERSION, "provider", tmp_path, python=str(base))
    done = _run(where.launcher, tmp_path)
    _assert_one_line_for_terraform(done, "cannot import the provider", str(base))


def test_an_environment_holding_another_version_is_refused(tmp_path: Path) -> None:
    # A stand-in interpreter that drops -I and puts a provider 9.9.9 first on sys.path: the
    # bootstrap's version check, not the isolation, is what is tested here.
    fake = tmp_path / "site" / "provider"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('__version__ = "9.9.9"\n')
    python = tmp_path / "python"
    python.write_text(
        f'#!/bin/sh\nshift\nPYTHONPATH="{fake.parent}" exec "{sys.executable}" "$@"\n'
    )
    python.chmod(0o755)
    where = install(SOURCE, VERSION, "provider", tmp_path / "mirror", python=str(python))
    done = _run(where.launcher, tmp_path)
    _assert_one_line_for_terraform(done, "now holds version 9.9.9", "terraform init -upgrade")


def test_the_variable_wins_over_the_record(tmp_path: Path) -> None:
    where = install(SOURCE, VERSION, "provider", tmp_path, python=str(tmp_path / "gone/python"))
    done = _run(where.launcher, tmp_path, TERRAFORM_PROVIDER_RACKSPACE_PYTHON=sys.executable)
    assert done.returncode == 1 and done.stdout == "", done
    assert "This binary is a plugin" in done.stderr


def test_nothing_is_imported_from_the_working_directory_or_pythonpath(tmp_path: Path) -> None:
    where = install(SOURCE, VERSION, "provider", tmp_path / "mirror")
    config = tmp_path / "config"
    (config / "provider").mkdir(parents=True)
    marker = tmp_path / "imported"
    hostile = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    (config / "provider.py").write_text(hostile)
    (config / "provider" / "__init__.py").write_text(hostile)
    (config / "provider" / "__main__.py").write_text(hostile)
    done = _run(where.launcher, config, PYTHONPATH=str(config))
    assert "This binary is a plugin" in done.stderr, done
    assert not marker.exists(), marker.read_text()


def test_uninstall_removes_what_install_wrote_and_nothing_else(tmp_path: Path) -> None:
    keep = install(SOURCE, "0.2.0", "provider", tmp_path)
    where = install(SOURCE, VERSION, "provider", tmp_path)
    removed = uninstall(SOURCE, VERSION, tmp_path)
    assert sorted(removed) == sorted([where.launcher, where.record])
    assert not where.launcher.parent.exists()  # the empty version directory went too
    assert keep.launcher.is_file() and keep.record.is_file()
    assert uninstall(SOURCE, VERSION, tmp_path) == []
    uninstall(SOURCE, "0.2.0", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_console_script_uninstall(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "terraform-provider-rackspace"
    subprocess.run([str(script), "install", "--dir", str(tmp_path)], check=True, timeout=60)
    where = Installation.at(tmp_path.absolute(), SOURCE, VERSION)
    assert where.launcher.is_file()
    done = subprocess.run(
        [str(script), "uninstall", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"removed {where.launcher}" in done.stdout
    assert not where.launcher.exists() and not where.record.exists()
