"""Grade notebooks: one sandboxed student process per submission, checks in this process.

`grade_notebook(path, assignment, ...)`: read + validate -> lint -> inject the profile -> fresh
student process (`autograder.sandbox`) executes the notebook -> the hidden pytest suite runs
here with a `SandboxStudent` (`runner.run_suite`) -> the student's process tree is killed.
Every problem (bad file, crash, timeout, hostile code) becomes a `SubmissionResult` with an
`error` and zero for the affected tests; nothing the student process prints or writes can set
a score (scores are computed only from values the checks receive and validate).

`grade_batch(paths, assignment, outdir, ...)`: many notebooks through an executor
(`autograder.executor`); each result is written atomically to `outdir/<student>/result.json` as
soon as it is known, with a `fingerprint` (assignment, sha256 of the notebook bytes, profile,
gpu, run_all, visible_only, kit version); a re-run reuses a stored result only when its
fingerprint matches (same notebook, assignment and options), unless `force`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from autograder import __version__, sandbox
from autograder.assignment import Assignment
from autograder.assignment import load as load_assignment
from autograder.errors import AutograderError
from autograder.messages import msg
from autograder.pytest_plugin import TestOutcome
from autograder.submission import SubmissionResult

RESULT_FILE = "result.json"
INDEX_KEY = "autograder_cell_index"
ProgressFn = Callable[[int, int, SubmissionResult], None]


def _assignment(a: Assignment | str | os.PathLike[str]) -> Assignment:
    return a if isinstance(a, Assignment) else load_assignment(a)


def selected_tests(assignment: Assignment, *, gpu: bool = False, visible_only: bool = False):
    """The TestSpecs `run_suite` will run with these flags."""
    return [t for t in assignment.tests
            if (gpu or not t.gpu) and (not visible_only or t.visible)]


def _zero_outcomes(assignment: Assignment, message: str, *, gpu: bool,
                   visible_only: bool) -> dict[str, TestOutcome]:
    return {t.id: TestOutcome(id=t.id, points=t.points, score=0.0, status="error",
                              message=message, paso=t.paso, visible=t.visible, bonus=t.bonus,
                              gpu=t.gpu, duration=0.0)
            for t in selected_tests(assignment, gpu=gpu, visible_only=visible_only)}


# notebook_io.read_notebook's one-line English errors -> (catalog key, values) for a
# student-facing explanation in the report's language (technical detail kept short)
_BAD_INPUT_KINDS: tuple[tuple[str, str], ...] = (
    (r"file not found", "bad_input_missing"),
    (r"is a directory", "bad_input_directory"),
    (r"empty file", "bad_input_empty"),
    (r"binary file", "bad_input_binary"),
    (r"not UTF-8 text", "bad_input_not_utf8"),
    (r"invalid JSON at line (?P<line>\d+), column (?P<column>\d+)", "bad_input_invalid_json"),
    (r"JSON but not a Jupyter notebook|not a Jupyter notebook", "bad_input_not_notebook"),
    (r"nbformat v(?P<major>\d+) is not supported", "bad_input_old_format"),
)


def bad_input_explanation(detail: str, lang: str) -> str:
    """Student-facing explanation of a `read_notebook` error, one per kind (empty, binary,
    invalid JSON, not a notebook, old nbformat, ...); unknown kinds keep a short detail."""
    for pattern, key in _BAD_INPUT_KINDS:
        m = re.search(pattern, detail)
        if m:
            return msg("grader", key, lang, **m.groupdict())
    short = detail.split(": ", 1)[-1][:160]  # drop the path: the report names the notebook
    return msg("grader", "bad_input_invalid", lang, detail=short)


def _read(path: Path) -> Any:
    from autograder.notebook_io import read_notebook

    return read_notebook(path)


def _lint(nb: Any, assignment: Assignment) -> list[dict[str, Any]]:
    try:
        from autograder.lint import lint_notebook
    except ImportError:
        return []
    try:
        return [issue.to_dict() for issue in lint_notebook(nb, assignment)]
    except Exception as exc:  # noqa: BLE001 - lint must never stop grading
        return [{"cell": None, "line": None, "func": None, "kind": "lint_error",
                 "message": f"{type(exc).__name__}: {exc}"[:300]}]


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
    out = []
    for i in indices:
        if 0 <= i < len(positions) and isinstance(positions[i], int):
            out.append(positions[i])
    return out


def _profile(nb: Any, assignment: Assignment, profile: str) -> tuple[Any, dict[str, Any]]:
    """Inject the profile's parameters (no-op for assignments without profiles)."""
    if not assignment.profiles:
        return nb, {}
    from autograder import profiles

    values = _profile_values(assignment, profile)
    return profiles.inject(nb, values), values


def _real_data(values: dict[str, Any]) -> bool:
    """Whether profile `values` load real tfds data (not mock data)."""
    return str(values.get("DATA") or "").lower() in ("tfds", "real")


def _require_data(assignment: Assignment, profile: str, values: dict[str, Any]) -> None:
    """AutograderError (a setup problem, not the student's) when a real-data profile lacks its
    cached datasets or weights (see `data.require_caches`)."""
    if _real_data(values):
        from autograder import data

        data.require_caches(assignment, profile)


def _profile_values(assignment: Assignment, profile: str) -> dict[str, Any]:
    if not assignment.profiles:
        return {}
    from autograder import profiles

    return profiles.profile_values(assignment, profile)


def _sandbox_settings(values: dict[str, Any]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Read-only binds and env for real data/weights caches (profiles that use them)."""
    if not _real_data(values):
        return (), ()
    try:
        from autograder import data

        binds = [str(p) for p in (data.tfds_data_dir(), data.keras_models_dir()) if p.exists()]
        env = dict(data.cache_env())
        env.setdefault("TFDS_DATA_DIR", str(data.tfds_data_dir()))
        env.setdefault("KERAS_HOME", str(data.keras_models_dir().parent))
        return tuple(binds), tuple(sorted(env.items()))
    except Exception:  # noqa: BLE001 - no caches: the student's loading code reports it
        return (), ()


def grade_notebook(
    path: str | os.PathLike[str],
    assignment: Assignment | str,
    *,
    profile: str = "ci",
    timeout: float = sandbox.DEFAULT_TIMEOUT,
    memory_mb: int = sandbox.DEFAULT_MEMORY_MB,
    gpu: bool = False,
    visible_only: bool = False,
    run_all: bool = False,
    student_id: str | None = None,
    call_timeout: float = sandbox.DEFAULT_CALL_TIMEOUT,
    lang: str | None = None,
) -> SubmissionResult:
    """Grade one notebook in a fresh sandboxed process (see module docstring).

    `timeout`: wall-clock budget (s) for executing the notebook's cells; `call_timeout`: per
    call into a student function; `memory_mb`: RLIMIT_AS of the student process.
    Raises AutograderError only for grader misuse (unknown assignment/profile); every problem
    with the submission itself is reported in the returned result.
    """
    t0 = time.monotonic()
    a = _assignment(assignment)
    lang = lang or a.language
    path = Path(path)
    result = SubmissionResult(student=student_id or path.stem, assignment=a.name,
                              notebook=str(path),
                              max_score=a.max_score(gpu=gpu))
    try:
        nb = _read(path)
    except AutograderError as exc:
        result.error = msg("grader", "bad_input", lang,
                           detail=bad_input_explanation(str(exc), lang))
        result.outcomes = _zero_outcomes(a, msg("grader", "test_not_run_unreadable", lang),
                                         gpu=gpu, visible_only=visible_only)
        result.execution_time = time.monotonic() - t0
        return result
    result.lint = _lint(nb, a)
    nb = _number_cells(nb)
    nb, values = _profile(nb, a, profile)
    _require_data(a, profile, values)
    positions = [c.get("metadata", {}).get(INDEX_KEY) for c in nb.cells]
    binds, env = _sandbox_settings(values)
    import nbformat

    procs: list[sandbox.StudentProcess] = []
    notebook_json = nbformat.writes(nb)
    filename = path.name if path.suffix == ".ipynb" else "submission.ipynb"

    def launch() -> tuple[sandbox.StudentProcess, dict[str, Any]]:
        proc = _start_student(dict(gpu=gpu, ro_binds=binds, env=env),
                              dict(memory_mb=memory_mb, timeout=timeout, call_timeout=call_timeout))
        procs.append(proc)
        return proc, proc.run_notebook(notebook_json, values=values, run_all=run_all,
                                       filename=filename)

    try:
        proc, report = launch()
        result.isolation = proc.zygote.isolation
        result.skipped_cells = _original(report["skipped"], positions)
        result.cell_errors = [dict(e, cell=_original([e["cell"]], positions)[0])
                              for e in report["cell_errors"] if _original([e["cell"]], positions)]
        if report["state"] == "crashed":
            result.error = msg("grader", "notebook_crashed", lang)
        elif report["timed_out"] or report["state"] == "timeout":
            result.error = msg("grader", "notebook_timeout", lang, seconds=f"{timeout:g}")
        elif report.get("setup_error"):
            result.error = msg("grader", "setup_error", lang, detail=report["setup_error"])
        from autograder.runner import run_suite

        student = RestartingStudent(proc, launch if report["state"] == "alive" else None)
        outcomes, session = run_suite(a, student, gpu=gpu, visible_only=visible_only, lang=lang)
        result.outcomes = outcomes
        result.artifacts = session.artifacts
        missing = _zero_outcomes(a, msg("grader", "test_not_run_error", lang)
                                 if result.error else
                                 msg("grader", "test_not_run", lang, detail="pytest"),
                                 gpu=gpu, visible_only=visible_only)
        for tid, outcome in missing.items():
            result.outcomes.setdefault(tid, outcome)
    except AutograderError:
        raise
    except Exception as exc:  # noqa: BLE001 - never crash a batch on one notebook
        detail = f"{type(exc).__name__}: {exc}"[:500]
        result.error = msg("grader", "internal_error", lang, detail=detail)
        result.outcomes = _zero_outcomes(a, result.error, gpu=gpu, visible_only=visible_only)
    finally:
        for proc in procs:
            proc.close()
        if procs:
            result.stdout_tail = procs[-1].output()
    result.execution_time = time.monotonic() - t0
    return result


class RestartingStudent:
    """The `student` of one submission. When its process dies during a call (`os._exit`, a
    kill, a per-call timeout), the next test gets a fresh process that re-ran the notebook, so
    only the tests that hit the failure lose points. At most `max_restarts`; without `launch`
    (the notebook itself crashed or timed out) nothing is restarted."""

    def __init__(self, proc: sandbox.StudentProcess,
                 launch: Callable[[], tuple[sandbox.StudentProcess, dict[str, Any]]] | None,
                 max_restarts: int = 2) -> None:
        self._student = sandbox.SandboxStudent(proc)
        self._proc = proc
        self._launch = launch
        self._left = max_restarts

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._proc.state in ("crashed", "timeout") and self._launch and self._left > 0:
            self._left -= 1
            self._proc, report = self._launch()
            self._student = sandbox.SandboxStudent(self._proc)
            if report["state"] != "alive":
                self._launch = None
        return getattr(self._student, name)


def _start_student(zygote_kw: dict[str, Any], proc_kw: dict[str, Any]) -> sandbox.StudentProcess:
    """A fresh student process; if the warm zygote is gone (e.g. a previous student killed
    it), start a new zygote once and retry."""
    try:
        return sandbox.StudentProcess(sandbox.get_zygote(**zygote_kw), **proc_kw)
    except (OSError, RuntimeError, EOFError):
        sandbox.discard_zygote(**zygote_kw)
        return sandbox.StudentProcess(sandbox.get_zygote(**zygote_kw), **proc_kw)


# batch -----------------------------------------------------------------------------------------
def safe_student_id(text: str) -> str:
    """A directory-safe student id."""
    sid = re.sub(r"[^\w.@+-]+", "_", text).strip("._") or "student"
    return sid[:120]


def student_ids(paths: Sequence[str | os.PathLike[str] | tuple[str, str | os.PathLike[str]]]
                ) -> list[tuple[str, Path]]:
    """(student id, path) pairs: explicit ids kept, else the file stem; duplicates get the
    parent folder's name prefixed, then a counter."""
    pairs: list[tuple[str | None, Path]] = []
    for p in paths:
        if isinstance(p, tuple):
            pairs.append((safe_student_id(str(p[0])), Path(p[1])))
        else:
            pairs.append((None, Path(p)))
    stems = [Path(p).stem for s, p in pairs if s is None]
    out: list[tuple[str, Path]] = []
    used: set[str] = set()
    for sid, p in pairs:
        if sid is None:
            sid = safe_student_id(p.stem)
            if stems.count(p.stem) > 1:
                sid = safe_student_id(f"{p.parent.name}_{p.stem}")
        base, n = sid, 2
        while sid in used:
            sid, n = f"{base}-{n}", n + 1
        used.add(sid)
        out.append((sid, p))
    return out


def result_path(outdir: str | os.PathLike[str], student: str) -> Path:
    return Path(outdir) / student / RESULT_FILE


FINGERPRINT_OPTIONS = {"profile": "ci", "gpu": False, "run_all": False, "visible_only": False}


def fingerprint(path: str | os.PathLike[str], assignment: Assignment,
                options: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a stored result depends on: the assignment's name, the notebook's bytes (sha256;
    "unreadable" when the file cannot be read), the grading options that change scores
    (`FINGERPRINT_OPTIONS`, defaults filled in), the messages' language and the kit version."""
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        digest = "unreadable"
    opts = {k: (options or {}).get(k, v) for k, v in FINGERPRINT_OPTIONS.items()}
    lang = (options or {}).get("lang") or assignment.language  # stored messages' language
    return {"assignment": assignment.name, "notebook_sha256": digest, **opts, "lang": lang,
            "version": __version__}


def write_result(outdir: str | os.PathLike[str], result: SubmissionResult,
                 fingerprint: dict[str, Any] | None = None) -> Path:
    """Atomically write `outdir/<student>/result.json` (with `fingerprint` when given)."""
    from autograder.notebook_io import write_text_atomic

    path = result_path(outdir, result.student)
    data = result.to_dict()
    if fingerprint is not None:
        data["fingerprint"] = fingerprint
    write_text_atomic(path, json.dumps(data, indent=1, ensure_ascii=False,
                                       sort_keys=True) + "\n")
    return path


def load_result(outdir: str | os.PathLike[str], student: str,
                fingerprint: dict[str, Any] | None = None) -> SubmissionResult | None:
    """A finished student's stored result, or None when missing/unreadable or, when
    `fingerprint` is given, when the stored fingerprint differs (or is absent)."""
    path = result_path(outdir, student)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if fingerprint is not None and data.get("fingerprint") != fingerprint:
            return None
        return SubmissionResult.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _grade_task(task: tuple[str, str, str, dict[str, Any]]) -> SubmissionResult:
    """Worker entry point (picklable): grade one (student, path) never raising."""
    sid, path, assignment_dir, kwargs = task
    try:
        return grade_notebook(path, assignment_dir, student_id=sid, **kwargs)
    except Exception as exc:  # noqa: BLE001
        return _internal_error_result(sid, path, assignment_dir, exc)


def _internal_error_result(sid: str, path: str, assignment_dir: str,
                           exc: BaseException) -> SubmissionResult:
    a = load_assignment(assignment_dir)
    detail = f"{type(exc).__name__}: {exc}"[:500]
    error = msg("grader", "internal_error", a.language, detail=detail)
    return SubmissionResult(student=sid, assignment=a.name, notebook=str(path),
                            outcomes=_zero_outcomes(a, error, gpu=False, visible_only=False),
                            max_score=a.max_score(), error=error)


def _warm_worker() -> None:
    """Pool initializer: start this worker's zygote and import TensorFlow before the first job
    (TF only when the sandbox preloads it: AUTOGRADER_SANDBOX_PRELOAD unset or naming it)."""
    import multiprocessing.util

    # pool workers leave through os._exit (no atexit): stop the zygote via multiprocessing
    multiprocessing.util.Finalize(None, sandbox.shutdown, exitpriority=10)
    sandbox.get_zygote()
    if "tensorflow" in os.environ.get("AUTOGRADER_SANDBOX_PRELOAD", "tensorflow"):
        import tensorflow  # noqa: F401


def grade_batch(
    paths: Sequence[str | os.PathLike[str] | tuple[str, str | os.PathLike[str]]],
    assignment: Assignment | str,
    outdir: str | os.PathLike[str],
    *,
    jobs: int = 1,
    force: bool = False,
    progress: bool | ProgressFn = True,
    on_result: Callable[[SubmissionResult], None] | None = None,
    backend: str = "local",
    **grade_kwargs: Any,
) -> list[SubmissionResult]:
    """Grade many notebooks; returns results in input order.

    `paths`: notebook paths or (student_id, path) pairs. Each result is written atomically to
    `outdir/<student>/result.json` as soon as it is known, then `on_result(result)` is called
    (e.g. to write feedback.html); students whose stored result.json has the same
    `fingerprint` (notebook bytes, assignment, options, version) are not regraded (loaded,
    without picture artifacts) unless `force`. `progress`: True (tqdm bar on a TTY), False, or
    `fn(done, total, result)`. `grade_kwargs` go to `grade_notebook` (profile, timeout, ...).
    A notebook that breaks anything still gets a result with `error`; the batch continues.
    """
    a = _assignment(assignment)
    batch_profile = str(grade_kwargs.get("profile", "ci"))
    _require_data(a, batch_profile, _profile_values(a, batch_profile))
    pairs = student_ids(paths)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, SubmissionResult] = {}
    todo: list[tuple[str, str, str, dict[str, Any]]] = []
    prints = {sid: fingerprint(p, a, grade_kwargs) for sid, p in pairs}
    for sid, p in pairs:
        done = None if force else load_result(outdir, sid, prints[sid])
        if done is not None:
            results[sid] = done
        else:
            todo.append((sid, str(p), str(a.directory), dict(grade_kwargs)))
    total = len(pairs)
    report = _progress(progress, total)
    for r in results.values():
        report(r)
    executor = _make_executor(jobs, backend)
    try:
        for task, res, exc in executor.map_unordered(_grade_task, todo):
            if res is None:
                res = _internal_error_result(task[0], task[1], task[2], exc or RuntimeError("?"))
            write_result(outdir, res, prints.get(res.student))
            results[res.student] = res
            if on_result is not None:
                on_result(res)
            report(res)
    finally:
        executor.close()
        report(None)
    return [results[sid] for sid, _ in pairs if sid in results]


def _make_executor(jobs: int, backend: str):
    from autograder.executor import make_executor

    return make_executor(jobs, backend, initializer=_warm_worker)


def _progress(progress: bool | ProgressFn, total: int) -> Callable[[SubmissionResult | None], None]:
    """Adapter: result -> progress callback / tqdm bar; None closes the bar."""
    state = {"done": 0}
    if callable(progress):
        def call(r: SubmissionResult | None) -> None:
            if r is not None:
                state["done"] += 1
                progress(state["done"], total, r)
        return call
    if not progress:
        return lambda r: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="nb", file=sys.stderr, disable=None)

    def tick(r: SubmissionResult | None) -> None:
        if r is None:
            bar.close()
        else:
            bar.set_postfix_str(r.student[:20])
            bar.update(1)
    return tick


def iter_notebooks(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Notebook files named by `paths` (files, or folders searched recursively), sorted."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(x for x in p.rglob("*.ipynb")
                            if ".ipynb_checkpoints" not in x.parts)
        else:
            found.append(p)
    return found
