"""Grade many notebooks: one `Task` type, executors from the registry, resumable output.

The driver reads each notebook's bytes once and makes a `Task` (bytes, file name, student id,
frozen `GradingOptions`); a worker grades a task with no shared filesystem (the assignment is
loaded once per worker). Each result is written to `OUTDIR/<student>/record.json` as soon as it
is known (`store.StudentFolder`), then `on_result(result)` runs; a re-run reuses a record whose
fingerprint matches (same notebook bytes, assignment and options), unless `force`.
Identical notebooks (same bytes) are graded once per batch (`dedupe`): the others get a copy of
that result under their own name; `BatchStats` counts graded, resumed and deduplicated students.
`jobs="auto"` sizes the worker pool with `grading.capacity.auto_jobs`.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.assignment import Assignment
from autograder.assignment import load as load_assignment
from autograder.errors import NotebookError
from autograder.grading.discover import safe_id
from autograder.grading.evaluator import EvaluatorLimits
from autograder.grading.executors import ExecutorOptions, TaskTimeout, WorkerLost
from autograder.grading.pipeline import (
    GradingOptions,
    as_assignment,
    failed_result,
    internal_error_result,
    require_data,
)
from autograder.grading.store import StudentFolder
from autograder.messages import msg
from autograder.model import RunError, SubmissionResult, Timings
from autograder.notebook_io import read_bytes
from autograder.sandbox.isolation import IsolationUnavailable

ProgressFn = Callable[[int, int, SubmissionResult], None]
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Task:
    """One student's grading job: everything a worker needs, no shared filesystem."""

    student: str
    filename: str  # the notebook's file name (the student process sees it)
    notebook: str  # the path shown in reports
    data: bytes | None  # None: the file could not be read (missing, a folder, unreadable)
    assignment_dir: str
    options: GradingOptions


@dataclass
class BatchStats:
    """What a batch did: students `graded` (worker runs), `resumed` from earlier records,
    `deduplicated` (copies of an identical notebook's result) and the worker count `jobs`."""

    graded: int = 0
    resumed: int = 0
    deduplicated: int = 0
    jobs: int = 0
    duplicates: dict[str, str] = field(default_factory=dict)  # student -> graded twin


_WORKER_ASSIGNMENTS: dict[str, Assignment] = {}


def _worker_assignment(directory: str) -> Assignment:
    """The assignment, loaded once per worker process."""
    a = _WORKER_ASSIGNMENTS.get(directory)
    if a is None:
        a = _WORKER_ASSIGNMENTS[directory] = load_assignment(directory)
    return a


def grade_task(task: Task) -> SubmissionResult:
    """Worker entry point (picklable): grade one task, never raising."""
    from autograder.checks import memo
    from autograder.grading import pipeline

    a = _worker_assignment(task.assignment_dir)
    try:
        # sandboxed: students only ever get copies of the shared probes
        with memo.active(task.options.memo):
            if task.data is None:
                return pipeline.grade_notebook(task.notebook, a, student_id=task.student,
                                               **task.options.as_kwargs())
            return pipeline.grade_source(task.data, task.filename, a, task.options,
                                         student_id=task.student, notebook=task.notebook)
    except IsolationUnavailable:
        raise  # the host's problem, not the student's: stop the batch (exit 2)
    except Exception as exc:  # noqa: BLE001 - one notebook never stops the batch
        return internal_error_result(task.student, task.notebook, a, task.options, exc)


def warm_worker(memory_mb: int | None = None) -> None:
    """Executor `setup()` hook: the evaluator's memory limit (`memory_mb`: soft RLIMIT_AS),
    then start this worker's zygote and import TensorFlow before the first task (TF only when
    the sandbox preloads it: AUTOGRADER_SANDBOX_PRELOAD unset or naming it). The two overlap:
    TensorFlow is imported from a thread while this thread waits for the zygote's sandboxed
    interpreter (GIL released). The zygote must start from this thread: bubblewrap's
    `--die-with-parent` ends it when the thread that started it ends."""
    import multiprocessing.util
    import threading

    from autograder.grading.executors.local import limit_memory
    from autograder.sandbox import zygote

    limit_memory(memory_mb)

    # pool workers leave through os._exit (no atexit): stop the zygote via multiprocessing
    multiprocessing.util.Finalize(None, zygote.shutdown, exitpriority=10)
    failed: list[BaseException] = []

    def import_tensorflow() -> None:
        try:
            import tensorflow  # noqa: F401
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            failed.append(exc)

    importer = None
    if "tensorflow" in os.environ.get("AUTOGRADER_SANDBOX_PRELOAD", "tensorflow"):
        importer = threading.Thread(target=import_tensorflow, name="import-tf", daemon=True)
        importer.start()
    try:
        zygote.get_zygote()
    finally:
        if importer is not None:
            importer.join()
    if failed:
        raise failed[0]


def student_ids(paths: Sequence[PathLike | tuple[str, PathLike]]) -> list[tuple[str, Path]]:
    """(student id, path) pairs: explicit ids kept (made folder-safe), else the file stem;
    duplicate stems get the parent folder's name prefixed, then a counter."""
    pairs = [(safe_id(str(p[0])), Path(p[1])) if isinstance(p, tuple) else (None, Path(p))
             for p in paths]
    stems = [p.stem for s, p in pairs if s is None]
    out: list[tuple[str, Path]] = []
    used: set[str] = set()
    for sid, p in pairs:
        if sid is None:
            sid = safe_id(f"{p.parent.name}_{p.stem}" if stems.count(p.stem) > 1 else p.stem)
        base, n = sid, 2
        while sid in used:
            sid, n = f"{base}-{n}", n + 1
        used.add(sid)
        out.append((sid, p))
    return out


def make_task(student: str, path: Path, assignment: Assignment,
              options: GradingOptions) -> Task:
    """Read the notebook's bytes once (None when it cannot be read: the worker then reports
    why, e.g. missing file or a folder)."""
    try:
        data: bytes | None = read_bytes(path)
    except (OSError, NotebookError):  # the worker reports it (too large, a folder, ...)
        data = None
    return Task(student=student, filename=path.name, notebook=str(path), data=data,
                assignment_dir=str(assignment.directory), options=options)


# ~60 lines: resume, executor loop and progress in one place so every record is written
# exactly once, as it arrives.
def grade_batch(
    paths: Sequence[PathLike | tuple[str, PathLike]],
    assignment: Assignment | str,
    outdir: PathLike,
    *,
    jobs: int | str = 1,
    force: bool = False,
    dedupe: bool = True,
    stats: BatchStats | None = None,
    progress: bool | ProgressFn = True,
    on_result: Callable[[SubmissionResult], None] | None = None,
    backend: str = "local",
    address: str | None = None,
    **options: Any,
) -> list[SubmissionResult]:
    """Grade many notebooks; returns results in input order.

    `backend`: an executor from the registry (`local`, `ray`); `address`: the cluster to use
    (backend `ray`: "auto" or HOST:PORT).
    `paths`: notebook paths or (student_id, path) pairs; `options`: `GradingOptions` fields.
    `progress`: True (a bar on stderr), False, or `fn(done, total, result)`. A notebook that
    breaks anything still gets a result with `error`; the batch continues. `jobs`: a count or
    "auto" (`capacity.auto_jobs`); `dedupe`: grade identical notebooks once; `stats`: filled in.
    """
    a = as_assignment(assignment)
    opts = GradingOptions(**options)
    require_data(a, opts.profile)  # once per batch: a setup problem stops before any work
    fixed = opts  # the fingerprint names a probe seed only when one was given
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, SubmissionResult] = {}
    todo: list[Task] = []
    prints: dict[str, dict[str, Any]] = {}
    pairs = student_ids(paths)
    opts = opts.with_probe_seed()  # one secret probe seed per batch, unless given
    for sid, p in pairs:
        task = make_task(sid, p, a, opts)
        prints[sid] = fixed.fingerprint(a, task.data)
        done = None if force else StudentFolder(outdir, sid).load_record(prints[sid])
        if done is not None:
            results[sid] = done
        else:
            todo.append(task)
    stats = stats if stats is not None else BatchStats()
    stats.resumed = len(results)
    todo, twins = _unique(todo, prints) if dedupe else (todo, {})
    stats.graded = len(todo)
    stats.deduplicated = sum(len(v) for v in twins.values())
    bar = progress if callable(progress) else Progress(len(pairs), quiet=not progress)
    tick = _counter(bar, len(pairs))
    for r in results.values():
        tick(r)
    if jobs == "auto":  # ray: 1 = as many actors as the cluster's resources allow
        from autograder.grading.capacity import auto_jobs

        jobs = auto_jobs(opts.memory_mb, len(todo)) if backend == "local" else 1
    stats.jobs = int(jobs)
    limits = EvaluatorLimits.for_options(opts)
    executor = make_executor(int(jobs), backend, ExecutorOptions(
        address=address, gpu=opts.gpu, memory_mb=opts.memory_mb, ship=(str(a.directory),),
        task_seconds=limits.task_seconds, evaluator_mb=limits.memory_mb))
    try:
        for task, res, exc in executor.map_unordered(grade_task, todo):
            if isinstance(exc, IsolationUnavailable):
                raise exc  # never a silent fallback, never a zero for every student
            if res is None:
                res = _lost_result(task, a, exc)
            if isinstance(bar, Progress) and hasattr(executor, "counts"):
                bar.note(*executor.counts())
            for one in [res, *(_twin_result(res, t) for t in twins.get(task.student, []))]:
                StudentFolder(outdir, one.student).write_record(one, prints.get(one.student))
                results[one.student] = one
                if one is not res:
                    stats.duplicates[one.student] = res.student
                if on_result is not None:
                    on_result(one)
                tick(one)
    finally:
        executor.close()
        if isinstance(bar, Progress):
            bar.close()
    return [results[sid] for sid, _ in pairs if sid in results]


def _unique(tasks: list[Task], prints: dict[str, dict[str, Any]]
            ) -> tuple[list[Task], dict[str, list[Task]]]:
    """(tasks to grade, {graded student: its identical twins}): one task per distinct notebook
    (same sha256 of the bytes; unreadable files are never merged)."""
    first: dict[str, str] = {}
    unique: list[Task] = []
    twins: dict[str, list[Task]] = {}
    for t in tasks:
        digest = prints[t.student]["notebook_sha256"] if t.data is not None else None
        if digest is not None and digest in first:
            twins.setdefault(first[digest], []).append(t)
            continue
        if digest is not None:
            first[digest] = t.student
        unique.append(t)
    return unique, twins


def _twin_result(res: SubmissionResult, task: Task) -> SubmissionResult:
    """`res` (graded from the same bytes) under `task`'s student and notebook path."""
    twin = copy.copy(res)
    twin.student, twin.notebook = task.student, task.notebook
    twin.outcomes = copy.deepcopy(res.outcomes)
    twin.lint, twin.cell_errors = copy.deepcopy(res.lint), copy.deepcopy(res.cell_errors)
    twin.skipped_cells = list(res.skipped_cells)
    if res.timings is not None:
        twin.timings = Timings(deduplicated_from=res.student)
    return twin


def clear_caches() -> None:
    """Forget every per-process memo of the grader (model measurements, rebuilt models,
    reference results of the checks): the next submission is graded as by a fresh worker."""
    from autograder.checks import memo
    from autograder.sandbox import host, model_pool, modelbound

    modelbound.clear_cache()
    model_pool.clear()
    memo.clear()
    host._SAVED.clear()


def grade_isolated(student: str, path: PathLike, assignment: Assignment | str,
                   **options: Any) -> SubmissionResult:
    """Grade one notebook as a batch of one (a limited evaluator process, the same limits),
    writing nothing."""
    a = as_assignment(assignment)
    opts = GradingOptions(**options).with_probe_seed()
    require_data(a, opts.profile)
    limits = EvaluatorLimits.for_options(opts)
    task = make_task(student, Path(path), a, opts)
    executor = make_executor(1, "local", ExecutorOptions(
        gpu=opts.gpu, memory_mb=opts.memory_mb, task_seconds=limits.task_seconds,
        evaluator_mb=limits.memory_mb))
    try:
        for _, res, exc in executor.map_unordered(grade_task, [task]):
            if isinstance(exc, IsolationUnavailable):
                raise exc
            return res if res is not None else _lost_result(task, a, exc)
    finally:
        executor.close()
    raise RuntimeError("the evaluator returned no result")


def grade_notebook_isolated(path: PathLike, assignment: Assignment | str, *,
                            student_id: str | None = None, **options: Any) -> SubmissionResult:
    """`pipeline.grade_notebook`'s signature, graded by `grade_isolated` (nbgrader's
    TrustedExecute: the checks never run in the nbgrader process that writes the gradebook)."""
    return grade_isolated(student_id or Path(path).stem, path, assignment, **options)


def make_executor(jobs: int, backend: str, options: ExecutorOptions | None = None) -> Any:
    """The batch's executor; its workers get the evaluator's memory limit in `setup`."""
    import functools

    from autograder.grading.executors import make_executor as make

    mb = options.evaluator_mb if options is not None else None
    return make(backend, jobs=jobs, setup=functools.partial(warm_worker, mb), options=options)


def _lost_result(task: Task, a: Assignment, exc: BaseException | None) -> SubmissionResult:
    """The result of a task that produced none: its worker died too often, or the grader
    failed."""
    lang = task.options.lang or a.language
    if isinstance(exc, TaskTimeout):  # the evaluator was killed past the deadline + grace
        error = msg("grader", "evaluator_deadline", lang, seconds=f"{exc.seconds:g}")
        return failed_result(task.student, task.notebook, a, task.options, error,
                             RunError.DEADLINE)
    if isinstance(exc, WorkerLost):
        error = (msg("grader", "evaluator_lost", lang, deaths=exc.deaths,
                     detail=exc.detail[:300], memory_mb=exc.memory_mb)
                 if exc.memory_mb else
                 msg("grader", "worker_lost", lang, deaths=exc.deaths, detail=exc.detail[:300]))
        return failed_result(task.student, task.notebook, a, task.options, error,
                             RunError.WORKER_LOST)
    return internal_error_result(task.student, task.notebook, a, task.options,
                                 exc or RuntimeError("worker lost"))


def _counter(progress: ProgressFn, total: int) -> Callable[[SubmissionResult], None]:
    done = [0]

    def tick(r: SubmissionResult) -> None:
        done[0] += 1
        progress(done[0], total, r)
    return tick


class Progress:
    """The batch progress bar (tqdm on stderr; off when quiet or stderr is not a terminal);
    callable as a `ProgressFn`; `note(running, retried)` adds a cluster backend's counts."""

    def __init__(self, total: int, quiet: bool = False) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="nb", desc="grading", file=sys.stderr,
                        disable=quiet or not sys.stderr.isatty(), dynamic_ncols=True)
        self.counts = ""

    def note(self, running: int, retried: int) -> None:
        self.counts = f"running {running}, retried {retried} | "

    def __call__(self, done: int, total: int, result: SubmissionResult | None = None) -> None:
        if result is not None:
            self.bar.set_postfix_str(self.counts + result.student[:20], refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()
