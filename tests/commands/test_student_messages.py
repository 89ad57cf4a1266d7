"""What a student reads about broken cells, cell numbers and optional functions (issue 12.7,
12.11, 12.12): in-process grading of the mini assignment, so milliseconds per test."""

from __future__ import annotations

import nbformat

from autograder.assignment import load
from autograder.authoring.lint import lint_notebook
from autograder.cli import main
from autograder.grading.pipeline import grade_notebook
from autograder.grading.runners import InProcessRunner
from autograder.report.console import text_summary
from tests.support.cli_helpers import MINI, write_nb

BROKEN = "def double(x):\n    return 2 * x\n\ndef halve(x)\n    return x / 2\n"


def _broken_nb(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Mini"), nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell(BROKEN)]
    nbformat.write(nb, str(path))
    return path


def test_syntax_error_is_reported_where_it_is_not_as_a_missing_function(tmp_path):
    path = _broken_nb(tmp_path / "ana.ipynb")
    spec = load(MINI)
    kinds = [(i.kind, i.cell, i.func) for i in lint_notebook(path, spec)]
    assert ("syntax_error", 2, None) in kinds
    assert ("not_defined_syntax_error", 2, "double") in kinds  # both defs of the broken cell
    assert not any(k == "missing_function" for k, _, _ in kinds)
    result = grade_notebook(path, spec, runner=InProcessRunner())
    [err] = result.cell_errors
    assert err["exc_type"] == "SyntaxError" and "<cell" not in err["message"]
    text = text_summary(result, lang="es")
    assert "Celda 3, línea 4: SyntaxError" in text  # the third cell, numbered from 1
    assert "no se definió ninguna función de la celda: `double`, `halve`" in text
    assert "No se encontró la función" not in text
    assert "su celda (3) tiene un error de sintaxis en la línea 4" in text


def test_cells_are_numbered_from_1_in_lint_cli(tmp_path, capsys):
    path = _broken_nb(tmp_path / "ana.ipynb")
    assert main(["lint", str(path), "-a", str(MINI)]) == 1
    out = capsys.readouterr().out
    assert "celda 3, línea 4: Error de sintaxis en la celda 3, línea 4" in out
    assert "syntax_error" not in out  # codes (English) only in --json (issue 12.13)
    assert "celda 2" not in out


def test_untouched_optional_function_is_optional_in_lint_and_check(tmp_path, fake_engine, capsys):
    toml = (MINI / "assignment.toml").read_text()
    (tmp_path / "mini").mkdir()
    (tmp_path / "mini" / "assignment.toml").write_text(toml.replace(
        'functions = ["double", "halve"]', 'functions = ["double", "halve", "triple"]\n'
        'optional = ["triple"]').replace('id = "extra"', 'id = "extra"\nvisible = true'))
    (tmp_path / "mini" / "tests").mkdir()
    suite = (MINI / "tests" / "test_mini_assignment.py").read_text()
    (tmp_path / "mini" / "tests" / "test_mini_assignment.py").write_text(suite)
    code = ("def double(x):\n    return 2 * x\n\ndef halve(x):\n    return x / 2\n\n"
            "def triple(x):\n    # TU CÓDIGO AQUÍ\n    raise NotImplementedError()\n")
    nb = write_nb(tmp_path / "ana.ipynb", code)
    assert main(["lint", str(nb), "-a", str(tmp_path / "mini")]) == 0
    out = capsys.readouterr().out
    assert "La función opcional `triple` está sin completar" in out
    assert main(["check", str(nb), "-a", str(tmp_path / "mini")]) == 0
    code_wrong = code.replace("return 2 * x", "return 3 * x")
    nb = write_nb(tmp_path / "bob.ipynb", code_wrong)
    assert main(["check", str(nb), "-a", str(tmp_path / "mini")]) == 1  # a real failure still counts
