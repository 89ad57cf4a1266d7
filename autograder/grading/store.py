"""The per-student output folder: `OUTDIR/<student>/` owns its files.

- `record.json`: the grading record (the whole `SubmissionResult` plus the `fingerprint` it
  was graded under); what resume, `autograder report` and the tables read back;
- `results.json`: Gradescope's results file; `feedback.html`: the student's feedback page.
A re-run reuses a record only when its fingerprint matches (same notebook bytes, assignment,
options that change scores, language and kit version). Every file is written atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.model import SubmissionResult
from autograder.notebook_io import write_text_atomic

RECORD_FILE = "record.json"
RESULTS_FILE = "results.json"
FEEDBACK_FILE = "feedback.html"


@dataclass(frozen=True)
class StudentFolder:
    """`outdir/<student>/` with its record and reports."""

    outdir: Path
    student: str

    @property
    def path(self) -> Path:
        return Path(self.outdir) / self.student

    @property
    def record_path(self) -> Path:
        return self.path / RECORD_FILE

    def write_record(self, result: SubmissionResult,
                     fingerprint: dict[str, Any] | None = None) -> Path:
        """Atomically write `record.json` (with `fingerprint` when given)."""
        data = result.to_dict()
        if fingerprint is not None:
            data["fingerprint"] = fingerprint
        write_text_atomic(self.record_path, json.dumps(data, indent=1, ensure_ascii=False,
                                                       sort_keys=True) + "\n")
        return self.record_path

    def load_record(self, fingerprint: dict[str, Any] | None = None) -> SubmissionResult | None:
        """The stored result, or None when missing/unreadable or, when `fingerprint` is given,
        when the stored fingerprint differs (or is absent)."""
        try:
            data = json.loads(self.record_path.read_text(encoding="utf-8"))
            if fingerprint is not None and data.get("fingerprint") != fingerprint:
                return None
            return SubmissionResult.from_dict(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def has_reports(self) -> bool:
        return all((self.path / n).is_file() for n in (RESULTS_FILE, FEEDBACK_FILE))

    def write_reports(self, result: SubmissionResult, *, lang: str, title: str | None = None,
                      hidden_visibility: str = "after_published") -> dict[str, Path]:
        """Write `results.json` (Gradescope) and `feedback.html`; return their paths."""
        from autograder.report.gradescope import write_results_json
        from autograder.report.html import write_feedback

        return {
            RESULTS_FILE: write_results_json(result, self.path / RESULTS_FILE, lang=lang,
                                             hidden_visibility=hidden_visibility),
            FEEDBACK_FILE: write_feedback(result, self.path / FEEDBACK_FILE, lang=lang,
                                          title=title),
        }
