"""grade_notebook on the toy assignment: correct passes, wrong fails the named check, profile
injection, skipped cells, cell errors, magics, visibility, isolation report."""

from __future__ import annotations

import pytest

from autograder.errors import AutograderError
from autograder.grading.pipeline import grade_notebook
from autograder.model import IsolationFeature, IsolationMode
from tests.support import toy_notebooks as T

pytestmark = pytest.mark.slow


def test_reference_scores_full_marks_and_reports_isolation(tmp_path):
    nb = T.write(tmp_path / "ref.ipynb", T.REFERENCE, ("print('entrenando')", ["skip-when-grading"]))
    r = grade_notebook(nb, str(T.TOY))
    assert r.error is None and r.cell_errors == []
    assert (r.score, r.max_score) == (5.0, 5.0)
    assert {o.id: o.status for o in r.outcomes.values()} == {
        "add": "passed", "normalize": "passed", "scaled": "passed"}
    assert r.skipped_cells == [3]  # markdown 0, parameters 1, reference 2 (student's numbering)
    assert r.isolation.mode == IsolationMode.SANDBOX  # on by default, no root needed
    assert r.isolation.has(IsolationFeature.USER_NAMESPACE)
    assert r.isolation.has(IsolationFeature.SECCOMP)
    assert "entrenando" not in r.stdout_tail


def test_profile_is_injected_after_parameters_cell(tmp_path):
    # the notebook says SCALE = 1; the ci profile says 2; the check expects 2
    nb = T.write(tmp_path / "ref.ipynb", T.REFERENCE, "print('SCALE', SCALE)")
    r = grade_notebook(nb, str(T.TOY))
    assert r.outcomes["scaled"].status == "passed"
    assert "SCALE 2" in r.stdout_tail
    full = grade_notebook(nb, str(T.TOY), profile="full")  # SCALE = 3 there
    assert full.outcomes["scaled"].status == "failed"
    assert "SCALE 3" in full.stdout_tail


def test_untouched_template_scores_zero_as_not_implemented(tmp_path):
    r = grade_notebook(T.write(tmp_path / "empty.ipynb", T.EMPTY), str(T.TOY))
    assert r.score == 0.0 and r.error is None
    for o in r.outcomes.values():
        assert o.status == "failed"
        assert {c.status for c in o.results} == {"not_implemented"}
        assert "todavía no está implementada" in o.message


def test_wrong_function_loses_exactly_its_points(tmp_path):
    wrong = T.REFERENCE.replace("(x - x.mean()) / x.std()", "x / x.max()")
    r = grade_notebook(T.write(tmp_path / "wrong.ipynb", wrong), str(T.TOY))
    assert r.score == 3.0
    assert r.outcomes["normalize"].status == "failed"
    assert [c.name for c in r.outcomes["normalize"].results if not c.passed] == ["normalize_values"]


def test_missing_function_is_reported_as_missing(tmp_path):
    src = T.REFERENCE.replace("def scaled(x):\n    return x * SCALE\n", "")
    r = grade_notebook(T.write(tmp_path / "missing.ipynb", src), str(T.TOY))
    assert r.score == 4.0
    assert "No se encontró la función `scaled`" in r.outcomes["scaled"].message


def test_failing_cell_is_recorded_and_later_cells_still_run(tmp_path):
    nb = T.write(tmp_path / "err.ipynb", "x = 1\nundefined_name + 1", T.REFERENCE,
                 "%matplotlib inline\n!pip install nada\nimport matplotlib.pyplot as plt\n"
                 "plt.plot([1, 2]); plt.show()")
    r = grade_notebook(nb, str(T.TOY))
    assert r.score == 5.0
    assert r.cell_errors == [{"cell": 2, "exc_type": "NameError", "line": 2, "functions": [],
                              "message": "name 'undefined_name' is not defined"}]


def test_run_all_executes_skipped_cells(tmp_path):
    nb = T.write(tmp_path / "ref.ipynb", T.REFERENCE, ("print('entrenando')", ["skip-when-grading"]))
    r = grade_notebook(nb, str(T.TOY), run_all=True)
    assert r.skipped_cells == [] and "entrenando" in r.stdout_tail


def test_visible_only_runs_only_visible_tests(tmp_path):
    r = grade_notebook(T.write(tmp_path / "ref.ipynb", T.REFERENCE), str(T.TOY),
                       visible_only=True)
    assert list(r.outcomes) == ["add"] and r.score == 2.0


def test_functions_defined_before_an_endless_cell_are_still_graded(tmp_path):
    nb = T.write(tmp_path / "loop.ipynb", T.REFERENCE, "while True:\n    pass")
    r = grade_notebook(nb, str(T.TOY), timeout=3)
    assert r.score == 5.0
    assert "superó el límite de 3 s" in r.error
    assert r.cell_errors[0]["exc_type"] == "Timeout"


def test_english_messages(tmp_path):
    r = grade_notebook(T.write(tmp_path / "empty.ipynb", T.EMPTY), str(T.TOY), lang="en")
    assert "is not implemented yet" in r.outcomes["add"].message


def test_copied_cells_with_duplicate_ids_and_lost_metadata_still_grade(tmp_path):
    import json

    nb = T.notebook(T.REFERENCE, T.REFERENCE.replace("x * SCALE", "x * SCALE  # copia"))
    data = json.loads(__import__("nbformat").writes(nb))
    for cell in data["cells"]:
        cell["id"] = "same-id"  # students copy cells: duplicated ids, nbgrader metadata gone
        cell["metadata"].pop("nbgrader", None)
    path = tmp_path / "copied.ipynb"
    path.write_text(json.dumps(data), encoding="utf-8")
    r = grade_notebook(path, str(T.TOY))
    assert r.error is None and r.score == 5.0


def test_broken_bubblewrap_fails_closed(tmp_path, monkeypatch):
    """A bwrap that is installed but cannot create namespaces stops grading (no fallback)."""
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("AUTOGRADER_BWRAP", str(fake))
    monkeypatch.setenv("AUTOGRADER_SANDBOX_PRELOAD", "numpy,autograder.sandbox.wire")
    monkeypatch.delenv("AUTOGRADER_ISOLATION", raising=False)
    with pytest.raises(AutograderError, match="No permissions to create new namespace"):
        grade_notebook(T.write(tmp_path / "ref.ipynb", T.REFERENCE), str(T.TOY))


def test_isolation_none_is_explicit_and_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX_PRELOAD", "numpy,autograder.sandbox.wire")
    r = grade_notebook(T.write(tmp_path / "ref.ipynb", T.REFERENCE), str(T.TOY),
                       isolation=IsolationMode.NONE)
    assert r.score == 5.0 and r.isolation.mode == IsolationMode.NONE
    assert not r.isolation.has(IsolationFeature.USER_NAMESPACE)
    assert r.to_dict()["isolation"]["mode"] == "none"


@pytest.mark.parametrize("body", ["import os\n    os._exit(0)", "while True:\n        pass"])
def test_process_lost_in_one_function_costs_only_that_test(tmp_path, body):
    """A fresh process (re-running the notebook) serves the tests after a crash or timeout."""
    src = T.REFERENCE.replace("def add(a, b):\n    return a + b", f"def add(a, b):\n    {body}")
    assert src != T.REFERENCE
    r = grade_notebook(T.write(tmp_path / "crash.ipynb", src), str(T.TOY), call_timeout=2)
    scores = {o.id: o.score for o in r.outcomes.values()}
    assert scores == {"add": 0.0, "normalize": 2.0, "scaled": 1.0}, r.outcomes["add"].message
    assert T.stray_processes() == []


BAD_FILES = {  # content -> the Spanish explanation the student reads (no English one-liner)
    b"": "el archivo está vacío",
    bytes(range(256)) * 4: "es un archivo binario",
    b'{"cells": [], \n "nbformat": 4,, }': "el archivo no es JSON válido (primer error en la línea 2, columna",
    b'{"hello": [1, 2]}': "es JSON pero no un notebook de Jupyter",
    b'{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}':
        "está en el formato antiguo nbformat 3",
}


@pytest.mark.parametrize("content", sorted(BAD_FILES), ids=range(len(BAD_FILES)))
def test_unreadable_notebook_is_explained_per_kind_in_the_report_language(tmp_path, content):
    nb = tmp_path / "ana.ipynb"
    nb.write_bytes(content)
    r = grade_notebook(nb, str(T.TOY))  # no student process is started for a bad file
    assert r.error.startswith("No se pudo leer la entrega: " + BAD_FILES[content])
    for english in ("file", "JSON at line", "not a Jupyter", "not supported", str(tmp_path)):
        assert english not in r.error
    assert {o.message for o in r.outcomes.values()} == {
        "No se pudo ejecutar: el notebook no se pudo leer (el motivo está al principio del "
        "informe)."}
    en = grade_notebook(nb, str(T.TOY), lang="en")
    assert en.error.startswith("The submission could not be read: ")
    assert "no se" not in en.error.lower()
