"""The kit works from a non-editable install (issue 12.2 and 12.18): templates ship as package
data, `generate` and `grade` run from a course folder outside the checkout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "fixtures" / "toy_assignment"


@pytest.mark.slow
def test_non_editable_install_generates_and_grades(tmp_path):
    venv = tmp_path / "venv"
    # a copy of this venv (hard links: cheap) with the kit reinstalled from a wheel, not editable
    subprocess.run(["cp", "-al", str(Path(sys.prefix)), str(venv)], check=True)
    py = venv / "bin" / "python"
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps",
                          "--no-build-isolation", "--force-reinstall", str(ROOT)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert pip.returncode == 0, pip.stderr[-2000:]
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    course = tmp_path / "course"
    shutil.copytree(TOY, course / "solutions" / "toy_assignment")
    where = subprocess.run([str(py), "-c", "import autograder; print(autograder.__file__)"],
                           capture_output=True, text=True, cwd=course, check=True)
    assert str(ROOT) not in where.stdout and "site-packages" in where.stdout

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(py), "-m", "autograder", *argv], capture_output=True,
                              text=True, cwd=course, timeout=600)

    gen = run("generate", "toy_assignment")
    assert gen.returncode == 0, gen.stderr
    assert (course / "assignments" / "toy_assignment" / "README.md").is_file()
    assert (course / "assignments" / "toy_assignment" / "nbgrader_config.py").is_file()
    subs = course / "subs"
    subs.mkdir()
    shutil.copy(course / "solutions" / "toy_assignment" / "toy_assignment.ipynb", subs / "ana.ipynb")
    out = course / "out"
    grade = run("grade", str(subs), "-a", "toy_assignment", "-o", str(out))
    assert grade.returncode == 0, grade.stderr
    assert (out / "ana" / "feedback.html").is_file()
    assert (out / "grades.csv").is_file()
    assert json.loads((out / "ana" / "results.json").read_text())["score"] == 3.0
    scaffold = run("new", "otra")  # its templates are package data too
    assert scaffold.returncode == 0, scaffold.stderr
    assert run("generate", "otra").returncode == 0
