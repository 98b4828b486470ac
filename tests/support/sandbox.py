"""Run the Rackspace API sandbox as a subprocess for tests and benchmarks.

    with Sandbox(tmp_path) as sb:
        env = sb.env(user="demo", region="DFW")   # RACKSPACE_* for the provider
        sb.set_faults(fault_rate=0.2, fault_kinds=["503"])
        ...
        sb.requests()                              # what the sandbox was asked, in order

The sandbox is started as ``python -m sandbox serve --port 0 --db <file>`` and its port is
read from the startup line it prints on stderr (kept in ``<dir>/sandbox.log``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sandbox.cli import env_exports

_STARTUP = re.compile(r"rackspace-sandbox: serving (http://\S+):(\d+) ")


class SandboxError(RuntimeError):
    """The sandbox did not start, or an admin call failed."""


class Sandbox:
    """A sandbox subprocess with helpers for its admin path.

    ``directory`` holds the database (unless ``db`` is given) and the stderr log; a temporary
    directory is made when it is omitted. ``seed`` is a seed file path; ``args`` are extra
    ``serve`` arguments (e.g. ``["--rate-limit", "5"]``).
    """

    def __init__(
        self,
        directory: str | Path | None = None,
        *,
        seed: str | Path | None = None,
        args: Sequence[str] = (),
        db: str | Path | None = None,
        port: int = 0,
        start_timeout: float = 20.0,
    ) -> None:
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="rackspace-sandbox-")
            directory = self._tmp.name
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.db = str(db) if db is not None else str(self.directory / "sandbox.db")
        self.seed = str(seed) if seed is not None else None
        self.args = list(args)
        self.port = port
        self.start_timeout = start_timeout
        self.log_path = self.directory / "sandbox.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    # ------------------------------------------------------------------ lifecycle

    def command(self) -> list[str]:
        """The command line used to start the sandbox."""
        cmd = [sys.executable, "-m", "sandbox", "serve", "--port", str(self.port), "--db", self.db]
        if self.seed:
            cmd += ["--seed", self.seed]
        return cmd + self.args

    def start(self) -> Sandbox:
        """Start the subprocess and wait for its startup line."""
        if self.process is not None and self.process.poll() is None:
            raise SandboxError("the sandbox is already running")
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=str(Path(__file__).resolve().parents[2]),
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        finally:
            log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            text = self.log_path.read_bytes()[offset:].decode(errors="replace")
            match = _STARTUP.search(text)
            if match:
                self.port = int(match.group(2))
                self.url = f"{match.group(1)}:{self.port}"
                return self
            if self.process.poll() is not None:
                raise SandboxError(f"sandbox exited with {self.process.returncode}:\n{text}")
            time.sleep(0.02)
        self.kill()
        raise SandboxError(f"sandbox did not start within {self.start_timeout}s")

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM and wait; returns the exit code (``None`` if it was not running)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: the sandbox gets no chance to close its database."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self, *, hard: bool = False) -> Sandbox:
        """Stop (SIGKILL when ``hard``) and start again on the same database and port."""
        if hard:
            self.kill()
        else:
            self.stop()
        return self.start()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if getattr(self, "_tmp", None) is not None:
            self._tmp.cleanup()

    def log_text(self) -> str:
        """Everything the sandbox wrote to stderr so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # ------------------------------------------------------------------ addresses and credentials

    @property
    def auth_url(self) -> str:
        """Identity endpoint for the provider's ``auth_url``."""
        return f"{self.url}/v2.0/"

    def env(self, user: str = "demo", region: str = "DFW") -> dict[str, str]:
        """``RACKSPACE_*`` variables that log the provider in as a seed user."""
        host = self.url.removeprefix("http://").rsplit(":", 1)[0].strip("[]")
        return env_exports(host, self.port, user, region, self.seed)

    def token(self, user: str = "demo") -> str:
        """A fresh token for a seed user (API-key login)."""
        creds = self.env(user)
        body = {
            "auth": {
                "RAX-KSKEY:apiKeyCredentials": {
                    "username": creds["RACKSPACE_USERNAME"],
                    "apiKey": creds["RACKSPACE_API_KEY"],
                }
            }
        }
        status, data = self.call("POST", "/v2.0/tokens", body)
        if status != 200:
            raise SandboxError(f"login as {user} failed: {status} {data}")
        return data["access"]["token"]["id"]

    # ------------------------------------------------------------------ raw HTTP

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, Any]:
        """One HTTP call to the sandbox; returns (status, parsed JSON body or ``None``)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("X-Auth-Token", token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        return status, (json.loads(raw) if raw.strip() else None)

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        status, data = self.call(method, "/__sandbox__" + path, body)
        if status >= 300:
            raise SandboxError(f"{method} /__sandbox__{path}: {status} {data}")
        return data

    # ------------------------------------------------------------------ admin helpers

    def health(self) -> dict[str, Any]:
        """``GET /__sandbox__/health``."""
        return self._admin("GET", "/health")

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """The request log: dicts with seq, method, path, query, status, started, duration_ms,
        tenant, fault."""
        return self._admin("GET", f"/requests?since={since}")

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._admin("DELETE", "/requests")

    def faults(self) -> dict[str, Any]:
        """Current fault / latency / rate-limit settings."""
        return self._admin("GET", "/faults")

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """Change settings, e.g. ``set_faults(fault_rate=0.5, fault_kinds=["503"])``."""
        return self._admin("PUT", "/faults", settings)

    def clear_faults(self) -> dict[str, Any]:
        """Back to the settings given on the command line."""
        return self._admin("DELETE", "/faults")

    def expire_tokens(self) -> int:
        """Expire every issued token now."""
        return self._admin("DELETE", "/tokens")["expired"]

    def state(self) -> dict[str, Any]:
        """``GET /__sandbox__/state``: ``{tenant: {region: {"servers", "ports", "ip_addresses",
        "associations"}}}``."""
        return self._admin("GET", "/state")

    def reset(self) -> None:
        """Reload the seed (tokens stay valid)."""
        self._admin("POST", "/reset")
