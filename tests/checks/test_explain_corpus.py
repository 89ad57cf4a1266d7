"""Every wrong explainer in tests/corpus/explain fails its named check; every correct one passes."""

import importlib.util
from pathlib import Path

import pytest

from autograder.checks import explain, integrated_gradients

pytestmark = pytest.mark.filterwarnings("ignore:The structure of `inputs`:UserWarning")
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "explain"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"explain_corpus_{name}", CORPUS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CORRECT = _load("gradcam_correct")
WRONG = _load("gradcam_wrong")
IG = _load("ig_variants")


def _failing(results):
    return [r.name for r in results if not r.passed]


def test_corpus_is_big_enough():
    wrong = len(WRONG.WRONG_GRADCAM) + len(WRONG.WRONG_PLUS_PLUS) + len(IG.WRONG_IG)
    correct = (len(CORRECT.CORRECT_GRADCAM) + len(CORRECT.CORRECT_PLUS_PLUS)
               + len(IG.CORRECT_IG))
    assert wrong >= 20 and correct >= 6


@pytest.mark.parametrize("name", sorted(CORRECT.CORRECT_GRADCAM))
def test_correct_gradcam_passes(name):
    results = explain.check_gradcam(CORRECT.CORRECT_GRADCAM[name], lang="en")
    assert _failing(results) == [], [r.message for r in results if not r.passed]
    assert {r.name for r in results} == {f"gradcam_{n}" for n in (
        "contract", "top_class", "localization", "reference", "randomization", "nested")}


@pytest.mark.parametrize("name", sorted(CORRECT.CORRECT_PLUS_PLUS))
def test_correct_plus_plus_passes(name):
    results = explain.check_gradcam_plus_plus(CORRECT.CORRECT_PLUS_PLUS[name], lang="en")
    assert _failing(results) == [], [r.message for r in results if not r.passed]
    assert "gradcampp_vs_gradcam" in {r.name for r in results}


@pytest.mark.parametrize("name", sorted(IG.CORRECT_IG))
def test_correct_ig_passes(name):
    results = integrated_gradients.check_integrated_gradients(IG.CORRECT_IG[name], lang="en")
    assert _failing(results) == [], [r.message for r in results if not r.passed]


def test_flat_only_tutorial_recipe_gets_partial_credit():
    """keras-io recipe: everything but the nested check passes; the message explains the fix."""
    results = explain.check_gradcam(CORRECT.gradcam_tutorial_flat_only, lang="en")
    assert _failing(results) == ["gradcam_nested"]
    nested = next(r for r in results if r.name == "gradcam_nested")
    assert "base.inputs" in nested.hint and "top_conv" in nested.message
    score = sum(r.score for r in results)
    assert 0 < score < sum(r.max_score for r in results)


@pytest.mark.parametrize("name", sorted(WRONG.WRONG_GRADCAM))
def test_wrong_gradcam_fails_named_check(name):
    fn, expected = WRONG.WRONG_GRADCAM[name]
    results = explain.check_gradcam(fn, lang="en")
    assert expected in _failing(results), [(r.name, r.passed, r.details) for r in results]
    failed = next(r for r in results if r.name == expected)
    assert failed.message and failed.score == 0


@pytest.mark.parametrize("name", sorted(WRONG.WRONG_PLUS_PLUS))
def test_wrong_plus_plus_fails_named_check(name):
    fn, expected = WRONG.WRONG_PLUS_PLUS[name]
    results = explain.check_gradcam_plus_plus(fn, lang="en")
    assert expected in _failing(results), [(r.name, r.passed, r.details) for r in results]


def test_plain_gradcam_is_not_accepted_as_plus_plus_but_passes_as_gradcam():
    assert _failing(explain.check_gradcam(WRONG.pp_is_gradcam, lang="en")) == []
    assert "gradcampp_vs_gradcam" in _failing(
        explain.check_gradcam_plus_plus(WRONG.pp_is_gradcam, lang="en"))


@pytest.mark.parametrize("name", sorted(IG.WRONG_IG))
def test_wrong_ig_fails_named_check(name):
    fn, expected = IG.WRONG_IG[name]
    results = integrated_gradients.check_integrated_gradients(fn, lang="en")
    assert expected in _failing(results), [(r.name, r.passed, r.details) for r in results]


@pytest.mark.parametrize(("name", "centre", "low", "high"), [
    ("ig_batches_skip_first_point", 0.5, 0.015, 0.03),
    ("ig_batches_skip_points", 0.5, 0.015, 0.03),
    ("ig_batches_overlap", 0.64, 0.15, 0.3),
])
def test_skipped_or_repeated_path_points_fail_on_a_bump_probe(name, centre, low, high):
    """Issue 15 (flowers integrated_gradients#26/#27/#43): the gentle model cannot tell them
    from a trapezoid; a bump probe sees the miscount with its own message."""
    fn, _ = IG.WRONG_IG[name]
    result = next(r for r in integrated_gradients.check_integrated_gradients(fn, lang="es")
                  if r.name == "ig_completeness")
    assert not result.passed and "se saltó o repitió puntos" in result.message
    assert result.details["centre"] == centre and low < abs(result.details["rel"]) < high


@pytest.mark.parametrize(("centre", "sharpness"), integrated_gradients.IG_BUMPS)
def test_bump_probe_rules_are_exact_or_under_count(centre, sharpness):
    """Trapezoid, left/right Riemann, midpoint, batched trapezoid: within 0.1 % on each bump;
    the mean of all m + 1 points under-counts by ~1/51; all inside [-IG_TOL, IG_OVER_TOL]."""
    import numpy as np

    image = integrated_gradients.km.ig_image()
    model = integrated_gradients.km.ig_bump_model(image, centre, sharpness)
    f = np.asarray(model(np.stack([image, np.zeros_like(image)]), training=False))[:, 0]
    for name, fn in IG.CORRECT_IG.items():
        rel = float(fn(model, image, 0).sum()) / float(f[0] - f[1]) - 1.0
        assert -integrated_gradients.IG_TOL <= rel <= integrated_gradients.IG_OVER_TOL
        assert abs(rel) < 1e-3 or (name == "ig_mean_of_all_points" and -0.025 < rel < -0.015)


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_reference_agreement_holds_for_other_seeds(seed):
    good = explain.check_gradcam(CORRECT.gradcam_resized, seed=seed)
    assert _failing(good) == []
    bad = explain.check_gradcam(WRONG.grads_wrt_input, seed=seed)
    assert "gradcam_reference" in _failing(bad)


def test_backbone_looked_up_by_name_is_met_with_the_configured_name():
    def by_name(img_array, model, last_conv_layer_name, pred_index=None):
        if last_conv_layer_name not in [layer.name for layer in model.layers]:
            model.get_layer("resnet50")  # hard-coded backbone name, as in many notebooks
        return explain.ref.gradcam(img_array, model, last_conv_layer_name, pred_index)

    assert "gradcam_nested" in _failing(explain.check_gradcam(by_name))
    assert _failing(explain.check_gradcam(by_name, backbone_name="resnet50")) == []
