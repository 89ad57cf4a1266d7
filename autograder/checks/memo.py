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

Second scope, per student: `@per_run` on a check function shares its results between the
hidden tests of one suite run (`one_run()`, opened by `grading.suite.run_suite`) that call it with
the same arguments: a visible `<id>_basics` test and its hidden twin split one check's results
(`checks.base.select`), so the check gathers its evidence once per student instead of twice.
Also only while the memo is on (the plain path calls it twice, as written). Student functions
key by their live process (`__memo_key__`: a proxy whose process died or timed out has none, so
a check that lost its student is run again, after the restart, by the next test).
"""

from __future__ import annotations

import contextlib
import copy
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


_RUN: list[dict[Hashable, Any] | None] = [None]
_SHARED = [0]


class _NoKey(Exception):
    """An argument with no stable identity (an array, a dead student process): do not share."""


def shared_count() -> int:
    """How many `@per_run` calls so far returned an earlier call's results (a monotonic
    counter: take deltas; `grade --profile-checks` marks the tests that did)."""
    return _SHARED[0]


@contextlib.contextmanager
def one_run() -> Iterator[None]:
    """While open, `@per_run` checks share results (one student's suite run); then forgotten."""
    before = _RUN[0]
    _RUN[0] = {}
    try:
        yield
    finally:
        _RUN[0] = before


def per_run(fn: F) -> F:
    """Decorator for check functions: inside `one_run()` with the memo on, a second call with
    the same arguments returns a copy of the first call's results instead of calling the
    student again. Not stored when the call raised or its student process died meanwhile."""
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        store = _RUN[0]
        key = _run_key(name, args, kwargs) if store is not None and _ENABLED[0] else None
        if key is None or store is None:
            return fn(*args, **kwargs)
        if key in store:
            _SHARED[0] += 1
            return copy.deepcopy(store[key])
        value = fn(*args, **kwargs)
        if _run_key(name, args, kwargs) == key:  # the student process is still the same one
            store[key] = copy.deepcopy(value)
        return value
    return wrapper  # type: ignore[return-value]


def _run_key(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable | None:
    try:
        return (name, _freeze(args), _freeze(kwargs))
    except _NoKey:
        return None


def _freeze(v: Any) -> Hashable:
    """A hashable stand-in for a check argument; `_NoKey` when it has none."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return (type(v).__name__, v)
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, tuple(_freeze(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted(((repr(k), _freeze(x)) for k, x in v.items()),
                                     key=lambda kv: kv[0])))
    own = getattr(type(v), "__memo_key__", None)
    if own is not None:
        key = own(v)
        if key is None:
            raise _NoKey
        return ("own", key)
    if callable(v) and hasattr(v, "__code__"):  # a plain function (an in-process student)
        return ("func", v)
    raise _NoKey
