"""`autograder new` (issue 12.16), the `parameters` warning (12.17), a fast CLI (12.18)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import load
from autograder.cli import main
from autograder.grading.pipeline import grade_notebook
from autograder.grading.runners import InProcessRunner

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def course(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SOLUTIONS", str(tmp_path / "solutions"))
    monkeypatch.setenv("AUTOGRADER_ASSIGNMENTS", str(tmp_path / "assignments"))
    return tmp_path


def test_new_scaffold_generates_and_grades_as_is(course, capsys):
    assert main(["new", "mi_tarea", "--title", "Mi tarea"]) == 0
    folder = course / "solutions" / "mi_tarea"
    toml = (folder / "assignment.toml").read_text()
    for key in ("duedate", "optional", "hint_level", "bonus", "[gpu]", "[data]", "[checks]"):
        assert key in toml  # every key documented, optional ones commented
    assert main(["generate", "mi_tarea"]) == 0
    assert "warning" not in capsys.readouterr().err  # the parameters cell is there
    spec = load("mi_tarea")
    ref = grade_notebook(spec.notebook, spec, runner=InProcessRunner())
    assert ref.score == ref.max_score == 1.0
    template = course / "assignments" / "mi_tarea" / "mi_tarea.ipynb"
    assert "# TU CÓDIGO AQUÍ" in template.read_text()  # issue 12.13: Spanish stub
    tpl = grade_notebook(template, spec, runner=InProcessRunner())
    assert tpl.score == 0 and tpl.outcomes["normalize"].results[0].status == "not_implemented"
    assert main(["new", "mi_tarea"]) == 2  # never overwrites
    assert main(["new", "Bad-Name"]) == 2


def test_missing_parameters_tag_warns(course, capsys):
    assert main(["new", "sin_tag"]) == 0
    nb_path = course / "solutions" / "sin_tag" / "sin_tag.ipynb"
    nb = nbformat.read(str(nb_path), 4)
    for cell in nb.cells:
        cell.metadata.pop("tags", None)
    nbformat.write(nb, str(nb_path))
    capsys.readouterr()
    assert main(["generate", "sin_tag"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "`parameters`" in err and "SEED" in err


def _timed(*argv: str, cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", (
        "import sys, runpy; sys.argv = ['autograder', *sys.argv[1:]]\n"
        "try:\n    runpy.run_module('autograder', run_name='__main__')\n"
        "finally:\n    print(json.dumps(sorted(m for m in ('tensorflow', 'nbformat', 'keras')"
        " if m in sys.modules)), file=sys.stderr)").replace("json.dumps", "__import__('json').dumps"),
        *argv], capture_output=True, text=True, cwd=cwd, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - t0, proc


def test_help_version_and_bad_files_answer_fast_without_tensorflow(tmp_path):
    bad = tmp_path / "entrega.ipynb"
    bad.write_text("{no es json", encoding="utf-8")
    cases = [("--help",), ("--version",), ("grade", "--help"), ("check", str(bad)),
             ("lint", str(bad))]
    for argv in cases:
        best = min(_timed(*argv, cwd=tmp_path)[0] for _ in range(2))  # 2 CPUs shared: best of 2
        seconds, proc = _timed(*argv, cwd=tmp_path)
        loaded = json.loads(proc.stderr.strip().splitlines()[-1])
        assert loaded == [], (argv, loaded)  # the heavy imports never happen
        assert min(best, seconds) < 1.0, (argv, best)
    _, proc = _timed("check", str(bad), cwd=tmp_path)
    assert "no es JSON válido" in proc.stderr  # issue 12.13: Spanish CLI error


@pytest.mark.slow
def test_data_status_without_absl_noise_or_placeholders(tmp_path):
    env = {**os.environ, "TFDS_DATA_DIR": str(tmp_path / "tfds"), "KERAS_HOME": str(tmp_path / "k")}
    proc = subprocess.run([sys.executable, "-m", "autograder", "data", "status", "--all"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 1  # nothing cached here
    assert "<assignment>" not in proc.stdout and "data fetch ut3_10_flowers" in proc.stdout
    assert "absl" not in proc.stderr and "oneDNN" not in proc.stderr, proc.stderr
