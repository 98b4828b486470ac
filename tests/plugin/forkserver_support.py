"""Helpers for the fork server tests: a fake provider package, servers started and stopped by
the test, and a sweep that leaves no fork server behind.

The fake package `warmfake` reports what its process looks like (pid, parent, environment,
working directory, umask, temp dir, a random number) as one JSON line and exits 3, or waits
for a signal; its launcher is the real one `install.launcher_script` writes. Servers for it
run without `-I` so that PYTHONPATH can name the fake package.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provider.plugin import warm_client
from provider.plugin.handshake import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE
from provider.plugin.install import install, launcher_script

REPO_ROOT = Path(__file__).resolve().parents[2]
FAKE_PROG = "terraform-provider-warmfake"
FAKE_VERSION = "1.0.0"
FAKE_SOURCE = "registry.terraform.io/test/warmfake"

FAKE_MAIN = """\
import json, os, random, signal, sys, tempfile, time

mode = sys.argv[1] if len(sys.argv) > 1 else "report"
if mode == "report":
    mask = os.umask(0)
    os.umask(mask)
    print(json.dumps({
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "argv": sys.argv[1:],
        "cwd": os.getcwd(),
        "umask": mask,
        "value": os.environ.get("WARMFAKE_VALUE"),
        "tmpdir": tempfile.gettempdir(),
        "random": random.random(),
        "tz": time.strftime("%Z", time.localtime(0)),
    }), flush=True)
    sys.exit(3)
if mode == "crash":
    raise RuntimeError("boom")
if mode == "wait":
    signal.signal(signal.SIGUSR1, lambda *a: os._exit(42))
    print(json.dumps({"pid": os.getpid()}), flush=True)
    if "close-stdout" in sys.argv:
        os.close(1)
    while True:
        time.sleep(0.05)
"""


def write_fake_package(root: Path, version: str = FAKE_VERSION) -> Path:
    """`root/warmfake` with `__version__` and the `__main__` above; returns `root`."""
    package = root / "warmfake"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(f'__version__ = "{version}"\n')
    (package / "__main__.py").write_text(FAKE_MAIN)
    return root


def short_private_dir() -> Path:
    """A fresh 0700 directory directly under /tmp (pytest's tmp_path can be too long for a
    socket path, 107 bytes)."""
    return Path(tempfile.mkdtemp(prefix="fs-", dir="/tmp"))


def status(path: Path, timeout: float = 2.0) -> dict[str, Any] | None:
    """The server's status at socket `path`, or None when none answers."""
    try:
        sock = warm_client.connect(str(path), timeout=timeout)
    except (OSError, warm_client.Cold):
        return None
    try:
        warm_client.write_message(sock, {"protocol": warm_client.PROTOCOL, "op": "status"})
        reply = warm_client.read_message(sock)
    except (OSError, EOFError):
        return None
    finally:
        sock.close()
    return reply if isinstance(reply, dict) else None


def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll `predicate` until it returns something truthy; return that (or None on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def parent_of(pid: int) -> int:
    """The parent pid of `pid` (0 when gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def processes_mentioning(text: str) -> list[int]:
    """Pids whose command line contains `text` (this process excluded)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry))
    return found


def stop_everything_under(directory: Path, timeout: float = 10.0) -> list[int]:
    """SIGTERM, then SIGKILL, every fork server whose socket is under `directory` and every
    child it still has; returns the pids that were running. Used by every test's teardown."""
    pids: set[int] = set()
    for sock in directory.rglob("*.sock"):
        answer = status(sock, timeout=1.0)
        if answer:
            pids.add(int(answer["pid"]))
            pids.update(int(c) for c in answer["children"])
    pids.update(processes_mentioning(f"--socket {directory}/"))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    if not wait_for(lambda: not any(alive(p) for p in pids), timeout=timeout):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not any(alive(p) for p in pids), timeout=5)
    return sorted(pids)


@dataclass
class FakeWarm:
    """A fork server for `warmfake` in a private directory, and its launcher."""

    root: Path
    sock_dir: Path
    launcher: Path
    package_root: Path
    idle: float = 60.0
    client: str = "python"
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def socket_path(self) -> Path:
        return self.sock_dir / warm_client.socket_name(FAKE_VERSION, sys.executable)

    def server_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
        env["PYTHONPATH"] = str(self.package_root)
        return env

    def start_server(self, wait: bool = True, idle: float | None = None) -> dict[str, Any]:
        """Start a server the way a launcher would (but without -I); return its status."""
        command = [sys.executable, "-m", "provider.plugin.forkserver"]
        command += ["--prog", FAKE_PROG, "--version", FAKE_VERSION, "--module", "warmfake"]
        command += ["--socket", str(self.socket_path), "--idle", str(idle or self.idle)]
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            command,
            cwd=self.root,
            env=self.server_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        self.servers.append(proc)
        if not wait:
            return {}
        answer = wait_for(lambda: status(self.socket_path), timeout=30)
        assert answer, (self.root / "server.log").read_text()
        return answer

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a warm launch (what Terraform would pass, plus the knobs)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_", "CI"))}
        prefix = warm_client.env_prefix(FAKE_PROG)
        env.update(
            {
                MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE,
                prefix + "_PYTHON": sys.executable,
                prefix + "_WARM": "1",
                prefix + "_WARM_DIR": str(self.sock_dir),
            }
        )
        env.update(extra)
        return env

    def run(
        self, *args: str, cwd: Path | None = None, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        """Run the launcher to completion."""
        return subprocess.run(
            [str(self.launcher), *args],
            cwd=cwd or self.root,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def popen(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        """Start the launcher; stdout piped."""
        return subprocess.Popen(
            [str(self.launcher), *args],
            cwd=self.root,
            env=self.env(**extra),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> None:
        stop_everything_under(self.sock_dir)
        for proc in self.servers:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def fake_warm(idle: float = 60.0, client: str = "python") -> Iterator[FakeWarm]:
    """A `FakeWarm` whose servers and children are all gone afterwards.

    `client` "python": the launcher alone (no compiled client next to it); "c": installed
    into a mirror by `install()`, which compiles the warm client beside the record.
    """
    root = short_private_dir()
    try:
        package_root = write_fake_package(root / "site")
        if client == "c":
            where = install(FAKE_SOURCE, FAKE_VERSION, "warmfake", root / "mirror")
            assert where.client.is_file(), "no compiled client (is there a C compiler?)"
            launcher = where.launcher
        else:
            launcher = root / f"{FAKE_PROG}_v{FAKE_VERSION}"
            launcher.write_text(launcher_script(FAKE_PROG, FAKE_VERSION, "warmfake"))
            launcher.chmod(0o755)
        warm = FakeWarm(root, root / "sock", launcher, package_root, idle, client)
        try:
            yield warm
        finally:
            warm.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
