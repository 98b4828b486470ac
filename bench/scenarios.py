"""The scenarios: handshake (1), plan/apply/destroy scaling (2, 3, 5), latency (4) and the
shared layout (6, in `bench.shared_layout`)."""

from __future__ import annotations

import datetime
import shutil
import statistics
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import handshake
from bench.settings import Settings
from bench.stats import summarize
from bench.subjects import Subject
from bench.terraform import CommandResult, TerraformBinary, Workspace


def log(message: str) -> None:
    """Progress goes to stderr so that stdout stays free for anything a caller pipes."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


@dataclass
class BenchRun:
    """One run of the bench: its settings, its tools and the results gathered so far."""

    settings: Settings
    terraform: TerraformBinary
    cli_config: Path
    executables: dict[str, Path]
    results: dict[str, Any] = field(default_factory=dict)

    def record_error(self, where: str, exc: BaseException) -> None:
        """Keep going after a failed scenario, but say so in the results."""
        log(f"FAILED {where}: {exc}")
        self.results.setdefault("errors", []).append(
            {"where": where, "error": f"{type(exc).__name__}: {exc}"[:4000]}
        )
        traceback.print_exception(exc, file=sys.stderr)

    def workspace(self, subject: Subject, name: str, parallelism: int | None = None) -> Workspace:
        """A fresh Terraform directory for ``subject`` under the work dir."""
        directory = self.settings.work_dir / "runs" / subject.key / name
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        return Workspace(
            terraform=self.terraform,
            directory=directory,
            cli_config=self.cli_config,
            extra_env=subject.env(),
            parallelism=parallelism or self.settings.parallelism,
            adopted_parents=getattr(subject, "adopted_parents", None),
        )


def run_handshake(run: BenchRun, subjects: list[Subject]) -> None:
    """Scenario 1: median time to the handshake line over many launches (ours both warm,
    through the fork server its `prepare` started, and cold)."""
    out = run.results.setdefault("handshake", {})
    for subject in subjects:
        log(f"handshake: {subject.key} x{run.settings.handshake_launches}")
        try:
            samples = handshake.measure(
                run.executables[subject.key],
                run.settings.handshake_launches,
                warmup=run.settings.handshake_warmup,
                # Our warm and cold variants (WARM=1 with their socket dir, or WARM=0).
                extra_env=getattr(subject, "warm_env", dict)(),
            )
        except Exception as exc:
            run.record_error(f"handshake/{subject.key}", exc)
            continue
        out[subject.key] = {
            **summarize([s.seconds for s in samples]),
            "protocol": samples[0].protocol,
        }


def _check_count(ws: Workspace, expected: int, after: str) -> None:
    found = ws.state_instance_count()
    if found != expected:
        raise RuntimeError(f"after {after} the state holds {found} instances, expected {expected}")


def run_scaling(run: BenchRun, subjects: list[Subject]) -> None:
    """Scenarios 2, 3 and 5: apply, plan (with refresh) and destroy of N resources.

    Each repetition is apply → plan → destroy on the same directory, so every plan refreshes
    exactly N applied resources and every apply starts from an empty state. Provider memory
    (scenario 5) is sampled during every command.
    """
    scaling = run.results.setdefault("scaling", {})
    memory = run.results.setdefault("memory", {})
    cpu = run.results.setdefault("provider_cpu", {})
    launches = run.results.setdefault("launches", {})
    for count in run.settings.sizes:
        for subject in subjects:
            log(f"scaling: {subject.key} N={count} x{run.settings.reps}")
            try:
                times, peaks, cpu_s, counts = _scaling_cycles(run, subject, count)
            except Exception as exc:
                run.record_error(f"scaling/{subject.key}/N={count}", exc)
                continue
            for op, samples in times.items():
                scaling.setdefault(subject.key, {}).setdefault(op, {})[str(count)] = summarize(
                    samples
                )
            memory.setdefault(subject.key, {})[str(count)] = peaks
            cpu.setdefault(subject.key, {})[str(count)] = {
                op: round(statistics.median(v), 3) for op, v in cpu_s.items()
            }
            launches.setdefault(subject.key, {}).update(counts)


def _scaling_cycles(
    run: BenchRun, subject: Subject, count: int
) -> tuple[dict[str, list[float]], dict[str, float], dict[str, list[float]], dict[str, int]]:
    ws = run.workspace(subject, f"n{count}")
    subject.write_config(ws.directory, count)
    ws.init()
    times: dict[str, list[float]] = {"apply": [], "plan": [], "destroy": []}
    peak_kib: dict[str, int] = {"apply": 0, "plan": 0, "destroy": 0}
    cpu_s: dict[str, list[float]] = {"apply": [], "plan": [], "destroy": []}
    launch_counts: dict[str, int] = {}
    for rep in range(run.settings.reps):
        results: dict[str, CommandResult] = {}
        results["apply"] = ws.apply(log_name=f"apply-{rep}")
        _check_count(ws, count, "apply")
        results["plan"] = ws.plan(log_name=f"plan-{rep}")
        results["destroy"] = ws.destroy(log_name=f"destroy-{rep}")
        _check_count(ws, 0, "destroy")
        for op, res in results.items():
            times[op].append(res.seconds)
            peak_kib[op] = max(peak_kib[op], res.provider_peak_kib)
            cpu_s[op].append(res.provider_cpu_s)
            launch_counts[op] = res.provider_launches
    peaks_mb = {op: round(kib * 1024 / 1e6, 1) for op, kib in peak_kib.items()}
    return times, peaks_mb, cpu_s, launch_counts


def run_latency(run: BenchRun, subject: Subject, floor: Subject | None = None) -> None:
    """Scenario 4: apply of many associations against a slow API at several parallelisms.

    Besides the slow runs, the same apply is timed with the latency at 0 (what the provider
    and Terraform cost without waiting) and, when given, ``floor`` (the Go null provider)
    applies as many resources: the part of the ideal no provider can beat.
    """
    settings = run.settings
    count = settings.latency_count
    out: dict[str, Any] = {
        "subject": subject.key,
        "latency_ms": settings.latency_ms,
        "count": count,
        "by_parallelism": {},
    }
    run.results["latency"] = out
    set_latency = getattr(subject, "set_latency", None)
    if set_latency is None:
        raise RuntimeError(f"{subject.key} has no API whose latency can be set")
    sandbox = getattr(subject, "sandbox", None)
    for parallelism in settings.latency_parallelisms:
        log(
            f"latency: {subject.key} N={count} {settings.latency_ms} ms "
            f"-parallelism={parallelism} x{settings.latency_reps} (and at 0 ms)"
        )
        ws = run.workspace(subject, f"latency-p{parallelism}", parallelism=parallelism)
        subject.write_config(ws.directory, count)
        ws.init()
        slow: list[float] = []
        fast: list[float] = []
        traffic: list[dict[str, Any]] = []
        for rep in range(settings.latency_reps):
            fast.append(_apply_destroy(ws, count, f"fast-{rep}"))
            if sandbox is not None:
                sandbox.clear_requests()
            set_latency(settings.latency_ms)
            try:
                slow.append(_apply_destroy(ws, count, f"slow-{rep}", destroy=False))
            finally:
                set_latency(0)
            if sandbox is not None:
                traffic.append(api_traffic(sandbox.requests()))
            ws.destroy(log_name=f"destroy-slow-{rep}")
            _check_count(ws, 0, "destroy")
        ideal = count * settings.latency_ms / 1000 / parallelism
        summary = summarize(slow)
        at_zero = summarize(fast)
        out["by_parallelism"][str(parallelism)] = {
            **summary,
            "ideal": ideal,
            "ratio_to_ideal": round(summary["median"] / ideal, 3),
            "at_zero_latency": at_zero,
            # The wait latency added, against the wait the ideal says it should add.
            "added_by_latency_ratio": round((summary["median"] - at_zero["median"]) / ideal, 3),
            # What the API saw, from the sandbox's request log (last repetition).
            "api": traffic[-1] if traffic else None,
        }
    if floor is not None:
        log(f"latency: floor, {floor.key} N={count} x{settings.latency_reps}")
        ws = run.workspace(floor, f"latency-floor-n{count}")
        floor.write_config(ws.directory, count)
        ws.init()
        floor_times = [
            _apply_destroy(ws, count, f"floor-{rep}") for rep in range(settings.latency_reps)
        ]
        out["floor"] = {"subject": floor.key, **summarize(floor_times)}


def _apply_destroy(ws: Workspace, count: int, tag: str, destroy: bool = True) -> float:
    """Time one apply of ``count`` resources (checked), then destroy them untimed."""
    seconds = ws.apply(log_name=f"apply-{tag}").seconds
    _check_count(ws, count, "apply")
    if destroy:
        ws.destroy(log_name=f"destroy-{tag}")
        _check_count(ws, 0, "destroy")
    return seconds


def api_traffic(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """How many calls the API got, over how long, and how many were in flight at once."""
    if not entries:
        return {"requests": 0}
    spans = []
    for e in entries:
        start = datetime.datetime.fromisoformat(e["started"]).timestamp()
        spans.append((start, start + e["duration_ms"] / 1000))
    events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    in_flight = peak = 0
    for _, delta in events:
        in_flight += delta
        peak = max(peak, in_flight)
    first = min(a for a, _ in spans)
    last = max(b for _, b in spans)
    return {
        "requests": len(entries),
        "span_s": round(last - first, 3),
        "max_in_flight": peak,
        "mean_duration_ms": round(sum(e["duration_ms"] for e in entries) / len(entries), 1),
    }


def run_shared_layout(run: BenchRun, subject: Subject) -> None:
    """Scenario 6: a 400-resource plan at 50 ms, batched refresh off vs on (`shared_layout`)."""
    from bench import shared_layout

    run.results["shared_layout"] = shared_layout.run_shared_layout(
        run, subject.version, max(2, run.settings.reps)
    )
