"""The shared result model: what checks return, what a test scores, what a submission gets.

Plain dataclasses with no pytest or TensorFlow import, so any report can be rendered from a
stored record. `CheckResult` (one property check) -> `TestOutcome` (one hidden test, scaled to
its points) -> `SubmissionResult` (one notebook).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# not_assessed: the check could not gather its evidence (0 points, the message says why);
# reports show it as "not assessed", never as a wrong answer
Status = Literal["passed", "wrong", "not_implemented", "error", "not_assessed"]
PictureKind = Literal["heatmap", "augmentation", "png"]


@dataclass
class Picture:
    """A picture for the feedback page, held in memory only (never serialised to JSON).

    - "heatmap": `heatmap` (the student's map) over `image`, beside `reference` when given;
    - "augmentation": `images`, a grid of augmented samples;
    - "png": `png`, ready-made bytes.
    """

    kind: PictureKind
    image: Any = None
    heatmap: Any = None
    reference: Any = None
    images: Any = None
    png: bytes | None = None


@dataclass
class CheckResult:
    """Outcome of one property check on one student function.

    `score` is in [0, max_score]; `message` is student-facing (already in the assignment's
    language); `details` holds the numbers found (JSON-serialisable); `picture` is what the
    feedback page shows for this check (never serialised to JSON).
    """

    name: str
    passed: bool
    score: float
    max_score: float = 1.0
    message: str = ""
    hint: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    status: Status = "passed"
    picture: Picture | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (picture dropped, numpy scalars converted)."""
        return {
            "name": self.name,
            "passed": self.passed,
            "score": float(self.score),
            "max_score": float(self.max_score),
            "message": self.message,
            "hint": self.hint,
            "details": _jsonable(self.details),
            "status": self.status,
        }

    @classmethod
    def ok(cls, name: str, message: str = "", max_score: float = 1.0, **details: Any) -> CheckResult:
        return cls(name, True, max_score, max_score, message, "", details, "passed")

    @classmethod
    def fail(
        cls,
        name: str,
        message: str,
        hint: str = "",
        max_score: float = 1.0,
        status: Status = "wrong",
        **details: Any,
    ) -> CheckResult:
        return cls(name, False, 0.0, max_score, message, hint, details, status)


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples recursively into JSON types."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if np is not None:
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist() if value.size <= 64 else f"<array shape={value.shape}>"
    if isinstance(value, float) and value != value:
        return None
    return value


def total(results: list[CheckResult]) -> tuple[float, float]:
    """(score, max_score) summed over results."""
    return sum(r.score for r in results), sum(r.max_score for r in results)



@dataclass
class TestOutcome:
    """One hidden test after the run: score already scaled to its points."""

    id: str
    points: float
    score: float
    status: str  # "passed" | "failed" | "error" | "skipped"
    message: str
    paso: str
    visible: bool
    bonus: bool
    gpu: bool
    duration: float
    results: list[CheckResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "points": self.points, "score": round(self.score, 4),
            "status": self.status, "message": self.message, "paso": self.paso,
            "visible": self.visible, "bonus": self.bonus, "gpu": self.gpu,
            "duration": round(self.duration, 3),
            "checks": [r.to_dict() for r in self.results],
        }



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
    pictures: dict[str, dict[str, Picture]] = field(default_factory=dict, repr=False)  # test -> check

    @property
    def score(self) -> float:
        """Base + extra: what nbgrader's `score` column holds (may exceed `max_score`)."""
        return round(sum(o.score for o in self.outcomes.values()), 4)

    @property
    def base_score(self) -> float:
        """Points of the regular tests, out of `max_score`."""
        return round(sum(o.score for o in self.outcomes.values() if not o.bonus), 4)

    @property
    def extra_score(self) -> float:
        """Points of the bonus (extra-credit) tests, out of `extra_max`."""
        return round(sum(o.score for o in self.outcomes.values() if o.bonus), 4)

    @property
    def extra_max(self) -> float:
        return round(sum(o.points for o in self.outcomes.values() if o.bonus), 4)

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

