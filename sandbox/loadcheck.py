"""Measure association PUT/DELETE throughput against a private sandbox on 127.0.0.1.

    python -m sandbox.loadcheck --clients 10 --seconds 10

Starts its own sandbox (a temporary database and a seed with two servers per client), gives
every client its own shared IP on its own two servers, then has each client loop
PUT association / DELETE association for the given time, checking every answer
(201 then 204). Prints requests per second and latency percentiles on stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TENANT = "424242"
PUBLICNET = "00000000-0000-0000-0000-000000000000"


@dataclass
class ClientResult:
    """What one client thread did."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _call(
    port: int, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    try:
        conn.request(method, path, None if body is None else json.dumps(body), headers)
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    return resp.status, (json.loads(raw) if raw else None)


def _start_sandbox(workdir: Path, clients: int) -> tuple[subprocess.Popen[bytes], int]:
    seed = {
        "regions": [{"name": "DFW", "zones": ["dfw-load"]}],
        "users": [{"name": "load", "tenant": TENANT, "api_key": "load-key", "role": "admin"}],
        "quotas": {"shared_ips_per_tenant": {"publicnet": None}},
        "servers": [
            {"name_prefix": "load-", "count": 2 * clients, "tenant": TENANT, "region": "DFW"}
        ],
    }
    (workdir / "seed.json").write_text(json.dumps(seed))
    log = open(workdir / "sandbox.log", "wb")  # noqa: SIM115 - owned by the child
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--db",
            str(workdir / "load.db"),
            "--seed",
            str(workdir / "seed.json"),
        ],
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(
            r"serving http://127\.0\.0\.1:(\d+)", (workdir / "sandbox.log").read_text()
        )
        if match:
            return proc, int(match.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("sandbox did not start: " + (workdir / "sandbox.log").read_text())


def _client(
    port: int, token: str, server_id: str, ip_id: str, stop_at: float, out: ClientResult
) -> None:
    path = f"/dfw/servers/v2/{TENANT}/servers/{server_id}/ip_associations/{ip_id}"
    while time.monotonic() < stop_at:
        for method, expected in (("PUT", 201), ("DELETE", 204)):
            started = time.perf_counter()
            try:
                status, _ = _call(port, method, path, token=token)
            except OSError as exc:
                out.errors.append(f"{method}: {exc}")
                continue
            out.latencies_ms.append((time.perf_counter() - started) * 1000)
            if status != expected:
                out.errors.append(f"{method}: {status}")


def run(clients: int, seconds: float) -> dict[str, Any]:
    """Run the load and return the measurements."""
    with tempfile.TemporaryDirectory(prefix="sandbox-load-") as tmp:
        proc, port = _start_sandbox(Path(tmp), clients)
        try:
            body = {
                "auth": {"RAX-KSKEY:apiKeyCredentials": {"username": "load", "apiKey": "load-key"}}
            }
            token = _call(port, "POST", "/v2.0/tokens", body)[1]["access"]["token"]["id"]
            servers = [
                s["id"]
                for s in _call(port, "GET", f"/dfw/servers/v2/{TENANT}/servers", token=token)[1][
                    "servers"
                ]
            ]
            pairs = []
            for i in range(clients):
                status, data = _call(
                    port,
                    "POST",
                    "/dfw/networks/v2.0/ip_addresses",
                    {
                        "ip_address": {
                            "network_id": PUBLICNET,
                            "version": 4,
                            "device_ids": servers[2 * i : 2 * i + 2],
                        }
                    },
                    token,
                )
                if status != 201:
                    raise RuntimeError(f"setup failed: {status} {data}")
                pairs.append((servers[2 * i], data["ip_address"]["id"]))
            results = [ClientResult() for _ in range(clients)]
            stop_at = time.monotonic() + seconds
            threads = [
                threading.Thread(target=_client, args=(port, token, sid, ip, stop_at, res))
                for (sid, ip), res in zip(pairs, results, strict=True)
            ]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(10)
    latencies = sorted(x for r in results for x in r.latencies_ms)
    errors = [e for r in results for e in r.errors]
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(quantiles[49], 2),
        "p99_ms": round(quantiles[98], 2),
        "errors": len(errors),
        "error_samples": errors[:5],
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.loadcheck", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args.clients, args.seconds)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"association PUT/DELETE: {result['requests']} requests in {result['seconds']} s = "
            f"{result['requests_per_second']} req/s with {result['clients']} clients "
            f"(p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, errors {result['errors']})"
        )
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
