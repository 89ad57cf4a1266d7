"""Reports built from `SubmissionResult`s: Gradescope results.json, grades.csv/json, feedback.html.

`write_student_reports(result, student_dir)` writes results.json + feedback.html for one student;
`write_batch_tables(results, outdir)` writes grades.csv + grades.json for a batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.report.gradescope import results_json, write_results_json
from autograder.report.html import render_feedback, write_feedback
from autograder.report.tables import grades_csv, grades_json, write_grade_tables
from autograder.submission import SubmissionResult

__all__ = ["results_json", "render_feedback", "grades_csv", "grades_json",
           "write_student_reports", "write_batch_tables"]


def write_student_reports(result: SubmissionResult, student_dir: str | Path, *, lang: str = "es",
                          title: str | None = None,
                          hidden_visibility: str = "after_published") -> dict[str, Path]:
    """Write `results.json` and `feedback.html` into `student_dir`; return their paths."""
    student_dir = Path(student_dir)
    return {
        "results.json": write_results_json(result, student_dir / "results.json", lang=lang,
                                           hidden_visibility=hidden_visibility),
        "feedback.html": write_feedback(result, student_dir / "feedback.html", lang=lang,
                                        title=title),
    }


def write_batch_tables(results: list[SubmissionResult], outdir: str | Path,
                       **kw: Any) -> tuple[Path, Path]:
    """Write grades.csv + grades.json (see report.tables)."""
    return write_grade_tables(results, outdir, **kw)
