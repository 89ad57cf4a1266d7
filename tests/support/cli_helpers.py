"""CLI test helpers: the mini fixture assignment, notebooks written per test, and the grading
pipeline with an in-process runner instead of the sandbox, so command logic is tested in
milliseconds. The sandboxed engine is exercised end to end in tests/commands/test_cli_e2e.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.model import Isolation, IsolationMode

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


class NoisyInProcessRunner:
    """The pipeline's trusted `InProcessRunner` (same cell loop, same result shape) that also
    writes noise to stdout at the Python and fd level, like TensorFlow does: it must never reach
    --json output. Records each graded submission's options in `calls`."""

    isolation = Isolation(IsolationMode.IN_PROCESS)
    restarts = 0

    def __init__(self, calls: list[tuple[str, dict]]) -> None:
        from autograder.grading.runners import InProcessRunner

        self._calls = calls
        self._inner = InProcessRunner()

    def start(self, job):
        print("noise from the engine on stdout")
        sys.stdout.flush()
        os.write(1, b"fd-level noise\n")
        return self._inner.start(job)

    def close(self) -> str:
        return self._inner.close()


@pytest.fixture
def fake_engine(monkeypatch):
    """The real grading pipeline and batch (resume, record.json, callbacks) with the sandbox
    replaced by `NoisyInProcessRunner` and a serial executor, so command logic is tested in
    milliseconds; returns the calls made: ("grade_batch", its keyword arguments) and
    ("grade_notebook", student_id + GradingOptions) per graded submission."""
    from autograder.grading import batch, pipeline
    from autograder.grading.executors.local import SerialExecutor

    calls: list[tuple[str, dict]] = []
    real = pipeline.grade_source

    def grade_source(data, filename, assignment, options=None, *,
                     student_id=None, notebook=None, runner=None):
        options = options or pipeline.GradingOptions()
        calls.append(("grade_notebook", dict(options.as_kwargs(), student_id=student_id)))
        return real(data, filename, assignment, options, student_id=student_id,
                    notebook=notebook, runner=runner or NoisyInProcessRunner(calls))

    real_batch = batch.grade_batch

    def grade_batch(paths, assignment, outdir, **kw):
        calls.append(("grade_batch", {**kw, "paths": list(paths), "outdir": outdir}))
        return real_batch(paths, assignment, outdir, **kw)

    monkeypatch.setattr(pipeline, "grade_source", grade_source)
    monkeypatch.setattr(batch, "grade_batch", grade_batch)
    monkeypatch.setattr(batch, "make_executor", lambda jobs, backend, options=None: SerialExecutor())
    return calls
