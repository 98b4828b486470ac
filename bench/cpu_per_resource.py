"""CPU the provider process spends per resource, per RPC phase, without Terraform in the way.

    .venv/bin/python -m bench.cpu_per_resource --n 1000            # one run, a table
    .venv/bin/python -m bench.cpu_per_resource --n 1000 --json out.json --reps 3

The real provider (`python -m provider`, Terraform's environment and client certificate) is
driven over gRPC the way Terraform drives it for N `rackspace_server_ip_association`s against
a sandbox seeded like the bench's: validate, plan (create), apply (create), read, plan (no
change), plan and apply of the destroy, each phase with 10 calls in flight
(`-parallelism=10`). Each phase's CPU is read from `/proc/<pid>/stat` (user + system) of the
provider process before and after, and reported as ms per resource.

It also measures the HTTP transport's own CPU per GET in this process (sequential GETs of one
shared IP): a bare urllib3 pool, `Transport.request`, and the full client call
(`client.networks.get_ip_address`: token, endpoint, URL, JSON, normalising).

The machine is shared and noisy: compare runs made one after the other (`--reps`), and read
the median.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgpack

from bench.ours import BENCH_REGION, BENCH_USER, bench_seed, provision_pairs
from tests.plugin.plugin_client import PluginClient, launch, plugin_env
from tests.support.sandbox import Sandbox

TYPE = "rackspace_server_ip_association"
_TICKS = os.sysconf("SC_CLK_TCK")
_UNKNOWN = msgpack.ExtType(0, b"\x00")


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def _obj(id_: Any, server: Any, ip: Any, address: Any) -> dict[str, Any]:
    return {"id": id_, "server_id": server, "ip_address_id": ip, "address": address}


class Driver:
    """Terraform's calls for N associations, phase by phase, against one provider process."""

    def __init__(self, client: PluginClient, parallel: int) -> None:
        self.client = client
        self.pb = client.pb
        self.pool = ThreadPoolExecutor(parallel)

    def dv(self, value: Any) -> Any:
        return self.pb.DynamicValue(msgpack=_pack(value))

    def phase(self, calls: list[Callable[[], Any]]) -> tuple[float, list[Any]]:
        """Run the calls `parallel` at a time; (provider CPU seconds, responses)."""
        pid = self.client.proc.pid
        before = proc_cpu_s(pid)
        results = list(self.pool.map(lambda fn: fn(), calls))
        return proc_cpu_s(pid) - before, results


def _check(responses: list[Any], what: str) -> None:
    for r in responses:
        if r.diagnostics and any(d.severity == 1 for d in r.diagnostics):
            raise RuntimeError(f"{what}: {r.diagnostics[0].summary}: {r.diagnostics[0].detail}")


class Provider:
    """One provider process, configured, as one Terraform command starts it."""

    def __init__(
        self,
        sandbox: Sandbox,
        parallel: int,
        extra_env: dict[str, str],
        pyspy_dir: Path | None,
        tag: str,
    ) -> None:
        env, identity = plugin_env(**sandbox.env(user=BENCH_USER, region=BENCH_REGION), **extra_env)
        self.proc = launch(env, module="provider")
        self.client = PluginClient(self.proc, identity)
        self.spy = None
        if pyspy_dir is not None:
            import subprocess
            import sys

            pyspy = str(Path(sys.prefix) / "bin" / "py-spy")
            self.spy = subprocess.Popen(
                [
                    pyspy,
                    "record",
                    "--pid",
                    str(self.proc.pid),
                    "--rate",
                    "250",
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--output",
                    str(pyspy_dir / f"{tag}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # py-spy attaches
        self.d = Driver(self.client, parallel)
        from provider.rackspace.config import SCHEMA

        self.client.call("GetProviderSchema")
        config = {name: None for name in SCHEMA.attributes}
        r = self.client.call(
            "ConfigureProvider", config=self.d.dv(config), terraform_version="1.11.4"
        )
        _check([r], "configure")

    def close(self) -> None:
        self.d.pool.shutdown()
        self.client.shutdown()
        self.client.close()
        if self.spy is not None:
            self.spy.wait(30)


def run_once(
    sandbox: Sandbox,
    servers: list[str],
    ips: list[str],
    n: int,
    parallel: int,
    extra_env: dict[str, str],
    pyspy_dir: Path | None = None,
) -> dict[str, float]:
    """Three provider processes (apply, plan, destroy), as Terraform's three commands start
    them; ms of provider CPU per resource, per phase."""
    out: dict[str, float] = {}
    configs = [_obj(None, servers[i], ips[i], None) for i in range(n)]

    # terraform apply (creating): validate, plan, apply.
    p = Provider(sandbox, parallel, extra_env, pyspy_dir, "apply")
    try:
        d, client = p.d, p.client
        cpu, rs = d.phase(
            [
                (lambda c=c: client.call("ValidateResourceConfig", type_name=TYPE, config=d.dv(c)))
                for c in configs
            ]
        )
        _check(rs, "validate")
        out["validate"] = cpu
        cpu, rs = d.phase(
            [
                (
                    lambda c=c: client.call(
                        "PlanResourceChange",
                        type_name=TYPE,
                        prior_state=d.dv(None),
                        proposed_new_state=d.dv(c),
                        config=d.dv(c),
                    )
                )
                for c in configs
            ]
        )
        _check(rs, "plan create")
        out["plan_create"] = cpu
        planned = [r.planned_state for r in rs]
        cpu, rs = d.phase(
            [
                (
                    lambda pl=pl: client.call(
                        "ApplyResourceChange",
                        type_name=TYPE,
                        prior_state=d.dv(None),
                        planned_state=pl,
                        config=d.dv(None),
                    )
                )
                for pl in planned
            ]
        )
        _check(rs, "apply create")
        out["apply_create"] = cpu
        states = [r.new_state for r in rs]
    finally:
        p.close()

    # terraform plan -refresh=true: read, plan (no change).
    p = Provider(sandbox, parallel, extra_env, pyspy_dir, "plan")
    try:
        d, client = p.d, p.client
        cpu, rs = d.phase(
            [
                (lambda s=s: client.call("ReadResource", type_name=TYPE, current_state=s))
                for s in states
            ]
        )
        _check(rs, "read")
        out["read"] = cpu
        states = [r.new_state for r in rs]
        cpu, rs = d.phase(
            [
                (
                    lambda s=s, c=c: client.call(
                        "PlanResourceChange",
                        type_name=TYPE,
                        prior_state=s,
                        proposed_new_state=s,
                        config=d.dv(c),
                    )
                )
                for s, c in zip(states, configs, strict=True)
            ]
        )
        _check(rs, "plan no-op")
        out["plan_noop"] = cpu
    finally:
        p.close()

    # terraform destroy: plan the destroy, apply it.
    p = Provider(sandbox, parallel, extra_env, pyspy_dir, "destroy")
    try:
        d, client = p.d, p.client
        cpu, rs = d.phase(
            [
                (
                    lambda s=s: client.call(
                        "PlanResourceChange",
                        type_name=TYPE,
                        prior_state=s,
                        proposed_new_state=d.dv(None),
                        config=d.dv(None),
                    )
                )
                for s in states
            ]
        )
        _check(rs, "plan destroy")
        out["plan_destroy"] = cpu
        cpu, rs = d.phase(
            [
                (
                    lambda s=s: client.call(
                        "ApplyResourceChange",
                        type_name=TYPE,
                        prior_state=s,
                        planned_state=d.dv(None),
                        config=d.dv(None),
                    )
                )
                for s in states
            ]
        )
        _check(rs, "apply destroy")
        out["apply_destroy"] = cpu
    finally:
        p.close()
    return {k: v * 1000 / n for k, v in out.items()}


# A keep-alive API in a child process: one write per response, TCP_NODELAY, so the client
# sees what a real API's keep-alive connection gives (no Nagle / delayed-ACK stalls).
_FAKE_API = """
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IP = json.dumps({"ip_address": {"id": "ip-1", "address": "10.0.0.9", "version": 4,
      "port_ids": ["p1"], "network_id": "n1", "type": "shared"}}).encode()

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.endswith("/tokens"):
            base = "http://%s:%d" % self.server.server_address[:2]
            cat = [{"name": n, "endpoints": [{"region": "DFW", "publicURL": base + p}]}
                   for n, p in (("cloudNetworks", "/dfw/networks/v2.0"),
                                ("cloudServersOpenStack", "/dfw/servers/v2/123456"))]
            body = json.dumps({"access": {"token": {"id": "tok-" + "x" * 30,
                   "tenant": {"id": "123456"}}, "serviceCatalog": cat}}).encode()
        else:
            body = IP
        head = ("HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\n"
                "X-Compute-Request-Id: req-1\\r\\nContent-Length: %d\\r\\n\\r\\n"
                % len(body)).encode()
        self.wfile.write(head + body)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), H)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
print("http://127.0.0.1:%d" % server.server_address[1], flush=True)
sys.stdin.read()
"""


def _measure(fns: dict[str, Callable[[], None]], gets: int) -> dict[str, float]:
    """Min over 3 rounds of CPU ms per call of each function, the functions interleaved."""
    best: dict[str, float] = {}
    for _ in range(20):
        for fn in fns.values():
            fn()
    for _ in range(3):
        for name, fn in fns.items():
            start = time.process_time()
            for _ in range(gets):
                fn()
            per = (time.process_time() - start) * 1000 / gets
            best[name] = min(best.get(name, per), per)
    return best


def _client_for(auth_url: str, env: dict[str, str]) -> Any:
    from provider.rackspace.api.client import connect
    from provider.rackspace.api.identity import clear_token_cache
    from provider.rackspace.config import resolve

    settings, problems = resolve({"auth_url": auth_url}, env)
    assert settings is not None, problems
    clear_token_cache()
    return connect(settings)


def transport_cpu(sandbox: Sandbox, ip_id: str, gets: int) -> dict[str, float]:
    """CPU ms per GET in this process, against a keep-alive API (a scripted server in a
    child process) and against the sandbox (which closes every connection): http.client on
    one reused connection (the floor), bare urllib3, `Transport.request`, the client call."""
    import http.client
    import subprocess
    import sys

    import urllib3

    out: dict[str, float] = {}
    fake = subprocess.Popen(
        [sys.executable, "-c", _FAKE_API],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=str(Path(__file__).resolve().parents[1]),
    )
    try:
        assert fake.stdout is not None
        base = fake.stdout.readline().decode().strip()
        env = {"RACKSPACE_USERNAME": "u", "RACKSPACE_API_KEY": "k", "RACKSPACE_REGION": "DFW"}
        client = _client_for(base + "/v2.0/", env)
        token = client.identity.token()
        url = token.endpoint("cloudNetworks", "DFW") + "/ip_addresses/ip-1"
        path = url.split("/", 3)[3]
        headers = {"X-Auth-Token": token.id, "Accept": "application/json"}
        conn = http.client.HTTPConnection(base.split("//")[1])
        bare = urllib3.PoolManager(maxsize=4)

        def floor() -> None:
            conn.request("GET", "/" + path, headers=headers)
            json.loads(conn.getresponse().read())

        def bare_get() -> None:
            r = bare.request("GET", url, headers=headers, retries=False, redirect=False)
            json.loads(r.data)

        def transport_get() -> None:
            client.transport.request("GET", url, headers={"X-Auth-Token": token.id}).json()

        def client_get() -> None:
            client.networks.get_ip_address("ip-1")

        measured = _measure(
            {
                "keepalive http.client": floor,
                "keepalive bare urllib3": bare_get,
                "keepalive transport": transport_get,
                "keepalive client": client_get,
            },
            gets,
        )
        out.update(measured)
        conn.close()
        client.close()
    finally:
        if fake.stdin is not None:
            fake.stdin.close()
        fake.wait(10)

    env = sandbox.env(user=BENCH_USER, region=BENCH_REGION)
    client = _client_for(env["RACKSPACE_AUTH_URL"], env)
    token = client.identity.token()
    url = token.endpoint("cloudNetworks", BENCH_REGION) + f"/ip_addresses/{ip_id}"
    headers = {"X-Auth-Token": token.id, "Accept": "application/json"}
    bare = urllib3.PoolManager(maxsize=4)

    def sb_bare() -> None:
        r = bare.request("GET", url, headers=headers, retries=False, redirect=False)
        json.loads(r.data)

    def sb_client() -> None:
        client.networks.get_ip_address(ip_id)

    out.update(_measure({"sandbox bare urllib3": sb_bare, "sandbox client": sb_client}, gets))
    client.close()
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print (and optionally save) the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=1, help="0: only the transport")
    parser.add_argument("--parallel", type=int, default=10)
    parser.add_argument("--gets", type=int, default=500)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--tf-log", default="", help="TF_LOG for the provider (default unset)")
    parser.add_argument("--skip-transport", action="store_true")
    parser.add_argument("--pyspy", type=Path, help="record each provider process with py-spy")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-cpu-"))
    try:
        seed = work / "seed.json"
        seed.write_text(json.dumps(bench_seed(args.n + args.n % 2)))
        with Sandbox(work / "sandbox", seed=seed) as sandbox:
            servers, ips = provision_pairs(sandbox, args.n + args.n % 2)
            extra = {"TF_LOG": args.tf_log} if args.tf_log else {}
            runs = [
                run_once(sandbox, servers, ips, args.n, args.parallel, extra, args.pyspy)
                for _ in range(args.reps)
            ]
            phases = {k: statistics.median(r[k] for r in runs) for k in runs[0]} if runs else {}
            transport = {} if args.skip_transport else transport_cpu(sandbox, ips[0], args.gets)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if runs:
        print(
            f"provider CPU ms per resource, N={args.n}, parallel={args.parallel}, "
            f"median of {args.reps}"
        )
        for k, v in phases.items():
            print(f"  {k:14s} {v:6.3f}  (runs: {', '.join(f'{r[k]:.3f}' for r in runs)})")
        print(f"  {'total':14s} {sum(phases.values()):6.3f}")
    for k, v in transport.items():
        print(f"transport CPU ms per GET, {k:24s} {v:.3f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"n": args.n, "phases": phases, "runs": runs, "transport": transport}, indent=1
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
