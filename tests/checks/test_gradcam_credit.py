"""Grad-CAM credit is proportional (issue 12.6): the scores docs/grading.md states for the
common slips, computed as the grader does (UT3-10 weights and visible/hidden split)."""

from __future__ import annotations

import pytest

from autograder.assignment import load
from autograder.checks import explain
from autograder.checks.base import select
from autograder.model import CheckResult
from tests.corpus.explain import gradcam_wrong as w


def no_pooling(img_array, model, name, pred_index=None):
    """A different method: activations x gradients summed without pooling the gradients."""
    conv, grads = w._conv_grads(img_array, model, name, pred_index)
    return w._relu_norm((conv * grads).sum(axis=-1))


def _points(results: list[CheckResult], points: float, weights: dict[str, float]) -> float:
    total = sum(weights.get(r.name, 1.0) for r in results)
    return points * sum(weights.get(r.name, 1.0) for r in results if r.passed) / total


def _ut3_score(fn) -> tuple[float, list[str]]:
    from tests.corpus.explain import gradcam_wrong  # noqa: F401 - the corpus' models

    spec = load("ut3_10_flowers")
    shown, hidden = spec.test("gradcam_basics"), spec.test("gradcam")
    results = explain.check_gradcam(fn, backbone_name="backbone")
    names = ("gradcam_contract", "gradcam_top_class")
    score = (_points(select(results, names), shown.points, shown.weights)
             + _points(select(results, exclude=names), hidden.points, hidden.weights))
    return round(score, 3), [r.name for r in results if not r.passed]


@pytest.mark.parametrize(("fn", "score", "failing"), [
    (w.gradcam_correct, 3.0, []),
    (w.no_relu, 2.5, ["gradcam_contract"]),            # one slip, one check (was 0 / 3)
    (w.not_normalised, 2.5, ["gradcam_contract"]),
    (no_pooling, 2.333, ["gradcam_reference"]),          # another method: less than a slip
    # no gradients at all: only the form checks (contract, top class) hold, and form alone
    # earns nothing: they are "not assessed" (issue 17, base.substance_required)
    (w.activations_only, 0.0, ["gradcam_contract", "gradcam_top_class", "gradcam_localization",
                                "gradcam_reference", "gradcam_randomization", "gradcam_nested"]),
])
def test_gradcam_credit_for_common_slips(fn, score, failing):
    assert _ut3_score(fn) == (score, failing)


def test_no_relu_is_reported_once_with_its_range_not_six_times():
    results = explain.check_gradcam(w.no_relu, backbone_name="backbone")
    messages = [r.message for r in results if not r.passed]
    assert len(messages) == 1 and "[0, 1]" in messages[0]
