"""Checks for Integrated Gradients that a wrong attribution cannot pass.

Student contract (DESIGN.md section 4): `integrated_gradients(model, image, target_class_idx,
baseline=None, m_steps=50)` -> np.ndarray shaped like `image` [H, W, C]. Checks: `ig_contract`,
`ig_completeness` (sum of attributions ~ F(x) - F(baseline); right-Riemann and trapezoid rules
both accepted on the calibrated gentle model), `ig_baseline`, `ig_ignored_input` (zero where the
model ignores the input), `ig_target_class`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.checks import _explain_models as km
from autograder.checks import references
from autograder.checks.base import call_student, not_assessed, skipped_after, substance_required
from autograder.checks.memo import per_run
from autograder.exchange import to_numpy
from autograder.messages import DEFAULT_LANG, msg
from autograder.model import CheckResult, Picture

CAT = "explain"
IG_TOL = 0.05
IG_OVER_TOL = 0.01  # bump probes: evenly spaced rules are exact or under-count (mean over m + 1
                    # points: -2 %); skipping path points over-counts (+2.0 %, +2.4 %)
IG_BUMPS = ((0.5, 16.0), (0.64, 60.0))  # (centre, sharpness): a wide bump, and a narrow one on
                    # point 32 of 50, a chunk boundary of batches of 16 or 32 path points
                    # (a repeated or skipped boundary point: +23 %, -16 %)
IG_IGNORED_TOL = 1e-4
IG_FUNC = "integrated_gradients"

ref = references.lazy("explain")  # solutions/_reference/explain.py: not shipped to students


@per_run  # one evidence for the `_basics` test and its hidden twin (checks.memo)
@substance_required("ig_contract", "ig_ignored_input")  # all-zero attributions ignore everything
def check_integrated_gradients(fn: Callable[..., Any] | None, *, lang: str = DEFAULT_LANG, seed: int = 0,
                               m_steps: int = 50, **_: Any) -> list[CheckResult]:
    """All Integrated Gradients checks on `integrated_gradients` (m_steps >= 50 is enforced)."""
    m_steps = max(int(m_steps), 50)
    model, image = km.ig_model(), km.ig_image()
    mask = km.ig_ignored_mask()
    names = ["ig_completeness", "ig_baseline", "ig_ignored_input", "ig_target_class"]
    attr, fail = _attributions(fn, "ig_contract", lang, model, image, None, None, m_steps)
    if fail is not None:
        return [fail, *(skipped_after(n, fail) for n in names)]
    probs = lambda x: to_numpy(model(x[None], training=False))[0].astype("float64")  # noqa: E731
    f_x, f_0 = probs(image), probs(np.zeros_like(image))
    top = int(np.argmax(f_x))
    results = [CheckResult.ok("ig_contract", msg(CAT, "ig_contract_ok", lang, found=image.shape))]
    results.append(_completeness("ig_completeness", attr, f_x[top] - f_0[top], top, m_steps,
                                 msg(CAT, "what_top", lang), lang))
    if results[-1].passed:
        results[-1] = _ig_path(fn, image, m_steps, lang) or results[-1]
    results[-1].picture = Picture(
        "heatmap", image=image, heatmap=_attribution_map(attr),
        reference=_attribution_map(ref.integrated_gradients(model, image, top, m_steps=m_steps)))
    results.append(_ig_baseline(fn, model, image, attr, top, f_x, probs, m_steps, lang))
    results.append(_ig_ignored(attr, mask, lang))
    results.append(_ig_target(fn, model, image, top, f_x, f_0, m_steps, lang))
    return results


def _attribution_map(attr: np.ndarray) -> np.ndarray:
    """|attributions| summed over channels, scaled to [0, 1], for the feedback picture."""
    heat = np.abs(np.asarray(attr, dtype="float64")).sum(axis=-1)
    top = heat.max()
    return (heat / top if top > 0 else heat).astype("float32")


def _attributions(fn, check: str, lang: str, model: Any, image: np.ndarray, cls: int | None,
                  baseline: np.ndarray | None, m_steps: int) -> tuple[Any, CheckResult | None]:
    """Call the student's IG; (attributions float64 like image, None) or (None, failure)."""
    if cls is None:
        cls = int(np.argmax(to_numpy(model(image[None], training=False))[0]))
    kwargs: dict[str, Any] = {"m_steps": m_steps}
    if baseline is not None:
        kwargs["baseline"] = baseline.copy()
    value, fail = call_student(fn, IG_FUNC, check, lang, model, image.copy(), cls, **kwargs)
    if fail is not None:
        return None, fail
    hint = msg(CAT, "hint_ig_contract", lang)
    try:
        arr = np.asarray(to_numpy(value), dtype="float64")
    except (TypeError, ValueError):
        found = type(value).__name__
        return None, CheckResult.fail(check, msg(CAT, "ig_not_array", lang, func=IG_FUNC,
                                                 expected=image.shape, found=found), hint)
    if arr.shape != image.shape:
        return None, CheckResult.fail(check, msg(CAT, "ig_bad_shape", lang, expected=image.shape,
                                                 found=arr.shape), hint, shape=arr.shape)
    bad = int((~np.isfinite(arr)).sum())
    if bad:
        return None, CheckResult.fail(check, msg(CAT, "ig_not_finite", lang, found=bad), hint)
    return arr, None


def _completeness(check: str, attr: np.ndarray, expected: float, cls: int, m_steps: int,
                  what: str, lang: str) -> CheckResult:
    found = float(attr.sum())
    rel = abs(found - expected) / max(abs(expected), 1e-12)
    values = {"target": cls, "expected": expected, "found": found, "rel": rel,
              "tol_pct": int(IG_TOL * 100), "m": m_steps}
    text = msg(CAT, "ig_completeness" if rel > IG_TOL else "ig_completeness_ok", lang, what=what,
               cls=cls, **values)
    if rel > IG_TOL:
        return CheckResult.fail(check, text, msg(CAT, "hint_ig_completeness", lang), **values)
    return CheckResult.ok(check, text, **values)


def _ig_path(fn, image: np.ndarray, m_steps: int, lang: str) -> CheckResult | None:
    """ig_completeness on the `ig_bump_model` probes: a failure when the attributions
    over-count a bump by more than IG_OVER_TOL or under-count it by more than IG_TOL (path
    points skipped or repeated: the mean runs over the wrong points); None when neither."""
    for centre, sharpness in IG_BUMPS:
        model = km.ig_bump_model(image, centre, sharpness)
        attr, fail = _attributions(fn, "ig_completeness", lang, model, image, 0, None, m_steps)
        if fail is not None:
            return fail
        f = to_numpy(model(np.stack([image, np.zeros_like(image)]), training=False))[:, 0]
        expected = float(f[0] - f[1])
        found = float(attr.sum())
        rel = (found - expected) / expected
        if -IG_TOL <= rel <= IG_OVER_TOL:
            continue
        values = {"expected": expected, "found": found, "rel": rel, "m": m_steps,
                  "centre": centre, "tol_pct": int(IG_OVER_TOL * 100),
                  "under_pct": int(IG_TOL * 100)}
        return CheckResult.fail("ig_completeness", msg(CAT, "ig_path_points", lang, **values),
                                msg(CAT, "hint_ig_path_points", lang), **values)
    return None


def _ig_baseline(fn, model, image, attr_default, top, f_x, probs, m_steps, lang) -> CheckResult:
    check = "ig_baseline"
    zeros, fail = _attributions(fn, check, lang, model, image, top, np.zeros_like(image), m_steps)
    if fail is not None:
        return fail
    scale = float(np.abs(zeros).max()) or 1.0
    diff = float(np.abs(zeros - attr_default).max())
    if diff > 1e-3 * scale:
        return CheckResult.fail(check, msg(CAT, "ig_baseline_default", lang, found=diff),
                                msg(CAT, "hint_ig_baseline", lang), max_diff=diff)
    baseline = np.full_like(image, 0.5)
    given, fail = _attributions(fn, check, lang, model, image, top, baseline, m_steps)
    if fail is not None:
        return fail
    res = _completeness(check, given, f_x[top] - probs(baseline)[top], top, m_steps,
                        msg(CAT, "what_given_baseline", lang), lang)
    if not res.passed:
        res.hint = msg(CAT, "hint_ig_baseline", lang)
        return res
    return CheckResult.ok(check, msg(CAT, "ig_baseline_ok", lang), max_diff=diff)


def _ig_ignored(attr: np.ndarray, mask: np.ndarray, lang: str) -> CheckResult:
    check = "ig_ignored_input"
    found = float(np.abs(attr[mask]).max())
    scale = float(np.abs(attr[~mask]).max())
    if scale <= 1e-12:
        return not_assessed(CAT, check, lang, "ig_ignored_degenerate")
    if found > IG_IGNORED_TOL * max(scale, 1e-12):
        return CheckResult.fail(check, msg(CAT, "ig_ignored", lang, n=int(mask.sum()), found=found,
                                           scale=scale), msg(CAT, "hint_ig_ignored", lang),
                                ignored_max=found, other_max=scale)
    return CheckResult.ok(check, msg(CAT, "ig_ignored_ok", lang), ignored_max=found)


def _ig_target(fn, model, image, top, f_x, f_0, m_steps, lang) -> CheckResult:
    check = "ig_target_class"
    others = [c for c in range(len(f_x)) if c != top]
    for cls in others:
        attr, fail = _attributions(fn, check, lang, model, image, cls, None, m_steps)
        if fail is not None:
            return fail
        expected = f_x[cls] - f_0[cls]
        found = float(attr.sum())
        if abs(found - expected) > IG_TOL * abs(expected):
            return CheckResult.fail(check, msg(CAT, "ig_target", lang, cls=cls, found=found,
                                               expected=expected),
                                    msg(CAT, "hint_ig_target", lang), target=cls, found=found,
                                    expected=expected)
    return CheckResult.ok(check, msg(CAT, "ig_target_ok", lang, n=len(others) + 1))
