"""Grade one notebook: read -> lint -> inject the profile -> sandboxed run -> hidden suite.

`grade_source(data, filename, assignment, options)` is the one pipeline; `grade_notebook(path,
...)` reads a file into it. Every problem with the submission (bad file, crash, timeout,
hostile code) becomes a `SubmissionResult` with an `error` and zero for the affected tests;
nothing the student process prints or writes can set a score (scores are computed only from
values the checks receive and validate). `AutograderError` is raised only for grader misuse
(unknown assignment/profile, missing data caches for a real-data profile).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograder import __version__
from autograder.assignment import Assignment, TestSpec
from autograder.assignment import load as load_assignment
from autograder.errors import AutograderError, BadInput, NotebookError
from autograder.grading.runners import RunJob, Runner, SandboxRunner, real_data
from autograder.messages import msg
from autograder.model import IsolationMode, RunError, SubmissionResult, TestOutcome, Timings
from autograder.notebook_io import read_bytes
from autograder.sandbox.cells import RunReport
from autograder.sandbox.host import (
    DEFAULT_CALL_TIMEOUT,
    DEFAULT_CHECK_TIMEOUT,
    DEFAULT_DEADLINE,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
)

INDEX_KEY = "autograder_cell_index"
MAX_LISTED = 50  # lint findings / cell errors kept in a report (the rest are counted)


@dataclass(frozen=True)
class GradingOptions:
    """How a submission is graded. Frozen: a batch task carries one, and the options that
    change scores (`SCORE_FIELDS`) are part of the resume fingerprint."""

    profile: str = "ci"
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    gpu: bool = False
    visible_only: bool = False
    run_all: bool = False
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    lang: str | None = None
    deadline: float | None = None  # None: `effective_deadline()`
    isolation: IsolationMode | None = None  # None: AUTOGRADER_ISOLATION, else SANDBOX
    profile_checks: bool = False  # record where the time went (`SubmissionResult.timings`)
    memo: bool = True  # batch workers: per-worker memos of student-independent probes
    probe_seed: int | None = None  # the checks' `config["seed"]`; None: a secret random one
    check_timeout: float | None = DEFAULT_CHECK_TIMEOUT  # student models' time in one test

    SCORE_FIELDS = ("profile", "gpu", "run_all", "visible_only")

    def fingerprint(self, assignment: Assignment, data: bytes | None) -> dict[str, Any]:
        """What a stored result depends on: the assignment's name, the notebook's bytes
        (sha256; "unreadable" when None), the options in `SCORE_FIELDS`, the messages'
        language, the kit version and the probe seed when one was given."""
        digest = hashlib.sha256(data).hexdigest() if data is not None else "unreadable"
        opts = {k: getattr(self, k) for k in self.SCORE_FIELDS}
        if self.probe_seed is not None:
            opts["probe_seed"] = self.probe_seed
        return {"assignment": assignment.name, "notebook_sha256": digest, **opts,
                "lang": self.lang or assignment.language, "version": __version__}

    def with_probe_seed(self) -> GradingOptions:
        """These options with a probe seed: the given one, else a secret random one (drawn
        here, recorded in every result; not derived from anything the student bundle holds)."""
        if self.probe_seed is not None:
            return self
        import dataclasses
        import secrets

        return dataclasses.replace(self, probe_seed=secrets.randbits(31))

    def as_kwargs(self) -> dict[str, Any]:
        return asdict(self)

    def effective_deadline(self) -> float:
        """Seconds for the whole submission: `deadline`, else DEFAULT_DEADLINE or the notebook
        timeout + 2 minutes when that is longer (a long `--timeout` keeps time for the tests)."""
        if self.deadline is not None:
            return self.deadline
        return max(DEFAULT_DEADLINE, self.timeout + 120.0)


def as_assignment(a: Assignment | str | os.PathLike[str]) -> Assignment:
    return a if isinstance(a, Assignment) else load_assignment(a)


def selected_tests(assignment: Assignment, *, gpu: bool = False,
                   visible_only: bool = False) -> list[TestSpec]:
    """The TestSpecs `run_suite` will run with these flags."""
    return [t for t in assignment.tests
            if (gpu or not t.gpu) and (not visible_only or t.visible)]


def zero_outcomes(assignment: Assignment, message: str, *, gpu: bool,
                  visible_only: bool) -> dict[str, TestOutcome]:
    return {t.id: TestOutcome(id=t.id, points=t.points, score=0.0, status="error",
                              message=message, paso=t.paso, visible=t.visible, bonus=t.bonus,
                              gpu=t.gpu, duration=0.0)
            for t in selected_tests(assignment, gpu=gpu, visible_only=visible_only)}


def failed_result(student: str, notebook: str, assignment: Assignment, options: GradingOptions,
                  error: str, kind: RunError, test_message: str | None = None) -> SubmissionResult:
    """A result where nothing could be graded: every selected test 0 with `test_message`."""
    return SubmissionResult(
        student=student, assignment=assignment.name, notebook=notebook,
        outcomes=zero_outcomes(assignment, test_message or error, gpu=options.gpu,
                               visible_only=options.visible_only),
        max_score=assignment.max_score(gpu=options.gpu), error=error, error_kind=kind,
        probe_seed=options.probe_seed)


def internal_error_result(student: str, notebook: str, assignment: Assignment,
                          options: GradingOptions, exc: BaseException) -> SubmissionResult:
    """The one place a grader failure becomes a student's result (max score under the same
    options as a normal result)."""
    detail = f"{type(exc).__name__}: {exc}"[:500]
    error = msg("grader", "internal_error", options.lang or assignment.language, detail=detail)
    return failed_result(student, notebook, assignment, options, error, RunError.INTERNAL)


def bad_input_explanation(exc: NotebookError, lang: str) -> str:
    """Student-facing explanation of a `NotebookError`, one message per `BadInput` kind."""
    values = dict(exc.values)
    values.setdefault("detail", str(exc).split(": ", 1)[-1][:160])
    return msg("grader", exc.kind.value, lang, **values)


def _lint(nb: Any, assignment: Assignment) -> list[dict[str, Any]]:
    from autograder.authoring.lint import lint_notebook

    try:
        return bounded([issue.to_dict() for issue in lint_notebook(nb, assignment)],
                       "lint_more")
    except Exception as exc:  # noqa: BLE001 - lint must never stop grading
        return [{"cell": None, "line": None, "func": None, "kind": "lint_error",
                 "message": f"{type(exc).__name__}: {exc}"[:300]}]


def bounded(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The first MAX_LISTED items, then one entry of `kind` counting the rest (bounded reports
    whatever the notebook holds)."""
    if len(items) <= MAX_LISTED:
        return items
    more = len(items) - MAX_LISTED
    return [*items[:MAX_LISTED], {"cell": None, "line": None, "func": None, "kind": kind,
                                  "exc_type": "", "message": f"... (+{more})", "more": more}]


def _explain_broken_definitions(result: SubmissionResult, nb: Any, lang: str) -> None:
    """A function whose `def` sits in a cell with a syntax error is reported as such (cell
    numbered from 1), not as "not found"; cell errors name the functions their cell defines."""
    from autograder.authoring.lint import broken_definitions, cell_functions

    for err in result.cell_errors:
        cell = err.get("cell")
        if isinstance(cell, int) and 0 <= cell < len(nb.cells):
            err["functions"] = cell_functions(nb.cells[cell])
    broken = broken_definitions(nb)
    for outcome in result.outcomes.values():
        for check in outcome.results:
            func = check.details.get("missing_function")
            if check.passed or func not in broken:
                continue
            cell, line = broken[func]
            check.message = msg("lint", "not_defined_syntax_error", lang, func=func,
                                cell=cell + 1, line=line)
            check.status = "error"


def _number_cells(nb: Any) -> Any:
    """Copy of `nb` whose cells remember their index in the student's notebook; outputs and
    attachments are dropped (never executed, and they can be large)."""
    import copy

    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        cell.setdefault("metadata", {})[INDEX_KEY] = i
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
        cell.pop("attachments", None)
    return nb


def _original(indices: list[int], positions: list[Any]) -> list[int]:
    """Executed-notebook cell positions -> the student's cell indices (injected cells dropped)."""
    return [positions[i] for i in indices
            if 0 <= i < len(positions) and isinstance(positions[i], int)]


def profile_values(assignment: Assignment, profile: str) -> dict[str, Any]:
    """The profile's parameter values ({} for assignments without profiles)."""
    if not assignment.profiles:
        return {}
    from autograder import profiles

    return profiles.profile_values(assignment, profile)


def require_data(assignment: Assignment, profile: str) -> None:
    """AutograderError (a setup problem, not the student's) when a real-data profile lacks its
    cached datasets or weights (see `data.caches.require_caches`). Called once per batch."""
    if real_data(profile_values(assignment, profile)):
        from autograder.data import caches

        caches.require_caches(assignment, profile)


def grade_notebook(path: str | os.PathLike[str], assignment: Assignment | str, *,
                   student_id: str | None = None, runner: Runner | None = None,
                   **options: Any) -> SubmissionResult:
    """Grade the notebook file at `path` (see `grade_source`); `options` are
    `GradingOptions` fields (profile, timeout, memory_mb, gpu, visible_only, run_all,
    call_timeout, lang)."""
    a = as_assignment(assignment)
    opts = GradingOptions(**options)
    require_data(a, opts.profile)
    path = Path(path)
    try:
        if not path.exists():
            raise NotebookError(f"{path}: file not found", BadInput.MISSING)
        if path.is_dir():
            raise NotebookError(f"{path}: is a directory, not a notebook", BadInput.DIRECTORY)
        data = read_bytes(path)
    except NotebookError as exc:
        return _unreadable(student_id or path.stem, str(path), a, opts, exc, time.monotonic())
    return grade_source(data, path.name, a, opts, student_id=student_id or path.stem,
                        notebook=str(path), runner=runner)


def _unreadable(student: str, notebook: str, a: Assignment, opts: GradingOptions,
                exc: NotebookError, t0: float) -> SubmissionResult:
    lang = opts.lang or a.language
    result = failed_result(student, notebook, a, opts,
                           msg("grader", "bad_input", lang, detail=bad_input_explanation(exc, lang)),
                           RunError.BAD_INPUT, msg("grader", "test_not_run_unreadable", lang))
    result.execution_time = time.monotonic() - t0
    return result


def grade_source(data: bytes, filename: str, assignment: Assignment | str,
                 options: GradingOptions = GradingOptions(), *, student_id: str | None = None,
                 notebook: str | None = None, runner: Runner | None = None) -> SubmissionResult:
    """Grade notebook bytes: by default in a fresh sandboxed process (`SandboxRunner`).

    `options.timeout`: wall-clock budget (s) for executing the notebook's cells;
    `options.call_timeout`: per call into a student function; `options.memory_mb`: RLIMIT_AS of
    the student process. `notebook` is the path shown in reports (default `filename`).
    `runner=InProcessRunner()` runs trusted notebooks in this process (same result shape).
    """
    from autograder.notebook_io import parse_notebook

    t0 = time.monotonic()
    a = as_assignment(assignment)
    opts = options.with_probe_seed()
    lang = opts.lang or a.language
    student = student_id or Path(filename).stem
    notebook = notebook or filename
    try:
        nb = parse_notebook(data, notebook)
    except NotebookError as exc:
        return _unreadable(student, notebook, a, opts, exc, t0)
    result = SubmissionResult(student=student, assignment=a.name, notebook=notebook,
                              max_score=a.max_score(gpu=opts.gpu), probe_seed=opts.probe_seed)
    result.lint = _lint(nb, a)
    student_nb = nb
    nb = _number_cells(nb)
    values = profile_values(a, opts.profile)
    if values:
        from autograder import profiles

        nb = profiles.inject(nb, values)
    positions = [c.get("metadata", {}).get(INDEX_KEY) for c in nb.cells]
    import nbformat

    job = RunJob(nbformat.writes(nb), values, opts,
                 filename if filename.endswith(".ipynb") else "submission.ipynb")
    runner = runner or SandboxRunner()
    from autograder.sandbox.modelbound import transfer_time

    transfer0 = transfer_time()
    clock: dict[str, float] = {}
    shared: list[str] = []
    try:
        t_run = time.monotonic()
        student_obj, report = runner.start(job)
        clock["notebook"] = time.monotonic() - t_run
        result.isolation = runner.isolation
        result.skipped_cells = _original(report.skipped, positions)
        result.cell_errors = bounded([dict(asdict(e), cell=_original([e.cell], positions)[0])
                                      for e in report.cell_errors
                                      if _original([e.cell], positions)], "cell_errors_more")
        result.error_kind, result.error = _run_error(report, opts, lang)
        t_suite = time.monotonic()
        shared = _run_suite(result, a, student_obj, opts, lang)
        clock["suite"] = time.monotonic() - t_suite
        _explain_broken_definitions(result, student_nb, lang)
    except AutograderError:
        raise
    except Exception as exc:  # noqa: BLE001 - never crash a batch on one notebook
        failed = internal_error_result(student, notebook, a, opts, exc)
        result.error, result.outcomes = failed.error, failed.outcomes
        result.error_kind = failed.error_kind
    finally:
        result.stdout_tail = runner.close()
        result.restarts = getattr(runner, "restarts", 0)  # runners written before it existed
    result.execution_time = time.monotonic() - t0
    if opts.profile_checks:
        result.timings = Timings(
            total=result.execution_time, notebook=clock.get("notebook", 0.0),
            suite=clock.get("suite", 0.0), transfer=transfer_time() - transfer0,
            tests={o.id: o.duration for o in result.outcomes.values()}, shared=shared)
    return result


def _run_error(report: RunReport, opts: GradingOptions,
               lang: str) -> tuple[RunError | None, str | None]:
    """The notebook-level error of a run, if any: (kind, student-facing text)."""
    if report.state == "crashed":
        return RunError.CRASHED, msg("grader", "notebook_crashed", lang)
    if report.state == "deadline":
        return RunError.DEADLINE, msg("grader", "notebook_deadline", lang,
                                      seconds=f"{opts.effective_deadline():g}")
    if report.timed_out or report.state == "timeout":
        return RunError.TIMEOUT, msg("grader", "notebook_timeout", lang,
                                     seconds=f"{opts.timeout:g}")
    if report.setup_error:
        return RunError.SETUP, msg("grader", "setup_error", lang, detail=report.setup_error)
    return None, None


def _run_suite(result: SubmissionResult, a: Assignment, student: Any, opts: GradingOptions,
               lang: str) -> list[str]:
    """Run the hidden suite against `student`; tests it did not run score 0 with a reason.
    Returns the tests that were handed an earlier test's check results (`Timings.shared`)."""
    from autograder.grading.suite import run_suite

    outcomes, session = run_suite(a, student, gpu=opts.gpu, visible_only=opts.visible_only,
                                  lang=lang, profile=opts.profile, seed=opts.probe_seed,
                                  check_seconds=opts.check_timeout)
    result.outcomes = outcomes
    result.pictures = session.pictures
    missing = zero_outcomes(a, msg("grader", "test_not_run_error", lang) if result.error else
                            msg("grader", "test_not_run", lang, detail="pytest"),
                            gpu=opts.gpu, visible_only=opts.visible_only)
    for tid, outcome in missing.items():
        result.outcomes.setdefault(tid, outcome)
    return sorted(session.shared)

