"""What a generated nbgrader hidden-test cell calls: `grade(assignment_name, test_id)`.

Runs in the student's kernel (nbgrader's trust model: see docs/nbgrader.md). It looks up the
student's functions in the caller's namespace (IPython `user_ns`, else the caller's globals), runs
the assignment's hidden pytest test `test_<test_id>` through `runner.run_suite`, and:

- keeps stderr silent (nbgrader zeroes any graded cell that writes to stderr): Python warnings
  are recorded and dropped, `sys.stderr` AND file descriptor 2 point to a temp file while the
  checks run (TensorFlow's C++ logs bypass `sys.stderr`), logging is disabled, and
  TF_CPP_MIN_LOG_LEVEL=3;
- prints a concise per-check summary to stdout;
- full marks: returns None; partial credit: returns the points earned (a float, which nbgrader
  uses as the cell's partial score); zero: raises AssertionError with the student-facing message.

The trusted `autograder.nbgrader.TrustedExecute` preprocessor re-derives every verdict outside the
kernel, so monkeypatching anything here cannot raise a grade.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from autograder.messages import msg

TOLERANCE = 1e-9


def _caller_namespace(depth: int = 2) -> Mapping[str, Any]:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return shell.user_ns
    except ImportError:  # pragma: no cover - IPython is always there in a kernel
        pass
    return sys._getframe(depth).f_globals  # noqa: SLF001


@contextlib.contextmanager
def quiet() -> Iterator[io.StringIO]:
    """Silence warnings, logging, sys.stdout/sys.stderr and fd 2 (captured, not shown)."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    captured = io.StringIO()
    old_err, old_out = sys.stderr, sys.stdout
    saved_fd = None
    previous_disable = logging.root.manager.disable
    tmp = tempfile.TemporaryFile(mode="w+b")
    try:
        for stream in (sys.stderr, sys.__stderr__):
            with contextlib.suppress(Exception):
                stream.flush()
        with contextlib.suppress(OSError):
            saved_fd = os.dup(2)
            os.dup2(tmp.fileno(), 2)
        logging.disable(logging.CRITICAL)
        sys.stderr = captured
        sys.stdout = captured
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            yield captured
    finally:
        sys.stderr, sys.stdout = old_err, old_out
        logging.disable(previous_disable)
        if saved_fd is not None:
            with contextlib.suppress(OSError):
                os.dup2(saved_fd, 2)
                os.close(saved_fd)
        tmp.close()


def grade(assignment_name: str, test_id: str, *, namespace: Mapping[str, Any] | None = None,
          lang: str | None = None) -> float | None:
    """Run hidden test `test_id` of `assignment_name` on the caller's functions (see module doc)."""
    from autograder.assignment import load
    from autograder.grading.suite import NamespaceStudent, run_suite

    ns = namespace if namespace is not None else _caller_namespace()
    with quiet():
        assignment = load(assignment_name)
        spec = assignment.test(test_id)
        language = lang or assignment.language
        outcomes, _ = run_suite(assignment, NamespaceStudent(ns), select=[test_id], gpu=spec.gpu,
                                lang=language)
    outcome = outcomes.get(test_id)
    if outcome is None:
        raise AssertionError(msg("nbgrader", "no_outcome", language, test=test_id))
    lines = [msg("nbgrader", "header", language, test=test_id, paso=spec.paso,
                 score=round(outcome.score, 2), points=round(spec.points, 2))]
    for r in outcome.results:
        mark = "OK" if r.passed else "XX"
        text = f"  {mark} {r.name}"
        if not r.passed and r.message:
            text += f": {r.message}"
        if not r.passed and r.hint:
            text += f" ({r.hint})"
        lines.append(text)
    if not outcome.results and outcome.status != "passed" and outcome.message:
        lines.append("  " + outcome.message.splitlines()[0][:500])
    print("\n".join(lines))
    if outcome.score >= spec.points - TOLERANCE and outcome.status == "passed":
        return None
    if outcome.score > TOLERANCE:
        return round(outcome.score, 4)
    failed = [r for r in outcome.results if not r.passed]
    detail = "\n".join(f"{r.name}: {r.message}" for r in failed) or outcome.message \
        or outcome.status
    raise AssertionError(msg("nbgrader", "failed", language, test=test_id, detail=detail))
