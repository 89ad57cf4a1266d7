"""assignment.toml schema errors and the suite/toml agreement (issue 12.3, 12.4)."""

from __future__ import annotations

import pytest

from autograder.assignment import load
from autograder.authoring.lint import lint_notebook
from autograder.cli import main
from autograder.errors import AutograderError

NAME = "toy_assignment"


def _toml(sols):
    return sols / NAME / "assignment.toml"


def test_misspelt_key_names_key_test_and_file(toy_project, capsys):
    sols, _ = toy_project
    path = _toml(sols)
    path.write_text(path.read_text().replace("visible = true", "visibile = true"))
    with pytest.raises(AutograderError) as exc:
        load(NAME)
    text = str(exc.value)
    assert "'visibile'" in text and "'scale'" in text and str(path) in text
    assert main(["generate", NAME]) == 2
    assert "'visibile'" in capsys.readouterr().err


def test_unknown_table_and_bad_hint_level_are_errors(toy_project):
    sols, _ = toy_project
    path = _toml(sols)
    original = path.read_text()
    path.write_text(original + "\n[grading]\nx = 1\n")
    with pytest.raises(AutograderError, match=r"unknown table \[grading\]"):
        load(NAME)
    path.write_text(original.replace("visible = true", 'visible = true\nhint_level = "lots"'))
    with pytest.raises(AutograderError, match="hint_level 'lots'"):
        load(NAME)


def test_no_visible_test_generates_an_empty_bundle(toy_project, capsys):
    sols, out = toy_project
    path = _toml(sols)
    path.write_text(path.read_text().replace("visible = true", "visible = false"))
    assert main(["generate", NAME]) == 0, capsys.readouterr().err
    bundle = load(out / NAME / "autograder_check")
    assert bundle.tests == [] and bundle.functions == ["scale", "clip01"]


def test_test_entry_without_function_is_named_by_generate_and_lint(toy_project, capsys):
    sols, _ = toy_project
    path = _toml(sols)
    path.write_text(path.read_text() + '\n[[tests]]\nid = "ghost"\npoints = 1\npaso = "PASO 3"\n'
                    'functions = ["scale"]\n')
    assert main(["generate", NAME]) == 2
    err = capsys.readouterr().err
    assert "test_ghost" in err and "test_toy_assignment.py" in err
    issues = lint_notebook(sols / NAME / f"{NAME}.ipynb", load(NAME))
    found = [i for i in issues if i.kind == "missing_test_function"]
    assert [i.func for i in found] == ["test_ghost"] and "test_ghost" in found[0].message
