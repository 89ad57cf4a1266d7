"""pytest plugin behind every hidden test suite (`solutions/<name>/tests/test_<name>.py`).

Hidden tests are ordinary pytest functions named `test_<id>`, one per `[[tests]]` entry of
`assignment.toml` (points, PASO, visibility and config live there). They use three fixtures:

- `student`: the student's functions (`student.mixup`, ...; None when missing).
- `config`: the assignment's `[checks]` table updated with the test's `config`, plus `lang`,
  `seed` and `data` (the grading profile's data-mode values: what the student's `tfds.load`
  returned, so a check can load the same examples itself); TOML values normalised (`"none"` -> None, arrays -> tuples), ready for `**config`.
- `check`: `check(results)` records `CheckResult`s for partial credit (weighted by the test's
  `weights` table in assignment.toml, default 1 per check) and raises
  AssertionError with the student-facing messages when any failed.

Whoever runs the suite passes a `GradingSession` in `pytest.main(..., plugins=[session])`;
after the run `session.outcomes` holds one `TestOutcome` per test. `run_suite` does that for
one `student` object: `NamespaceStudent(globals())` in an nbgrader cell or an in-process run,
`autograder.sandbox.proxy.SandboxStudent` when grading (a missing function is None, so checks
report "missing function" instead of crashing).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from autograder.assignment import Assignment, TestSpec
from autograder.checks import memo
from autograder.errors import StudentCodeError
from autograder.model import CheckResult, Picture, TestOutcome, total


def scaled_score(spec: TestSpec, status: str, results: list[CheckResult]) -> float:
    """Points earned: proportional to the recorded checks' scores, else all-or-nothing."""
    if status in ("error", "skipped"):
        return 0.0
    if results:
        got, out_of = total(results)
        return spec.points * (got / out_of) if out_of else 0.0
    return spec.points if status == "passed" else 0.0


def reweighted(result: CheckResult, weight: float) -> CheckResult:
    """`result` with max_score `weight` and its score scaled to match."""
    fraction = result.score / result.max_score if result.max_score else 0.0
    return dataclasses.replace(result, score=fraction * weight, max_score=weight)


def summarize(results: list[CheckResult]) -> str:
    """Student-facing multi-line summary, failures first."""
    lines = []
    for r in sorted(results, key=lambda r: r.passed):
        mark = "OK " if r.passed else "XX "
        line = f"{mark}{r.name}"
        if r.message and not r.passed:
            line += f": {r.message}"
        if r.hint and not r.passed:
            line += f" ({r.hint})"
        lines.append(line)
    return "\n".join(lines)


DEFAULT_PROFILE = "ci"


def data_mode_values(assignment: Assignment, profile: str) -> dict[str, Any]:
    """The data-mode values (`autograder.data.modes`) of `profile`; {} (real tfds) when the
    assignment has no such profile."""
    from autograder.data.modes import MODE_KEYS

    values = assignment.profiles.get(profile) or {}
    return {k: values[k] for k in MODE_KEYS if k in values}


class GradingSession:
    """pytest plugin object: provides the fixtures and collects outcomes for one student."""

    def __init__(self, student: Any, assignment: Assignment, lang: str | None = None,
                 seed: int | None = None, profile: str = DEFAULT_PROFILE,
                 check_seconds: float | None = None) -> None:
        self.student_obj = student
        self.check_seconds = check_seconds
        self.assignment = assignment
        self.data = data_mode_values(assignment, profile)
        self.lang = lang or assignment.language
        self.seed = assignment.seed if seed is None else seed
        self.outcomes: dict[str, TestOutcome] = {}
        self.pictures: dict[str, dict[str, Picture]] = {}
        self._recorded: dict[str, list[CheckResult]] = {}
        self.shared: set[str] = set()  # tests handed an earlier test's check results (memo)
        self._shared_before: dict[str, int] = {}
        self._started: dict[str, float] = {}

    # fixtures -----------------------------------------------------------------------------
    @pytest.fixture
    def student(self) -> Any:
        return self.student_obj

    @pytest.fixture
    def config(self, request: pytest.FixtureRequest) -> dict[str, Any]:
        spec = self._spec(request.node)
        from autograder.profiles import normalize

        cfg = {"lang": self.lang, "seed": self.seed, "data": dict(self.data)}
        cfg.update(self.assignment.raw.get("checks", {}))
        if spec is not None:
            cfg.update(spec.config)
        return normalize(cfg)

    @pytest.fixture
    def check(self, request: pytest.FixtureRequest):
        test_id = self._test_id(request.node)
        spec = self._spec(request.node)
        weights = spec.weights if spec is not None else {}
        hint_level = spec.hint_level if spec is not None else "full"

        def _check(results: list[CheckResult]) -> list[CheckResult]:
            results = [reweighted(r, weights[r.name]) if r.name in weights else r
                       for r in results]
            results = [with_hint_level(r, hint_level) for r in results]
            self._recorded.setdefault(test_id, []).extend(results)
            for r in results:
                if r.picture is not None:
                    self.pictures.setdefault(test_id, {})[r.name] = r.picture
            failed = [r for r in results if not r.passed]
            if failed:
                raise AssertionError(summarize(failed))
            return results

        return _check

    # hooks --------------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "gpu: needs a GPU, real data and ImageNet weights")
        config.addinivalue_line("markers", "points(n): points (assignment.toml is authoritative)")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            spec = self._spec(item)
            if spec is not None and spec.gpu:
                item.add_marker(pytest.mark.gpu)

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._started[self._test_id(item)] = time.monotonic()
        self._shared_before[self._test_id(item)] = memo.shared_count()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        """Each hidden test runs under the time limit for student models (`check_seconds`)."""
        from autograder.sandbox.modelbound import check_clock

        with check_clock(self.check_seconds):
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        spec = self._spec(item)
        if spec is None:
            return
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            if report.skipped:
                status = "skipped"
                message = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
            elif report.passed:
                status, message = "passed", ""
            elif call.excinfo is not None and call.excinfo.errisinstance(AssertionError):
                status, message = "failed", str(call.excinfo.value)
            elif call.excinfo is not None and call.excinfo.errisinstance(StudentCodeError):
                from autograder.checks.base import from_student_error

                status = "error"  # e.g. a student model past the test's time, outside a check
                message = from_student_error(spec.id, call.excinfo.value, self.lang).message
            else:
                status = "error"
                exc = call.excinfo.value if call.excinfo else None
                message = f"{type(exc).__name__}: {exc}" if exc else "error"
            results = self._recorded.get(spec.id, [])
            if memo.shared_count() > self._shared_before.get(spec.id, memo.shared_count()):
                self.shared.add(spec.id)
            self.outcomes[spec.id] = TestOutcome(
                id=spec.id, points=spec.points, score=scaled_score(spec, status, results),
                status=status, message=message, paso=spec.paso, visible=spec.visible,
                bonus=spec.bonus, gpu=spec.gpu,
                duration=time.monotonic() - self._started.get(spec.id, time.monotonic()),
                results=list(results),
            )

    # helpers ------------------------------------------------------------------------------
    @staticmethod
    def _test_id(item: pytest.Item) -> str:
        name = getattr(item, "originalname", None) or item.name
        return name.removeprefix("test_")

    def _spec(self, item: pytest.Item) -> TestSpec | None:
        test_id = self._test_id(item)
        for spec in self.assignment.tests:
            if spec.id == test_id:
                return spec
        return None


def run_suite(
    assignment: Assignment,
    student: Any,
    *,
    select: list[str] | None = None,
    gpu: bool = False,
    visible_only: bool = False,
    lang: str | None = None,
    seed: int | None = None,
    capture_output: bool = True,
    profile: str = DEFAULT_PROFILE,
    check_seconds: float | None = None,
) -> tuple[dict[str, TestOutcome], GradingSession]:
    """Run `test_<id>` functions of the assignment's suite; return outcomes keyed by test id.

    Tests are selected by id (`select`), visibility and the gpu flag. pytest's own output is
    captured (returned nowhere) unless `capture_output` is False. `profile` names the grading
    profile the student's notebook ran under (its data mode reaches the checks as `data`).
    `seed`: the probe seed (`config["seed"]`; default the assignment's); `check_seconds`: time
    student models may run in one test (`modelbound.check_clock`; None: no limit).
    """
    session = GradingSession(student, assignment, lang=lang, seed=seed, profile=profile,
                             check_seconds=check_seconds)
    ids = [t.id for t in assignment.tests
           if (select is None or t.id in select)
           and (gpu or not t.gpu)
           and (not visible_only or t.visible)]
    if not ids:
        return {}, session
    expr = " or ".join(f"test_{i}" for i in ids)
    args = [str(assignment.tests_dir), "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
            "-p", "no:unraisableexception",  # its gc_collect_harder costs ~1 s per run with TF
            # importlib mode: a hidden suite named like a module the caller already imported
            # (e.g. the kit's own tests/assignments/test_<name>.py) must not clash in sys.modules
            "--import-mode=importlib",
            "-k", expr, "--rootdir", str(assignment.tests_dir), "-o", "addopts=",
            "-W", "ignore::DeprecationWarning", "--tb=no", "-o", "console_output_style=classic"]
    if not gpu:
        args += ["-m", "not gpu"]
    sink = io.StringIO()
    ctx = (contextlib.redirect_stdout(sink) if capture_output else contextlib.nullcontext())
    before = set(sys.modules)
    try:
        with ctx, memo.one_run():  # a `_basics` test and its twin share one check's evidence
            pytest.main(args, plugins=[session])
    finally:
        _forget_modules(set(sys.modules) - before, assignment.tests_dir)
    return {i: session.outcomes[i] for i in ids if i in session.outcomes}, session


def _forget_modules(names: set[str], folder: Path) -> None:
    """Drop the suite's modules from sys.modules: pytest's importlib mode reuses a cached module
    of the same name, so the next suite with a same-named file (e.g. the student bundle's visible
    copy, then the full hidden suite) would otherwise run the wrong tests."""
    root = folder.resolve()
    for name in names:
        path = getattr(sys.modules.get(name), "__file__", None)
        if path and Path(path).resolve().is_relative_to(root):
            del sys.modules[name]


class NamespaceStudent:
    """Student functions looked up in a dict-like namespace (e.g. a kernel's globals())."""

    def __init__(self, namespace: Mapping[str, Any]) -> None:
        self._ns = namespace

    def __getattr__(self, name: str) -> Callable[..., Any] | None:
        if name.startswith("_"):
            raise AttributeError(name)
        value = self._ns.get(name)
        return value if callable(value) else None

    def global_value(self, name: str) -> Any:
        return self._ns.get(name)


_CODE_SPAN = re.compile(r"`[^`]*`")
_DOTTED_CALL = re.compile(r"[\w.]*\w\.\w+\(")  # tf.maximum(, np.mean(, x.numpy(
_CODE_HINTS = re.compile(r"tf\.|np\.|keras\.|=|\d\s*,\s*\d|\w\.\w+\(")


def _strip_code(text: str) -> str:
    """`text` without backtick spans, dotted calls with their arguments and parentheses that
    hold code or axis lists."""
    text = _CODE_SPAN.sub("…", text)
    out, i = [], 0
    while i < len(text):
        call = _DOTTED_CALL.match(text, i) if (i == 0 or not text[i - 1].isalnum()) else None
        if text[i] == "(" or call:
            j = call.end() - 1 if call else i
            depth, k = 0, j
            while k < len(text):
                depth += {"(": 1, ")": -1}.get(text[k], 0)
                if depth == 0:
                    break
                k += 1
            group = text[i:k + 1]
            if call or _CODE_HINTS.search(group):
                out.append("…" if call else "")
                i = k + 1
                continue
        out.append(text[i])
        i += 1
    return re.sub(r"\s+([;,.)])", r"\1", "".join(out))


def with_hint_level(result: CheckResult, level: str) -> CheckResult:
    """`hint_level` of a test (assignment.toml): "full" keeps hints, "none" drops them,
    "concept" drops the code in them (`_strip_code`), so a visible test never prints a blank's
    answer verbatim."""
    if level == "full" or not result.hint:
        return result
    return dataclasses.replace(result, hint="" if level == "none" else _strip_code(result.hint))
