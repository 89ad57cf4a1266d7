"""Structured check results shared by pytest suites, nbgrader cells and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["passed", "wrong", "not_implemented", "error"]


@dataclass
class CheckResult:
    """Outcome of one property check on one student function.

    `score` is in [0, max_score]; `message` is student-facing (already in the assignment's
    language); `details` holds the numbers found (JSON-serialisable); `artifacts` holds arrays
    for pictures in the feedback report (never serialised to JSON).
    """

    name: str
    passed: bool
    score: float
    max_score: float = 1.0
    message: str = ""
    hint: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    status: Status = "passed"
    artifacts: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (artifacts dropped, numpy scalars converted)."""
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
