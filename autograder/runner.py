"""Run an assignment's hidden pytest suite against one student object."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest

from autograder.assignment import Assignment
from autograder.pytest_plugin import GradingSession, TestOutcome


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
) -> tuple[dict[str, TestOutcome], GradingSession]:
    """Run `test_<id>` functions of the assignment's suite; return outcomes keyed by test id.

    Tests are selected by id (`select`), visibility and the gpu flag. pytest's own output is
    captured (returned nowhere) unless `capture_output` is False.
    """
    session = GradingSession(student, assignment, lang=lang, seed=seed)
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
    with ctx:
        pytest.main(args, plugins=[session])
    return {i: session.outcomes[i] for i in ids if i in session.outcomes}, session
