"""grades.csv has the columns and number format `nbgrader export` writes; grades.json adds detail."""

from __future__ import annotations

import csv
import io
import json
import types

from autograder.report.tables import NBGRADER_COLUMNS, SCORE_COLUMNS, grades_csv, write_grade_tables
from tests.support.report_factory import make_result


def _nbgrader_csv(tmp_path, rows):
    """What nbgrader 0.9's own CsvExportPlugin writes for the same students."""
    from nbgrader.plugins.export import CsvExportPlugin

    class Gradebook:
        assignments = [types.SimpleNamespace(name="ut3_10_flowers", duedate=None, max_score=10.0)]
        students = [types.SimpleNamespace(id=s, last_name=None, first_name=None, email=None)
                    for s, _, _ in rows]

        def find_submission(self, assignment, student):
            _, ts, score = next(r for r in rows if r[0] == student)
            return types.SimpleNamespace(late_submission_penalty=0.0, timestamp=ts, score=score)

    dest = tmp_path / "nbgrader.csv"
    CsvExportPlugin(to=str(dest)).export(Gradebook())
    return dest.read_text()


def test_csv_matches_nbgrader_export_byte_for_byte(tmp_path):
    results = [make_result("bob"), make_result("ana")]
    ts = {"ana": "2026-03-01 10:00:00.000000 UTC", "bob": "2026-03-02 11:30:00.000000 UTC"}
    ours = grades_csv(results, timestamps=ts)
    theirs = _nbgrader_csv(tmp_path, [("ana", ts["ana"], 3.0), ("bob", ts["bob"], 3.0)])
    n = len(NBGRADER_COLUMNS)  # nbgrader's columns byte for byte, then base/extra (issue 12.8)
    assert "\n".join(",".join(line.split(",")[:n]) for line in ours.split("\n")) == theirs
    header = ours.splitlines()[0].split(",")
    assert tuple(header) == NBGRADER_COLUMNS + SCORE_COLUMNS


def test_csv_rows_have_scores_sorted_by_student():
    a, b = make_result("zoe"), make_result("ana", error="no es un notebook")
    b.outcomes = {}
    rows = list(csv.DictReader(io.StringIO(grades_csv([a, b]))))
    assert [r["student_id"] for r in rows] == ["ana", "zoe"]
    assert rows[0]["score"] == "0.0" and rows[1]["score"] == "3.0"
    assert rows[1]["max_score"] == "10.0" and rows[1]["late_submission_penalty"] == "0.0"


def test_write_grade_tables_json_detail(tmp_path):
    csv_path, json_path = write_grade_tables([make_result("ana"), make_result("bob")], tmp_path,
                                             duedate="2026-04-01")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["assignment"] == "ut3_10_flowers" and data["count"] == 2
    assert data["mean_score"] == 3.0
    ana = data["students"][0]
    assert ana["student_id"] == "ana" and ana["duedate"] == "2026-04-01"
    assert ana["tests"]["gradcam"]["status"] == "not_implemented"
    assert ana["tests"]["mixup"] == {"score": 1.0, "points": 2, "paso": "PASO 6",
                                     "status": "partial", "bonus": False}
    assert "2026-04-01" in csv_path.read_text()
