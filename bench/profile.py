"""Where our provider spends its time: import cost at start-up, and CPU per RPC.

Three views, all of the real provider as Terraform runs it:

* ``-X importtime`` of the serve path (the launcher's interpreter and module, Terraform's
  environment), summed per top-level package;
* a timeline of every provider process of one apply, plan and destroy at the largest N
  (when it started and stopped relative to the command, its CPU time and peak memory);
* py-spy sampling of each of those processes (when ``py-spy`` is installed), attributed to
  the gRPC method on the stack and to the library that was running.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench import handshake
from bench.scenarios import BenchRun, log
from bench.subjects import Subject
from bench.terraform import CommandResult

PYSPY_RATE_HZ = 200
RPC_NAMES = frozenset(
    {
        "GetMetadata",
        "GetProviderSchema",
        "GetSchema",
        "ValidateProviderConfig",
        "PrepareProviderConfig",
        "ValidateResourceConfig",
        "ValidateResourceTypeConfig",
        "ValidateDataResourceConfig",
        "ValidateDataSourceConfig",
        "UpgradeResourceState",
        "ConfigureProvider",
        "Configure",
        "ReadResource",
        "PlanResourceChange",
        "ApplyResourceChange",
        "ImportResourceState",
        "ReadDataSource",
        "StopProvider",
        "Stop",
        "Shutdown",
        "GetFunctions",
        "CallFunction",
    }
)
# Innermost frames that mean "blocked", which py-spy's GIL heuristics still report sometimes.
_WAITS = frozenset(
    {
        "_worker",
        "Condition.wait",
        "Event.wait",
        "_serve",
        "_status",
        "SocketIO.readinto",
        "wait_for_termination",
        "select",
        "poll",
        "sleep",
        "_wait_once",
        "wait",
    }
)
_LAUNCHER_EXEC = re.compile(r'exec\s+"?([^"\s]+)"?\s+-m\s+(\S+)')
_RUN_MODULE = re.compile(r'runpy\.run_module\("([\w.]+)"')
_IMPORTTIME = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def launcher_command(launcher: Path) -> tuple[str, str]:
    """The interpreter and module a launcher runs: an ``exec python -m module`` script, or the
    one ``install`` writes (its interpreter in the record at the mirror's root, five levels up,
    and the module its bootstrap hands over to with ``runpy.run_module``)."""
    text = launcher.read_text()
    match = _LAUNCHER_EXEC.search(text)
    if match:
        return match.group(1), match.group(2)
    module = _RUN_MODULE.search(text)
    prog, _, version = launcher.name.rpartition("_v")
    record = launcher.parents[5] / f".{prog}" / f"v{version}.interpreter"
    if module is None or not record.is_file():
        raise RuntimeError(f"{launcher} runs no interpreter and module this bench can find")
    return record.read_text().strip(), module.group(1)


# --- start-up: -X importtime ------------------------------------------------------------------


def import_times(python: str, module: str) -> dict[str, Any]:
    """Import cost of the serve path, per top-level package (µs, cumulative)."""
    cert = handshake.client_certificate_pem()
    with tempfile.TemporaryDirectory(prefix="bench-importtime-") as tmpdir:
        env = handshake.launch_env(cert, tmpdir)
        # The first launch only warms bytecode and page caches, as a user's would be.
        for _ in range(2):
            start = time.perf_counter()
            proc = subprocess.Popen(
                [python, "-X", "importtime", "-m", module],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.readline()
            to_handshake = time.perf_counter() - start
            proc.kill()
            _, err = proc.communicate()
    top_level: Counter[str] = Counter()
    self_by_package: Counter[str] = Counter()
    total = 0
    for line in err.decode(errors="replace").splitlines():
        match = _IMPORTTIME.match(line)
        if not match:
            continue
        name = match.group(4)
        # "provider.plugin.codec" is reported as provider.plugin so the SDK stands apart.
        parts = name.split(".")
        package = ".".join(parts[:2]) if parts[0] in ("provider", "google") else parts[0]
        self_by_package[package] += int(match.group(1))
        if match.group(3) == " ":  # an import made at the top level
            top_level[name] += int(match.group(2))
            total += int(match.group(2))
    return {
        "handshake_s_with_importtime": round(to_handshake, 4),
        "total_import_us": total,
        "top_level_us": top_level.most_common(8),
        "self_by_package_us": self_by_package.most_common(15),
    }


# --- per-command timeline and py-spy ----------------------------------------------------------


class SpyAttacher:
    """Starts one ``py-spy record`` per provider process once it is running Python."""

    def __init__(self, pyspy: str, out_dir: Path, tag: str) -> None:
        self.pyspy = pyspy
        self.out_dir = out_dir
        self.tag = tag
        self.procs: list[subprocess.Popen[bytes]] = []
        self.outputs: list[Path] = []
        self._lock = threading.Lock()

    def __call__(self, pid: int) -> None:
        threading.Thread(target=self._attach, args=(pid,), daemon=True).start()

    def _attach(self, pid: int) -> None:
        # The launcher is /bin/sh until it execs the interpreter; py-spy needs the latter.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                if "python" in Path(f"/proc/{pid}/exe").resolve().name:
                    break
            except OSError:
                return
            time.sleep(0.002)
        else:
            return
        out = self.out_dir / f"{self.tag}-{pid}.txt"
        proc = subprocess.Popen(
            [
                self.pyspy,
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(PYSPY_RATE_HZ),
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with self._lock:
            self.procs.append(proc)
            self.outputs.append(out)

    def wait(self) -> list[Path]:
        """Wait for every recorder (each stops when its process exits); the files written."""
        time.sleep(0.2)  # let late attach threads register
        with self._lock:
            procs = list(self.procs)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        return [p for p in self.outputs if p.exists()]


def _bucket(path: str) -> str:
    """Which library a frame's file belongs to."""
    p = path.replace("\\", "/")
    for marker, name in (
        ("/provider/plugin/", "provider.plugin (SDK)"),
        ("/provider/rackspace/", "provider.rackspace"),
        ("/grpc/", "grpc"),
        ("/google/protobuf/", "protobuf"),
        ("/msgpack/", "msgpack"),
        ("/urllib3/", "urllib3"),
        ("/cryptography/", "cryptography"),
        ("/logging/", "logging"),
        ("/json/", "json"),
        ("/http/", "http.client"),
        ("/concurrent/", "concurrent.futures"),
        ("/threading.py", "threading"),
        ("ssl.py", "ssl"),
        ("socket.py", "socket"),
    ):
        if marker in p:
            return name
    if "<frozen" in p or "importlib" in p:
        return "imports"
    return "other" if "site-packages" in p else "stdlib/other"


def analyse_pyspy(files: list[Path]) -> dict[str, Any]:
    """CPU seconds per gRPC method and per library (self time), from raw py-spy output."""
    per_rpc: Counter[str] = Counter()
    per_lib: Counter[str] = Counter()
    per_rpc_lib: dict[str, Counter[str]] = defaultdict(Counter)
    per_leaf: Counter[str] = Counter()
    total = 0
    for path in files:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = []
            for raw in stack.split(";"):
                match = _FRAME.match(raw.strip())
                frames.append((match.group("func"), match.group("file")) if match else (raw, ""))
            # py-spy qualifies methods ("ProviderServicer.ReadResource"): match the last part.
            rpc = next(
                (f.rsplit(".", 1)[-1] for f, _ in frames if f.rsplit(".", 1)[-1] in RPC_NAMES),
                "(outside any RPC: start-up, serving loop)",
            )
            leaf_func, leaf_file = frames[-1]
            lib = "(blocked: waiting)" if leaf_func in _WAITS else _bucket(leaf_file)
            per_rpc[rpc] += count
            per_lib[lib] += count
            per_rpc_lib[rpc][lib] += count
            per_leaf[f"{leaf_func} ({Path(leaf_file).name})"] += count
            total += count
    dt = 1.0 / PYSPY_RATE_HZ
    waiting = per_lib.get("(blocked: waiting)", 0)
    return {
        "samples": total,
        "cpu_s": round((total - waiting) * dt, 3),
        "waiting_s": round(waiting * dt, 3),
        "per_rpc_s": {k: round(v * dt, 3) for k, v in per_rpc.most_common()},
        "per_library_s": {k: round(v * dt, 3) for k, v in per_lib.most_common()},
        "per_rpc_library_s": {
            rpc: {k: round(v * dt, 3) for k, v in libs.most_common(6)}
            for rpc, libs in per_rpc_lib.items()
        },
        "top_leaf_functions_s": [(k, round(v * dt, 3)) for k, v in per_leaf.most_common(15)],
    }


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def api_calls(sandbox: Any) -> dict[str, int]:
    """The sandbox's request log summarised as ``METHOD /path/{id}`` -> count."""
    counts: Counter[str] = Counter()
    for entry in sandbox.requests():
        path = _UUID.sub("{id}", entry["path"])
        path = re.sub(r"/servers/v2/[^/]+", "/servers/v2/{tenant}", path)
        counts[f"{entry['method']} {path}"] += 1
    return dict(counts.most_common())


def _timeline(result: CommandResult) -> list[dict[str, Any]]:
    return [
        {
            "start_s": round(p.first_seen_s, 3),
            "end_s": round(p.last_seen_s, 3),
            "cpu_s": round(p.cpu_s, 3),
            "peak_mb": round(p.peak_kib * 1024 / 1e6, 1),
        }
        for p in sorted(result.processes, key=lambda p: p.first_seen_s)
    ]


def profile_ours(run: BenchRun, ours: Subject) -> dict[str, Any]:
    """All three views for our provider; returns data plus a markdown rendering."""
    python, module = launcher_command(run.executables[ours.key])
    log(f"profile: -X importtime {module}")
    imports = import_times(python, module)

    count = max(run.settings.sizes)
    pyspy = shutil.which("py-spy") or str(Path(sys.prefix) / "bin" / "py-spy")
    have_pyspy = Path(pyspy).exists()
    spy_dir = run.settings.work_dir / "pyspy"
    if spy_dir.exists():
        shutil.rmtree(spy_dir)
    spy_dir.mkdir(parents=True)
    ws = run.workspace(ours, f"profile-n{count}")
    ours.write_config(ws.directory, count)
    ws.init()
    commands: dict[str, Any] = {}
    for op in ("apply", "plan", "destroy"):
        log(f"profile: {op} N={count}" + (" under py-spy" if have_pyspy else ""))
        attacher = SpyAttacher(pyspy, spy_dir, op) if have_pyspy else None
        sandbox = getattr(ours, "sandbox", None)
        if sandbox is not None:
            sandbox.clear_requests()
        result: CommandResult = getattr(ws, op)(log_name=f"profile-{op}", on_new_process=attacher)
        entry: dict[str, Any] = {
            "wall_s": round(result.seconds, 3),
            "provider_cpu_s": round(result.provider_cpu_s, 3),
            "launches": _timeline(result),
            "api_calls": api_calls(sandbox) if sandbox is not None else {},
        }
        if attacher is not None:
            entry["pyspy"] = analyse_pyspy(attacher.wait())
        commands[op] = entry
    data = {"count": count, "imports": imports, "commands": commands, "pyspy": have_pyspy}
    data["markdown"] = render(data)
    return data


def render(data: dict[str, Any]) -> str:
    """The profile as markdown for ``latest.md``."""
    imp = data["imports"]
    lines = [
        "### Start-up imports (`python -X importtime`, serve path)",
        "",
        f"Total top-level import time {imp['total_import_us'] / 1000:.0f} ms; "
        f"handshake reached after {imp['handshake_s_with_importtime'] * 1000:.0f} ms "
        "in the same (importtime-instrumented) launch.",
        "",
        "Top-level imports (cumulative): "
        + ", ".join(f"`{name}` {us / 1000:.0f} ms" for name, us in imp["top_level_us"]),
        "",
        "| package | own import ms (all modules of the package) |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {us / 1000:.1f} |" for name, us in imp["self_by_package_us"]]
    n = data["count"]
    for op, entry in data["commands"].items():
        lines += [
            "",
            f"### `terraform {op}` at N={n}: {entry['wall_s']:.2f} s wall, "
            f"{entry['provider_cpu_s']:.2f} s provider CPU",
            "",
            "Provider processes (seconds since the command started):",
            "",
            "| # | start | end | CPU s | peak MB |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {i} | {p['start_s']:.2f} | {p['end_s']:.2f} | {p['cpu_s']:.2f} | {p['peak_mb']} |"
            for i, p in enumerate(entry["launches"], 1)
        ]
        if entry["api_calls"]:
            lines += [
                "",
                "API calls the sandbox received: "
                + ", ".join(f"`{k}` x{v}" for k, v in entry["api_calls"].items()),
            ]
        spy = entry.get("pyspy")
        if spy and spy["samples"]:
            lines += [
                "",
                f"py-spy --gil at {PYSPY_RATE_HZ} Hz: {spy['cpu_s']:.2f} s running Python, "
                f"plus {spy['waiting_s']:.2f} s of samples blocked in a wait (excluded below "
                "only as libraries). py-spy attaches a few ms after spawn and slows the "
                "process, so read shares, not absolute times:",
                "",
            ]
            lines += [
                "| gRPC method | CPU s | ms per resource | top libraries (self CPU s) |",
                "|---|---|---|---|",
            ]
            for rpc, secs in spy["per_rpc_s"].items():
                libs = ", ".join(f"{k} {v:.2f}" for k, v in spy["per_rpc_library_s"][rpc].items())
                lines.append(f"| {rpc} | {secs:.2f} | {secs * 1000 / n:.2f} | {libs} |")
            lines += [
                "",
                "Hottest functions (self CPU s): "
                + ", ".join(f"`{k}` {v:.2f}" for k, v in spy["top_leaf_functions_s"][:10]),
            ]
    if not data["pyspy"]:
        lines += ["", "(py-spy is not installed: `pip install py-spy` for the per-RPC view.)"]
    return "\n".join(lines)
