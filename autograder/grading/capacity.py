"""How many grading workers a machine holds: `grade --jobs auto`.

Rule: `min(usable CPUs, memory / per-worker memory, tasks)`, at least 1, where
- usable CPUs: `os.sched_getaffinity(0)` (the cores this process may run on), further capped by
  a cgroup v2 CPU quota (`cpu.max`) when one is set;
- memory: the cgroup v2 `memory.max` of this process when set, else `MemAvailable` of
  /proc/meminfo, minus `RESERVE_MB` for the driver and the page cache;
- per-worker memory: `WORKER_MB` (a warm grader worker with TensorFlow and the rebuilt models +
  its sandbox zygote + a student process: 1.3 GiB of peak USS measured on a Práctica 10x
  notebook under ci, see docs/ARCHITECTURE.md; rounded up) plus the student's own limit
  (`--memory`, enforced per student by its cgroup), so workers never add up past the machine
  even when every student uses its whole allowance.
"""

from __future__ import annotations

import os
from pathlib import Path

WORKER_MB = 1800  # measured peak USS: grader 0.98 GiB + zygote 0.26 + student 0.25 (1.3 GiB)
RESERVE_MB = 1024


def usable_cpus() -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup v2 CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    quota = _cgroup_file("cpu.max")
    if quota:
        parts = quota.split()
        if len(parts) == 2 and parts[0] != "max":
            try:
                cpus = min(cpus, max(1, int(int(parts[0]) / int(parts[1]))))
            except (ValueError, ZeroDivisionError):
                pass
    return max(1, cpus)


def available_mb() -> int:
    """Memory this process may still use, in MB: the cgroup limit minus its usage when a limit
    is set, else (or when lower) MemAvailable."""
    avail = _meminfo_mb("MemAvailable")
    limit, usage = _cgroup_file("memory.max"), _cgroup_file("memory.current")
    if limit and limit != "max":
        try:
            cg = (int(limit) - int(usage or 0)) // (1024 * 1024)
            avail = cg if avail is None else min(avail, cg)
        except ValueError:
            pass
    return avail if avail is not None else WORKER_MB + RESERVE_MB


def auto_jobs(memory_mb: int, tasks: int | None = None) -> int:
    """Workers for `--jobs auto` (the module's rule): CPUs, memory and the number of tasks."""
    per_worker = WORKER_MB + max(0, memory_mb)
    by_memory = (available_mb() - RESERVE_MB) // per_worker
    jobs = min(usable_cpus(), by_memory)
    if tasks is not None:
        jobs = min(jobs, tasks)
    return max(1, int(jobs))


def _meminfo_mb(key: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_file(name: str) -> str | None:
    """A cgroup v2 interface file of this process's own cgroup, stripped; None if absent."""
    try:
        rel = next(line.split("::", 1)[1] for line in
                   Path("/proc/self/cgroup").read_text().splitlines() if line.startswith("0::"))
        return (Path("/sys/fs/cgroup") / rel.lstrip("/") / name).read_text().strip()
    except (OSError, StopIteration, IndexError):
        return None
