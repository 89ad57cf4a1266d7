"""Sandboxed student processes and the `SandboxStudent` proxy the hidden tests call.

Trust model: the grader (this process) is trusted and runs the checks; student code runs in a
separate process forked from a warm *zygote* (`autograder._sandbox_child`) that imported
TensorFlow/Keras/NumPy/TFDS/matplotlib but ran no TF op. The zygote is a fresh interpreter
started with `subprocess` (so the grader may already have run TF ops), one per grader process.

Isolation, strongest available (reported in `Zygote.isolation`):
- bubblewrap (`bwrap` on PATH): read-only view of only the system dirs, the Python install, the
  virtualenv and the few `autograder` modules the child needs (`CHILD_MODULES`; no hidden tests,
  no checks library, no submissions, no gradebook), private tmpfs /tmp, no network, own PID/IPC/UTS
  namespaces, all capabilities dropped, killed with the grader (`--die-with-parent`);
- otherwise: rlimits + private temp dir + a network namespace (`unshare(CLONE_NEWNET)`, root only).
Each student process also gets RLIMIT_AS/CPU/FSIZE/NPROC/CORE limits, a scrubbed environment,
a soft (in-process) and a hard (kill) wall-clock timeout for the notebook and for every call,
and bounded output (last `OUTPUT_TAIL` bytes kept). When a submission is done, every process
under the zygote except the zygote itself is SIGKILLed (the zygote is a child subreaper, so
daemonised grandchildren cannot escape).

Values cross as described in `autograder._sandbox_wire` (pickle only towards the child).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograder import _sandbox_wire as wire
from autograder.errors import StudentCodeError

PACKAGE_DIR = Path(__file__).resolve().parent
CHILD_MODULES = ("__init__.py", "results.py", "exchange.py", "data.py", "errors.py",
                 "_sandbox_wire.py", "_sandbox_child.py")
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
OUTPUT_TAIL = 64 * 1024
GRACE_S = 10.0
ZYGOTE_START_TIMEOUT = 180.0
DEFAULT_MEMORY_MB = 3000
DEFAULT_TIMEOUT = 300.0
DEFAULT_CALL_TIMEOUT = 120.0
DEFAULT_FSIZE_MB = 256


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


def _bwrap_cmd(bwrap: str, gpu: bool, env: dict[str, str], ro_binds: list[str]) -> list[str]:
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
    for name in CHILD_MODULES:
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


def _pids_cgroup(pids: set[int]) -> str | None:
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
    path = os.path.join(base, f"autograder-{os.getpid()}-{len(_ZYGOTES)}-{time.monotonic_ns()}")
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


def _user_tasks() -> int:
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


class Zygote:
    """A warm, sandboxed interpreter that forks one student process per submission."""

    def __init__(self, *, gpu: bool = False, ro_binds: list[str] | None = None,
                 env: dict[str, str] | None = None, use_bwrap: bool = True) -> None:
        self.gpu = gpu
        self.bwrap = bwrap_path() if use_bwrap else None
        self.cgroup: str | None = None
        self.owner = os.getpid()
        self._ctrl, child = socket.socketpair()
        self._log = tempfile.TemporaryFile()
        self._hostdir: str | None = None
        base_env = scrubbed_env(gpu, env)
        inner = [sys.executable, "-m", "autograder._sandbox_child", "--zygote", "--fd",
                 str(child.fileno())]
        if self.bwrap:
            cmd = _bwrap_cmd(self.bwrap, gpu, base_env, list(ro_binds or [])) + inner
            popen_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            self.workdir_base = "/tmp"
            self.unshare_net = False
            self.isolation = ("bubblewrap (read-only minimal root, private /tmp, no network, "
                              "pid/ipc/uts namespaces, no capabilities) + rlimits")
        else:
            cmd = inner
            popen_env = dict(base_env, PYTHONPATH=str(PACKAGE_DIR.parent))
            self._hostdir = tempfile.mkdtemp(prefix="autograder-sandbox-")
            self.workdir_base = self._hostdir
            self.unshare_net = os.geteuid() == 0
            self.isolation = "rlimits + private temp dir" + (
                " + network namespace (unshare)" if self.unshare_net else " (network NOT isolated)")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, pass_fds=[child.fileno()], env=popen_env,
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=self._log, start_new_session=True,
                                     cwd="/" if self.bwrap else self.workdir_base)
        child.close()
        try:
            header, _ = wire.recv_msg(self._ctrl, timeout=ZYGOTE_START_TIMEOUT)
        except (EOFError, TimeoutError, wire.WireError) as exc:
            log = self.log_tail()
            self.close()
            raise RuntimeError(f"sandbox zygote failed to start ({exc}): {log}") from exc
        if header.get("op") != "ready":
            self.close()
            raise RuntimeError("sandbox zygote sent an unexpected message")
        self.startup_s = time.monotonic() - t0
        self.cgroup = _pids_cgroup(self._tree_pids() | {self.proc.pid})
        if self.cgroup:
            self.isolation += f" + pids cgroup (max {pids_max()} tasks)"
        self.preload_failed = list(header.get("failed", []))
        self.protected = self._tree_pids() | {self.proc.pid}
        self.zygote_pid = self._find_zygote_pid()
        self.roots: set[int] = set()  # host pids of live student processes
        self.nproc = _user_tasks() + 512
        self._lock = threading.Lock()

    def log_tail(self, n: int = 2000) -> str:
        try:
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - n))
            return self._log.read().decode(errors="replace")
        except (OSError, ValueError):
            return ""

    def _tree_pids(self) -> set[int]:
        import psutil

        try:
            return {p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)}
        except psutil.Error:
            return set()

    def _find_zygote_pid(self) -> int:
        import psutil

        for pid in sorted(self.protected):
            try:
                cmd = psutil.Process(pid).cmdline()
                if cmd and "bwrap" not in os.path.basename(cmd[0]) and \
                        "autograder._sandbox_child" in cmd:
                    return pid
            except psutil.Error:
                continue
        return self.proc.pid

    def _direct_children(self) -> set[int]:
        import psutil

        try:
            return {p.pid for p in psutil.Process(self.zygote_pid).children()}
        except psutil.Error:
            return set()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def spawn(self, opts: dict[str, Any]) -> tuple[socket.socket, int, int | None]:
        """Fork a fresh student process; returns (rpc socket, output pipe read fd, host pid)."""
        opts = dict(opts, workdir_base=self.workdir_base, unshare_net=self.unshare_net,
                    nproc=self.nproc)
        with self._lock:
            before = self._direct_children()
            wire.send_msg(self._ctrl, {"op": "spawn"}, {"opts": pickle.dumps(opts)})
            self._ctrl.settimeout(30)
            _, fds, _, _ = socket.recv_fds(self._ctrl, 16, 2)
            self._ctrl.settimeout(None)
            if len(fds) != 2:
                raise RuntimeError("sandbox zygote did not hand over the student process")
            new = sorted(self._direct_children() - before - self.roots)
            root = new[0] if len(new) == 1 else None
            if root is not None:
                self.roots.add(root)
        return socket.socket(fileno=fds[0]), fds[1], root

    def _victims(self, root: int | None) -> list[Any]:
        """Every process under the zygote except the sandbox's own and the process trees of
        other live students (root=None: every student)."""
        import psutil

        try:
            everything = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            return []
        keep = set(self.protected)
        for other in (self.roots - {root}) if root is not None else ():
            try:
                keep.add(other)
                keep |= {c.pid for c in psutil.Process(other).children(recursive=True)}
            except psutil.Error:
                continue
        return [p for p in everything if p.pid not in keep]

    def kill_students(self, root: int | None = None) -> int:
        """SIGKILL student process `root` with its descendants and any orphan the zygote
        adopted; with root=None, every process under the zygote except the zygote."""
        import psutil

        killed: set[int] = set()
        quiet = 0
        for _ in range(8):  # repeat: a fork bomb may still be forking while we kill
            victims = self._victims(root)
            if not victims:
                quiet += 1
                if quiet == 2:
                    break
                time.sleep(0.05)
                continue
            quiet = 0
            for p in victims:
                try:
                    p.kill()
                except psutil.Error:
                    pass
            killed |= {p.pid for p in victims}
            psutil.wait_procs(victims, timeout=10)
        if root is not None:
            self.roots.discard(root)
        return len(killed)

    def close(self) -> None:
        try:
            self._ctrl.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except OSError:
                self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self._hostdir:
            shutil.rmtree(self._hostdir, ignore_errors=True)
        for _ in range(20):  # the killed tasks leave the cgroup as they finish exiting
            if not self.cgroup:
                break
            try:
                os.rmdir(self.cgroup)
                self.cgroup = None
            except OSError:
                time.sleep(0.1)
        self._log.close()


_ZYGOTES: dict[tuple[Any, ...], Zygote] = {}


def _key(gpu: bool, ro_binds: tuple[str, ...], env: tuple[tuple[str, str], ...]) -> tuple[Any, ...]:
    return (gpu, ro_binds, env, bwrap_path() is not None,
            os.environ.get("AUTOGRADER_SANDBOX_PRELOAD"), pids_max())


def get_zygote(gpu: bool = False, ro_binds: tuple[str, ...] = (),
               env: tuple[tuple[str, str], ...] = ()) -> Zygote:
    """The warm zygote of this grader process for these settings (restarted if it died)."""
    key = _key(gpu, ro_binds, env)
    z = _ZYGOTES.get(key)
    if z is not None and z.owner != os.getpid():  # inherited through fork: not ours to use
        _ZYGOTES.clear()
        z = None
    if z is None or not z.alive():
        if z is not None:
            z.close()
        try:
            z = Zygote(gpu=gpu, ro_binds=list(ro_binds), env=dict(env))
        except RuntimeError as exc:
            if not bwrap_path():
                raise
            # bwrap exists but cannot create namespaces here (e.g. an unprivileged container)
            z = Zygote(gpu=gpu, ro_binds=list(ro_binds), env=dict(env), use_bwrap=False)
            z.isolation += f"; bubblewrap failed: {str(exc).splitlines()[0][:200]}"
        _ZYGOTES[key] = z
    return z


def discard_zygote(gpu: bool = False, ro_binds: tuple[str, ...] = (),
                   env: tuple[tuple[str, str], ...] = ()) -> None:
    """Stop and forget the zygote for these settings (the next `get_zygote` starts a new one)."""
    z = _ZYGOTES.pop(_key(gpu, ro_binds, env), None)
    if z is not None:
        z.close()


@atexit.register
def shutdown() -> None:
    """Stop every zygote of this process."""
    for z in list(_ZYGOTES.values()):
        if z.owner == os.getpid():
            z.close()
    _ZYGOTES.clear()


class _Drain(threading.Thread):
    """Reads a student's stdout/stderr pipe to the end, keeping only the last bytes."""

    def __init__(self, fd: int, keep: int = OUTPUT_TAIL) -> None:
        super().__init__(daemon=True)
        self.fd, self.keep = fd, keep
        self.tail = bytearray()
        self.total = 0
        self.start()

    def run(self) -> None:
        try:
            while True:
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    break
                self.total += len(chunk)
                self.tail += chunk
                if len(self.tail) > 2 * self.keep:
                    del self.tail[: len(self.tail) - self.keep]
        except OSError:
            pass
        finally:
            try:
                os.close(self.fd)
            except OSError:
                pass

    def text(self) -> str:
        data = bytes(self.tail[-self.keep:])
        prefix = f"[... {self.total - len(data)} bytes omitted ...]\n" if self.total > len(data) else ""
        return prefix + data.decode("utf-8", errors="replace")


class StudentProcess:
    """One submission's sandboxed process: run its notebook, then proxy calls into it."""

    def __init__(self, zygote: Zygote, *, memory_mb: int = DEFAULT_MEMORY_MB,
                 timeout: float = DEFAULT_TIMEOUT, call_timeout: float = DEFAULT_CALL_TIMEOUT,
                 fsize_mb: int = DEFAULT_FSIZE_MB, max_bytes: int = wire.DEFAULT_MAX_BYTES) -> None:
        self.zygote = zygote
        self.timeout, self.call_timeout, self.max_bytes = timeout, call_timeout, max_bytes
        self.state = "alive"  # "alive" | "timeout" | "crashed" | "closed"
        self.detail = ""
        # RLIMIT_CPU is a backstop (the wall-clock timeouts are the real bound); CPU time adds up
        # over all cores, so scale it. RLIMIT_AS breaks CUDA's address-space reservations: GPU
        # zygotes get no AS limit.
        cpu_s = int((timeout + 20 * call_timeout + 60) * (os.cpu_count() or 1))
        if zygote.gpu:
            memory_mb = 0
        t0 = time.monotonic()
        self.sock, out_fd, self.root = zygote.spawn({"memory_mb": memory_mb, "cpu_s": cpu_s,
                                                     "fsize_mb": fsize_mb})
        self.spawn_s = time.monotonic() - t0
        self._out = _Drain(out_fd)
        self._tmp = tempfile.mkdtemp(prefix="autograder-returns-")
        self._models: dict[int, tuple[str, Any]] = {}
        self._sent: set[str] = set()

    # lifecycle --------------------------------------------------------------------------------
    def run_notebook(self, notebook_json: str, *, values: dict[str, Any] | None = None,
                     run_all: bool = False, filename: str = "submission.ipynb") -> dict[str, Any]:
        """Execute the notebook in the student process; returns the child's report
        (cell_errors, skipped, executed, timed_out, setup_error) plus `state`."""
        job = {"notebook": notebook_json, "values": values or {}, "run_all": run_all,
               "timeout": self.timeout, "filename": filename}
        try:
            wire.send_msg(self.sock, {"op": "run"}, {"job": pickle.dumps(job)})
            header, _ = wire.recv_msg(self.sock, timeout=self.timeout + GRACE_S,
                                      max_bytes=self.max_bytes)
        except TimeoutError:
            self._die("timeout", f"{self.timeout:g}")
            return {"state": "timeout", "cell_errors": [], "skipped": [], "executed": [],
                    "timed_out": True, "setup_error": None}
        except (EOFError, OSError, wire.WireError) as exc:
            self._die("crashed", str(exc))
            return {"state": "crashed", "cell_errors": [], "skipped": [], "executed": [],
                    "timed_out": False, "setup_error": None}
        report = {k: header.get(k) for k in ("cell_errors", "skipped", "executed", "timed_out",
                                             "setup_error")}
        report = _validate_report(report)
        report["state"] = self.state
        return report

    def _die(self, state: str, detail: str) -> None:
        if self.state == "alive":
            self.state, self.detail = state, detail
        self.zygote.kill_students(self.root)  # None (not identified): kill all students

    def output(self) -> str:
        return self._out.text()

    def close(self) -> None:
        """Kill the student process tree and free everything (idempotent)."""
        if self.state != "closed":
            try:
                self.sock.close()
            except OSError:
                pass
            self.zygote.kill_students(self.root)
            self._out.join(timeout=5)
            shutil.rmtree(self._tmp, ignore_errors=True)
            if self.state == "alive":
                self.state = "closed"

    # requests ---------------------------------------------------------------------------------
    def _check_alive(self, func: str) -> None:
        if self.state == "timeout":
            raise StudentCodeError("timeout", func, self.detail or f"{self.timeout:g}")
        if self.state != "alive":
            raise StudentCodeError("crashed", func, "the student process is no longer running",
                                   exc_type="crash")

    def _request(self, header: dict[str, Any], blobs: dict[str, bytes], func: str,
                 timeout: float, callables: list[Callable[..., Any]] | None = None
                 ) -> tuple[dict[str, Any], dict[str, bytes]]:
        self._check_alive(func)
        deadline = time.monotonic() + timeout + GRACE_S
        try:
            wire.send_msg(self.sock, header, blobs)
            while True:
                left = deadline - time.monotonic()
                rh, rb = wire.recv_msg(self.sock, timeout=max(left, 0.01),
                                       max_bytes=self.max_bytes)
                if rh.get("op") != "callback":
                    return rh, rb
                self._callback(rh, rb, callables or [])
        except TimeoutError:
            self._die("timeout", f"{timeout:g}")
            raise StudentCodeError("timeout", func, f"{timeout:g}") from None
        except wire.WireError as exc:
            self._die("crashed", str(exc))
            kind = "bad_return" if "larger than" in str(exc) else "crashed"
            raise StudentCodeError(kind, func, f"invalid reply: {exc}", exc_type="BadReturn") from None
        except (EOFError, OSError) as exc:
            self._die("crashed", str(exc))
            raise StudentCodeError("crashed", func, "the student process died",
                                   exc_type="crash") from None

    def _callback(self, header: dict[str, Any], blobs: dict[str, bytes],
                  callables: list[Callable[..., Any]]) -> None:
        """The student called a checker-provided function: run it here, reply with its value."""
        try:
            index = header.get("index")
            if not isinstance(index, int) or not 0 <= index < len(callables):
                raise ValueError("unknown callback")
            args, kwargs = wire.decode_return(header.get("value"), blobs, self._tmp)
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise ValueError("malformed callback arguments")
            value = callables[index](*args, **{str(k): v for k, v in kwargs.items()})
            data = pickle.dumps(wire.encode_args(value, self._model_bytes, []))
            wire.send_msg(self.sock, {"ok": True}, {"value": data})
        except Exception as exc:  # noqa: BLE001 - report to the student's call
            wire.send_msg(self.sock, {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]})

    def has(self, func: str) -> bool:
        header, _ = self._request({"op": "has", "func": func}, {}, func, 30)
        return bool(header.get("has"))

    def call(self, func: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Call student function `func`; returns plain data or raises StudentCodeError."""
        callables: list[Callable[..., Any]] = []
        payload = pickle.dumps((wire.encode_args(list(args), self._model_bytes, callables),
                                wire.encode_args(dict(kwargs), self._model_bytes, callables)))
        header, blobs = self._request({"op": "call", "func": func, "timeout": self.call_timeout},
                                      {"args": payload}, func, self.call_timeout, callables)
        return self._result(func, header, blobs)

    def get(self, name: str) -> Any:
        """A top-level value of the student's namespace (same encoding as return values)."""
        header, blobs = self._request({"op": "get", "func": name, "timeout": self.call_timeout},
                                      {}, name, self.call_timeout)
        return self._result(name, header, blobs)

    def _result(self, func: str, header: dict[str, Any], blobs: dict[str, bytes]) -> Any:
        if not header.get("ok"):
            kind = str(header.get("kind", "raised"))
            if kind not in ("not_implemented", "missing", "timeout", "raised", "bad_return"):
                kind = "raised"
            raise StudentCodeError(kind, func, str(header.get("detail", ""))[:300],
                                   exc_type=str(header.get("exc_type", ""))[:100])
        try:
            return wire.decode_return(header.get("value"), blobs, self._tmp)
        except wire.BadReturn as exc:
            raise StudentCodeError("bad_return", func, str(exc)[:300],
                                   exc_type="BadReturn") from None

    def _model_bytes(self, model: Any) -> tuple[str, bytes | None]:
        """Serialise a checker's keras model once per submission (keyed by id and weights)."""
        h = hashlib.blake2b(digest_size=16)
        for w in model.weights:
            h.update(memoryview(w.numpy()).cast("B"))
        key = f"{id(model)}-{h.hexdigest()}"
        self._models[id(model)] = (key, model)  # keep it alive so id() stays unique
        if key in self._sent:
            return key, None
        path = os.path.join(self._tmp, f"arg-{len(self._sent)}.keras")
        model.save(path)
        self._sent.add(key)
        return key, Path(path).read_bytes()


def _validate_report(report: dict[str, Any]) -> dict[str, Any]:
    """Keep only well-typed, bounded fields of the child's execution report."""
    def ints(v: Any) -> list[int]:
        return [x for x in v if isinstance(x, int)][:10_000] if isinstance(v, list) else []

    errors = []
    for e in (report.get("cell_errors") or [])[:1000] if isinstance(report.get("cell_errors"), list) else []:
        if isinstance(e, dict) and isinstance(e.get("cell"), int):
            line = e.get("line")
            errors.append({"cell": e["cell"], "exc_type": str(e.get("exc_type", ""))[:100],
                           "message": str(e.get("message", ""))[:300],
                           "line": line if isinstance(line, int) else None})
    setup = report.get("setup_error")
    return {"cell_errors": errors, "skipped": ints(report.get("skipped")),
            "executed": ints(report.get("executed")), "timed_out": report.get("timed_out") is True,
            "setup_error": str(setup)[:500] if setup else None}


class _Proxy:
    """A student function living in the sandbox; calling it sends a request."""

    def __init__(self, proc: StudentProcess, name: str) -> None:
        self._proc, self.__name__ = proc, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._proc.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<sandboxed student function {self.__name__}>"


class SandboxStudent:
    """The `student` object of hidden tests when grading: `student.mixup` is a proxy callable,
    or None when the notebook does not define it. After the process died or timed out, every
    call raises `StudentCodeError` ("crashed" / "timeout")."""

    def __init__(self, proc: StudentProcess) -> None:
        self._proc = proc
        self._known: dict[str, bool] = {}

    def __getattr__(self, name: str) -> Callable[..., Any] | None:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._known:
            if self._proc.state != "alive":
                return _Proxy(self._proc, name)  # raises crashed/timeout when called
            try:
                self._known[name] = self._proc.has(name)
            except StudentCodeError:
                return _Proxy(self._proc, name)
        return _Proxy(self._proc, name) if self._known[name] else None

    def global_value(self, name: str) -> Any:
        """A top-level (non-function) value of the student's notebook, as plain data."""
        return self._proc.get(name)
