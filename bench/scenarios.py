"""The scenarios: handshake (1), plan/apply/destroy scaling (2, 3, 5) and latency (4)."""

from __future__ import annotations

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
        )


def run_handshake(run: BenchRun, subjects: list[Subject]) -> None:
    """Scenario 1: median time to the handshake line over many launches."""
    out = run.results.setdefault("handshake", {})
    for subject in subjects:
        log(f"handshake: {subject.key} x{run.settings.handshake_launches}")
        try:
            samples = handshake.measure(
                run.executables[subject.key],
                run.settings.handshake_launches,
                warmup=run.settings.handshake_warmup,
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


def run_latency(run: BenchRun, subject: Subject) -> None:
    """Scenario 4: apply of many associations against a slow API at several parallelisms."""
    settings = run.settings
    out: dict[str, Any] = {
        "subject": subject.key,
        "latency_ms": settings.latency_ms,
        "count": settings.latency_count,
        "by_parallelism": {},
    }
    run.results["latency"] = out
    set_latency = getattr(subject, "set_latency", None)
    if set_latency is None:
        raise RuntimeError(f"{subject.key} has no API whose latency can be set")
    for parallelism in settings.latency_parallelisms:
        log(
            f"latency: {subject.key} N={settings.latency_count} "
            f"{settings.latency_ms} ms -parallelism={parallelism} x{settings.latency_reps}"
        )
        ws = run.workspace(subject, f"latency-p{parallelism}", parallelism=parallelism)
        subject.write_config(ws.directory, settings.latency_count)
        ws.init()
        samples: list[float] = []
        for rep in range(settings.latency_reps):
            set_latency(settings.latency_ms)
            try:
                samples.append(ws.apply(log_name=f"apply-{rep}").seconds)
            finally:
                set_latency(0)
            _check_count(ws, settings.latency_count, "apply")
            ws.destroy(log_name=f"destroy-{rep}")
            _check_count(ws, 0, "destroy")
        ideal = settings.latency_count * settings.latency_ms / 1000 / parallelism
        summary = summarize(samples)
        out["by_parallelism"][str(parallelism)] = {
            **summary,
            "ideal": ideal,
            "ratio_to_ideal": round(summary["median"] / ideal, 3),
        }
