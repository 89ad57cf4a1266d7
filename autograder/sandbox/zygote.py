"""The warm zygote: a sandboxed interpreter that imported TensorFlow/Keras/NumPy/TFDS/matplotlib
but ran no TF op, and forks one student process per submission (`autograder.sandbox.guest`).

One zygote per grader process and settings (`get_zygote`), started with `subprocess` (so the grader
may already have run TF ops), isolated as `autograder.sandbox.isolation` describes, restarted when
it died. `Zygote.kill_students` SIGKILLs a student's process tree and any orphan the zygote (a child
subreaper) adopted.
"""

from __future__ import annotations

import atexit
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from autograder.model import Isolation, IsolationFeature, IsolationMode
from autograder.sandbox import cgroups, seccomp, wire
from autograder.sandbox.isolation import (
    BWRAP_ENV,
    PACKAGE_DIR,
    IsolationUnavailable,
    bwrap_command,
    guest_tree,
    pids_max,
    require_sandbox,
    scrubbed_env,
    user_tasks,
)

ZYGOTE_START_TIMEOUT = 180.0
F = IsolationFeature
SANDBOX_FEATURES = (F.USER_NAMESPACE, F.MINIMAL_ROOT, F.NO_NETWORK, F.PID_NAMESPACE,
                    F.NO_CAPABILITIES, F.BOUNDED_TMPFS)


class Zygote:
    """A warm, sandboxed interpreter that forks one student process per submission.

    `mode=SANDBOX` fails closed: `IsolationUnavailable` when bubblewrap cannot run here (also
    when it starts but the zygote inside does not come up); never a silent fallback."""

    # ~60 lines: one start-up sequence (command, launch, handshake, cgroup, identity checks)
    # whose failure paths must all close what was started.
    def __init__(self, *, gpu: bool = False, ro_binds: list[str] | None = None,
                 env: dict[str, str] | None = None,
                 mode: IsolationMode = IsolationMode.SANDBOX) -> None:
        self.gpu, self.mode = gpu, mode
        self.cgroup: cgroups.StudentCgroup | None = None
        self.owner = os.getpid()
        self._ctrl, child = socket.socketpair()
        self._log = tempfile.TemporaryFile()
        self._hostdir: str | None = None
        self._guest: str | None = None
        base_env = scrubbed_env(gpu, env)
        inner = [sys.executable, "-m", "autograder.sandbox.guest", "--zygote", "--fd",
                 str(child.fileno())]
        features: list[IsolationFeature] = [F.RLIMITS]
        pass_fds = [child.fileno()]
        if mode == IsolationMode.SANDBOX:
            bwrap = require_sandbox()
            self._guest = guest_tree()
            seccomp_fd = seccomp.program_fd()
            if seccomp_fd is not None:
                pass_fds.append(seccomp_fd)
                features.append(F.SECCOMP)
            cmd = bwrap_command(bwrap, gpu, base_env, list(ro_binds or []), self._guest,
                                seccomp_fd) + inner
            popen_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            self.wipe = ["/tmp", "/dev/shm"]
            self.unshare_net = False
            features += SANDBOX_FEATURES
        else:
            seccomp_fd = None
            cmd = inner
            popen_env = dict(base_env, PYTHONPATH=str(PACKAGE_DIR.parent))
            self._hostdir = tempfile.mkdtemp(prefix="autograder-sandbox-")
            self.wipe = [self._hostdir]
            self.unshare_net = os.geteuid() == 0
            if self.unshare_net:
                features.append(F.NO_NETWORK)
        self.workdir_base = self.wipe[0]
        t0 = time.monotonic()
        try:
            self.proc = subprocess.Popen(cmd, pass_fds=pass_fds, env=popen_env,
                                         stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=self._log, start_new_session=True,
                                         cwd="/" if self._guest else self.workdir_base)
        finally:
            child.close()
            if seccomp_fd is not None:
                os.close(seccomp_fd)
        self._await_ready(mode)
        self.startup_s = time.monotonic() - t0
        self.cgroups = cgroups.available()
        if self.cgroups:
            features.append(F.CGROUP)
            self._zygote_cgroup()
        self.isolation = Isolation(mode, tuple(features), pids_max() if self.cgroups else None)
        self.protected = self._tree_pids() | {self.proc.pid}
        self.zygote_pid = self._find_zygote_pid()
        self.roots: set[int] = set()  # host pids of live student processes
        self.nproc = user_tasks() + 512
        self._lock = threading.Lock()
        self._spawned = 0

    def _await_ready(self, mode: IsolationMode) -> None:
        try:
            header, _ = wire.recv_msg(self._ctrl, timeout=ZYGOTE_START_TIMEOUT)
        except (EOFError, TimeoutError, wire.WireError) as exc:
            log = self.log_tail()
            self.close()
            if mode == IsolationMode.SANDBOX:
                from autograder.messages import DEFAULT_LANG, msg

                raise IsolationUnavailable(msg("grader", "isolation_unavailable", DEFAULT_LANG,
                                               detail=f"{exc}: {log.strip()[-300:]}")) from exc
            raise RuntimeError(f"sandbox zygote failed to start ({exc}): {log}") from exc
        if header.get("op") != "ready":
            self.close()
            raise RuntimeError("sandbox zygote sent an unexpected message")
        self.preload_failed = list(header.get("failed", []))
        if mode == IsolationMode.SANDBOX and header.get("pid") != seccomp.ZYGOTE_PID:
            self.close()  # the seccomp rule that shields the zygote would miss it
            raise IsolationUnavailable(f"sandbox zygote runs as pid {header.get('pid')} in its "
                                       f"namespace, expected {seccomp.ZYGOTE_PID}")

    def _zygote_cgroup(self) -> None:
        """The zygote's own tree (bwrap + interpreter) in a pids cgroup, so a student that
        escaped its own group could still not fork-bomb the host."""
        cgroups.remove_stale()
        try:
            self.cgroup = cgroups.StudentCgroup.create(
                f"autograder-{os.getpid()}-zygote-{time.monotonic_ns()}",
                cgroups.Limits(0, pids_max(), float(os.cpu_count() or 1)))
            for pid in self._tree_pids() | {self.proc.pid}:
                self.cgroup.add(pid)
        except OSError:
            pass

    def student_cgroup(self, limits: cgroups.Limits) -> cgroups.StudentCgroup | None:
        """A fresh cgroup for the next student (None where cgroups are unavailable)."""
        if not self.cgroups:
            return None
        self._spawned += 1
        return cgroups.StudentCgroup.create(f"autograder-{os.getpid()}-{time.monotonic_ns()}"
                                            f"-{self._spawned}", limits)

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
                        "autograder.sandbox.guest" in cmd:
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
                    nproc=self.nproc, wipe=self.wipe)
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
        if self.cgroup is not None:
            self.cgroup.kill()
            self.cgroup.remove()
            self.cgroup = None
        for d in (self._hostdir, self._guest):
            if d:
                shutil.rmtree(d, ignore_errors=True)
        self._log.close()


_ZYGOTES: dict[tuple[Any, ...], Zygote] = {}


ZygoteKey = tuple[Any, ...]


def _key(gpu: bool, ro_binds: tuple[str, ...], env: tuple[tuple[str, str], ...],
         mode: IsolationMode) -> ZygoteKey:
    # the bwrap override is part of the key: a zygote started by another bwrap is not reused
    return (gpu, ro_binds, env, mode, os.environ.get("AUTOGRADER_SANDBOX_PRELOAD"), pids_max(),
            os.environ.get(BWRAP_ENV))


def get_zygote(gpu: bool = False, ro_binds: tuple[str, ...] = (),
               env: tuple[tuple[str, str], ...] = (),
               mode: IsolationMode = IsolationMode.SANDBOX) -> Zygote:
    """The warm zygote of this grader process for these settings (restarted if it died).
    Raises `IsolationUnavailable` when `mode` is SANDBOX and the sandbox cannot run here."""
    key = _key(gpu, ro_binds, env, mode)
    z = _ZYGOTES.get(key)
    if z is not None and z.owner != os.getpid():  # inherited through fork: not ours to use
        _ZYGOTES.clear()
        z = None
    if z is None or not z.alive():
        if z is not None:
            z.close()
        z = Zygote(gpu=gpu, ro_binds=list(ro_binds), env=dict(env), mode=mode)
        _ZYGOTES[key] = z
    return z


def discard_zygote(gpu: bool = False, ro_binds: tuple[str, ...] = (),
                   env: tuple[tuple[str, str], ...] = (),
                   mode: IsolationMode = IsolationMode.SANDBOX) -> None:
    """Stop and forget the zygote for these settings (the next `get_zygote` starts a new one)."""
    z = _ZYGOTES.pop(_key(gpu, ro_binds, env, mode), None)
    if z is not None:
        z.close()


@atexit.register
def shutdown() -> None:
    """Stop every zygote of this process."""
    for z in list(_ZYGOTES.values()):
        if z.owner == os.getpid():
            z.close()
    _ZYGOTES.clear()
