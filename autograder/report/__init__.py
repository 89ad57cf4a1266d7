"""Reports built from `SubmissionResult`s: Gradescope results.json, grades.csv/json, feedback.html.

Per student, `autograder.grading.store.StudentFolder.write_reports` writes results.json +
feedback.html; `write_batch_tables(results, outdir)` writes grades.csv + grades.json for a batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.model import SubmissionResult
from autograder.report.gradescope import results_json
from autograder.report.html import render_feedback
from autograder.report.tables import grades_csv, grades_json, write_grade_tables

__all__ = ["results_json", "render_feedback", "grades_csv", "grades_json", "write_batch_tables"]


def write_batch_tables(results: list[SubmissionResult], outdir: str | Path,
                       **kw: Any) -> tuple[Path, Path]:
    """Write grades.csv + grades.json (see report.tables)."""
    return write_grade_tables(results, outdir, **kw)
