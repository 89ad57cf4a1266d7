"""Per-process memo for results that do not depend on the student (reference heatmaps, probe
inputs, baselines): computed once per grading worker, reused for every submission.

`cached(key, compute)` returns `compute()`'s value, remembered under `key`, which must hold
every input that matters (the check's name, its seed, image size, backbone...). Values are
shared: callers treat them as read-only (copy before changing). `clear()` forgets everything
(the plain path of tests/grading/test_fast_path_equivalence.py).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 256
_MEMO: dict[Hashable, Any] = {}


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, once per process per `key`."""
    if key in _MEMO:
        return _MEMO[key]
    value = compute()
    if len(_MEMO) >= MAX_ENTRIES:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = value
    return value


def clear() -> None:
    _MEMO.clear()
