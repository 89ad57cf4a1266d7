"""The `student` object hidden tests call when grading, and its restart policy.

`SandboxStudent(proc)`: `student.mixup` is a proxy callable into the sandboxed process, or None
when the notebook does not define it. `RestartingStudent` adds the policy: when the process dies
during a call, the next test gets a fresh process that re-ran the notebook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograder.errors import StudentCodeError
from autograder.sandbox import zygote
from autograder.sandbox.cells import RunReport
from autograder.sandbox.host import StudentProcess


class _Proxy:
    """A student function living in the sandbox; calling it sends a request."""

    def __init__(self, proc: StudentProcess, name: str) -> None:
        self._proc, self.__name__ = proc, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._proc.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<sandboxed student function {self.__name__}>"

    def __memo_key__(self) -> tuple[Any, str] | None:
        """Identity for `checks.memo.per_run`: this function of this live process (None once
        the process died or timed out)."""
        return (self._proc, self.__name__) if self._proc.state == "alive" else None


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


class RestartingStudent:
    """The `student` of one submission. When its process dies during a call (`os._exit`, a
    kill, a per-call timeout), the next test gets a fresh process that re-ran the notebook, so
    only the tests that hit the failure lose points. At most `max_restarts`; without `launch`
    (the notebook itself crashed or timed out) nothing is restarted."""

    def __init__(self, proc: StudentProcess,
                 launch: Callable[[], tuple[StudentProcess, RunReport]] | None,
                 max_restarts: int = 2) -> None:
        self._student = SandboxStudent(proc)
        self._proc = proc
        self._launch = launch
        self._left = max_restarts

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._proc.state in ("crashed", "timeout") and self._launch and self._left > 0:
            self._left -= 1
            spent = self._proc.byte_budget
            self._proc, report = self._launch()
            self._proc.byte_budget = spent  # the byte budget is per student, not per process
            self._student = SandboxStudent(self._proc)
            if report.state != "alive":
                self._launch = None
        return getattr(self._student, name)


def start_student(zygote_kw: dict[str, Any], proc_kw: dict[str, Any]) -> StudentProcess:
    """A fresh student process; if the warm zygote is gone (e.g. a previous student killed
    it), start a new zygote once and retry."""
    try:
        return StudentProcess(zygote.get_zygote(**zygote_kw), **proc_kw)
    except (OSError, RuntimeError, EOFError):
        zygote.discard_zygote(**zygote_kw)
        return StudentProcess(zygote.get_zygote(**zygote_kw), **proc_kw)

