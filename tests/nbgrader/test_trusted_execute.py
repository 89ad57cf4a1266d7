"""TrustedExecute (no nbgrader CLI, a fake trusted grader: no kernel, no TF) and the in-kernel
`grade()` of `nbgrader validate`."""

from __future__ import annotations

import copy
import logging
import os
import sys
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


def _fake_grader(score: float, cell_errors=(), skipped=(), error=None):
    def grade_notebook(path, assignment, **kw):
        SEEN.append(nbformat.read(path, as_version=4))
        res = SubmissionResult(student="s", assignment=assignment, notebook=str(path))
        res.outcomes["scale"] = Outcome("scale", 2.0, score, "passed" if score == 2 else
                                            "failed", "" if score == 2 else "mal", "PASO 1",
                                            True, False, False, 0.1)
        res.cell_errors = [{"cell": c, "line": 1, "exc_type": "ValueError", "message": "roto"}
                           for c in cell_errors]
        res.skipped_cells, res.error = list(skipped), error
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
    nb = _run(_notebook("x = 1"), grader="autograder.no_such_module:grade_notebook")
    test = nb.cells[-1]
    assert test.outputs[0].output_type == "error"
    assert test.outputs[0].ename == "AutograderUnavailable"
    assert determine_grade(test)[0] == 0


def test_no_kernel_runs_student_code(tmp_path):
    """Student cells are only run by the (sandboxed) trusted grader, never in a kernel here."""
    SEEN.clear()
    marker = tmp_path / "ran-in-a-kernel"
    src = f"open({str(marker)!r}, 'w').write('x')"
    nb = _run(_notebook("x = 1", src, "import os\nos._exit(1)"), grader=_fake_grader(2.0))
    assert not marker.exists()
    assert determine_grade(nb.cells[-1])[0] == 2
    # the trusted grader got the student's code without the hidden-test cell
    assert [c.source for c in SEEN[-1].cells] == ["x = 1", src, "import os\nos._exit(1)"]


def test_outputs_come_from_the_sandboxed_run():
    stale = _notebook("x = 1", "y = 2", "z = 3")
    stale.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="forjado")]
    nb = _run(stale, grader=_fake_grader(2.0, cell_errors=[1], skipped=[2]))
    assert nb.cells[0].outputs == []  # submitted outputs are never kept
    assert [(o.output_type, o.ename, o.evalue) for o in nb.cells[1].outputs] == [
        ("error", "ValueError", "roto")]
    assert "skip-when-grading" in nb.cells[2].outputs[0].text
    test = nb.cells[-1]
    assert [o.output_type for o in test.outputs] == ["stream"] and test.outputs[0].name == "stdout"


def test_instructor_grade_cells_pass_only_when_run_without_error():
    nb = _notebook("x = 1", "assert x == 1", "assert x == 2")
    for i in (1, 2):
        nb.cells[i].metadata["nbgrader"] = {"grade": True, "grade_id": f"own_{i}",
                                            "locked": True, "points": 1, "schema_version": 3,
                                            "solution": False}
    out = _run(copy.deepcopy(nb), grader=_fake_grader(2.0, cell_errors=[2]))
    assert determine_grade(out.cells[1])[0] == 1 and determine_grade(out.cells[2])[0] == 0
    out = _run(copy.deepcopy(nb), grader=_fake_grader(2.0, error="tiempo agotado"))
    assert determine_grade(out.cells[1])[0] == 0 and determine_grade(out.cells[2])[0] == 0


def test_partial_and_failed_verdicts():
    nb = _run(_notebook("x = 1"), grader=_fake_grader(1.0))
    assert determine_grade(nb.cells[-1])[0] == 1.0
    nb = _run(_notebook("x = 1"), grader=_fake_grader(0.0))
    assert nb.cells[-1].outputs[0].output_type == "error"
    assert "mal" in nb.cells[-1].outputs[0].evalue
    assert determine_grade(nb.cells[-1])[0] == 0


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
