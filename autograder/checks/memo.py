"""Per-worker memo for results that do not depend on the student (the checker's probe models and
inputs, reference maps): computed once per grading worker, reused for every submission.

Off unless turned on: `grading.batch.grade_task` grades each task under `active()` (the
memo on for that task, then as it was). Batch workers grade in the sandbox, where a student only ever receives
copies (every value crosses as bytes), so a shared value cannot be changed by student code. In
an nbgrader kernel the student's functions get the live objects, so there every call builds its
own (the memo stays off). `cached(key, compute)` / `@per_worker` remember values under a key
holding every input that matters (function, arguments); values are shared, read-only by
contract. `clear()` forgets everything (the plain path of
tests/grading/test_fast_path_equivalence.py).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
MAX_ENTRIES = 256
_MEMO: dict[Hashable, Any] = {}
_ENABLED = [False]


def enable(on: bool = True) -> None:
    """Turn the memo on or off for this process (off: values are kept but not used)."""
    _ENABLED[0] = on


def enabled() -> bool:
    return _ENABLED[0]


@contextlib.contextmanager
def active(on: bool = True) -> Iterator[None]:
    """The memo on (or off) while grading one task, then as it was: a worker keeps its values
    for the next task, and a process that also runs checks outside a batch (a test session, an
    nbgrader kernel) gets fresh objects there."""
    before = _ENABLED[0]
    _ENABLED[0] = on
    try:
        yield
    finally:
        _ENABLED[0] = before


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, once per process per `key` while enabled; every time otherwise."""
    if not _ENABLED[0]:
        return compute()
    if key in _MEMO:
        return _MEMO[key]
    value = compute()
    if len(_MEMO) >= MAX_ENTRIES:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = value
    return value


def per_worker(fn: F) -> F:
    """Decorator: `fn(*args, **kwargs)` memoised under (its qualified name, args, kwargs)."""
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = (name, args, tuple(sorted(kwargs.items())))
        return cached(key, lambda: fn(*args, **kwargs))
    return wrapper  # type: ignore[return-value]


def clear() -> None:
    _MEMO.clear()
