"""The provider command line: install, debug, and the shipped console script."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import grpc

from provider.plugin.install import install, platform_target
from provider.plugin.proto import tfplugin6_pb2, tfplugin6_pb2_grpc
from tests.plugin.plugin_client import REPO_ROOT


def test_install_writes_an_executable_launcher_in_mirror_layout(tmp_path: Path) -> None:
    where = install("registry.terraform.io/acme/widget", "1.2.3", "acme_provider", tmp_path)
    expected = (
        tmp_path
        / "registry.terraform.io/acme/widget/1.2.3"
        / platform_target()
        / "terraform-provider-widget_v1.2.3"
    )
    assert where.launcher == expected
    assert where.launcher.stat().st_mode & stat.S_IXUSR
    assert where.launcher.read_text().startswith("#!/bin/sh\n")
    assert where.record == tmp_path / ".terraform-provider-widget" / "v1.2.3.interpreter"
    assert where.record.read_text() == sys.executable + "\n"
    assert re.fullmatch(r"(linux|darwin|windows|freebsd)_\w+", platform_target())


def test_console_script_install_version_and_help(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "terraform-provider-rackspace"
    proc = subprocess.run(
        [str(script), "install", "--dir", str(tmp_path)], capture_output=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert b"Next: declare it in your configuration" in proc.stdout
    assert b"filesystem_mirror" in proc.stdout  # --dir is not the implied mirror
    (launcher,) = tmp_path.glob(
        "registry.terraform.io/rackspace/rackspace/0.1.0/*/terraform-provider-rackspace_v0.1.0"
    )
    # The console script runs under the venv's interpreter, which may be spelled python or
    # python3 there: the record must name that venv interpreter (not the one it links to).
    record = tmp_path / ".terraform-provider-rackspace" / "v0.1.0.interpreter"
    interpreter = Path(record.read_text().strip())
    assert interpreter.parent == Path(sys.executable).parent
    assert interpreter.resolve() == Path(sys.executable).resolve()
    env = {k: v for k, v in os.environ.items() if k != "TF_PLUGIN_MAGIC_COOKIE"}
    proc = subprocess.run([str(launcher)], capture_output=True, timeout=60, env=env)
    assert proc.returncode == 1 and proc.stdout == b""
    assert b"terraform-provider-rackspace install" in proc.stderr
    version = subprocess.run([str(script), "--version"], capture_output=True, timeout=60)
    assert version.returncode == 0
    assert version.stdout == b"terraform-provider-rackspace 0.1.0\n"


def test_debug_serves_and_prints_reattach_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.plugin.example_provider", "debug"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ""
        while "TF_REATTACH_PROVIDERS" not in line:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line, "debug mode exited early"
        value = json.loads(line.split("=", 1)[1].strip().strip("'"))
        entry = value["registry.terraform.io/example/example"]
        assert entry["Protocol"] == "grpc" and entry["ProtocolVersion"] == 6
        assert entry["Test"] is True and entry["Pid"] == proc.pid
        assert entry["Addr"]["Network"] == "unix"
        with grpc.insecure_channel(f"unix:{entry['Addr']['String']}") as channel:
            stub = tfplugin6_pb2_grpc.ProviderStub(channel)
            resp = stub.GetProviderSchema(tfplugin6_pb2.GetProviderSchema.Request(), timeout=10)
            assert "example_thing" in resp.resource_schemas
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
