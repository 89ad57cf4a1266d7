"""`autograder mutate`: grade mutants of the reference to measure how strong each hidden test is.

Plan: every contract function of the reference notebook gets its mutants
(`authoring.mutants`), sampled to `limit` with `seed`. Which tests touch a function: the
non-GPU `[[tests]]` entries whose `functions` list names it (the same list that places the
nbgrader test cells); a function no entry names gives "untested" mutants.

Run (`grade_batch`, one call per batch, through the executor registry): the reference
notebook, with the profile injected like any submission and one extra cell defining
`ag_mutate_swap`, runs ONCE in a sandboxed student process (`sandbox.proxy.start_student`,
the normal grading sandbox: bubblewrap, seccomp, rlimits, per-call timeouts; no sandbox, no
run: `IsolationUnavailable`, exit 2). The hidden
tests first grade the unmodified reference (the baseline, recording every value the checks
receive), then for each mutant the grader calls `ag_mutate_swap(name, source)` in that process,
which restores the originals and execs the mutated `def` into the notebook's namespace (so
other notebook functions that call it see the mutant too), and runs only the tests that touch
the function. Mutants are hostile in practice (infinite loops, huge allocations), hence the
sandbox: a mutant that times out or kills its process is killed (a student would get 0), and
the next mutant gets a fresh process that re-ran the notebook.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.assignment import Assignment
from autograder.authoring.mutants import Mutant, function_source, mutants_of, sample
from autograder.authoring.mutation_report import (
    MutantOutcome,
    MutationReport,
    TestScore,
    Verdict,
)
from autograder.errors import AutograderError, StudentCodeError
from autograder.messages import DEFAULT_LANG, msg
from autograder.report.summary import isolation_text

SWAP_FUNC = "ag_mutate_swap"
SWAP_CELL = f'''\
def {SWAP_FUNC}(name, source):
    """autograder mutate: restore every swapped function, then exec `source` (a def of name)."""
    g = globals()
    saved = g.setdefault("_ag_mutate_originals", {{}})
    for key, fn in saved.items():
        g[key] = fn
    if source is not None:
        saved.setdefault(name, g.get(name))
        exec(source, g)
    return True
'''
_UNIQUE = itertools.count()
RTOL, ATOL = 1e-5, 1e-7  # "equal outputs" for the equivalence test (float reassociation)


@dataclass(frozen=True)
class MutateOptions:
    """How mutants are graded (sandbox limits as in `GradingOptions`)."""

    profile: str = "ci"
    timeout: float = 300.0        # running the reference notebook
    call_timeout: float = 60.0    # each call into a (possibly mutated) function
    memory_mb: int = 3000
    lang: str | None = None
    first_kill: bool = False      # stop a mutant's tests at the first that kills it (CI floor:
                                  # the verdict is the same, per-test tallies see fewer runs)


@dataclass(frozen=True)
class Batch:
    """Mutants graded by one worker in one sandboxed process (picklable)."""

    assignment_dir: str
    notebook_json: str
    values: dict[str, Any]
    mutants: tuple[Mutant, ...]
    options: MutateOptions


@dataclass
class BatchResult:
    outcomes: list[MutantOutcome]
    baseline: dict[str, TestScore]
    isolation: str


def tests_for(assignment: Assignment, func: str) -> list[str]:
    """Ids of the non-GPU tests whose `functions` name `func` (assignment order)."""
    return [t.id for t in assignment.tests if func in t.functions and not t.gpu]


def plan(assignment: Assignment, *, limit: int | None, seed: int,
         only: list[str] | None = None, lang: str = DEFAULT_LANG) -> tuple[int, list[Mutant]]:
    """(mutants generated, the sample to grade) for every contract function of the reference;
    with `only`, exactly those mutant ids (generation order; `UnknownMutants` for an id no
    function generates)."""
    import nbformat

    nb = nbformat.read(str(assignment.notebook), as_version=4)
    every: list[Mutant] = []
    counts: dict[str, int] = {}
    for func in assignment.functions:
        source = function_source(nb, func)
        if source is None:
            raise AutograderError(f"{assignment.notebook}: the reference defines no `{func}` "
                                  "(listed in [contract] functions)")
        mutants = mutants_of(source, func)
        counts[func] = len(mutants)
        every.extend(mutants)
    if only is not None:
        known = {m.id for m in every}
        unknown = [i for i in dict.fromkeys(only) if i not in known]
        if unknown:
            raise UnknownMutants(unknown, counts, lang)
        wanted = set(only)
        return len(every), [m for m in every if m.id in wanted]
    return len(every), sample(every, limit, seed)


class UnknownMutants(AutograderError):
    """`--only` named mutant ids that the reference does not generate (exit 2)."""

    def __init__(self, unknown: list[str], counts: dict[str, int], lang: str = DEFAULT_LANG) -> None:
        ranges = ", ".join(f"{f}#0..#{n - 1}" if n else f"{f} (0)" for f, n in counts.items())
        super().__init__(msg("report", "mutate_unknown_ids", lang, ids=", ".join(unknown),
                             ranges=ranges))
        self.unknown = unknown


def prepare_notebook(assignment: Assignment, profile: str) -> tuple[str, dict[str, Any]]:
    """(notebook JSON to run, profile values): the reference with the profile injected and the
    swap cell appended."""
    import nbformat

    from autograder import profiles
    from autograder.grading.pipeline import profile_values
    from autograder.grading.runners import real_data

    values = profile_values(assignment, profile)
    if real_data(values):
        raise AutograderError(f"mutate runs offline profiles only; {profile!r} loads real data")
    nb = nbformat.read(str(assignment.notebook), as_version=4)
    if values:
        nb = profiles.inject(nb, values)
    nb.cells.append(nbformat.v4.new_code_cell(SWAP_CELL))
    return nbformat.writes(nb), values


# -- what the checks received: the equivalence evidence -------------------------------------
def fingerprint(value: Any, depth: int = 0) -> Any:
    """A comparable summary of a value a student function returned (models: architecture,
    activations and compile settings, not their random weights)."""
    import numpy as np

    from autograder.exchange import DatasetSample

    if depth > 8:
        return ("deep",)
    if value is None or isinstance(value, bool | str | bytes):
        return value
    if isinstance(value, int | float | complex | np.ndarray | np.generic):
        arr = np.asarray(value)
        return ("array", arr.shape, arr) if arr.dtype.kind in "biufc" else ("array", repr(arr))
    if isinstance(value, list | tuple):
        return ("seq", tuple(fingerprint(v, depth + 1) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((str(k), fingerprint(v, depth + 1)) for k, v in sorted(
            value.items(), key=lambda kv: str(kv[0]))))
    if isinstance(value, DatasetSample):
        return ("dataset", fingerprint(value.batches, depth + 1), tuple(value.ops),
                value.element_spec, value.cardinality)
    if hasattr(value, "layers") and hasattr(value, "count_params"):
        return _model_print(value, depth)
    return ("object", type(value).__name__)


def safe_fingerprint(value: Any) -> Any:
    """`fingerprint`, never raising (an unbuilt model has no parameter count, ...): a value it
    cannot summarise gets a unique marker, so it never counts as equal."""
    try:
        return fingerprint(value)
    except Exception as exc:  # noqa: BLE001 - recording must not change what the check sees
        return ("unfingerprintable", type(value).__name__, type(exc).__name__, next(_UNIQUE))


def _model_print(model: Any, depth: int) -> Any:
    layers = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            layers.append(_model_print(layer, depth + 1))
            continue
        try:
            cfg = {k: v for k, v in layer.get_config().items() if k != "name"}
        except Exception:  # noqa: BLE001 - some layers have no config
            cfg = {}
        built = getattr(layer, "built", True)
        layers.append((type(layer).__name__, layer.count_params() if built else None,
                       bool(layer.trainable),
                       json.dumps(cfg, sort_keys=True, default=str)))
    opt = getattr(model, "optimizer", None)
    lr = getattr(opt, "learning_rate", None)
    try:
        lr = float(lr) if lr is not None else None
    except (TypeError, ValueError):
        lr = repr(lr)
    loss = getattr(model, "loss", None)
    return ("model", tuple(layers), bool(model.trainable), type(opt).__name__, lr,
            getattr(loss, "__name__", repr(loss)))


def same(a: Any, b: Any) -> bool:
    """Whether two fingerprints are equal (arrays within RTOL/ATOL)."""
    import numpy as np

    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape:
            return False
        try:
            return bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))
        except TypeError:
            return bool(np.array_equal(a, b))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


class Recorder:
    """A `student` wrapper that logs (function, fingerprint of what it returned or raised)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        fn = getattr(self._inner, name)
        if not callable(fn):
            return fn

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                value = fn(*args, **kwargs)
            except StudentCodeError as exc:
                self.calls.append((name, ("raised", exc.kind.value, exc.exc_type)))
                raise
            self.calls.append((name, safe_fingerprint(value)))
            return value

        call.__name__ = name
        return call

    def global_value(self, name: str) -> Any:
        value = self._inner.global_value(name)
        self.calls.append((f"global:{name}", safe_fingerprint(value)))
        return value


def same_calls(a: list[tuple[str, Any]], b: list[tuple[str, Any]]) -> bool:
    return len(a) == len(b) and all(x[0] == y[0] and same(x[1], y[1])
                                    for x, y in zip(a, b, strict=True))


# -- one worker's batch ------------------------------------------------------------------------
class _Worker:
    """One sandboxed process running the reference; relaunched when a mutant killed it."""

    def __init__(self, batch: Batch) -> None:
        from autograder.assignment import load

        self.batch = batch
        self.assignment = load(batch.assignment_dir)
        self.proc: Any = None
        self.isolation = ""

    def ensure(self) -> None:
        from autograder.sandbox.proxy import start_student

        if self.proc is not None and self.proc.state == "alive":
            return
        self.close()
        opts = self.batch.options
        self.proc = start_student(dict(gpu=False),
                                  dict(memory_mb=opts.memory_mb, timeout=opts.timeout,
                                       call_timeout=opts.call_timeout))
        self.isolation = isolation_text(self.proc.zygote.isolation, DEFAULT_LANG)
        report = self.proc.run_notebook(self.batch.notebook_json, values=self.batch.values,
                                        filename=self.assignment.notebook.name)
        if report.state != "alive" or report.cell_errors:
            errors = "; ".join(f"cell {e.cell}: {e.exc_type}: {e.message}"
                               for e in report.cell_errors[:3])
            raise AutograderError(f"{self.assignment.name}: the reference notebook did not run "
                                  f"cleanly in the sandbox ({report.state}; {errors}); "
                                  "run `autograder validate` first\n" + self.proc.output()[-2000:])

    def swap(self, mutant: Mutant | None) -> None:
        from autograder.sandbox import wire
        from autograder.sandbox.host import DEFAULT_DEADLINE, Budget

        self.ensure()
        # each mutant is graded like one submission: its own time and byte budgets
        self.proc.budget = Budget.start(DEFAULT_DEADLINE)
        self.proc.byte_budget = wire.ByteBudget()
        name, source = (mutant.func, mutant.source) if mutant else ("", None)
        self.proc.call(SWAP_FUNC, (name, source), {})

    def run_test(self, test_id: str) -> tuple[TestScore, list[tuple[str, Any]]]:
        from autograder.grading.suite import run_suite
        from autograder.sandbox.proxy import SandboxStudent

        recorder = Recorder(SandboxStudent(self.proc))
        outcomes, _ = run_suite(self.assignment, recorder, select=[test_id],
                                lang=self.batch.options.lang)
        spec = self.assignment.test(test_id)
        o = outcomes.get(test_id)
        if o is None:
            return TestScore(test_id, 0.0, spec.points, "not run"), recorder.calls
        return TestScore(test_id, o.score, o.points, o.status,
                       failed_checks=[r.name for r in o.results if not r.passed],
                       passed_checks=[r.name for r in o.results if r.passed]), recorder.calls

    def close(self) -> None:
        if self.proc is not None:
            self.proc.close()
            self.proc = None


def grade_batch(batch: Batch) -> BatchResult:
    """Grade the reference (baseline) and then each mutant of `batch` (executor task)."""
    worker = _Worker(batch)
    try:
        tests = {m.id: tests_for(worker.assignment, m.func) for m in batch.mutants}
        baseline: dict[str, tuple[TestScore, list[tuple[str, Any]]]] = {}
        worker.ensure()
        for tid in dict.fromkeys(t for ids in tests.values() for t in ids):
            baseline[tid] = worker.run_test(tid)
        outcomes = [_grade_one(worker, m, tests[m.id], baseline, batch.options.first_kill)
                    for m in batch.mutants]
        return BatchResult(outcomes, {k: v[0] for k, v in baseline.items()}, worker.isolation)
    finally:
        worker.close()


def _kills(run: TestScore, base: TestScore) -> bool:
    return run.score < base.score - 1e-9 or (base.status == "passed" and run.status != "passed")


def _grade_one(worker: _Worker, mutant: Mutant, test_ids: list[str],
               baseline: dict[str, tuple[TestScore, list[tuple[str, Any]]]],
               first_kill: bool = False) -> MutantOutcome:
    """Swap `mutant` in, run its tests, compare with the baseline, swap it out."""
    t0 = time.monotonic()
    if not test_ids:
        return MutantOutcome(mutant, Verdict.UNTESTED)
    worker.swap(mutant)
    runs, equal = [], True
    for tid in test_ids:
        run, calls = worker.run_test(tid)
        runs.append(run)
        equal = equal and bool(calls) and same_calls(calls, baseline[tid][1])
        if first_kill and _kills(run, baseline[tid][0]):
            break
    try:
        worker.swap(None)
    except StudentCodeError:
        pass  # the mutant broke the process: the next mutant gets a fresh one
    killed_by, checks = [], []
    for run in runs:
        base = baseline[run.test][0]
        if _kills(run, base):
            killed_by.append(run.test)
        checks += [f"{run.test}.{c}" for c in run.failed_checks if c in base.passed_checks]
    verdict = Verdict.KILLED if killed_by else Verdict.EQUIVALENT if equal else Verdict.SURVIVED
    return MutantOutcome(mutant, verdict, runs, killed_by, checks, time.monotonic() - t0)


# -- the whole run -----------------------------------------------------------------------------
def batches_of(mutants: list[Mutant], jobs: int, batch_size: int) -> list[list[Mutant]]:
    """Contiguous chunks (a function's mutants stay together): at least `jobs` chunks when
    there are enough mutants, none larger than `batch_size`."""
    if not mutants:
        return []
    n = max(jobs, -(-len(mutants) // max(1, batch_size)))
    size = -(-len(mutants) // n)
    return [mutants[i:i + size] for i in range(0, len(mutants), size)]


def run_mutation(assignment: Assignment, *, limit: int | None = None, seed: int | None = None,
                 jobs: int = 1, backend: str = "local", batch_size: int = 50,
                 options: MutateOptions = MutateOptions(),
                 progress: Callable[[int, int], None] | None = None,
                 only: list[str] | None = None) -> MutationReport:
    """Generate, sample and grade the mutants of `assignment`'s reference (see module doc);
    `only`: grade exactly these mutant ids instead of a sample."""
    from autograder.grading.batch import warm_worker
    from autograder.grading.executors import make_executor

    t0 = time.monotonic()
    seed = assignment.seed if seed is None else seed
    generated, picked = plan(assignment, limit=limit, seed=seed, only=only,
                             lang=options.lang or DEFAULT_LANG)
    notebook_json, values = prepare_notebook(assignment, options.profile)
    tasks = [Batch(str(assignment.directory), notebook_json, values, tuple(chunk), options)
             for chunk in batches_of(picked, jobs, batch_size)]
    executor = make_executor(backend, jobs=jobs, setup=warm_worker)
    outcomes: dict[str, MutantOutcome] = {}
    baseline: dict[str, TestScore] = {}
    isolation = ""
    try:
        for _task, result, exc in executor.map_unordered(grade_batch, tasks):
            if exc is not None:
                raise exc if isinstance(exc, AutograderError) else AutograderError(
                    f"mutate: a batch failed: {type(exc).__name__}: {exc}") from exc
            outcomes.update({o.mutant.id: o for o in result.outcomes})
            baseline.update(result.baseline)
            isolation = result.isolation
            if progress is not None:
                progress(len(outcomes), len(picked))
    finally:
        executor.close()
    ordered = [outcomes[m.id] for m in picked]
    return MutationReport(assignment.name, seed, limit, generated, ordered, baseline,
                          elapsed=time.monotonic() - t0, jobs=jobs, isolation=isolation)


def write_reports(report: MutationReport, outdir: str | Path) -> tuple[Path, Path]:
    return report.write(Path(outdir))
