"""`autograder grade`: submission discovery, outputs, --json purity, exit codes."""

from __future__ import annotations

import csv
import json

import pytest

from autograder.cli import main
from autograder.grading.discover import discover, safe_id
from autograder.report.tables import NBGRADER_COLUMNS, SCORE_COLUMNS
from tests.support.cli_helpers import GOOD, MINI, TEMPLATE, WRONG, write_nb


def test_single_notebook_json_is_exactly_one_results_object(tmp_path, fake_engine, capfd):
    nb = write_nb(tmp_path / "ana.ipynb", GOOD)
    assert main(["grade", str(nb), "--assignment", str(MINI), "--json"]) == 0
    out, err = capfd.readouterr()
    data = json.loads(out)  # the whole of stdout is one JSON document
    assert isinstance(data, dict)
    assert data["score"] == 4.0 and data["max_score"] == 3.0  # 3 points + 1 bonus point
    names = [t["name"] for t in data["tests"]]
    assert names == ["PASO 1: double", "PASO 2: halve", "PASO 4: extra"]  # no gpu test
    assert {t["status"] for t in data["tests"]} == {"passed"}
    assert "noise from the engine" in err and "fd-level noise" in err and "noise" not in out
    assert fake_engine[0][0] == "grade_notebook"
    assert fake_engine[0][1]["student_id"] == "ana" and fake_engine[0][1]["profile"] == "ci"


def test_single_notebook_text_summary_separates_wrong_and_not_implemented(tmp_path, fake_engine,
                                                                          capsys):
    nb = write_nb(tmp_path / "bob.ipynb", WRONG)
    assert main(["grade", str(nb), "-a", str(MINI)]) == 0  # graded, whatever the score
    out = capsys.readouterr().out
    assert "Implementado pero incorrecto:" in out and "Aún sin implementar" not in out
    assert "double(1) = 4, esperado 2" in out and "double(5) = 8, esperado 10" in out
    assert "Resultado: 0 de 3 pruebas superadas (0 / 3 puntos; extra aparte: +0 de 1)" in out
    nb = write_nb(tmp_path / "cleo.ipynb", TEMPLATE)
    assert main(["grade", str(nb), "-a", str(MINI)]) == 0
    out = capsys.readouterr().out
    assert "Aún sin implementar" in out


def test_batch_writes_reports_and_tables(tmp_path, fake_engine, capsys):
    subs = tmp_path / "subs"
    write_nb(subs / "ana.ipynb", GOOD)
    write_nb(subs / "bob.ipynb", WRONG)
    write_nb(subs / "cleo.ipynb", TEMPLATE)
    (subs / "dan.ipynb").write_text("{not json", encoding="utf-8")
    write_nb(subs / ".ipynb_checkpoints" / "ana-checkpoint.ipynb", GOOD)
    out = tmp_path / "out"
    assert main(["grade", str(subs), "-a", str(MINI), "-o", str(out), "--jobs", "2",
                 "--timeout", "30", "--memory", "2500", "--force"]) == 0
    call = fake_engine[0][1]
    assert call["jobs"] == 2 and call["force"] is True
    assert call["timeout"] == 30 and call["memory_mb"] == 2500
    assert [sid for sid, _ in call["paths"]] == ["ana", "bob", "cleo", "dan"]
    for student in ("ana", "bob", "cleo", "dan"):
        assert json.loads((out / student / "results.json").read_text())["max_score"] == 3.0
        assert "<!DOCTYPE html>" in (out / student / "feedback.html").read_text()
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert tuple(rows[0]) == NBGRADER_COLUMNS + SCORE_COLUMNS
    assert {r["student_id"]: float(r["score"]) for r in rows} == {
        "ana": 4.0, "bob": 0.0, "cleo": 0.0, "dan": 0.0}
    grades = json.loads((out / "grades.json").read_text())
    assert "JSON" in grades["students"][3]["error"]  # dan: the real bad-input explanation
    assert "ana: 3 / 3 (+1 extra)" in capsys.readouterr().out  # base and extra apart (12.8)


def test_nbgrader_submitted_tree(tmp_path, fake_engine):
    course = tmp_path / "course"
    for student, code in (("s1", GOOD), ("s2", TEMPLATE)):
        folder = course / "submitted" / student / "mini_assignment"
        write_nb(folder / "mini_assignment.ipynb", code)
        (folder / "timestamp.txt").write_text(f"2026-05-0{student[-1]} 09:00:00.000000 UTC\n")
        write_nb(course / "submitted" / student / "other_assignment" / "x.ipynb", WRONG)
    out = tmp_path / "out"
    assert main(["grade", str(course / "submitted"), "-a", str(MINI), "-o", str(out)]) == 0
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert set(rows) == {"s1", "s2"}  # the other assignment's notebooks are not graded
    assert rows["s1"]["timestamp"] == "2026-05-01 09:00:00.000000 UTC"
    assert rows["s1"]["score"] == "4.0" and rows["s2"]["score"] == "0.0"
    assert rows["s1"]["assignment"] == "mini_assignment"


def test_batch_json_prints_grades_json(tmp_path, fake_engine, capfd):
    subs = tmp_path / "subs"
    write_nb(subs / "ana.ipynb", GOOD)
    write_nb(subs / "bob.ipynb", WRONG)
    assert main(["grade", str(subs), "-a", str(MINI), "-o", str(tmp_path / "o"), "--json"]) == 0
    out, err = capfd.readouterr()
    data = json.loads(out)
    assert [s["student_id"] for s in data["students"]] == ["ana", "bob"]
    assert "grading" not in out  # no progress bar on stdout


def test_discovery_rules(tmp_path):
    write_nb(tmp_path / "flat" / "ana.ipynb", GOOD)
    write_nb(tmp_path / "flat" / "per_student" / "bob" / "notebook.ipynb", GOOD)
    write_nb(tmp_path / "flat" / "per_student" / "bob" / "mini_assignment.ipynb", GOOD)
    subs = discover([tmp_path / "flat"], "mini_assignment", "mini_assignment.ipynb")
    assert [(s.student, s.path.name) for s in subs] == [
        ("ana", "ana.ipynb"), ("per_student", "mini_assignment.ipynb")]
    write_nb(tmp_path / "named" / "mini_assignment" / "zoe.ipynb", GOOD)
    assert [s.student for s in discover([tmp_path / "named"], "mini_assignment")] == ["zoe"]
    assert safe_id("../../etc passwd") == "etc_passwd"


@pytest.mark.parametrize("argv", [
    ["grade", "does/not/exist.ipynb", "-a", str(MINI)],
    ["grade", "{nb}", "-a", "no_such_assignment"],
    ["grade", "{empty}", "-a", str(MINI)],
])
def test_bad_input_exits_2_with_one_line(tmp_path, fake_engine, capsys, argv):
    nb = write_nb(tmp_path / "ana.ipynb", GOOD)
    (tmp_path / "empty").mkdir()
    argv = [a.format(nb=nb, empty=tmp_path / "empty") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("autograder grade: error:")
    assert fake_engine == []


def test_usage_errors_and_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["grade", "x.ipynb"])  # --assignment missing
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["grade", "x.ipynb", "-a", "m", "--jobs", "0"])
    assert exc.value.code == 2
    for cmd in ("grade", "check"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
    assert "Exit codes" in capsys.readouterr().out


def test_internal_error_exits_3(tmp_path, fake_engine, monkeypatch, capsys):

    def boom(*a, **k):
        raise RuntimeError("engine exploded")

    from autograder.grading import batch

    monkeypatch.setattr(batch, "grade_isolated", boom)
    nb = write_nb(tmp_path / "ana.ipynb", GOOD)
    assert main(["grade", str(nb), "-a", str(MINI)]) == 3
    assert "internal error: RuntimeError: engine exploded" in capsys.readouterr().err


def test_rerun_resumes_without_regrading_and_force_regrades(tmp_path, fake_engine):
    subs = tmp_path / "subs"
    write_nb(subs / "ana.ipynb", GOOD)
    write_nb(subs / "bob.ipynb", WRONG)
    out = tmp_path / "out"
    argv = ["grade", str(subs), "-a", str(MINI), "-o", str(out)]
    assert main(argv) == 0
    graded = [c for c in fake_engine if c[0] == "grade_notebook"]
    assert len(graded) == 2
    feedback = (out / "ana" / "feedback.html").read_text()
    (out / "bob" / "feedback.html").unlink()  # a report lost since: rewritten on resume
    assert main(argv) == 0
    assert len([c for c in fake_engine if c[0] == "grade_notebook"]) == 2  # nothing regraded
    assert (out / "ana" / "feedback.html").read_text() == feedback
    assert (out / "bob" / "feedback.html").is_file()
    rows = {r["student_id"]: r["score"] for r in csv.DictReader((out / "grades.csv").open())}
    assert rows == {"ana": "4.0", "bob": "0.0"}  # tables rebuilt from the stored results
    assert main([*argv, "--force"]) == 0
    assert len([c for c in fake_engine if c[0] == "grade_notebook"]) == 4


def test_gradescope_visibility_from_assignment_toml(tmp_path, fake_engine, capfd):
    import shutil

    spec = tmp_path / "mini_assignment"
    shutil.copytree(MINI, spec)
    # a distinct module name: the in-process suite runs share sys.modules
    (spec / "tests" / "test_mini_assignment.py").rename(spec / "tests" / "test_mini_copy.py")
    toml = spec / "assignment.toml"
    base = toml.read_text()
    toml.write_text(base + '\n[gradescope]\nhidden_visibility = "hidden"\n')
    nb = write_nb(tmp_path / "ana.ipynb", GOOD)
    assert main(["grade", str(nb), "-a", str(spec), "--json", "--lang", "en"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert [t["visibility"] for t in data["tests"]] == ["visible", "hidden", "hidden"]
    toml.write_text(base + '\n[gradescope]\nhidden_visibility = "sometimes"\n')
    assert main(["grade", str(nb), "-a", str(spec), "--json"]) == 2
    assert "hidden_visibility" in capfd.readouterr().err


def test_resume_regrades_when_notebook_or_options_change(tmp_path, fake_engine, capfd):
    subs = tmp_path / "subs"
    write_nb(subs / "ana.ipynb", GOOD)
    write_nb(subs / "bob.ipynb", WRONG)
    out = tmp_path / "out"
    argv = ["grade", str(subs), "-a", str(MINI), "-o", str(out)]

    def graded() -> list[str]:
        return [c[1]["student_id"] for c in fake_engine if c[0] == "grade_notebook"]

    assert main(argv) == 0
    stored = json.loads((out / "ana" / "record.json").read_text())["fingerprint"]
    assert stored["assignment"] == "mini_assignment" and len(stored["notebook_sha256"]) == 64
    assert (stored["profile"], stored["gpu"], stored["run_all"]) == ("ci", False, False)
    capfd.readouterr()
    assert main(argv) == 0  # unchanged: reused, and the user is told how to regrade
    assert graded() == ["ana", "bob"]
    err = capfd.readouterr().err
    assert "2 of 2 student(s) reused" in err and "--force" in err
    write_nb(subs / "ana.ipynb", WRONG)  # ana replaced her notebook: the old 4 points must go
    assert main(argv) == 0
    assert graded() == ["ana", "bob", "ana"]
    assert "1 of 2 student(s) reused" in capfd.readouterr().err
    rows = {r["student_id"]: r["score"] for r in csv.DictReader((out / "grades.csv").open())}
    assert rows == {"ana": "0.0", "bob": "0.0"}
    assert main([*argv, "--run-all"]) == 0  # other options: everyone regraded
    assert graded()[3:] == ["ana", "bob"]
    assert "reused" not in capfd.readouterr().err
    assert main([*argv, "--run-all", "--json"]) == 0  # --json: nothing but JSON, no note
    assert "reused" not in capfd.readouterr().err


def test_resume_ignores_results_of_another_assignment_or_without_fingerprint(tmp_path):
    from autograder.assignment import load as load_assignment
    from autograder.grading.pipeline import GradingOptions
    from autograder.grading.store import StudentFolder
    from autograder.model import SubmissionResult

    mini = load_assignment(MINI)
    nb = write_nb(tmp_path / "ana.ipynb", GOOD)
    fp = GradingOptions(profile="ci").fingerprint(mini, nb.read_bytes())
    res = SubmissionResult(student="ana", assignment="mini_assignment", notebook=str(nb))
    folder = StudentFolder(tmp_path / "out", "ana")
    folder.write_record(res, fp)
    assert folder.load_record(fp) is not None
    assert folder.load_record(dict(fp, assignment="p10x_pets")) is None
    assert folder.load_record(dict(fp, visible_only=True)) is None
    assert GradingOptions(lang="en").fingerprint(mini, nb.read_bytes()) != fp  # messages' language
    folder.write_record(res)  # an old record without a fingerprint
    assert folder.load_record(fp) is None


@pytest.mark.parametrize("target", ["file", "/proc/autograder-x"])
def test_output_that_is_not_a_folder_exits_2(tmp_path, fake_engine, capsys, target):
    nb = write_nb(tmp_path / "ana.ipynb", GOOD)
    out = tmp_path / "afile" if target == "file" else target
    if target == "file":
        out.write_text("not a folder")
    assert main(["grade", str(nb), "-a", str(MINI), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("autograder grade: error:")
    assert "internal error" not in err[0] and str(out) in err[0]
    assert fake_engine == []


@pytest.mark.parametrize("option", ["--memory", "--jobs", "--timeout"])
def test_bad_numbers_read_well(capsys, option):
    with pytest.raises(SystemExit) as exc:
        main(["grade", "x.ipynb", "-a", "m", option, "abc"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "must be a positive" in err and "'abc'" in err and "_positive" not in err


def test_validate_help_is_for_users_and_names_the_profiles(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--profile NAME" in out and "gpu-smoke" in out
    assert "Exit codes" in out and "debugging aid" in out
    for internal in ("grade_in_process", "NamespaceStudent", "importable", "`"):
        assert internal not in out
    # profile names come from the assignment (tests/gpu/test_gpu_smoke_profile.py)
    assert main(["validate", "ut3_10_flowers", "--profile", "fast"]) == 2
    assert "unknown profile 'fast'" in capsys.readouterr().err


def test_validate_lists_failure_lines_not_a_python_list():
    from autograder.assignment import load as load_assignment
    from autograder.commands.validate import _problems_reference, grader_function
    from autograder.grading.pipeline import grade_notebook
    from autograder.model import SubmissionResult, TestOutcome

    assert grader_function()[0] is grade_notebook  # no silent fallback to the trusted executor
    assert "no sandbox" in grader_function(in_process=True)[1]
    mini = load_assignment(MINI)
    result = SubmissionResult("reference", "mini_assignment", "ref.ipynb")
    def outcome(tid, score, status, message=""):
        return TestOutcome(tid, 1, score, status, message, "", False, False, False, 0.0)

    result.outcomes = {t.id: outcome(t.id, t.points, "passed") for t in mini.tests}
    result.outcomes["halve"] = outcome("halve", 0.0, "failed",
                                       "halve(4) = 3\nexpected 2\n\nhint: use /\nmore")
    [problem] = _problems_reference(mini, result)
    assert problem == ("reference: halve scored 0/1 (failed):\n      halve(4) = 3\n"
                       "      expected 2")
    assert "[" not in problem


def test_lms_export_graded_from_the_folder_above_keeps_every_student(tmp_path):
    """Issue 12.1: PARENT/sub/{bob,carol}/entrega.ipynb were merged into one student `sub`."""
    write_nb(tmp_path / "sub" / "bob" / "entrega.ipynb", GOOD)
    write_nb(tmp_path / "sub" / "carol" / "entrega.ipynb", GOOD)
    write_nb(tmp_path / "other" / "bob" / "entrega.ipynb", GOOD)
    write_nb(tmp_path / "other" / "dan" / "entrega.ipynb", GOOD)
    subs = discover([tmp_path], "mini_assignment")
    assert [(s.student, s.path.parent.name) for s in subs] == [
        ("carol", "carol"), ("dan", "dan"), ("other_bob", "bob"), ("sub_bob", "bob")]


def test_colliding_ids_stop_with_exit_2_naming_both(tmp_path, fake_engine, capsys):
    """Issue 12.1: two submissions whose ids cannot be told apart are never merged silently."""
    write_nb(tmp_path / "a" / "ana.ipynb", GOOD)
    write_nb(tmp_path / "b" / "ana.ipynb", GOOD)
    assert main(["grade", str(tmp_path / "a"), str(tmp_path / "b"), "-a", str(MINI)]) == 2
    err = capsys.readouterr().err
    assert "'ana'" in err and "a/ana.ipynb" in err and "b/ana.ipynb" in err
    assert fake_engine == []
