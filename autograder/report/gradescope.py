"""Gradescope `results.json` for one graded submission.

Schema (Gradescope autograder spec): top-level `score`, `max_score` (bonus tests excluded),
`execution_time` (s), `output` (notebook-level error, lint findings, cells that raised, skipped
cells, isolation),
`output_format`, `visibility`, `stdout_visibility`, `tests[]`; each test has `name`, `number`,
`score`, `max_score`, `status` ("passed"/"failed"), `output` (student-facing messages + hints),
`visibility` ("visible" for tests marked visible in assignment.toml, else `hidden_visibility`:
"after_published" by default, or "hidden"), `tags` (PASO, bonus, gpu). No leaderboard.
Hidden test source never appears: outputs come from CheckResult messages only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autograder.messages import DEFAULT_LANG, msg
from autograder.model import SubmissionResult
from autograder.notebook_io import write_text_atomic
from autograder.report.summary import (
    CATALOG,
    cell_error_lines,
    isolation_text,
    lint_lines,
    outcome_status,
    outcome_text,
    shown_cells,
)

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def results_json(result: SubmissionResult, *, lang: str = DEFAULT_LANG,
                 hidden_visibility: str = "after_published") -> dict[str, Any]:
    """Build the results.json object (JSON-serialisable dict)."""
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden_visibility must be one of {VISIBILITIES}")
    tests = []
    for number, o in enumerate(result.outcomes.values(), start=1):
        name = f"{o.paso}: {o.id}" if o.paso else o.id
        tags = [t for t in (o.paso, "bonus" if o.bonus else "", "gpu" if o.gpu else "") if t]
        tests.append({
            "name": name,
            "number": str(number),
            "score": round(float(o.score), 4),
            "max_score": float(o.points),
            "status": "passed" if o.status == "passed" else "failed",
            "output": outcome_text(o, lang),
            "output_format": "text",
            "visibility": "visible" if o.visible else hidden_visibility,
            "tags": tags,
            "extra_data": {"test_id": o.id, "result": outcome_status(o)},
        })
    return {
        "score": float(result.score),
        "max_score": float(result.max_score),
        "execution_time": round(float(result.execution_time), 3),
        **({"timings": result.timings.to_dict()} if result.timings is not None else {}),
        "output": top_output(result, lang),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def top_output(result: SubmissionResult, lang: str) -> str:
    """Notebook-level text: error, lint findings, skipped cells, isolation."""
    parts = []
    if result.error:
        parts.append(msg(CATALOG, "notebook_error", lang, error=result.error))
    if result.lint:
        parts.append(msg(CATALOG, "lint_title", lang) + ":\n"
                     + "\n".join(f"- {line}" for line in lint_lines(result.lint)))
    if cell_errors := cell_error_lines(result, lang):
        parts.append(msg(CATALOG, "cell_errors_title", lang) + ":\n"
                     + "\n".join(f"- {line}" for line in cell_errors))
    if result.skipped_cells:
        parts.append(msg(CATALOG, "skipped_cells", lang,
                         cells=shown_cells(result.skipped_cells)))
    if result.isolation:
        parts.append(f"{msg(CATALOG, 'isolation', lang)}: "
                     f"{isolation_text(result.isolation, lang)}")
    return "\n\n".join(parts)


def write_results_json(result: SubmissionResult, path: str | Path, **kw: Any) -> Path:
    """Write results.json atomically (temp file + rename); return its path."""
    return write_text_atomic(path, json.dumps(results_json(result, **kw), ensure_ascii=False,
                                              indent=2) + "\n")
