"""Per-worker memo for results that do not depend on the student (the checker's probe models and
inputs, reference maps): computed once per grading worker, reused for every submission.

Off unless `enable()`d: batch workers grade in the sandbox, where a student only ever receives
copies (every value crosses as bytes), so a shared value cannot be changed by student code. In
an nbgrader kernel the student's functions get the live objects, so there every call builds its
own (the memo stays off). `cached(key, compute)` / `@per_worker` remember values under a key
holding every input that matters (function, arguments); values are shared, read-only by
contract. `clear()` forgets everything (the plain path of
tests/grading/test_fast_path_equivalence.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
MAX_ENTRIES = 256
_MEMO: dict[Hashable, Any] = {}
_ENABLED = [False]


def enable(on: bool = True) -> None:
    """Turn the memo on (sandboxed grading workers) or off (and forget everything)."""
    _ENABLED[0] = on
    if not on:
        _MEMO.clear()


def enabled() -> bool:
    return _ENABLED[0]


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
