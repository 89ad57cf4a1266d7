"""Práctica 10x: the LR sweep check. `lr_sweep(learning_rates, train_fn)` calls `train_fn(lr)`
(returns a `history.history`-like dict with lists per epoch, "val_accuracy" among them) and
returns {lr: max(val_accuracy)}. The checker passes `fake_train_fn`, which runs in the trusted
process when the student calls it (a sandbox callback). Messages: the `metrics` catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder.checks.base import (
    as_scalar,
    call_student,
    failed,
    failed_first,
    finite,
    passed,
    substance_required,
)
from autograder.checks.memo import per_run
from autograder.messages import DEFAULT_LANG, msg
from autograder.model import CheckResult

CATALOG = "metrics"


LR_CHECKS = ("lr_sweep_keys", "lr_sweep_best")
_EPOCH_SHAPE = (0.78, 0.93, 1.0, 0.96, 0.94)  # peak at epoch 3, then decline: best != last


class FakeHistory(dict):
    """`history.history`-like dict; `.history` also works (returns itself)."""

    @property
    def history(self) -> FakeHistory:
        return self


def fake_train_fn(lr: float, **_: Any) -> FakeHistory:
    """Deterministic stand-in for "train a model with learning rate lr".

    val_accuracy per epoch peaks before the last epoch (so last != best); training accuracy keeps
    rising and is higher (so using "accuracy" is caught); the best lr is near 3e-4.
    """
    lr = float(lr)
    peak = 0.86 - 0.05 * (np.log10(lr) + 3.5) ** 2
    peak = float(np.clip(peak, 0.05, 0.95))
    val_acc = [round(peak * s, 4) for s in _EPOCH_SHAPE]
    train_acc = [round(min(0.99, peak * (0.8 + 0.06 * e) + 0.05), 4) for e in range(5)]
    val_loss = [round(2.5 - 2.0 * v, 4) for v in val_acc]
    loss = [round(2.5 - 2.0 * a, 4) for a in train_acc]
    return FakeHistory(accuracy=train_acc, loss=loss, val_accuracy=val_acc, val_loss=val_loss)


def expected_sweep(learning_rates: Sequence[float]) -> dict[float, float]:
    """Independent reference: best (max) val accuracy per learning rate."""
    return {float(lr): max(fake_train_fn(lr)["val_accuracy"]) for lr in learning_rates}


@per_run  # one evidence for the `_basics` test and its hidden twin (checks.memo)
@substance_required("lr_sweep_keys")
def check_lr_sweep(lr_sweep: Callable[..., Any] | None, *, lang: str = DEFAULT_LANG, seed: int = 0,
                   **_: Any) -> list[CheckResult]:
    """lr_sweep(lrs, fake_train_fn) == {lr: max(val_accuracy)} for each lr."""
    rng = np.random.default_rng(seed + 707)
    lrs = [1e-2, 1e-3, 3e-4, 1e-4]
    rng.shuffle(lrs)
    value, problem = call_student(lr_sweep, "lr_sweep", LR_CHECKS[0], lang, list(lrs),
                                 fake_train_fn)
    if problem:
        return failed_first(LR_CHECKS, problem)
    if not isinstance(value, dict):
        return failed_first(LR_CHECKS, failed(CATALOG, "lr_sweep_keys", lang, "lr_type",
                                               hint_key="lr_hint", found=type(value).__name__))
    found: dict[float, Any] = {}
    for key, val in value.items():
        try:
            found[float(key)] = val
        except (TypeError, ValueError):
            continue
    expected = expected_sweep(lrs)
    missing = [lr for lr in expected if not any(np.isclose(lr, f, rtol=1e-6) for f in found)]
    if missing or len(found) != len(expected):
        return failed_first(LR_CHECKS, failed(CATALOG, "lr_sweep_keys", lang, "lr_keys",
                                               hint_key="lr_hint", expected=sorted(expected),
                                               found=sorted(found)))
    results = [passed(CATALOG, "lr_sweep_keys", lang, "ok")]
    wrong = []
    for lr, best in expected.items():
        got = next(v for f, v in found.items() if np.isclose(lr, f, rtol=1e-6))
        got_f = as_scalar(got)
        if got_f is None or not finite(got_f) or abs(got_f - best) > 1e-6:
            wrong.append((lr, best, got_f))
    if not wrong:
        results.append(passed(CATALOG, "lr_sweep_best", lang, "ok"))
        return results
    lr, best, got = wrong[0]
    history = fake_train_fn(lr)
    note = ""
    if got is not None:
        if abs(got - history["val_accuracy"][-1]) <= 1e-6:
            note = msg(CATALOG, "lr_looks_last", lang)
        elif abs(got - max(history["accuracy"])) <= 1e-6 or abs(got - history["accuracy"][-1]) <= 1e-6:
            note = msg(CATALOG, "lr_looks_train", lang)
    results.append(failed(CATALOG, "lr_sweep_best", lang, "lr_best", hint_key="lr_hint", lr=lr,
                          expected=best, found="?" if got is None else got, note=note))
    return results
