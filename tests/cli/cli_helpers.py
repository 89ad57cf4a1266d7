"""CLI test helpers: the mini fixture assignment, notebooks written per test, and an in-process stand-in
for the sandbox engine (`autograder.grader`) so the command logic is tested in milliseconds.
The real engine is exercised end to end in test_cli_e2e.py."""

from __future__ import annotations

import inspect
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import Assignment
from autograder.assignment import load as load_assignment
from autograder.runner import run_suite
from autograder.student import NamespaceStudent
from autograder.submission import SubmissionResult

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MINI = FIXTURES / "mini_assignment"

GOOD = "def double(x):\n    return 2 * x\n\ndef halve(x):\n    return x / 2\n"
TEMPLATE = ("def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\n"
            "def halve(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n")
WRONG = "def double(x):\n    return x + 3\n\ndef halve(x):\n    return x // 3\n"


def write_nb(path: Path, code: str, metadata: dict | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Mini"), nbformat.v4.new_code_cell(code)]
    nb.metadata.update(metadata or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def fake_grade_notebook(path, assignment, *, profile="ci", timeout=None, memory_mb=None,
                        gpu=False, visible_only=False, run_all=False, student_id=None, **_):
    """In-process stand-in with the engine's signature: exec the cells, run the real suite."""
    spec: Assignment = assignment if isinstance(assignment, Assignment) else load_assignment(assignment)
    start = time.monotonic()
    result = SubmissionResult(student=student_id or Path(path).stem, assignment=spec.name,
                              notebook=str(path), max_score=spec.max_score(gpu),
                              isolation="none (test stand-in)")
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # noqa: BLE001
        result.error = f"not a notebook: {type(exc).__name__}"
        return result
    print("noise from the engine on stdout")  # must never reach --json output
    sys.stdout.flush()
    os.write(1, b"fd-level noise\n")  # like TensorFlow's C++ logs
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, str(path), "exec"), ns)  # noqa: S102 - trusted fixtures
    result.outcomes, _ = run_suite(spec, NamespaceStudent(ns), gpu=gpu, visible_only=visible_only)
    result.execution_time = time.monotonic() - start
    return result


@pytest.fixture
def fake_engine(monkeypatch):
    """Real `grader.grade_batch` (resume, result.json, callbacks) with `grade_notebook`
    replaced by the in-process stand-in and a serial executor; returns the calls made."""
    from autograder import executor, grader

    calls: list[tuple[str, dict]] = []

    def grade_notebook(path, assignment, **kw):
        calls.append(("grade_notebook", kw))
        return fake_grade_notebook(path, assignment, **kw)

    real_batch = grader.grade_batch

    def grade_batch(paths, assignment, outdir, **kw):
        calls.append(("grade_batch", {**kw, "paths": list(paths), "outdir": outdir}))
        return real_batch(paths, assignment, outdir, **kw)

    grade_notebook.__signature__ = inspect.signature(grader.grade_notebook)
    grade_batch.__signature__ = inspect.signature(real_batch)
    monkeypatch.setattr(grader, "grade_notebook", grade_notebook)
    monkeypatch.setattr(grader, "grade_batch", grade_batch)
    monkeypatch.setattr(grader, "_make_executor", lambda jobs, backend: executor.SerialExecutor())
    return calls
