"""GPU-profile check: the accuracy a student's notebook reports after running every cell.

Used by hidden tests marked `gpu = true` (grading with `gpu=True, run_all=True, profile="full"`):
the test reads a top-level notebook variable (e.g. `test_accuracy`, set by the evaluation cell)
through `student.global_value(name)` and passes it here with the assignment's threshold.
"""

from __future__ import annotations

import math
from typing import Any

from autograder.messages import DEFAULT_LANG, msg
from autograder.model import CheckResult

NAME = "accuracy"


def read_metric(student: Any, name: str) -> Any:
    """`student.global_value(name)`, or None when missing or not retrievable."""
    try:
        return student.global_value(name)
    except Exception:  # noqa: BLE001 - sandbox errors / missing attribute
        return None


def check_accuracy(value: Any, *, min_value: float, metric: str = "test_accuracy",
                   lang: str = DEFAULT_LANG, **_: Any) -> list[CheckResult]:
    """One result: `value` is a finite number in [0, 1] and >= `min_value`."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        return [CheckResult.fail(NAME, msg("data", "accuracy_missing", lang, metric=metric,
                                           found=repr(value)[:80]),
                                 msg("data", "accuracy_missing_hint", lang, metric=metric),
                                 status="error")]
    if number < min_value:
        return [CheckResult.fail(NAME, msg("data", "accuracy_low", lang, metric=metric,
                                           found=number, need=min_value),
                                 msg("data", "accuracy_low_hint", lang), found=number,
                                 need=min_value)]
    return [CheckResult.ok(NAME, found=number, need=min_value)]
