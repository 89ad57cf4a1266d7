"""Helpers every check uses: calling student code safely and turning failures into results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograder.errors import StudentCodeError
from autograder.messages import msg
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
                                      status="not_implemented")
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
                            status="not_implemented")


def raised(check: str, func: str, lang: str, exc: BaseException) -> CheckResult:
    text = str(exc).strip().splitlines()
    short = text[0][:300] if text else ""
    return CheckResult.fail(
        check, msg("common", "raised", lang, func=func, exc_type=type(exc).__name__, exc=short),
        status="error", exc_type=type(exc).__name__,
    )


def from_student_error(check: str, exc: StudentCodeError, lang: str) -> CheckResult:
    if exc.kind in ("not_implemented", "missing"):
        key = "not_implemented" if exc.kind == "not_implemented" else "missing_function"
        return CheckResult.fail(check, msg("common", key, lang, func=exc.func),
                                status="not_implemented")
    if exc.kind == "crashed":
        return CheckResult.fail(check, msg("common", "crashed", lang, func=exc.func),
                                status="error")
    if exc.kind == "bad_return":
        return CheckResult.fail(check, msg("common", "unsupported_return", lang, func=exc.func,
                                           detail=exc.detail[:300]), status="error")
    if exc.kind == "over_budget":
        return CheckResult.fail(check, msg("common", "over_budget", lang, func=exc.func,
                                           detail=exc.detail[:300]), status="error")
    if exc.kind == "timeout":
        return CheckResult.fail(check, msg("common", "timeout", lang, func=exc.func,
                                           seconds=exc.detail), status="error")
    return CheckResult.fail(
        check, msg("common", "raised", lang, func=exc.func, exc_type=exc.exc_type or exc.kind,
                   exc=exc.detail[:300]), status="error",
    )


def skipped_after(check: str, failed: CheckResult, max_score: float = 1.0) -> CheckResult:
    """A dependent check that cannot run because `failed` (same function) already failed."""
    return CheckResult(check, False, 0.0, max_score, failed.message, failed.hint, {},
                       failed.status)
