"""The real `package()` output: layout, hashes, signature, and the frozen executable itself
(serves when Terraform's cookie is set, help text otherwise, no Python needed, nothing from the
working directory or PYTHONPATH importable). Two builds of one checkout give the same bytes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import provider
from provider.cli import SOURCE_ADDRESS
from provider.plugin.release import file_sha256, hash_v1
from tests.release.conftest import Release
from tests.release.support import GpgKey
from tests.support import warm

pytestmark = pytest.mark.slow

MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"


def unpack(zip_path: Path, dest: Path) -> Path:
    """Unzip with the modes the zip records (zipfile's extractall drops them)."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, dest))
            path.chmod(stat.S_IMODE(info.external_attr >> 16))
    return dest


@pytest.fixture(scope="module")
def unpacked(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release zip unpacked, as Terraform unpacks it into .terraform/providers."""
    return unpack(release.zip, tmp_path_factory.mktemp("unpacked"))


def bare_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment with no Python anywhere: PATH is an empty folder. The session's warm
    settings go through, so the build's launches use the session's fork servers (and are
    stopped with them) instead of starting one in the user's own socket directory."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    return {
        "PATH": str(empty),
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        **warm.passthrough(),
        **extra,
    }


def handshake(executable: Path, cwd: Path, env: dict[str, str]) -> str:
    """Start `executable` as Terraform would and return its first stdout line."""
    env = {**env, "TF_PLUGIN_MAGIC_COOKIE": MAGIC_COOKIE, "PLUGIN_PROTOCOL_VERSIONS": "5,6"}
    proc = subprocess.Popen(
        [str(executable)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate(timeout=30)
    assert line, f"no handshake line; stderr:\n{stderr.decode(errors='replace')}"
    return line


# --------------------------------------------------------------------------- files


def test_package_writes_the_release_files_and_the_mirror_tree(release: Release) -> None:
    folder = release.mirror / "registry.terraform.io" / "rackspace" / "rackspace"
    prefix = release.prefix
    assert sorted(release.written) == sorted(
        [
            release.zip,
            release.out_dir / f"{prefix}_manifest.json",
            release.out_dir / f"{prefix}_SHA256SUMS",
            release.out_dir / f"{prefix}_SHA256SUMS.sig",
            folder / release.zip.name,
            folder / "index.json",
            folder / f"{release.version}.json",
        ]
    )
    assert sorted(p for p in release.out_dir.rglob("*") if p.is_file()) == sorted(release.written)
    assert any("PyInstaller" in line for line in release.progress)


def test_zip_holds_the_executable_at_its_root_and_pyinstallers_internal(
    release: Release,
) -> None:
    with zipfile.ZipFile(release.zip) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names, key=str.encode)
    roots = {name.split("/")[0] for name in names}
    assert roots == {release.executable_name, "_internal"}
    exe = next(i for i in infos if i.filename == release.executable_name)
    assert stat.S_IMODE(exe.external_attr >> 16) == 0o755
    for info in infos:
        assert not info.is_dir()
        assert info.date_time == (1980, 1, 1, 0, 0, 0) or "SOURCE_DATE_EPOCH" in os.environ
        assert stat.S_IMODE(info.external_attr >> 16) in (0o755, 0o644)
        assert info.extra == b""
    # The build tools PyInstaller's analysis would drag in are left out.
    assert not any(n.startswith(("_internal/grpc_tools", "_internal/setuptools")) for n in names)


def test_sha256sums_cover_the_zip_and_the_manifest_and_the_signature_verifies(
    release: Release, gpg_key: GpgKey
) -> None:
    sums = release.out_dir / f"{release.prefix}_SHA256SUMS"
    manifest = release.out_dir / f"{release.prefix}_manifest.json"
    assert sums.read_text().splitlines() == sorted(
        [
            f"{file_sha256(release.zip)}  {release.zip.name}",
            f"{file_sha256(manifest)}  {manifest.name}",
        ],
        key=lambda line: line.split("  ")[1],
    )
    assert json.loads(manifest.read_text()) == {
        "version": 1,
        "metadata": {"protocol_versions": ["6.0", "5.0"]},
    }
    verified = gpg_key.verify(sums.with_name(sums.name + ".sig"), sums)
    assert verified.returncode == 0, verified.stderr


def test_mirror_index_lists_this_build_with_h1_and_zh(release: Release) -> None:
    folder = release.mirror / "registry.terraform.io" / "rackspace" / "rackspace"
    assert (folder / release.zip.name).read_bytes() == release.zip.read_bytes()
    assert json.loads((folder / "index.json").read_text()) == {"versions": {release.version: {}}}
    assert json.loads((folder / f"{release.version}.json").read_text()) == {
        "archives": {
            release.target: {
                "url": release.zip.name,
                "hashes": [hash_v1(release.zip), "zh:" + file_sha256(release.zip)],
            }
        }
    }


# --------------------------------------------------------------------------- the executable


def test_executable_is_native_and_prints_help_without_terraform(
    release: Release, unpacked: Path, tmp_path: Path
) -> None:
    executable = unpacked / release.executable_name
    assert executable.read_bytes()[:4] == b"\x7fELF"
    done = subprocess.run(
        [str(executable)], env=bare_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "This binary is a plugin" in done.stderr
    assert "Traceback" not in done.stderr

    version = subprocess.run(
        [str(executable), "--version"],
        env=bare_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert version.returncode == 0, version.stderr
    assert release.version in version.stdout + version.stderr


def test_executable_serves_when_launched_by_terraform_with_no_python_on_path(
    release: Release, unpacked: Path, tmp_path: Path
) -> None:
    line = handshake(unpacked / release.executable_name, tmp_path, bare_env(tmp_path))
    fields = line.strip().split("|")
    assert fields[:2] == ["1", "6"]
    assert fields[2] == "unix" and fields[4] == "grpc"
    assert Path(fields[3]).is_socket()
    assert len(fields) == 6  # no PLUGIN_CLIENT_CERT given, so no server certificate either


def test_nothing_from_the_working_directory_or_pythonpath_is_imported(
    release: Release, unpacked: Path, tmp_path: Path
) -> None:
    # A Terraform configuration folder that happens to hold modules named like the provider's
    # own and its dependencies'; Terraform starts the provider with that folder as its cwd.
    config = tmp_path / "config"
    (config / "provider").mkdir(parents=True)
    marker = tmp_path / "imported"
    bomb = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\nraise SystemExit(3)\n"
    for name in ("provider.py", "provider/__init__.py", "grpc.py", "msgpack.py", "json.py"):
        (config / name).write_text(bomb)
    env = bare_env(tmp_path, PYTHONPATH=str(config), PYTHONSTARTUP=str(config / "json.py"))
    line = handshake(unpacked / release.executable_name, config, env)
    assert line.startswith("1|6|")
    help_run = subprocess.run(
        [str(unpacked / release.executable_name)],
        cwd=config,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "This binary is a plugin" in help_run.stderr
    assert not marker.exists(), marker.read_text()


# --------------------------------------------------------------------------- reproducibility

_BUILD_FROM_SNAPSHOT = """
import sys
from pathlib import Path

import provider
from provider.plugin.release import package

assert provider.__file__.startswith(sys.argv[2]), provider.__file__
out_dir = Path(sys.argv[1])
package(source_address=sys.argv[3], version=sys.argv[4], module="provider", out_dir=out_dir)
"""


def test_two_builds_of_one_source_tree_give_the_same_zip_bytes(
    release: Release, tmp_path: Path
) -> None:
    # Both builds read one snapshot of the package: in a shared checkout others may be editing
    # the sources between two builds, which is not what this test is about.
    snapshot = tmp_path / "src"
    shutil.copytree(
        Path(provider.__file__).parent,
        snapshot / "provider",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (snapshot / "provider" / "snapshot_marker.py").write_text("")
    zips = []
    for build in ("one", "two"):
        out_dir = tmp_path / build
        arguments = [str(out_dir), str(snapshot), SOURCE_ADDRESS, release.version]
        subprocess.run(
            [sys.executable, "-c", _BUILD_FROM_SNAPSHOT, *arguments],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(snapshot)},
            check=True,
            timeout=600,
        )
        zips.append(out_dir / release.zip.name)
    with zipfile.ZipFile(zips[0]) as archive:
        names = archive.namelist()
    # Built from the snapshot, not from the checkout (modules are loose .pyc files).
    assert "_internal/provider/snapshot_marker.pyc" in names
    first, second = (z.read_bytes() for z in zips)
    if first != second:
        with zipfile.ZipFile(zips[0]) as a, zipfile.ZipFile(zips[1]) as b:
            crcs_a = {i.filename: i.CRC for i in a.infolist()}
            crcs_b = {i.filename: i.CRC for i in b.infolist()}
        differing = sorted(
            n for n in crcs_a.keys() | crcs_b.keys() if crcs_a.get(n) != crcs_b.get(n)
        )
        pytest.fail(f"two builds differ in {differing}")
    sums = [(z.parent / f"{release.prefix}_SHA256SUMS").read_text() for z in zips]
    assert sums[0] == sums[1]
