"""Scenario 1: time from spawning a provider to its go-plugin handshake line.

The provider is started the way Terraform starts it (magic cookie, protocol versions, port
range and a fresh P-521 client certificate in the environment) from the very executable
Terraform would run out of the mirror, and the clock stops when the first stdout line has
been read.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"


class HandshakeError(RuntimeError):
    """The provider did not print a valid handshake line."""


@dataclass(frozen=True)
class HandshakeSample:
    """One launch: seconds to the handshake line, and the line's protocol version."""

    seconds: float
    protocol: str


def client_certificate_pem() -> str:
    """A self-signed P-521 certificate like the one Terraform puts in PLUGIN_CLIENT_CERT."""
    from tests.plugin.plugin_client import terraform_like_client_cert

    return terraform_like_client_cert()[1].decode()


def launch_env(client_cert: str, tmpdir: str) -> dict[str, str]:
    """The environment go-plugin (as vendored by Terraform) gives a provider it launches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    env.update(
        TF_PLUGIN_MAGIC_COOKIE=MAGIC_COOKIE,
        PLUGIN_PROTOCOL_VERSIONS="5,6",
        PLUGIN_MIN_PORT="10000",
        PLUGIN_MAX_PORT="25000",
        PLUGIN_CLIENT_CERT=client_cert,
        # Sockets and temp dirs of killed providers land here and are removed with it.
        TMPDIR=tmpdir,
        # Cold launches unless the caller says otherwise: our warm variant and
        # bench.warm_handshake override this.
        TERRAFORM_PROVIDER_RACKSPACE_WARM="0",
    )
    return env


def launch_once(executable: Path, env: dict[str, str], timeout_s: float = 30.0) -> HandshakeSample:
    """Spawn ``executable``, wait for the handshake line, then kill the process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(executable)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        seconds = time.perf_counter() - start
    finally:
        _kill(proc)
    fields = line.decode(errors="replace").strip().split("|")
    if len(fields) < 6 or fields[0] != "1" or fields[4] != "grpc":
        raise HandshakeError(f"{executable}: not a go-plugin handshake line: {line[:200]!r}")
    if len(fields[5]) <= 50:
        raise HandshakeError(f"{executable}: handshake carries no server certificate")
    return HandshakeSample(seconds=seconds, protocol=fields[1])


def _kill(proc: subprocess.Popen[bytes]) -> None:
    # The process group, so a launcher that forgot to exec cannot leave an orphan behind.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def measure(
    executable: Path, launches: int, warmup: int = 2, extra_env: dict[str, str] | None = None
) -> list[HandshakeSample]:
    """``launches`` timed handshakes after ``warmup`` untimed ones (bytecode and page cache);
    ``extra_env`` overrides `launch_env` (our warm variant turns warm launches on there)."""
    cert = client_certificate_pem()
    with tempfile.TemporaryDirectory(prefix="bench-handshake-") as tmpdir:
        env = {**launch_env(cert, tmpdir), **(extra_env or {})}
        for _ in range(warmup):
            launch_once(executable, env)
        return [launch_once(executable, env) for _ in range(launches)]
