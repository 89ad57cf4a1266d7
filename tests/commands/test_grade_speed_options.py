"""`grade` speed options: identical notebooks graded once (--no-dedupe grades each),
--profile-checks timings (typed, stored, printed), --jobs auto."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from autograder.cli import main
from autograder.grading import capacity
from autograder.model import SubmissionResult, Timings
from tests.support.cli_helpers import GOOD, MINI, WRONG, write_nb


def _graded(calls) -> list[str]:
    return [c[1]["student_id"] for c in calls if c[0] == "grade_notebook"]


def test_identical_notebooks_are_graded_once_and_resume(tmp_path, fake_engine, capfd):
    subs = tmp_path / "subs"
    write_nb(subs / "ana.ipynb", GOOD)
    shutil.copy(subs / "ana.ipynb", subs / "bea.ipynb")  # same bytes
    write_nb(subs / "cid.ipynb", WRONG)
    out = tmp_path / "out"
    argv = ["grade", str(subs), "-a", str(MINI), "-o", str(out)]
    assert main(argv) == 0
    assert sorted(_graded(fake_engine)) == ["ana", "cid"]  # bea is ana's twin
    assert "1 of 3 student(s) handed in a notebook identical" in capfd.readouterr().err
    rows = {r["student_id"]: r["score"] for r in csv.DictReader((out / "grades.csv").open())}
    assert rows == {"ana": "4.0", "bea": "4.0", "cid": "0.0"}
    bea = json.loads((out / "bea" / "record.json").read_text())
    assert bea["student"] == "bea" and bea["notebook"].endswith("bea.ipynb")
    assert (out / "bea" / "feedback.html").is_file() and (out / "bea" / "results.json").is_file()
    assert main(argv) == 0  # resumed: every record matches its own fingerprint
    assert len(_graded(fake_engine)) == 2
    assert main([*argv, "--force", "--no-dedupe"]) == 0
    assert sorted(_graded(fake_engine)[2:]) == ["ana", "bea", "cid"]


def test_profile_checks_times_every_test_and_stores_them(tmp_path, fake_engine, capfd):
    nb = write_nb(tmp_path / "ana.ipynb", GOOD)
    assert main(["grade", str(nb), "-a", str(MINI), "--json", "--profile-checks"]) == 0
    cap = capfd.readouterr()
    data = json.loads(cap.out)  # stdout stays exactly one JSON object
    timings = data["timings"]
    assert set(timings) == {"total", "notebook", "suite", "transfer", "tests",
                            "deduplicated_from", "shared"}
    assert set(timings["tests"]) == {t["extra_data"]["test_id"] for t in data["tests"]}
    assert timings["total"] >= timings["suite"] >= 0 and timings["notebook"] >= 0
    assert "slowest test" in cap.err and "notebook" in cap.err
    assert main(["grade", str(nb), "-a", str(MINI), "--json"]) == 0
    assert "timings" not in json.loads(capfd.readouterr().out)  # only when asked for


def test_timings_round_trip_through_a_record():
    t = Timings(total=2.5, notebook=1.0, suite=1.25, transfer=0.5, tests={"a": 1.0, "b": 0.0},
                shared=["b"])
    r = SubmissionResult("s", "x", "s.ipynb", timings=t)
    assert SubmissionResult.from_dict(r.to_dict()).timings == t
    assert SubmissionResult.from_dict(SubmissionResult("s", "x", "n").to_dict()).timings is None
    assert Timings.from_dict({"total": "bad", "tests": [1], "shared": "b"}) == Timings()


def test_the_table_says_which_tests_were_handed_an_earlier_tests_results():
    from autograder.report.console import timings_table

    def result(student: str, shared: list[str]) -> SubmissionResult:
        return SubmissionResult(student, "x", f"{student}.ipynb", timings=Timings(
            total=3.0, suite=2.0, tests={"model_basics": 2.0, "model": 0.0}, shared=shared))

    lines = timings_table([result("ana", ["model"]), result("bea", [])]).splitlines()
    row = {line.split()[0]: line for line in lines if line.startswith("model")}
    assert row["model"].endswith("shared in 1") and row["model_basics"].endswith("2")
    lines = timings_table([result("ana", ["model"])]).splitlines()
    assert next(x for x in lines if x.startswith("model ")).endswith("  shared")


def test_jobs_auto_follows_cpus_memory_and_tasks(monkeypatch):
    monkeypatch.setattr(capacity, "usable_cpus", lambda: 8)
    monkeypatch.setattr(capacity, "available_mb", lambda: 64_000)
    assert capacity.auto_jobs(3000) == 8  # CPU-bound
    assert capacity.auto_jobs(3000, tasks=3) == 3
    monkeypatch.setattr(capacity, "available_mb", lambda: 12_000)
    assert capacity.auto_jobs(3000) == (12_000 - capacity.RESERVE_MB) // (capacity.WORKER_MB + 3000)
    monkeypatch.setattr(capacity, "available_mb", lambda: 2_000)
    assert capacity.auto_jobs(3000) == 1  # never below one


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_jobs_rejects_bad_values(value, capsys):
    with pytest.raises(SystemExit):
        main(["grade", "x.ipynb", "-a", "m", "--jobs", value])
    assert "--jobs" in capsys.readouterr().err
