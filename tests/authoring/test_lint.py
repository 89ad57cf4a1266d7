"""Static lint (autograder.lint) and notebook reading errors (autograder.notebook_io)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.authoring.lint import lint_notebook
from autograder.cli import main
from autograder.errors import AutograderError
from autograder.notebook_io import read_notebook

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAME = "toy_assignment"


@pytest.fixture(autouse=True)
def toy_env(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SOLUTIONS", str(FIXTURES))
    monkeypatch.setenv("AUTOGRADER_ASSIGNMENTS", str(tmp_path / "assignments"))


def _nb(*sources: str, meta: dict | None = None) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = [new_code_cell(s) for s in sources]
    nb.metadata.update(meta or {})
    return nb


def _kinds(issues):
    return [(i.kind, i.cell, i.line, i.func) for i in issues]


def test_unfilled_blanks_by_ast_with_cell_line_function():
    nb = _nb("import numpy as np",
             'def clip01(x):\n    """Doc with ___ in it."""\n    s = "___"\n'
             "    return np.clip(x, ___, 1.0)  # ___ in a comment",
             "LIMITE = ___")
    issues = lint_notebook(nb, NAME)
    assert _kinds(issues) == [("unfilled_blank", 1, 4, "clip01"), ("unfilled_blank", 2, 1, None),
                              ("missing_function", None, None, "scale")]
    assert "celda 2, línea 4" in issues[0].message and "`clip01`" in issues[0].message  # from 1
    assert issues[0].to_dict() == {"cell": 1, "line": 4, "func": "clip01",
                                   "kind": "unfilled_blank", "message": issues[0].message}


def test_not_implemented_once_per_function_and_syntax_error():
    nb = _nb("def scale(x, factor=2.0):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
             "    raise NotImplementedError",
             "def clip01(x):\n    return np.clip(x, 0, 1\n",
             "%matplotlib inline\n!pip install foo\nx = 1")
    issues = lint_notebook(nb, NAME, lang="en")
    assert _kinds(issues) == [("not_implemented", 0, 3, "scale"), ("syntax_error", 1, 2, None),
                              ("not_defined_syntax_error", 1, 2, "clip01")]
    assert "Syntax error in cell 2" in issues[1].message


def test_complete_solution_is_clean():
    ref = read_notebook(FIXTURES / NAME / f"{NAME}.ipynb")
    assert lint_notebook(ref, NAME) == []


def test_generated_template_lists_every_gap():
    assert main(["generate", NAME]) == 0
    from autograder.assignment import assignments_dir

    issues = lint_notebook(assignments_dir() / NAME / f"{NAME}.ipynb")  # assignment from metadata
    assert sorted(i.kind for i in issues) == ["not_implemented", "unfilled_blank", "unfilled_blank"]


def _source_nb(tmp_path) -> nbformat.NotebookNode:
    assert main(["generate", NAME]) == 0
    from autograder.assignment import assignments_dir

    return read_notebook(assignments_dir() / NAME / "source" / f"{NAME}.ipynb")


def test_copied_and_recreated_nbgrader_cells(tmp_path):
    nb = _source_nb(tmp_path)
    assert lint_notebook(nb, NAME) == []
    i_scale = next(i for i, c in enumerate(nb.cells) if "def scale(" in c.source)
    # student copies the scale cell (same id, same grade_id) and deletes the clip01 test cell
    nb.cells.insert(i_scale + 1, nbformat.from_dict(json.loads(json.dumps(nb.cells[i_scale]))))
    nb.cells = [c for c in nb.cells if "grade(\"toy_assignment\", \"clip01\")" not in c.source]
    kinds = _kinds(lint_notebook(nb, NAME))
    assert ("duplicate_cell_id", i_scale + 1, None, None) in kinds
    assert ("duplicate_grade_id", i_scale + 1, None, None) in kinds
    assert ("duplicate_function", i_scale + 1, None, "scale") in kinds
    assert ("lost_nbgrader_metadata", None, None, None) in kinds  # test_clip01 missing
    # a recreated solution cell without metadata
    nb2 = _source_nb(tmp_path)
    cell = nb2.cells[i_scale]
    nb2.cells[i_scale] = new_code_cell(cell.source)
    issues = lint_notebook(nb2, NAME)
    assert _kinds(issues) == [("lost_nbgrader_metadata", i_scale, None, "scale")]
    assert "Arreglo" in issues[0].message


def test_incomplete_nbgrader_metadata(tmp_path):
    nb = _source_nb(tmp_path)
    del nb.cells[0].metadata.nbgrader["grade_id"]
    assert ("lost_nbgrader_metadata", 0, None, None) in _kinds(lint_notebook(nb, NAME))


def test_lint_cli_exit_codes_and_json(tmp_path, capsys):
    good = tmp_path / "good.ipynb"
    shutil.copy(FIXTURES / NAME / f"{NAME}.ipynb", good)
    assert main(["lint", str(good), "--assignment", NAME]) == 0
    bad = tmp_path / "bad.ipynb"
    nbformat.write(_nb("x = ___"), bad)
    capsys.readouterr()
    assert main(["lint", str(bad), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data == [{"cell": 0, "line": 1, "func": None, "kind": "unfilled_blank",
                     "message": data[0]["message"]}]


@pytest.mark.parametrize("content,expected", [
    (b"", "empty file"),
    (b"   \n", "empty file"),
    (b"{oops", "invalid JSON at line 1"),
    (b"\x00\x01\x02binary", "binary file"),
    (b"\xff\xfe\xfa not utf8", "not UTF-8"),
    (b"[1, 2]", "not a Jupyter notebook"),
    (b'{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}', "nbformat v3"),
    (b'{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code"}]}',
     "unreadable notebook"),
])
def test_bad_input_one_clear_line(tmp_path, capsys, content, expected):
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    with pytest.raises(AutograderError, match=expected):
        read_notebook(path)
    assert main(["lint", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected.split()[0] in err


def test_missing_file_and_minor_upgrade(tmp_path):
    with pytest.raises(AutograderError, match="file not found"):
        read_notebook(tmp_path / "nope.ipynb")
    old = new_notebook(cells=[new_markdown_cell("hola")])
    old.nbformat_minor = 2
    data = json.loads(nbformat.writes(old))
    for c in data["cells"]:
        c.pop("id", None)
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(data))
    nb = read_notebook(path)
    assert nb.nbformat == 4 and nb.cells[0].source == "hola"


def test_findings_within_a_cell_are_sorted_by_line():
    nb = _nb("def scale(x, factor=2.0):\n    raise NotImplementedError()\n\n"
             "def clip01(x):\n    return np.clip(x, ___, 1.0)\n\nY = ___\n"
             "def late():\n    raise NotImplementedError")
    issues = lint_notebook(nb, NAME)
    assert _kinds(issues) == [("not_implemented", 0, 2, "scale"),
                              ("unfilled_blank", 0, 5, "clip01"), ("unfilled_blank", 0, 7, None),
                              ("not_implemented", 0, 9, "late")]


def test_lint_cli_speaks_the_assignment_language_and_infers_the_contract(tmp_path, capsys):
    nb = tmp_path / f"{NAME}_ana.ipynb"  # no -a, no metadata: inferred from the file name
    nbformat.write(_nb("def clip01(x):\n    return ___", "y = ___"), nb)
    assert main(["lint", str(nb)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "3 avisos" and not any("issue" in line for line in out)
    assert out[0].startswith(f"{nb}: celda 1, línea 2: Hueco `___` sin rellenar")  # no English code
    assert any("Falta la función `scale`" in line for line in out)
    assert main(["lint", str(nb), "--lang", "en"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "3 issues"
    by_meta = tmp_path / "entrega.ipynb"
    nbformat.write(_nb("def clip01(x):\n    return x", meta={"autograder": {"assignment": NAME}}),
                   by_meta)
    assert main(["lint", str(by_meta)]) == 1
    assert "Falta la función `scale`" in capsys.readouterr().out


def test_lint_cli_without_any_assignment_says_the_contract_was_skipped(tmp_path, capsys):
    nb = tmp_path / "whatever.ipynb"
    nbformat.write(_nb("x = 1"), nb)
    assert main(["lint", str(nb)]) == 0
    cap = capsys.readouterr()
    assert cap.out.strip() == "sin avisos"
    assert "--assignment" in cap.err and "no se comprueba qué funciones faltan" in cap.err
