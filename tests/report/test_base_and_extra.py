"""Base and extra credit apart everywhere (issue 12.8): a full bonus never hides lost points."""

from __future__ import annotations

import csv
import io

from autograder.model import CheckResult, SubmissionResult, TestOutcome
from autograder.report.console import text_summary
from autograder.report.html import render_feedback
from autograder.report.tables import grades_csv


def _result() -> SubmissionResult:
    lost = CheckResult.fail("mixup_labels", "Las etiquetas usan otra lambda.")
    outcomes = {
        "mixup": TestOutcome("mixup", 20, 17.5, "failed", "", "PASO 1", False, False, False, 0.1,
                             [CheckResult.ok("mixup_shape"), lost]),
        "extra": TestOutcome("extra", 4, 4.0, "passed", "", "PASO 2", False, True, False, 0.1,
                             [CheckResult.ok("extra_ok")]),
    }
    return SubmissionResult("ana", "a", "ana.ipynb", outcomes, max_score=20.0)


def test_html_shows_base_out_of_max_and_extra_apart():
    html = render_feedback(_result())
    assert "21.5 / 20" not in html
    assert '<div class="big">17.5 / 20</div>' in html
    assert 'style="width: 87.5%"' in html  # the bar is the base grade, not full
    assert "Extra (aparte de la nota): +4 de 4" in html


def test_console_and_csv_show_base_and_extra_apart():
    text = text_summary(_result(), lang="es")
    assert "(17.5 / 20 puntos; extra aparte: +4 de 4)" in text
    [row] = list(csv.DictReader(io.StringIO(grades_csv([_result()]))))
    assert (row["base_score"], row["extra_score"], row["extra_max_score"]) == ("17.5", "4.0", "4.0")
    assert row["score"] == "21.5" and row["max_score"] == "20.0"  # nbgrader's columns unchanged
