"""Small helpers shared by the data/model checks: catalog-backed results and dependent skips."""

from __future__ import annotations

from typing import Any

from autograder.messages import catalog, msg
from autograder.model import CheckResult


def failed(cat: str, name: str, lang: str, key: str | None = None, **values: Any) -> CheckResult:
    """Failing result named `name`; message `cat:key` (default: name), hint `cat:key_hint`
    (kept separate: reports print the hint once, after the message)."""
    key = key or name
    hint_key = f"{key}_hint"
    hint = msg(cat, hint_key, lang, **values) if hint_key in catalog(cat) else ""
    text = msg(cat, key, lang, **values)
    details = {k: v for k, v in values.items() if _plain(v)}
    return CheckResult.fail(name, text, hint=hint, key=f"{cat}:{key}", **details)


def passed(cat: str, name: str, lang: str, **details: Any) -> CheckResult:
    """Passing result with the catalog's `<name>_ok` message (if any) and numbers found."""
    key = f"{name}_ok"
    text = msg(cat, key, lang, **details) if key in catalog(cat) else ""
    return CheckResult.ok(name, text, **{k: v for k, v in details.items() if _plain(v)})


def skipped(names: list[str], cause: CheckResult) -> list[CheckResult]:
    """Dependent checks that cannot run because `cause` failed: same message and status."""
    return [CheckResult(n, False, 0.0, 1.0, cause.message, cause.hint, {}, cause.status,
                        key=cause.key) for n in names]


def _plain(v: Any) -> bool:
    import numpy as np

    if isinstance(v, np.ndarray):
        return v.size <= 64
    return isinstance(v, (int, float, str, bool, list, tuple, type(None), np.generic))
