"""Batch tables: `grades.csv` (the columns `nbgrader export` writes) and `grades.json`.

grades.csv columns, in nbgrader 0.9's CsvExportPlugin order: assignment, duedate, timestamp,
student_id, last_name, first_name, email, raw_score, late_submission_penalty, score, max_score.
Names and email are empty (the grader does not know them); `timestamp` comes from nbgrader's
`timestamp.txt` when the submission came from a `submitted/` tree; no late penalty is applied.
grades.json has the same rows plus per-test scores, statuses and notebook-level errors (with
their `error_kind`), and `checks`: per test, per check, how many students' runs produced a
result for it (`runs`), how many passed and the `pass_rate` (`class_stats.check_rates`).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from autograder.model import SubmissionResult
from autograder.notebook_io import write_text_atomic
from autograder.report.class_stats import check_rates
from autograder.report.summary import outcome_status

NBGRADER_COLUMNS = ("assignment", "duedate", "timestamp", "student_id", "last_name",
                    "first_name", "email", "raw_score", "late_submission_penalty", "score",
                    "max_score")
# after nbgrader's columns: base and extra credit apart, so lost points never hide behind bonus
SCORE_COLUMNS = ("base_score", "extra_score", "extra_max_score")


def grade_row(result: SubmissionResult, *, duedate: str = "", timestamp: str = "") -> dict[str, Any]:
    """One nbgrader-style row for a submission."""
    return {
        "assignment": result.assignment, "duedate": duedate, "timestamp": timestamp,
        "student_id": result.student, "last_name": "", "first_name": "", "email": "",
        "raw_score": float(result.score), "late_submission_penalty": 0.0,
        "score": float(result.score),
        "max_score": float(result.max_score),
        "base_score": float(result.base_score), "extra_score": float(result.extra_score),
        "extra_max_score": float(result.extra_max),
    }


def grades_csv(results: list[SubmissionResult], *, duedate: str = "",
               timestamps: dict[str, str] | None = None) -> str:
    """CSV text with NBGRADER_COLUMNS + SCORE_COLUMNS, one row per student sorted by id."""
    timestamps = timestamps or {}
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=NBGRADER_COLUMNS + SCORE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in sorted(results, key=lambda r: r.student):
        writer.writerow(grade_row(r, duedate=duedate, timestamp=timestamps.get(r.student, "")))
    return buf.getvalue()


def grades_json(results: list[SubmissionResult], *, duedate: str = "",
                timestamps: dict[str, str] | None = None) -> dict[str, Any]:
    """JSON object: assignment, max_score, count, mean_score, students[] (nbgrader row + tests +
    error), checks {test: {check: {runs, passed, pass_rate}}}."""
    timestamps = timestamps or {}
    students = []
    for r in sorted(results, key=lambda r: r.student):
        row = grade_row(r, duedate=duedate, timestamp=timestamps.get(r.student, ""))
        row.update({
            "notebook": r.notebook, "error": r.error,
            "error_kind": r.error_kind.value if r.error_kind else None,
            "execution_time": round(r.execution_time, 3),
            **({"timings": r.timings.to_dict()} if r.timings is not None else {}),
            "isolation": r.isolation.to_dict(), "node": r.node, "probe_seed": r.probe_seed,
            "lint_findings": len(r.lint),
            "tests": {o.id: {"score": round(o.score, 4), "points": o.points, "paso": o.paso,
                             "status": outcome_status(o), "bonus": o.bonus}
                      for o in r.outcomes.values()},
        })
        students.append(row)
    assignments = sorted({r.assignment for r in results})
    return {
        "assignment": assignments[0] if len(assignments) == 1 else assignments,
        "max_score": max((float(r.max_score) for r in results), default=0.0),
        "probe_seeds": sorted({r.probe_seed for r in results if r.probe_seed is not None}),
        "count": len(results),
        "mean_score": round(sum(r.score for r in results) / len(results), 4) if results else 0.0,
        "students": students,
        "checks": check_rates(results),
    }


def write_grade_tables(results: list[SubmissionResult], outdir: str | Path, **kw: Any) -> tuple[Path, Path]:
    """Write outdir/grades.csv and outdir/grades.json atomically; return both paths."""
    outdir = Path(outdir)
    csv_path = write_text_atomic(outdir / "grades.csv", grades_csv(results, **kw))
    json_path = write_text_atomic(outdir / "grades.json", json.dumps(
        grades_json(results, **kw), ensure_ascii=False, indent=2) + "\n")
    return csv_path, json_path
