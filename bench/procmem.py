"""Peak memory of the provider processes Terraform launches, read from ``/proc``.

Terraform starts a fresh provider process for every phase of a command, so the sampler walks
the descendants of one Terraform process every few milliseconds and keeps, per process, the
largest ``VmHWM`` (the kernel's own resident-set high-water mark) it has seen. Reading the
high-water mark rather than the current RSS means a sample only has to land between a peak
and the process exit, not on the peak itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


@dataclass
class ProcessPeak:
    """The largest resident set seen for one process."""

    pid: int
    name: str
    peak_kib: int = 0


@dataclass
class MemorySampler:
    """Polls the descendants of ``root_pid`` until stopped; use as a context manager."""

    root_pid: int
    interval_s: float = 0.02
    peaks: dict[int, ProcessPeak] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
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
        """Record the current high-water mark of every live descendant."""
        for pid in descendants(self.root_pid):
            status = read_status(pid)
            if status is None:
                continue
            name, hwm_kib = status
            peak = self.peaks.setdefault(pid, ProcessPeak(pid, name))
            # A wrapper that later execs keeps its pid; the exec'd image's name is the one wanted.
            peak.name = name
            peak.peak_kib = max(peak.peak_kib, hwm_kib)

    def max_peak_kib(self) -> int:
        """The largest high-water mark of any descendant seen (0 when none was seen)."""
        return max((p.peak_kib for p in self.peaks.values()), default=0)


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
