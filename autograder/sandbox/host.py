"""Host side of the sandbox: one `StudentProcess` per submission, forked by the warm zygote.

Trust model: the grader (this process) is trusted and runs the checks; student code runs in a
separate process forked from the zygote (`autograder.sandbox.zygote`), isolated as
`autograder.sandbox.isolation` describes. Before it runs anything, each student process is moved
into its own cgroup (`sandbox.cgroups`: memory incl. tmpfs, pids, CPU) and is killed as a group
when done; it also gets RLIMIT_AS (not under --gpu)/CPU/FSIZE/NPROC/CORE limits, a scrubbed
environment, a soft (in-process) and a hard (kill) wall-clock timeout for the notebook and for
every call, all clipped to the submission's `Budget` (notebook + calls + restarts: past it every
request fails at once with StudentErrorKind.DEADLINE), and bounded output (last `OUTPUT_TAIL`
bytes kept). Orphans the zygote (a child subreaper) adopted are killed too.

Values cross as described in `autograder.sandbox.wire` (pickle only towards the guest).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.errors import StudentCodeError
from autograder.sandbox import modelbound, wire
from autograder.sandbox.cells import RunReport
from autograder.sandbox.cgroups import Limits, StudentCgroup
from autograder.sandbox.isolation import pids_max
from autograder.sandbox.zygote import Zygote

OUTPUT_TAIL = 64 * 1024
GRACE_S = 10.0
DEFAULT_MEMORY_MB = 3000
DEFAULT_TIMEOUT = 300.0  # executing the notebook's cells
DEFAULT_CALL_TIMEOUT = 60.0  # one call into a student function
DEFAULT_DEADLINE = 300.0  # the whole submission: notebook + every call + restarts
DEFAULT_CHECK_TIMEOUT = 60.0  # student models' run time in one hidden test (grader side)
DEFAULT_FSIZE_MB = 256
HAS_TIMEOUT = 10.0


@dataclass(frozen=True)
class Budget:
    """The wall-clock budget of one submission (notebook, every call, restarts): `seconds`
    from creation; past `end` every request fails at once with StudentErrorKind.DEADLINE."""

    seconds: float
    end: float

    @classmethod
    def start(cls, seconds: float) -> Budget:
        return cls(seconds, time.monotonic() + seconds)

    def left(self) -> float:
        return self.end - time.monotonic()

    def clip(self, timeout: float) -> tuple[float, bool]:
        """(min(timeout, time left), whether the budget is what limits it)."""
        left = self.left()
        return (left, True) if left < timeout else (timeout, False)


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


# a checker model's saved .keras bytes, per grader process (key: id + weights digest); the
# per-worker probe models of `checks.memo` are saved once, not once per student
SAVED_MODELS = 32
SAVED_BYTES = 256 * 1024 * 1024  # at most this much held; a model over a quarter is not kept
_SAVED: dict[str, tuple[Any, bytes]] = {}


class StudentProcess:
    """One submission's sandboxed process: run its notebook, then proxy calls into it."""

    def __init__(self, zygote: Zygote, *, memory_mb: int = DEFAULT_MEMORY_MB,
                 timeout: float = DEFAULT_TIMEOUT, call_timeout: float = DEFAULT_CALL_TIMEOUT,
                 fsize_mb: int = DEFAULT_FSIZE_MB, max_bytes: int = wire.DEFAULT_MAX_BYTES,
                 budget: Budget | None = None,
                 byte_budget: wire.ByteBudget | None = None) -> None:
        self.zygote = zygote
        self.timeout, self.call_timeout, self.max_bytes = timeout, call_timeout, max_bytes
        self.budget = budget or Budget.start(DEFAULT_DEADLINE + timeout)  # wall-clock
        self.byte_budget = byte_budget or wire.ByteBudget()  # bytes this student may still send
        self.state = "alive"  # "alive" | "timeout" | "deadline" | "crashed" | "closed"
        self.detail = ""
        self.cgroup: StudentCgroup | None = None
        # RLIMIT_CPU is a backstop (the wall-clock budget is the real bound); CPU time adds up
        # over all cores, so scale it. RLIMIT_AS breaks CUDA's address-space reservations: GPU
        # students get only the cgroup's memory bound.
        cpu_s = int((self.budget.seconds + 60) * (os.cpu_count() or 1))
        t0 = time.monotonic()
        self.sock, out_fd, self.root = zygote.spawn({
            "memory_mb": 0 if zygote.gpu else memory_mb, "cpu_s": cpu_s, "fsize_mb": fsize_mb})
        self._out = _Drain(out_fd)
        self._tmp = tempfile.mkdtemp(prefix="autograder-returns-")
        self._models: dict[int, tuple[str, Any]] = {}
        self._sent: set[str] = set()
        try:
            self._account(memory_mb)
        except BaseException:
            self.close()
            raise
        self.spawn_s = time.monotonic() - t0

    def _account(self, memory_mb: int) -> None:
        """Move the (still idle) student into its own cgroup before it runs anything."""
        if not self.zygote.cgroups:
            return
        if self.root is None:
            raise RuntimeError("could not identify the student process to account it")
        self.cgroup = self.zygote.student_cgroup(
            Limits(memory_mb, pids_max(), float(os.cpu_count() or 1)))
        if self.cgroup is not None:
            self.cgroup.add(self.root)

    # lifecycle --------------------------------------------------------------------------------
    def run_notebook(self, notebook_json: str, *, values: dict[str, Any] | None = None,
                     run_all: bool = False, filename: str = "submission.ipynb") -> RunReport:
        """Execute the notebook in the student process; the child's report (validated and
        bounded) with `state` set: "alive", "timeout" or "crashed"."""
        timeout, by_budget = self.budget.clip(self.timeout)
        if timeout <= 0:
            self._die("deadline", f"{self.budget.seconds:g}")
            return RunReport(timed_out=True, state="deadline")
        job = {"notebook": notebook_json, "values": values or {}, "run_all": run_all,
               "timeout": timeout, "filename": filename}
        try:
            wire.send_msg(self.sock, {"op": "run"}, {"job": pickle.dumps(job)})
            header, _ = wire.recv_msg(self.sock, timeout=timeout + GRACE_S,
                                      max_bytes=self.max_bytes)
        except TimeoutError:
            state = "deadline" if by_budget else "timeout"
            self._die(state, f"{self.budget.seconds if by_budget else self.timeout:g}")
            return RunReport(timed_out=True, state=state)
        except (EOFError, OSError, wire.WireError) as exc:
            self._die("crashed", str(exc))
            return RunReport(state="crashed")
        report = RunReport.from_wire(header)
        report.state = self.state
        if report.timed_out and by_budget:
            self._die("deadline", f"{self.budget.seconds:g}")
            report.state = self.state
        return report

    def _die(self, state: str, detail: str) -> None:
        if self.state == "alive":
            self.state, self.detail = state, detail
        self._kill()

    def _kill(self) -> None:
        if self.cgroup is not None:
            self.cgroup.kill()  # every task of this student, wherever it forked or detached
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
            self._kill()
            if self.cgroup is not None:
                self.cgroup.remove()
            self._out.join(timeout=5)
            shutil.rmtree(self._tmp, ignore_errors=True)
            if self.state == "alive":
                self.state = "closed"

    # requests ---------------------------------------------------------------------------------
    def _check_alive(self, func: str) -> None:
        if self.state == "deadline" or self.budget.left() <= 0:
            if self.state == "alive":
                self._die("deadline", f"{self.budget.seconds:g}")
            raise StudentCodeError("deadline", func, f"{self.budget.seconds:g}")
        if self.state == "timeout":
            raise StudentCodeError("timeout", func, self.detail or f"{self.timeout:g}")
        if self.state != "alive":
            raise StudentCodeError("crashed", func, "the student process is no longer running",
                                   exc_type="crash")

    def _request(self, header: dict[str, Any], blobs: dict[str, bytes], func: str,
                 timeout: float, callables: list[Callable[..., Any]] | None = None
                 ) -> tuple[dict[str, Any], dict[str, bytearray]]:
        """Send one request, serve the student's callbacks, return the reply. Every reply is
        charged to `self.byte_budget`; one larger than the message cap or the bytes left kills the
        process (its unread bytes would desynchronise the stream) and fails as over_budget."""
        self._check_alive(func)
        timeout, by_budget = self.budget.clip(timeout)
        header = dict(header, timeout=timeout) if "timeout" in header else header
        if self.byte_budget.left <= 0:
            raise StudentCodeError("over_budget", func, self._spent())
        deadline = time.monotonic() + timeout + GRACE_S
        try:
            wire.send_msg(self.sock, header, blobs)
            while True:
                left = deadline - time.monotonic()
                rh, rb = wire.recv_msg(self.sock, timeout=max(left, 0.01),
                                       max_bytes=min(self.max_bytes, self.byte_budget.left))
                self.byte_budget.charge(rb)
                if rh.get("op") != "callback":
                    return rh, rb
                self._callback(rh, rb, callables or [])
        except TimeoutError:
            if by_budget:
                self._die("deadline", f"{self.budget.seconds:g}")
                raise StudentCodeError("deadline", func, f"{self.budget.seconds:g}") from None
            self._die("timeout", f"{timeout:g}")
            raise StudentCodeError("timeout", func, f"{timeout:g}") from None
        except wire.TooLarge:
            self._die("crashed", "reply over budget")
            raise StudentCodeError("over_budget", func, self._spent(), exc_type="OverBudget"
                                   ) from None
        except wire.WireError as exc:
            self._die("crashed", str(exc))
            raise StudentCodeError("bad_return", func, f"invalid reply: {exc}",
                                   exc_type="BadReturn") from None
        except (EOFError, OSError) as exc:
            self._die("crashed", str(exc))
            raise StudentCodeError("crashed", func, "the student process died",
                                   exc_type="crash") from None

    def _spent(self) -> str:
        mib = 1024 * 1024
        return (f"a reply may hold at most "
                f"{min(self.max_bytes, max(self.byte_budget.left, 0)) // mib} MiB; "
                f"{self.byte_budget.total // mib} MiB per submission")

    def _callback(self, header: dict[str, Any], blobs: dict[str, bytearray],
                  callables: list[Callable[..., Any]]) -> None:
        """The student called a checker-provided function: run it here, reply with its value."""
        try:
            index = header.get("index")
            if not isinstance(index, int) or not 0 <= index < len(callables):
                raise ValueError("unknown callback")
            args, kwargs = wire.decode_return(header.get("value"), blobs)
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise ValueError("malformed callback arguments")
            value = callables[index](*args, **{str(k): v for k, v in kwargs.items()})
            data = pickle.dumps(wire.encode_args(value, self._model_bytes, []))
            wire.send_msg(self.sock, {"ok": True}, {"value": data})
        except Exception as exc:  # noqa: BLE001 - report to the student's call
            wire.send_msg(self.sock, {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]})

    def has(self, func: str) -> bool:
        header, _ = self._request({"op": "has", "func": func}, {}, func, HAS_TIMEOUT)
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

    def _result(self, func: str, header: dict[str, Any], blobs: dict[str, bytearray]) -> Any:
        if not header.get("ok"):
            kind = str(header.get("kind", "raised"))
            if kind not in ("not_implemented", "missing", "timeout", "raised", "bad_return"):
                kind = "raised"
            detail = str(header.get("detail", ""))[:300]
            if kind == "timeout" and self.budget.left() <= 1.0:  # the budget's soft timeout
                self._die("deadline", f"{self.budget.seconds:g}")
                kind, detail = "deadline", f"{self.budget.seconds:g}"
            raise StudentCodeError(kind, func, detail,
                                   exc_type=str(header.get("exc_type", ""))[:100])
        try:
            value = wire.decode_return(header.get("value"), blobs)
        except wire.OverBudget as exc:
            raise StudentCodeError("over_budget", func, str(exc)[:300],
                                   exc_type="OverBudget") from None
        except wire.BadReturn as exc:
            raise StudentCodeError("bad_return", func, str(exc)[:300],
                                   exc_type="BadReturn") from None
        except RecursionError:
            raise StudentCodeError("bad_return", func, "value nested too deeply",
                                   exc_type="BadReturn") from None
        if "autograder.sandbox.modelbound" in sys.modules:  # a model came back: name its source
            sys.modules["autograder.sandbox.modelbound"].tag(value, func)
        return value

    def _model_bytes(self, model: Any) -> tuple[str, bytes | None]:
        """Serialise a checker's keras model once per submission (keyed by id and weights)."""
        h = hashlib.blake2b(digest_size=16)
        for w in model.weights:
            h.update(memoryview(w.numpy()).cast("B"))
        key = f"{id(model)}-{h.hexdigest()}"
        self._models[id(model)] = (key, model)  # keep it alive so id() stays unique
        if key in self._sent:
            return key, None
        self._sent.add(key)
        saved = _SAVED.get(key)
        if saved is not None and saved[0] is model:  # a per-worker probe model sent before
            return key, saved[1]
        t0 = time.monotonic()
        path = os.path.join(self._tmp, f"arg-{len(self._sent)}.keras")
        model.save(path)
        data = Path(path).read_bytes()
        if len(data) <= SAVED_BYTES // 4:
            while _SAVED and (len(_SAVED) >= SAVED_MODELS or
                              sum(len(b) for _, b in _SAVED.values()) + len(data) > SAVED_BYTES):
                _SAVED.pop(next(iter(_SAVED)))
            _SAVED[key] = (model, data)  # holds the model: its id() stays unique while cached
        modelbound.add_transfer_time(time.monotonic() - t0)
        return key, data
