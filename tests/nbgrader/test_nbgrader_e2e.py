"""Stock nbgrader 0.9 end-to-end on the toy assignment: one course dir, one autograde run.

Students (graded in this order): a_ref (reference: TF logs + warnings.warn + raw fd-2 writes
inside its functions), b_tmpl (untouched release), c_looper (scale never returns), d_mistakes
(realistic mistake: clip01 wrong, so it loses exactly that 1 point; it also monkeypatches
np.allclose / AssertionError / IPython showtraceback, which must not rescue it; graded after
the looper), e_exiter (os._exit), two attacks on the grader itself (issue 11): b2_killer (SIGKILLs its
parent: in a kernel that was nbgrader, which stopped the batch) and f_detached (leaves a detached
helper that edits gradebook.db after its autograde: 4/4 for an untouched notebook when student
cells ran in a kernel of the nbgrader user). Plus stock `nbgrader validate` on the reference (run while
autograde runs): the in-kernel test cells keep stderr clean.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import load
from autograder.authoring.generate import build

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NAME = "toy_assignment"
NBGRADER = [sys.executable, "-m", "nbgrader"]

SCALE_OK = '''def scale(x, factor=2.0):
    """Devuelve `x` multiplicado por `factor` (mismo shape)."""
    return np.asarray(x) * factor'''
CLIP_OK = '''def clip01(x):
    """Recorta `x` al intervalo [0, 1]."""
    return np.clip(x, 0.0, 1.0)'''
STUDENTS = {
    "d_mistakes": {
        "scale": '''import builtins
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
class _Never(Exception):
    pass
builtins.AssertionError = _Never
get_ipython().showtraceback = lambda *a, **k: None
''' + SCALE_OK, "clip01": CLIP_OK.replace("1.0)", "2.0)")},
    "e_exiter": {"scale": '''def scale(x, factor=2.0):
    """Devuelve `x` multiplicado por `factor` (mismo shape)."""
    os._exit(3)''', "clip01": CLIP_OK},
    "c_looper": {"scale": '''def scale(x, factor=2.0):
    """Devuelve `x` multiplicado por `factor` (mismo shape)."""
    while True:
        pass''', "clip01": CLIP_OK},
}
TEMPLATE_SCALE = '''def scale(x, factor=2.0):
    """Devuelve `x` multiplicado por `factor` (mismo shape)."""
    raise NotImplementedError()'''
DETACHED = '''import os, subprocess, sys
_helper = """
import os, sqlite3, time
time.sleep(3)
d = os.getcwd()
for _ in range(8):
    p = os.path.join(d, "gradebook.db")
    if os.path.exists(p):
        db = sqlite3.connect(p)
        db.execute("update grade set manual_score = 99")
        db.commit()
        open(os.path.join(d, "PWNED"), "w").write(p)
    d = os.path.dirname(d)
"""
subprocess.Popen([sys.executable, "-c", _helper], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''
STUDENTS["f_detached"] = {"scale": DETACHED + TEMPLATE_SCALE}
STUDENTS["b2_killer"] = {"scale": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
                                  + SCALE_OK}
CALL_TIMEOUT = 4


def _nb(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _replace_function(nb: nbformat.NotebookNode, func: str, code: str) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code" and f"def {func}(" in cell.source:
            cell.source = code
            return
    raise AssertionError(f"no cell defines {func}")


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 400):
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return proc


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    env = dict(os.environ, AUTOGRADER_SOLUTIONS=str(FIXTURES),
               AUTOGRADER_ASSIGNMENTS=str(root / "generated"), TF_CPP_MIN_LOG_LEVEL="0",
               PYTHONWARNINGS="default",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    os.environ["AUTOGRADER_ASSIGNMENTS"] = str(root / "generated")
    os.environ["AUTOGRADER_SOLUTIONS"] = str(FIXTURES)
    try:
        files = build(load(NAME))
    finally:
        del os.environ["AUTOGRADER_ASSIGNMENTS"], os.environ["AUTOGRADER_SOLUTIONS"]
    by_name = {p.relative_to(root / "generated" / NAME).as_posix(): t for p, t in files.items()}
    (root / "source" / NAME).mkdir(parents=True)
    (root / "source" / NAME / f"{NAME}.ipynb").write_text(by_name[f"source/{NAME}.ipynb"])
    config = by_name["nbgrader_config.py"] + (
        '\nc.CourseDirectory.course_id = "toy"\n'
        "c.TrustedExecute.verdict_timeout = 60\n"
        f"c.TrustedExecute.call_timeout = {CALL_TIMEOUT}\n")
    (root / "nbgrader_config.py").write_text(config)
    timings = {}
    t0 = time.monotonic()
    gen = _run(NBGRADER + ["generate_assignment", NAME, "--force"], root, env)
    timings["generate"] = time.monotonic() - t0
    assert gen.returncode == 0, gen.stdout + gen.stderr
    release = root / "release" / NAME / f"{NAME}.ipynb"
    source_nb = _nb(root / "source" / NAME / f"{NAME}.ipynb")
    subs = {"a_ref": source_nb, "b_tmpl": _nb(release)}
    for student, funcs in STUDENTS.items():
        nb = _nb(release)
        for func, code in funcs.items():
            _replace_function(nb, func, code)
        subs[student] = nb
    for student, nb in subs.items():
        d = root / "submitted" / student / NAME
        d.mkdir(parents=True)
        nbformat.write(nb, d / f"{NAME}.ipynb")
    t0 = time.monotonic()
    ref_copy = root / "validate" / f"{NAME}.ipynb"
    ref_copy.parent.mkdir()
    nbformat.write(source_nb, ref_copy)
    validating = subprocess.Popen(NBGRADER + ["validate", str(ref_copy)], cwd=root, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    auto = _run(NBGRADER + ["autograde", NAME], root, env)
    timings["autograde"] = time.monotonic() - t0
    validate_out = validating.communicate(timeout=300)[0]
    validate = subprocess.CompletedProcess(validating.args, validating.returncode, validate_out, "")
    export = _run(NBGRADER + ["export"], root, env)
    assert export.returncode == 0, export.stderr
    time.sleep(5)  # longer than f_detached's helper waits, had it survived
    grades = {row["student_id"]: row for row in csv.DictReader(open(root / "grades.csv"))}
    from nbgrader.api import Gradebook

    cells = {}
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = env["PATH"]  # nbgrader's Gradebook runs the `alembic` script
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student in subs:
            for gid in ("test_scale", "test_clip01"):
                try:
                    cells[(student, gid)] = gb.find_grade(gid, NAME, NAME, student).score
                except Exception:  # noqa: BLE001 - missing grade = not graded
                    cells[(student, gid)] = None
    os.environ["PATH"] = old_path
    print(f"nbgrader timings for {len(subs)} students: {json.dumps(timings)}")
    return {"root": root, "release": release, "auto": auto, "validate": validate, "grades": grades, "cells": cells,
            "timings": timings, "n": len(subs)}


def _score(course, student, gid):
    return course["cells"][(student, gid)]


def test_release_has_no_solution_text(course):
    text = course["release"].read_text()
    assert "np.asarray(x) * factor" not in text
    assert "np.clip(x, 0.0, 1.0)" not in text and "np.clip(x, ___, ___)" in text
    assert "BLANK:" not in text and "Porque las imágenes" not in text
    assert "ESCRIBE TU RESPUESTA AQUÍ" in text


def test_reference_gets_full_marks_despite_stderr_noise(course):
    assert _score(course, "a_ref", "test_scale") == 2.0
    assert _score(course, "a_ref", "test_clip01") == 1.0
    nb = _nb(course["root"] / "autograded" / "a_ref" / NAME / f"{NAME}.ipynb")
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            assert all(o.get("name") != "stderr" and o.output_type != "error" for o in cell.outputs)


def test_untouched_template_scores_zero(course):
    assert _score(course, "b_tmpl", "test_scale") == 0.0
    assert _score(course, "b_tmpl", "test_clip01") == 0.0
    assert float(course["grades"]["b_tmpl"]["score"]) == 0.0


def test_realistic_mistake_loses_exactly_its_points_despite_monkeypatching(course):
    assert _score(course, "d_mistakes", "test_scale") == 2.0
    assert _score(course, "d_mistakes", "test_clip01") == 0.0
    assert float(course["grades"]["d_mistakes"]["score"]) == 2.0


def test_stock_validate_passes_reference_despite_stderr_noise(course):
    out = course["validate"].stdout + course["validate"].stderr
    assert course["validate"].returncode == 0, out
    assert "Success! Your notebook passes all the tests." in out, out


def test_os_exit_student_never_gets_the_affected_points(course):
    assert _score(course, "e_exiter", "test_scale") == 0.0
    assert float(course["grades"]["e_exiter"]["score"]) < 3.0
    nb = _nb(course["root"] / "autograded" / "e_exiter" / NAME / f"{NAME}.ipynb")
    test_cell = next(c for c in nb.cells if "grade(" in c.source and '"scale"' in c.source)
    assert [o.output_type for o in test_cell.outputs] == ["error"]


def test_infinite_loop_zero_and_next_student_graded(course):
    assert _score(course, "c_looper", "test_scale") == 0.0
    assert _score(course, "c_looper", "test_clip01") == 1.0
    assert _score(course, "d_mistakes", "test_scale") == 2.0  # graded after the looper


def test_autograde_time_per_student(course):
    per_student = course["timings"]["autograde"] / course["n"]
    print(f"nbgrader autograde: {per_student:.1f} s per student")
    assert per_student < 60


def test_detached_helper_cannot_touch_the_gradebook(course):
    assert _score(course, "f_detached", "test_scale") == 0.0
    assert _score(course, "f_detached", "test_clip01") == 0.0
    assert _score(course, "a_ref", "test_scale") == 2.0  # nobody's grade was rewritten
    assert not list(course["root"].rglob("PWNED"))


def test_killing_its_parent_does_not_stop_the_batch(course):
    assert set(course["grades"]) == set(STUDENTS) | {"a_ref", "b_tmpl"}
    assert _score(course, "c_looper", "test_clip01") == 1.0  # graded after the killer
    assert float(course["grades"]["b2_killer"]["score"]) <= 3.0
