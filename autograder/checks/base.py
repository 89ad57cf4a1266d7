"""The one way to write a check: call student code safely, turn outcomes into results.

- `call_student(fn, func, check, lang, *args)` -> (value, None) or (None, failing result);
- `failed(catalog, name, lang, key, **values)` / `passed(...)`: results whose messages and hints
  come from the `autograder/messages/<catalog>.toml` entries;
- `skipped(names, cause)` / `skipped_after(name, cause)`: dependent checks that could not run;
- `not_assessed(catalog, name, lang, key)`: a check that could not gather its evidence, or a
  property the answer is degenerate for (nothing was mixed, the map is constant, the output ignores the
  seed...): 0 points, status "not_assessed", a message saying why and no diagnosis;
- `substance_required(form)`: a decorator for check functions: the checks in `form` (right
  type / shape / keys, determinism) hold for any well-formed null answer, so they earn credit only
  when some other property of the same answer passed; otherwise they become not_assessed;
- `finite(*values)`: True when every number in the values is finite (NaN/inf never pass a
  tolerance comparison: write `not finite(x) or abs(x - y) > tol` forms through it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from typing import Any

from autograder.errors import StudentCodeError
from autograder.messages import DEFAULT_LANG, catalog, msg
from autograder.model import CheckResult


def call_student(
    fn: Callable[..., Any] | None, func: str, check: str, lang: str, *args: Any, **kwargs: Any
) -> tuple[Any, CheckResult | None]:
    """Call student function `fn`; return (value, None) or (None, failing CheckResult named `check`).

    Maps NotImplementedError / unfilled `___` (NameError) to status "not_implemented",
    proxy failures (StudentCodeError: timeout, crash, missing) to their own status, and any other
    exception to "error" with the exception type and message.
    """
    if fn is None:
        return None, CheckResult.fail(check, msg("common", "missing_function", lang, func=func),
                                      status="not_implemented", key="common:missing_function",
                                      missing_function=func)
    try:
        return fn(*args, **kwargs), None
    except NotImplementedError:
        return None, not_implemented(check, func, lang)
    except NameError as exc:
        if "___" in str(exc):
            return None, not_implemented(check, func, lang)
        return None, raised(check, func, lang, exc)
    except StudentCodeError as exc:
        return None, from_student_error(check, exc, lang)
    except Exception as exc:  # noqa: BLE001 - student code may raise anything
        return None, raised(check, func, lang, exc)


def not_implemented(check: str, func: str, lang: str) -> CheckResult:
    return CheckResult.fail(check, msg("common", "not_implemented", lang, func=func),
                            status="not_implemented", key="common:not_implemented")


def raised(check: str, func: str, lang: str, exc: BaseException) -> CheckResult:
    text = str(exc).strip().splitlines()
    short = text[0][:300] if text else ""
    return CheckResult.fail(
        check, msg("common", "raised", lang, func=func, exc_type=type(exc).__name__, exc=short),
        status="error", key="common:raised", exc_type=type(exc).__name__,
    )


# StudentCodeError kind -> (common catalog key, the message field that gets `exc.detail`)
_ERROR_MESSAGES: dict[str, tuple[str, str | None]] = {
    "crashed": ("crashed", None),
    "bad_return": ("unsupported_return", "detail"),
    "deadline": ("deadline", "seconds"),
    "over_budget": ("over_budget", "detail"),
    "timeout": ("timeout", "seconds"),
}


def from_student_error(check: str, exc: StudentCodeError, lang: str) -> CheckResult:
    if exc.kind in ("not_implemented", "missing"):
        key = "not_implemented" if exc.kind == "not_implemented" else "missing_function"
        found = {"missing_function": exc.func} if exc.kind == "missing" else {}
        return CheckResult.fail(check, msg("common", key, lang, func=exc.func),
                                status="not_implemented", key=f"common:{key}", **found)
    if exc.kind in _ERROR_MESSAGES:
        key, field = _ERROR_MESSAGES[exc.kind]
        values = {} if field is None else {
            field: exc.detail[:300] if field == "detail" else exc.detail}
        return CheckResult.fail(check, msg("common", key, lang, func=exc.func, **values),
                                status="error", key=f"common:{key}")
    return CheckResult.fail(
        check, msg("common", "raised", lang, func=exc.func, exc_type=exc.exc_type or exc.kind,
                   exc=exc.detail[:300]), status="error", key="common:raised",
    )


def skipped_after(check: str, failed: CheckResult, max_score: float = 1.0) -> CheckResult:
    """A dependent check that cannot run because `failed` (same function) already failed."""
    return CheckResult(check, False, 0.0, max_score, failed.message, failed.hint, {},
                       failed.status, key=failed.key)


def failed(cat: str, name: str, lang: str, key: str | None = None, *,
           hint_key: str | None = None, **values: Any) -> CheckResult:
    """Failing result named `name`; message `cat:key` (default: name), hint `cat:hint_key`
    (default `key_hint` when the catalog has it; "" for none). The hint is kept separate:
    reports print it once, after the message. Plain `values` go into `details`."""
    key = key or name
    hint_key = f"{key}_hint" if hint_key is None else hint_key
    hint = msg(cat, hint_key, lang, **values) if hint_key and hint_key in catalog(cat) else ""
    text = msg(cat, key, lang, **values)
    result = CheckResult.fail(name, text, hint=hint, key=f"{cat}:{key}")
    result.details.update({k: v for k, v in values.items() if _plain(v)})
    return result


def passed(cat: str, name: str, lang: str, key: str | None = None,
           **details: Any) -> CheckResult:
    """Passing result with the catalog's `key` message (default `<name>_ok`, if any) and the
    numbers found."""
    key = key or f"{name}_ok"
    text = msg(cat, key, lang, **details) if key in catalog(cat) else ""
    result = CheckResult.ok(name, text)
    result.details.update({k: v for k, v in details.items() if _plain(v)})
    return result


def select(results: list[CheckResult], names: Sequence[str] = (), *,
           exclude: Sequence[str] = ()) -> list[CheckResult]:
    """The results named in `names` (all when empty) minus those in `exclude`: how a suite
    splits one check function into a visible test (contract + one property) and a hidden one."""
    return [r for r in results if (not names or r.name in names) and r.name not in exclude]


def skipped(names: Sequence[str], cause: CheckResult) -> list[CheckResult]:
    """Dependent checks that cannot run because `cause` failed: same message and status."""
    return [skipped_after(n, cause) for n in names]


def _plain(v: Any) -> bool:
    import numpy as np

    if isinstance(v, np.ndarray):
        return v.size <= 64
    return isinstance(v, (int, float, str, bool, list, tuple, type(None), np.generic))


def not_assessed(cat: str, name: str, lang: str, key: str | None = None,
                 **values: Any) -> CheckResult:
    """A check that could not gather its evidence, or a property the answer is degenerate for:
    0 points, status "not_assessed", message `cat:key` (default `<name>_degenerate`) saying
    why; never a diagnosis of the student's code."""
    result = failed(cat, name, lang, key or f"{name}_degenerate", hint_key="", **values)
    result.status = "not_assessed"
    return result


def substance_required(*form: str) -> Callable[[Callable[..., list[CheckResult]]],
                                               Callable[..., list[CheckResult]]]:
    """Decorate a check function: when none of its results outside `form` passed, the passed
    `form` results score 0 as not_assessed (common:form_only). The right form alone (type,
    shape, keys, determinism) earns nothing; it counts alongside a property of substance."""
    names = frozenset(form)

    def wrap(check: Callable[..., list[CheckResult]]) -> Callable[..., list[CheckResult]]:
        @functools.wraps(check)
        def gated(*args: Any, **kwargs: Any) -> list[CheckResult]:
            return require_substance(check(*args, **kwargs), names,
                                     kwargs.get("lang", DEFAULT_LANG))
        return gated
    return wrap


def require_substance(results: list[CheckResult], form: Collection[str],
                      lang: str) -> list[CheckResult]:
    """`results` with the passed `form` checks turned not_assessed when nothing else passed."""
    if any(r.passed for r in results if r.name not in form):
        return results
    return [not_assessed("common", r.name, lang, "form_only", check=r.name)
            if r.passed else r for r in results]


def finite(*values: Any) -> bool:
    """True when every value (number, array, nested list) holds only finite numbers."""
    import numpy as np

    for v in values:
        try:
            arr = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        if not np.isfinite(arr).all():
            return False
    return True


def failed_first(names: Sequence[str], first: CheckResult) -> list[CheckResult]:
    """`first` (the first check of `names`) failed: it and every later check of the sequence
    score 0 with its message."""
    return [first, *skipped(names[1:], first)]


def as_float_array(value: Any) -> Any:
    """`value` (array-like, tensor) as a float64 numpy array; None when it is not numeric."""
    import numpy as np

    from autograder.exchange import to_numpy

    try:
        return np.asarray(to_numpy(value), dtype=np.float64)
    except (TypeError, ValueError):
        return None


def as_scalar(value: Any) -> float | None:
    """`value` as one float; None when it is not exactly one number."""
    arr = as_float_array(value)
    return float(arr) if arr is not None and arr.size == 1 else None
