"""How a prepared notebook is run and who the hidden suite calls: the `Runner`s.

`SandboxRunner` (grading): a fresh sandboxed student process per submission, restarted when it
dies during a call, all under one time budget. `InProcessRunner` (trusted notebooks only: the
references, the kit's own fixtures): the same cell loop (`sandbox.cells.run_cells`) in this
process. Both return the same `RunReport`, so `grading.pipeline` builds the same result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from autograder.model import Isolation, IsolationMode
from autograder.sandbox.cells import RunReport
from autograder.sandbox.host import Budget, StudentProcess
from autograder.sandbox.isolation import requested_mode
from autograder.sandbox.proxy import RestartingStudent, start_student

if TYPE_CHECKING:
    from autograder.grading.pipeline import GradingOptions


def real_data(values: dict[str, Any]) -> bool:
    """Whether profile `values` load real tfds data (not mock data)."""
    return str(values.get("DATA") or "").lower() in ("tfds", "real")


def _sandbox_settings(values: dict[str, Any]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Read-only binds and env for real data/weights caches (profiles that use them)."""
    if not real_data(values):
        return (), ()
    try:
        from autograder.data import caches

        binds = [str(p) for p in (caches.tfds_data_dir(), caches.keras_models_dir()) if p.exists()]
        env = dict(caches.cache_env())
        env.setdefault("TFDS_DATA_DIR", str(caches.tfds_data_dir()))
        env.setdefault("KERAS_HOME", str(caches.keras_models_dir().parent))
        return tuple(binds), tuple(sorted(env.items()))
    except Exception:  # noqa: BLE001 - no caches: the student's loading code reports it
        return (), ()


@dataclass(frozen=True)
class RunJob:
    """A prepared notebook (profile injected, cells numbered) and how to run it."""

    notebook_json: str
    values: dict[str, Any]
    options: GradingOptions
    filename: str


class Runner(Protocol):
    """Executes a `RunJob` and provides the `student` object the hidden suite calls."""

    isolation: Isolation
    restarts: int  # processes started after the first (each re-ran the notebook)

    def start(self, job: RunJob) -> tuple[Any, RunReport]: ...

    def close(self) -> str:
        """Stop everything started; return the tail of the notebook's output."""
        ...


class SandboxRunner:
    """A fresh sandboxed student process per submission, restarted (re-running the notebook)
    when it dies during a call (`RestartingStudent`)."""

    def __init__(self) -> None:
        self.isolation = Isolation()
        self._procs: list[StudentProcess] = []

    def start(self, job: RunJob) -> tuple[Any, RunReport]:
        opts = job.options
        binds, env = _sandbox_settings(job.values)

        budget = Budget.start(opts.effective_deadline())

        def launch() -> tuple[StudentProcess, RunReport]:
            proc = start_student(dict(gpu=opts.gpu, ro_binds=binds, env=env,
                                      mode=requested_mode(opts.isolation)),
                                 dict(memory_mb=opts.memory_mb, timeout=opts.timeout,
                                      call_timeout=opts.call_timeout, budget=budget))
            self._procs.append(proc)
            return proc, proc.run_notebook(job.notebook_json, values=job.values,
                                           run_all=opts.run_all, filename=job.filename)

        proc, report = launch()
        self.isolation = proc.zygote.isolation
        return RestartingStudent(proc, launch if report.state == "alive" else None), report

    @property
    def restarts(self) -> int:
        return max(0, len(self._procs) - 1)

    def close(self) -> str:
        for proc in self._procs:
            proc.close()
        return self._procs[-1].output() if self._procs else ""


class InProcessRunner:
    """Trusted notebooks only (references, the kit's own fixtures): the same cell loop
    (`sandbox.cells.run_cells`) in this process, no sandbox, output captured."""

    isolation = Isolation(IsolationMode.IN_PROCESS)
    restarts = 0

    def __init__(self) -> None:
        import contextlib

        self._stack = contextlib.ExitStack()
        self._sink: Any = None

    def start(self, job: RunJob) -> tuple[Any, RunReport]:
        import contextlib
        import io
        import os

        from autograder.data.modes import open_data_mode
        from autograder.grading.suite import NamespaceStudent
        from autograder.sandbox.cells import run_cells

        os.environ.setdefault("MPLBACKEND", "Agg")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        mode, setup_error = open_data_mode(job.values)
        self._stack.enter_context(mode)  # open until close(): the suite loads data too
        self._sink = io.StringIO()
        ns: dict[str, Any] = {"__name__": "__main__"}
        with contextlib.redirect_stdout(self._sink), contextlib.redirect_stderr(self._sink):
            report = run_cells(job.notebook_json, ns, run_all=job.options.run_all,
                               timeout=job.options.timeout)
        report.setup_error = setup_error
        return NamespaceStudent(ns), report

    def close(self) -> str:
        self._stack.close()
        return self._sink.getvalue()[-4000:] if self._sink is not None else ""
