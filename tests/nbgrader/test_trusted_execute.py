"""TrustedExecute (no nbgrader CLI, small kernels without TF) and the in-kernel `grade()`."""

from __future__ import annotations

import logging
import os
import sys
import time
import types
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import determine_grade

from autograder.authoring.generate import grade_cell_source
from autograder.model import SubmissionResult
from autograder.model import TestOutcome as Outcome
from autograder.nbgrader.cell import grade, quiet
from autograder.nbgrader.preprocessors import TrustedExecute, grade_call

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAME = "toy_assignment"
SEEN: list[nbformat.NotebookNode] = []


@pytest.fixture(autouse=True)
def toy_env(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SOLUTIONS", str(FIXTURES))


def _fake_grader(score: float):
    def grade_notebook(path, assignment, **kw):
        SEEN.append(nbformat.read(path, as_version=4))
        res = SubmissionResult(student="s", assignment=assignment, notebook=str(path))
        res.outcomes["scale"] = Outcome("scale", 2.0, score, "passed" if score == 2 else
                                            "failed", "" if score == 2 else "mal", "PASO 1",
                                            True, False, False, 0.1)
        return res
    mod = types.ModuleType("fake_trusted_grader")
    mod.grade_notebook = grade_notebook
    sys.modules["fake_trusted_grader"] = mod
    return "fake_trusted_grader:grade_notebook"


def _notebook(*sources: str) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [new_code_cell(s) for s in sources]
    test = new_code_cell(grade_cell_source(NAME, "scale"))
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "test_scale", "locked": True,
                                 "points": 2, "schema_version": 3, "solution": False}
    nb.cells.append(test)
    return nb


def _run(nb, **traits):
    ex = TrustedExecute(**traits)
    nb, _ = ex.preprocess(nb, {"metadata": {"path": "."}, "nbgrader": {"student": "s"}})
    return nb


def test_grade_call_parses_only_generated_cells():
    assert grade_call(new_code_cell(grade_cell_source("a", "b"))) == ("a", "b")
    assert grade_call(new_code_cell("grade(a, 'b')")) is None


def test_fail_closed_when_trusted_grader_missing():
    nb = _run(_notebook("x = 1"), grader="autograder.no_such_module:grade_notebook", timeout=20)
    test = nb.cells[-1]
    assert test.outputs[0].output_type == "error"
    assert test.outputs[0].ename == "AutograderUnavailable"
    assert determine_grade(test)[0] == 0


def test_dead_kernel_survived_and_verdict_applied():
    SEEN.clear()
    nb = _run(_notebook("x = 1", "import os\nos._exit(1)", "y = 2"), grader=_fake_grader(2.0),
              timeout=20)
    assert [o.ename for o in nb.cells[1].outputs if o.output_type == "error"] == ["DeadKernelError"]
    assert [o.ename for o in nb.cells[2].outputs if o.output_type == "error"] == ["KernelDied"]
    test = nb.cells[-1]
    assert [o.output_type for o in test.outputs] == ["stream"] and test.outputs[0].name == "stdout"
    assert determine_grade(test)[0] == 2
    # the trusted grader got the student's code without the hidden-test cell
    assert [c.source for c in SEEN[-1].cells] == ["x = 1", "import os\nos._exit(1)", "y = 2"]


def test_partial_and_failed_verdicts():
    nb = _run(_notebook("x = 1"), grader=_fake_grader(1.0), timeout=20)
    assert determine_grade(nb.cells[-1])[0] == 1.0
    nb = _run(_notebook("x = 1"), grader=_fake_grader(0.0), timeout=20)
    assert nb.cells[-1].outputs[0].output_type == "error"
    assert "mal" in nb.cells[-1].outputs[0].evalue
    assert determine_grade(nb.cells[-1])[0] == 0


def test_cell_and_notebook_timeouts():
    nb = _run(_notebook("while True:\n    pass", "print(40 + 2)"), grader=_fake_grader(2.0),
              timeout=2)
    assert any(o.output_type == "error" for o in nb.cells[0].outputs)
    assert nb.cells[1].outputs[0].text == "42\n"  # the kernel was interrupted, not lost
    nb = _run(_notebook("import time\ntime.sleep(5)", "x = 1"), grader=_fake_grader(2.0),
              timeout=30, notebook_timeout=2)
    assert nb.cells[1].outputs[0].ename == "NotebookTimeout"


def test_loop_that_ignores_interrupts_is_bounded():
    src = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    t0 = time.monotonic()
    nb = _run(_notebook(src, "print(1)"), grader=_fake_grader(2.0), timeout=2,
              notebook_timeout=60)
    assert time.monotonic() - t0 < 45
    assert nb.cells[0].outputs[-1].ename == "CellTimeoutError"
    assert nb.cells[1].outputs[0].ename == "KernelDied"
    assert determine_grade(nb.cells[-1])[0] == 2  # the trusted verdict still applies


# in-kernel grade() -------------------------------------------------------------------------
def _scale(x, factor=2.0):
    warnings.warn("ruido", stacklevel=2)
    logging.getLogger("tensorflow").warning("registro")
    sys.stderr.write("stderr de python\n")
    os.write(2, b"I tensorflow/core: log de C++\n")
    return np.asarray(x) * factor


def test_quiet_captures_fd2_warnings_and_logging(capfd):
    with quiet():
        _scale(1.0)
        print("oculto")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_grade_full_partial_and_zero(capfd):
    assert grade(NAME, "scale", namespace={"scale": _scale}) is None
    out = capfd.readouterr()
    assert out.err == ""
    assert "Prueba `scale` (PASO 1): 2.0/2.0 puntos" in out.out and "OK scale_0" in out.out

    def half(x, factor=2.0):
        return np.asarray(x) * (factor if np.ndim(x) == 2 else 1)
    assert grade(NAME, "scale", namespace={"scale": half}) == 1.0
    assert "XX scale_1" in capfd.readouterr().out
    with pytest.raises(AssertionError, match="No se encontró la función `clip01`"):
        grade(NAME, "clip01", namespace={})
    with pytest.raises(AssertionError, match="no se supera"):
        grade(NAME, "clip01", namespace={"clip01": lambda x: x})
