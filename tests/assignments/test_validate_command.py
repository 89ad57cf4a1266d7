"""`autograder validate` on a toy assignment (pure numpy, seconds): a correct reference and its
generated template validate; a broken reference, a template that earns points and a missing
template are each reported with a readable reason and exit 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.authoring import generate
from autograder.assignment import load
from autograder.cli import main
from autograder.commands.validate import grade_in_process, validate
from autograder.model import IsolationMode

TOY = Path(__file__).resolve().parents[1] / "fixtures" / "toy_assignment"


@pytest.fixture
def toy(tmp_path, monkeypatch):
    solutions, assignments = tmp_path / "solutions", tmp_path / "assignments"
    shutil.copytree(TOY, solutions / "toy_assignment")
    monkeypatch.setenv("AUTOGRADER_SOLUTIONS", str(solutions))
    monkeypatch.setenv("AUTOGRADER_ASSIGNMENTS", str(assignments))
    generate.write(generate.build(load("toy_assignment")))
    return solutions / "toy_assignment"


def _edit_reference(folder: Path, old: str, new: str) -> None:
    path = folder / "toy_assignment.ipynb"
    nb = nbformat.read(path, as_version=4)
    hits = [c for c in nb.cells if old in c.source]
    assert hits, old
    for c in hits:
        c.source = c.source.replace(old, new)
    nbformat.write(nb, path)


def test_toy_reference_and_template_validate(toy, capsys):
    report = validate("toy_assignment", in_process=True)
    assert report["ok"], report["problems"]
    assert report["reference"]["score"] == report["reference"]["max_score"] == 3
    assert report["template"]["score"] == 0
    assert main(["validate", "toy_assignment", "--in-process"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK   toy_assignment [ci] reference 3/3") and "in-process" in out


def test_broken_reference_is_reported(toy, capsys):
    _edit_reference(toy, "np.clip(x, 0.0, 1.0)", "np.clip(x, 0.0, 2.0)")
    report = validate("toy_assignment", in_process=True, skip_template=True)
    assert not report["ok"]
    assert any(p.startswith("reference: clip01 scored 0/1") for p in report["problems"])
    assert main(["validate", "toy_assignment", "--in-process", "--skip-template"]) == 1
    assert "FAIL toy_assignment" in capsys.readouterr().out


def test_template_that_earns_points_or_is_missing_is_reported(toy):
    template = Path(load("toy_assignment").notebook).parents[2] / "assignments" / \
        "toy_assignment" / "toy_assignment.ipynb"
    shutil.copy(toy / "toy_assignment.ipynb", template)  # "template" = the solution itself
    report = validate("toy_assignment", in_process=True)
    assert any("template: scale scored" in p and "expected 0" in p for p in report["problems"])
    template.unlink()
    report = validate("toy_assignment", in_process=True)
    assert any("missing: run `autograder generate toy_assignment`" in p
               for p in report["problems"])


def test_in_process_executor_records_cell_errors_and_skips(toy):
    _edit_reference(toy, "import numpy as np", "import numpy as np\nraise RuntimeError('boom')")
    result = grade_in_process(toy / "toy_assignment.ipynb", load("toy_assignment"))
    assert any(e["exc_type"] == "RuntimeError" and e["message"] == "boom"
               for e in result.cell_errors)  # the same shape as sandboxed grading
    assert result.isolation.mode == IsolationMode.IN_PROCESS


def test_no_name_is_a_usage_error(capsys):
    assert main(["validate"]) == 2
    assert "name an assignment or pass --all" in capsys.readouterr().err


def test_all_reports_a_broken_assignment_and_continues(toy, capsys):
    broken = toy.parent / "broken_assignment"
    broken.mkdir()
    (broken / "assignment.toml").write_text("[assignment]\nname = 'broken_assignment'\n")
    assert main(["validate", "--all", "--in-process", "--skip-template"]) == 1
    out = capsys.readouterr().out
    assert "FAIL broken_assignment" in out and "missing key 'notebook'" in out
    assert "OK   toy_assignment" in out
