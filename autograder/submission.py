"""The result of grading one notebook: what the grader produces and every report consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autograder.pytest_plugin import TestOutcome


@dataclass
class SubmissionResult:
    """One student's grade. `error` is a notebook-level problem (not a notebook, timeout, ...)
    reported alongside per-test outcomes (tests affected by it score 0)."""

    student: str
    assignment: str
    notebook: str
    outcomes: dict[str, TestOutcome] = field(default_factory=dict)
    max_score: float = 0.0
    error: str | None = None
    lint: list[dict[str, Any]] = field(default_factory=list)  # {"cell", "line", "func", "kind", "message"}
    skipped_cells: list[int] = field(default_factory=list)
    cell_errors: list[dict[str, Any]] = field(default_factory=list)  # {"cell", "line", "exc_type", "message"}
    isolation: str = ""  # e.g. "bubblewrap (read-only root, no network, pid namespace)"
    execution_time: float = 0.0
    stdout_tail: str = ""
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def score(self) -> float:
        return round(sum(o.score for o in self.outcomes.values()), 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "student": self.student, "assignment": self.assignment, "notebook": self.notebook,
            "score": self.score, "max_score": self.max_score, "error": self.error,
            "lint": self.lint, "skipped_cells": self.skipped_cells,
            "cell_errors": self.cell_errors, "isolation": self.isolation,
            "execution_time": round(self.execution_time, 3),
            "tests": [o.to_dict() for o in self.outcomes.values()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        from autograder.results import CheckResult

        outcomes = {}
        for t in data.get("tests", []):
            checks = [CheckResult(c["name"], c["passed"], c["score"], c["max_score"],
                                  c.get("message", ""), c.get("hint", ""), c.get("details", {}),
                                  c.get("status", "passed")) for c in t.get("checks", [])]
            outcomes[t["id"]] = TestOutcome(
                id=t["id"], points=t["points"], score=t["score"], status=t["status"],
                message=t.get("message", ""), paso=t.get("paso", ""),
                visible=t.get("visible", False), bonus=t.get("bonus", False),
                gpu=t.get("gpu", False), duration=t.get("duration", 0.0), results=checks)
        return cls(student=data["student"], assignment=data["assignment"],
                   notebook=data.get("notebook", ""), outcomes=outcomes,
                   max_score=data.get("max_score", 0.0), error=data.get("error"),
                   lint=data.get("lint", []), skipped_cells=data.get("skipped_cells", []),
                   cell_errors=data.get("cell_errors", []),
                   isolation=data.get("isolation", ""),
                   execution_time=data.get("execution_time", 0.0))
