"""Watching the provider processes Terraform launches, through ``/proc``.

Terraform starts a fresh provider process for every phase of a command, so a watcher thread
walks the descendants of one Terraform process every few milliseconds and keeps, per process,
when it was first and last seen, the largest ``VmHWM`` (the kernel's own resident-set
high-water mark) and its CPU time. Reading the high-water mark rather than the current RSS
means a sample only has to land between a peak and the process exit, not on the peak itself.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


@dataclass
class ProcessRecord:
    """What was seen of one descendant process."""

    pid: int
    name: str
    first_seen_s: float  # since the watcher started
    last_seen_s: float
    peak_kib: int = 0
    cpu_s: float = 0.0
    adopted: bool = False  # a child of an adopted parent (a fork server), not a descendant


@dataclass
class ProcessWatcher:
    """Polls the descendants of ``root_pid`` until stopped; use as a context manager.

    ``on_new`` is called (from the watcher thread) with each newly seen pid, e.g. to attach
    a profiler to it. The descendants of every pid in ``adopted_parents`` are watched too
    (marked ``adopted``): a warm launch's provider is a child of the fork server, not of
    Terraform, which only sees the launcher relaying for it.
    """

    root_pid: int
    interval_s: float = 0.02
    on_new: Callable[[int], None] | None = None
    adopted_parents: tuple[int, ...] = ()
    processes: dict[int, ProcessRecord] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _t0: float = 0.0

    def __enter__(self) -> ProcessWatcher:
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._run, name="process-watcher", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def sample(self) -> None:
        """Record the current state of every live descendant."""
        now = time.perf_counter() - self._t0
        found = [(pid, False) for pid in descendants(self.root_pid)]
        for parent in self.adopted_parents:
            found += [(pid, True) for pid in descendants(parent)]
        for pid, adopted in found:
            status = read_status(pid)
            if status is None:
                continue
            name, hwm_kib = status
            record = self.processes.get(pid)
            if record is None:
                record = self.processes[pid] = ProcessRecord(pid, name, now, now, adopted=adopted)
                if self.on_new is not None:
                    self.on_new(pid)
            # A wrapper that later execs keeps its pid; the exec'd image's name is the one wanted.
            record.name = name
            record.last_seen_s = now
            record.peak_kib = max(record.peak_kib, hwm_kib)
            cpu = read_cpu_s(pid)
            if cpu is not None:
                record.cpu_s = max(record.cpu_s, cpu)

    def max_peak_kib(self) -> int:
        """The largest high-water mark of any descendant seen (0 when none was seen)."""
        return max((p.peak_kib for p in self.processes.values()), default=0)

    def total_cpu_s(self) -> float:
        """CPU seconds (user + system) used by all descendants, as last seen."""
        return sum(p.cpu_s for p in self.processes.values())


def children(pid: int) -> list[int]:
    """Direct children of ``pid``, across all of its threads (Go forks from any thread)."""
    result: list[int] = []
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except OSError:
        return result
    for task in tasks:
        try:
            text = (task / "children").read_text()
        except OSError:
            continue
        result.extend(int(tok) for tok in text.split())
    return result


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (providers are children; wrappers may add a level)."""
    found: list[int] = []
    stack = children(pid)
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(children(child))
    return found


def read_status(pid: int) -> tuple[str, int] | None:
    """``(Name, VmHWM in KiB)`` of ``pid``, or ``None`` when it has gone or is a zombie."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    name = ""
    hwm = None
    for line in text.splitlines():
        if line.startswith("Name:"):
            name = line.partition(":")[2].strip()
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
    if hwm is None:  # zombies have no memory lines
        return None
    return name, hwm


def read_cpu_s(pid: int) -> float | None:
    """User plus system CPU seconds ``pid`` has used so far (all of its threads)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; fields resume after the last ')'.
    fields = text[text.rfind(")") + 2 :].split()
    try:
        return (int(fields[11]) + int(fields[12])) * _TICK_S
    except (IndexError, ValueError):
        return None
