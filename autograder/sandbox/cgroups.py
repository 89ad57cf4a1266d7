"""One cgroup per student: memory (tmpfs pages included), pids and CPU, killed as a group.

cgroup v1 (separate `memory`, `pids`, `cpu`, `freezer` hierarchies) or v2 (one unified dir with
those controllers enabled), created under the grader's own cgroup so a student can never get
more than the grader has. `StudentCgroup.kill()` freezes the group, SIGKILLs every task and
thaws it (v2: `cgroup.kill`), so no helper outlives its student, however it forked or detached.
Students cannot leave: /sys is not mounted in the sandbox and the seccomp filter refuses
`unshare`/`setns`. Where no cgroup can be created (no root, no delegation), `available()` is
False and the isolation lacks `CGROUP` (per-process rlimits only; stated in every report).
"""

from __future__ import annotations

import functools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "pids", "cpu", "freezer")
V2_CONTROLLERS = ("memory", "pids", "cpu")
CFS_PERIOD_US = 100_000


@dataclass(frozen=True)
class Limits:
    """What one student may use: memory (MB, 0 = unbounded), tasks, CPU cores."""

    memory_mb: int
    pids: int
    cpus: float


def _own_path(controller: str | None) -> str:
    """This process's cgroup path in `controller`'s v1 hierarchy (None: the v2 one)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return "/"
    for line in lines:
        _, names, path = line.split(":", 2)
        if (controller is None and names == "") or controller in names.split(","):
            return path
    return "/"


def _v1_parents() -> dict[str, Path] | None:
    parents = {}
    for c in V1_CONTROLLERS:
        base = ROOT / c
        if not (base / "cgroup.procs").exists():
            return None
        parents[c] = base / _own_path(c).lstrip("/")
    return parents


def _v2_parent() -> Path | None:
    if not (ROOT / "cgroup.controllers").exists():
        return None
    parent = ROOT / _own_path(None).lstrip("/")
    try:
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        missing = [c for c in V2_CONTROLLERS if c not in enabled]
        if missing:
            (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in missing))
    except OSError:
        return None
    return parent


class StudentCgroup:
    """The cgroup(s) of one student process tree (see module docstring)."""

    def __init__(self, dirs: dict[str, Path], v2: bool) -> None:
        self.dirs, self.v2 = dirs, v2

    @classmethod
    def create(cls, name: str, limits: Limits) -> StudentCgroup:
        """Make and configure the cgroup(s); OSError when the host does not allow it."""
        v1 = _v1_parents()
        if v1 is not None:
            dirs = {c: p / name for c, p in v1.items()}
        else:
            parent = _v2_parent()
            if parent is None:
                raise OSError("no writable cgroup hierarchy")
            dirs = {"unified": parent / name}
        cg = cls(dirs, v1 is None)
        try:
            for d in dirs.values():
                d.mkdir()
            cg._configure(limits)
        except OSError:
            cg.remove()
            raise
        return cg

    def _configure(self, limits: Limits) -> None:
        quota = max(int(limits.cpus * CFS_PERIOD_US), 1000)
        mem = limits.memory_mb * 1024 * 1024
        if self.v2:
            d = self.dirs["unified"]
            if mem:
                (d / "memory.max").write_text(str(mem))
                _write_try(d / "memory.swap.max", "0")
            (d / "pids.max").write_text(str(limits.pids))
            (d / "cpu.max").write_text(f"{quota} {CFS_PERIOD_US}")
            return
        if mem:
            (self.dirs["memory"] / "memory.limit_in_bytes").write_text(str(mem))
            _write_try(self.dirs["memory"] / "memory.memsw.limit_in_bytes", str(mem))
        (self.dirs["pids"] / "pids.max").write_text(str(limits.pids))
        (self.dirs["cpu"] / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
        (self.dirs["cpu"] / "cpu.cfs_quota_us").write_text(str(quota))

    def add(self, pid: int) -> None:
        """Move process `pid` (all its threads) into every hierarchy of this cgroup."""
        for d in self.dirs.values():
            (d / "cgroup.procs").write_text(str(pid))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for d in self.dirs.values():
            try:
                found |= {int(x) for x in (d / "cgroup.procs").read_text().split()}
            except OSError:
                continue
        return found

    def memory_peak_mb(self) -> float | None:
        name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
        d = self.dirs["unified" if self.v2 else "memory"]
        try:
            return int((d / name).read_text()) / 2**20
        except (OSError, ValueError):
            return None

    def kill(self, timeout: float = 10.0) -> None:
        """SIGKILL every task in the group (frozen first, so none can fork meanwhile) and
        wait until the group is empty."""
        if self.v2:
            _write_try(self.dirs["unified"] / "cgroup.kill", "1")
        else:
            freezer = self.dirs["freezer"] / "freezer.state"
            _write_try(freezer, "FROZEN")
            try:
                for _ in range(3):
                    for pid in self.pids():
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except OSError:
                            pass
            finally:  # a frozen task cannot die: never leave the group frozen
                _write_try(freezer, "THAWED")
        end = time.monotonic() + timeout
        while self.pids() and time.monotonic() < end:
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        """Remove the (empty) cgroup dirs; charges of tmpfs pages left behind move up."""
        for d in self.dirs.values():
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _write_try(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError:
        pass


@functools.cache
def available() -> bool:
    """Whether per-student cgroups can be created here (probed once per process)."""
    try:
        cg = StudentCgroup.create(f"autograder-probe-{os.getpid()}", Limits(64, 16, 1.0))
    except OSError:
        return False
    cg.remove()
    return True


def remove_stale(prefix: str = "autograder-") -> None:
    """Clean up the student cgroups of grader processes that no longer exist: a grader killed
    while a group was frozen leaves its tasks frozen (a frozen task cannot even die with its
    parent), so thaw, SIGKILL what is left, then rmdir."""
    import psutil

    parents = list((_v1_parents() or {}).values()) or [p for p in [_v2_parent()] if p]
    for parent in parents:
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            parts = name.split("-")
            if name.startswith(prefix) and len(parts) > 1 and parts[1].isdigit() \
                    and not psutil.pid_exists(int(parts[1])):
                _kill_and_remove(parent / name)


def _kill_and_remove(group: Path) -> None:
    _write_try(group / "freezer.state", "THAWED")  # v1 freezer
    _write_try(group / "cgroup.freeze", "0")  # v2
    for _ in range(50):
        try:
            pids = [int(x) for x in (group / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            pids = []
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)
