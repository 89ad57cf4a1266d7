"""How a student process is isolated: bubblewrap command line, scrubbed environment, cgroups.

Strongest available isolation (reported in `Zygote.isolation`):
- bubblewrap (`bwrap` on PATH): read-only view of only the system dirs, the Python install, the
  virtualenv and the few `autograder` modules the guest needs (`GUEST_MODULES`; no hidden tests,
  no checks library, no submissions, no gradebook), private tmpfs /tmp, no network, own
  PID/IPC/UTS namespaces, all capabilities dropped, killed with the grader (`--die-with-parent`);
- otherwise: rlimits + private temp dir + a network namespace (`unshare(CLONE_NEWNET)`, root only).
A pids cgroup bounds fork bombs where the host allows one.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# the package files the guest imports (paths relative to PACKAGE_DIR); nothing else of the kit
# is visible inside bubblewrap
GUEST_MODULES = ("__init__.py", "errors.py", "exchange.py", "data/__init__.py", "data/modes.py",
                 "sandbox/__init__.py", "sandbox/cells.py", "sandbox/wire.py",
                 "sandbox/guest.py")

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")



def bwrap_path() -> str | None:
    """Path of a working `bwrap`, unless AUTOGRADER_NO_BWRAP=1."""
    if os.environ.get("AUTOGRADER_NO_BWRAP") == "1":
        return None
    return shutil.which("bwrap")


def scrubbed_env(gpu: bool, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The only environment student code sees (HOME/TMPDIR are set per student later)."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": os.environ.get("LANG", "C.UTF-8"),
           "HOME": "/tmp", "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "PYTHONHASHSEED": "0",
           "TF_ENABLE_ONEDNN_OPTS": "0", "KERAS_BACKEND": "tensorflow"}
    if not gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    if os.environ.get("AUTOGRADER_SANDBOX_PRELOAD"):  # e.g. "numpy" for pure-numpy assignments
        env["AUTOGRADER_SANDBOX_PRELOAD"] = os.environ["AUTOGRADER_SANDBOX_PRELOAD"]
    env.update(extra or {})
    return env


def bwrap_command(bwrap: str, gpu: bool, env: dict[str, str], ro_binds: list[str]) -> list[str]:
    cmd = [bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
           "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--cap-drop", "ALL",
           # /tmp first: the binds below may live under /tmp (a checkout or venv there) and
           # must land on top of the private tmpfs, not be hidden by it
           "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            cmd += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            cmd += ["--ro-bind", d, d]
    seen: set[str] = set()
    for p in [sys.base_prefix, sys.prefix, *ro_binds]:
        real = os.path.realpath(p)
        if os.path.exists(real) and real not in seen and not real.startswith(("/usr/", "/etc/")):
            seen.add(real)
            cmd += ["--ro-bind", real, real]
    if sys.prefix != os.path.realpath(sys.prefix) and os.path.exists(sys.prefix):
        cmd += ["--ro-bind", sys.prefix, sys.prefix]
    for name in GUEST_MODULES:
        path = PACKAGE_DIR / name
        if path.exists():
            cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--remount-ro", "/"]
    if gpu:
        for dev in sorted(Path("/dev").glob("nvidia*")):
            cmd += ["--dev-bind", str(dev), str(dev)]
    cmd += ["--clearenv"]
    for k, v in env.items():
        cmd += ["--setenv", k, v]
    cmd += ["--chdir", "/tmp"]
    return cmd


def pids_max() -> int:
    """Most tasks (threads included) a zygote and its student may have (AUTOGRADER_PIDS_MAX)."""
    return int(os.environ.get("AUTOGRADER_PIDS_MAX", "512"))


def pids_cgroup(pids: set[int]) -> str | None:
    """Put `pids` into a fresh pids cgroup capped at `pids_max()`; None where not possible.

    RLIMIT_NPROC does not bind uid 0 (the kernel exempts root), so when grading as root a pids
    cgroup (v1 `pids` hierarchy or a v2 tree with the pids controller) is what bounds fork bombs.
    """
    base = None
    if os.path.isdir("/sys/fs/cgroup/pids"):
        base = "/sys/fs/cgroup/pids"
    else:
        try:
            if "pids" in Path("/sys/fs/cgroup/cgroup.subtree_control").read_text().split():
                base = "/sys/fs/cgroup"
        except OSError:
            return None
    if base is None:
        return None
    _remove_stale_cgroups(base)
    path = os.path.join(base, f"autograder-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.mkdir(path)
        Path(path, "pids.max").write_text(str(pids_max()))
        for pid in sorted(pids):
            Path(path, "cgroup.procs").write_text(str(pid))
        return path
    except OSError:
        try:
            os.rmdir(path)
        except OSError:
            pass
        return None


def _remove_stale_cgroups(base: str) -> None:
    """rmdir (empty) cgroups left by grader processes that no longer exist."""
    import psutil

    try:
        for name in os.listdir(base):
            parts = name.split("-")
            if name.startswith("autograder-") and len(parts) > 1 and parts[1].isdigit() \
                    and not psutil.pid_exists(int(parts[1])):
                try:
                    os.rmdir(os.path.join(base, name))
                except OSError:
                    pass
    except OSError:
        pass


def user_tasks() -> int:
    """Threads currently owned by our real uid (RLIMIT_NPROC counts them per user)."""
    import psutil

    uid, n = os.getuid(), 0
    for p in psutil.process_iter(["uids", "num_threads"]):
        try:
            if p.info["uids"] and p.info["uids"].real == uid:
                n += p.info["num_threads"] or 1
        except Exception:  # noqa: BLE001 - processes come and go
            continue
    return n

