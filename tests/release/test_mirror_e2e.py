"""The issue's proof for release builds, with real Terraform against the sandbox:

`package` output served as a network mirror over HTTPS on 127.0.0.1 (a throwaway CA through
SSL_CERT_FILE) -> `terraform init` installs and verifies it -> a shared-IP apply, a plan with
no changes (-detailed-exitcode 0) and a destroy, with Terraform's PATH holding no Python at all
-> the lock file of that run passes `init` from the same tree used as a filesystem_mirror.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from provider.plugin.release import file_sha256, hash_v1
from tests.release.conftest import Release
from tests.release.support import StaticHttpsServer, make_certificates
from tests.support import warm
from tests.support.sandbox import Sandbox
from tests.support.terraform import REPO_ROOT, TerraformBinary, binary_params

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SOURCES = '["registry.terraform.io/rackspace/*"]'
WEB_1_2 = {"a1000000-0000-4000-8000-000000000001", "a1000000-0000-4000-8000-000000000002"}


@pytest.fixture(scope="module")
def https_mirror(
    release: Release, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StaticHttpsServer]:
    """`release.mirror` served as static files over HTTPS by a throwaway CA's certificate."""
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    server = StaticHttpsServer(release.mirror, certificates).start()
    try:
        yield server
    finally:
        server.stop()


def network_mirror_config(url: str) -> str:
    """A CLI config: our provider from the network mirror only, nothing else allowed."""
    return (
        "provider_installation {\n"
        f"  network_mirror {{\n    url     = {json.dumps(url)}\n    include = {SOURCES}\n  }}\n"
        "}\n"
    )


def filesystem_mirror_config(path: Path) -> str:
    """A CLI config: our provider from the mirror tree on disk only."""
    return (
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = {json.dumps(str(path))}\n"
        f"    include = {SOURCES}\n  }}\n"
        "}\n"
    )


def copy_shared_ip(dest: Path) -> Path:
    """examples/shared-ip with the module it uses beside it (its source is ../modules/...).

    Only the configuration: a lock file or `.terraform` folder in the checkout (from a run with
    the installed launcher) would pin other hashes.
    """
    config_only = shutil.ignore_patterns(".terraform*", "*.tfstate*")
    shutil.copytree(REPO_ROOT / "examples" / "shared-ip", dest / "shared-ip", ignore=config_only)
    shutil.copytree(
        REPO_ROOT / "examples" / "modules" / "shared-ip",
        dest / "modules" / "shared-ip",
        ignore=config_only,
    )
    return dest / "shared-ip"


class Terraform:
    """One Terraform binary with a fixed environment (no inherited PATH, HOME or TF_*)."""

    def __init__(self, binary: TerraformBinary, env: dict[str, str]) -> None:
        self.binary = binary
        self.env = env

    def run(self, cwd: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        """Run `terraform args` in `cwd`; fail with both streams unless it exits in `ok`."""
        done = subprocess.run(
            [str(self.binary.path), *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        if done.returncode not in ok:
            pytest.fail(
                f"terraform {' '.join(args)} exited {done.returncode}\n"
                f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
            )
        return done.stdout


def lock_hashes(lock_file: Path) -> set[str]:
    """The hashes recorded for our provider in a .terraform.lock.hcl."""
    text = lock_file.read_text()
    block = text[text.index('provider "registry.terraform.io/rackspace/rackspace"') :]
    block = block[: block.index("\n}")]
    return set(re.findall(r'"((?:h1|zh):[^"]+)"', block))


def shared_ips(sandbox: Sandbox) -> tuple[list[dict], list[dict]]:
    """The demo tenant's shared IPs and associations in DFW, from the sandbox's own state."""
    world = sandbox.state()["123456"]["DFW"]
    return [ip for ip in world["ip_addresses"] if ip["type"] == "shared"], world["associations"]


@pytest.mark.parametrize("binary", binary_params())
def test_release_served_as_network_mirror_runs_shared_ip_without_python(
    binary: TerraformBinary,
    release: Release,
    https_mirror: StaticHttpsServer,
    tmp_path: Path,
) -> None:
    sandbox = Sandbox(tmp_path / "sandbox").start()
    try:
        _network_mirror_lifecycle(binary, release, https_mirror, sandbox, tmp_path)
    finally:
        sandbox.stop()


def _network_mirror_lifecycle(
    binary: TerraformBinary,
    release: Release,
    mirror: StaticHttpsServer,
    sandbox: Sandbox,
    tmp_path: Path,
) -> None:
    no_python = tmp_path / "empty-path"
    no_python.mkdir()
    assert shutil.which("python3", path=str(no_python)) is None
    home = tmp_path / "home"
    home.mkdir()
    cli_config = tmp_path / "network-mirror.tfrc"
    cli_config.write_text(network_mirror_config(mirror.url))
    base_env = {
        "PATH": str(no_python),  # Terraform is run by absolute path; the provider needs nothing
        "HOME": str(home),  # no ~/.terraformrc, no implied ~/.terraform.d/plugins
        "TMPDIR": str(tmp_path),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        **sandbox.env(),
        **warm.passthrough(),  # the session's fork servers, stopped with the session
    }
    terraform = Terraform(
        binary,
        {
            **base_env,
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "SSL_CERT_FILE": str(mirror.certificates.ca),
        },
    )
    workdir = copy_shared_ip(tmp_path / "net")

    # init: installs from the HTTPS network mirror and checks the zip against its hashes.
    out = terraform.run(workdir, "init", "-no-color", "-input=false")
    assert f"Installed rackspace/rackspace v{release.version}" in out, out
    version_json = f"/registry.terraform.io/rackspace/rackspace/{release.version}.json"
    assert version_json in mirror.requested
    assert f"/registry.terraform.io/rackspace/rackspace/{release.zip.name}" in mirror.requested
    installed = (
        workdir / ".terraform" / "providers" / "registry.terraform.io" / "rackspace"
        / "rackspace" / release.version / release.target / release.executable_name
    )  # fmt: skip
    assert installed.read_bytes()[:4] == b"\x7fELF"  # the native build, not a script
    lock_file = workdir / ".terraform.lock.hcl"
    hashes = lock_hashes(lock_file)
    # Terraform's own h1 of what it unpacked equals ours of the zip. (A network mirror's
    # hashes are not signed, so Terraform records the h1 it computed and may leave out zh:.)
    assert hash_v1(release.zip) in hashes, hashes
    assert hashes <= {hash_v1(release.zip), "zh:" + file_sha256(release.zip)}, hashes

    # apply / plan / destroy against the sandbox, with no Python on Terraform's PATH.
    terraform.run(workdir, "apply", "-no-color", "-input=false", "-auto-approve")
    shared, associations = shared_ips(sandbox)
    assert len(shared) == 1
    assert {a["server_id"] for a in associations} == WEB_1_2
    terraform.run(workdir, "plan", "-no-color", "-input=false", "-detailed-exitcode")
    terraform.run(workdir, "destroy", "-no-color", "-input=false", "-auto-approve")
    assert shared_ips(sandbox) == ([], [])

    # The lock file from that run passes init from the same tree as a filesystem mirror.
    fs_config = tmp_path / "filesystem-mirror.tfrc"
    fs_config.write_text(filesystem_mirror_config(release.mirror))
    fresh = copy_shared_ip(tmp_path / "fs")
    shutil.copy(lock_file, fresh / ".terraform.lock.hcl")
    before = (fresh / ".terraform.lock.hcl").read_bytes()
    fs_terraform = Terraform(binary, {**base_env, "TF_CLI_CONFIG_FILE": str(fs_config)})
    out = fs_terraform.run(fresh, "init", "-no-color", "-input=false")
    assert f"Installed rackspace/rackspace v{release.version}" in out, out
    assert (fresh / ".terraform.lock.hcl").read_bytes() == before
    # A lock file that names another build of this version must be refused: the check is real.
    tampered = copy_shared_ip(tmp_path / "tampered")
    text = before.decode()
    for h in hashes:
        text = text.replace(h, h[:3] + ("A" * 43 + "=" if h.startswith("h1:") else "0" * 64))
    (tampered / ".terraform.lock.hcl").write_text(text)
    fs_terraform.run(tampered, "init", "-no-color", "-input=false", ok=(1,))
