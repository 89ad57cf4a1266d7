"""The degenerate-answer mechanism (issue 17) and NaN/inf handling (issue 11 item 6), in process.

`base.not_assessed` / `base.require_substance` / `base.finite`, then each check family with a
degenerate answer (nothing mixed, a permutation, output independent of the seed, all-zero
attributions, constant images) and with non-finite values: 0 points, a true message, and the
reference-like answers still pass.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import base, lr_sweep, metrics, mixing, tta
from autograder.model import CheckResult


def _score(results: list[CheckResult]) -> float:
    return sum(r.score for r in results)


def _by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


# ------------------------------------------------------------------------------ base

def test_not_assessed_scores_zero_with_its_own_status_and_message():
    r = base.not_assessed("mixing", "mixup_labels", "en", "nothing_mixed", calls=3)
    assert (r.passed, r.score, r.status) == (False, 0.0, "not_assessed")
    assert "cannot be assessed" in r.message.lower() and "3 calls" in r.message


def test_require_substance_zeroes_form_only_answers_and_keeps_real_ones():
    form_only = [CheckResult.ok("shape"), CheckResult.fail("values", "wrong")]
    gated = base.require_substance(form_only, {"shape"}, "es")
    assert _score(gated) == 0 and gated[0].status == "not_assessed"
    assert "forma" in gated[0].message and gated[1].message == "wrong"
    real = [CheckResult.ok("shape"), CheckResult.ok("values")]
    assert _score(base.require_substance(real, {"shape"}, "es")) == 2


def test_decorator_reads_lang_and_keeps_signature():
    @base.substance_required("a")
    def check(x, *, lang="es"):
        return [CheckResult.ok("a"), CheckResult.fail("b", "no")]

    out = check(1, lang="en")
    assert out[0].status == "not_assessed" and "form alone" in out[0].message
    assert check.__name__ == "check"


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, [1.0, np.nan], "x", None])
def test_finite_rejects_non_finite_and_non_numbers(value):
    assert not base.finite(value)


def test_finite_accepts_numbers_and_arrays():
    assert base.finite(1, 2.5, np.zeros((2, 3)), [[1, 2]])


# ---------------------------------------------------------------------------- mixing

def _mixup_ref(images, labels, alpha=0.2, seed=None):
    rng = np.random.default_rng(seed)
    lam = rng.beta(alpha, alpha, (len(images), 1))
    perm = rng.permutation(len(images))
    x = lam[:, :, None, None] * images + (1 - lam[:, :, None, None]) * images[perm]
    return x.astype("float32"), (lam * labels + (1 - lam) * labels[perm]).astype("float32")


def test_mixup_identity_gets_nothing_and_says_nothing_was_mixed():
    results = mixing.check_mixup(lambda x, y, alpha=0.2, seed=None: (x, y), lang="en",
                                 max_calls=14)
    by = _by_name(results)
    assert _score(results) == 0
    assert by["mixup_images"].status == "not_assessed"
    assert by["mixup_labels"].status == "not_assessed"
    assert "no sample came out really mixed" in by["mixup_labels"].message
    assert by["mixup_seed"].status == "not_assessed"  # same output for every seed
    assert not by["mixup_mixes"].passed and by["mixup_mixes"].status == "wrong"


def test_mixup_permutation_is_not_mixing():
    def permute(x, y, alpha=0.2, seed=None):
        idx = np.random.default_rng(seed).permutation(len(x))
        return x[idx], y[idx]

    results = mixing.check_mixup(permute, lang="en", max_calls=14)
    assert _score(results) == 0
    assert _by_name(results)["mixup_mixes"].status == "wrong"


def test_mixup_reference_still_gets_full_marks():
    results = mixing.check_mixup(_mixup_ref, lang="en")
    assert all(r.passed for r in results), [r.message for r in results if not r.passed]


def test_cutmix_identity_and_permutation_get_nothing():
    def permute(x, y, alpha=1.0, seed=None):
        idx = np.random.default_rng(seed).permutation(len(x))
        return x[idx], y[idx]

    for fn in (lambda x, y, alpha=1.0, seed=None: (x, y), permute):
        results = mixing.check_cutmix(fn, lang="en")
        assert _score(results) == 0, [(r.name, r.score) for r in results]
        assert _by_name(results)["cutmix_labels"].status == "not_assessed"


def test_mixup_nan_output_fails_with_a_true_message():
    results = mixing.check_mixup(lambda x, y, alpha=0.2, seed=None: (x * np.nan, y), lang="en")
    assert _score(results) == 0 and "NaN/inf" in results[0].message


# --------------------------------------------------------------------------- metrics

@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_lr_sweep_non_finite_never_passes(bad):
    results = lr_sweep.check_lr_sweep(lambda lrs, train_fn: {lr: bad for lr in lrs}, lang="en")
    assert _score(results) == 0
    assert _by_name(results)["lr_sweep_best"].status == "wrong"


def test_lr_sweep_constant_gets_nothing_and_reference_passes():
    results = lr_sweep.check_lr_sweep(lambda lrs, train_fn: {lr: 0.5 for lr in lrs}, lang="en")
    assert _score(results) == 0
    assert _by_name(results)["lr_sweep_keys"].status == "not_assessed"
    ref = lr_sweep.check_lr_sweep(
        lambda lrs, train_fn: {lr: max(train_fn(lr)["val_accuracy"]) for lr in lrs}, lang="en")
    assert _score(ref) == len(ref)


def test_top_k_nan_and_range_k_get_nothing():
    def nan_topk(p, k=5):
        return np.full((len(p), k), np.nan), np.full((len(p), k), np.nan)

    results = metrics.check_top_k(nan_topk, lang="en")
    assert _score(results) == 0 and "NaN" in results[0].message

    def range_k(p, k=5):
        idx = np.tile(np.arange(k), (len(p), 1))
        return idx, np.take_along_axis(np.asarray(p), idx, 1)

    results = metrics.check_top_k(range_k, lang="en")
    assert _score(results) == 0 and results[0].status == "not_assessed"
    assert _by_name(results)["topk_values"].status == "wrong"


def test_metrics_nan_and_self_comparison_get_nothing():
    nan = {"confusion_matrix": np.full((5, 5), np.nan), "precision_macro": np.nan,
           "recall_macro": np.nan, "f1_macro": np.nan, "accuracy": np.nan}
    results = metrics.check_classification_metrics(lambda t, p, k: nan, lang="en")
    assert _score(results) == 0

    def self_metrics(y_true, y_pred, k):
        return metrics.reference_metrics(y_true, y_true, k)

    results = metrics.check_classification_metrics(self_metrics, lang="en")
    assert _score(results) == 0 and results[0].status == "not_assessed"


@pytest.mark.slow
def test_tta_model_output_without_flip_gets_nothing():
    from autograder.exchange import as_model

    results = tta.check_tta(lambda model, x: np.asarray(as_model(model)(x)), lang="en")
    by = _by_name(results)
    assert _score(results) == 0
    assert by["tta_probabilities"].status == "not_assessed"
    assert by["tta_average"].status == "wrong"


@pytest.mark.slow
def test_tta_nan_fails():
    results = tta.check_tta(lambda model, x: np.full((len(x), 5), np.nan), lang="en")
    assert _score(results) == 0 and "NaN" in results[0].message


# ------------------------------------------------------------------- data and augment

def _loader(fill):
    def load_data(split, image_size=(64, 64), limit=None):
        import tensorflow as tf

        rng = np.random.default_rng(0)
        x = fill(rng.uniform(0, 255, (limit, *image_size, 3)).astype("float32"))
        return tf.data.Dataset.from_tensor_slices((x, np.arange(limit, dtype="int64")))
    return load_data


@pytest.mark.slow
def test_load_data_constant_images_get_nothing_and_nan_fails():
    from autograder.checks import data_loading

    results = data_loading.check_load_data(_loader(lambda x: x * 0 + 128), num_classes=10,
                                           lang="en")
    by = _by_name(results)
    assert _score(results) == 0 and by["load_data_range"].status == "not_assessed"
    assert by["load_data_limit"].status == "not_assessed"  # right count, but no photos
    results = data_loading.check_load_data(_loader(lambda x: x * np.nan), num_classes=10,
                                           lang="en")
    by = _by_name(results)
    assert not by["load_data_range"].passed and "NaN" in by["load_data_range"].message
    results = data_loading.check_load_data(_loader(lambda x: x), num_classes=10, lang="en")
    assert _score(results) == len(results)


@pytest.mark.slow
def test_augmentation_nan_is_not_randomness_and_empty_gets_nothing():
    import keras

    from autograder.checks import augment

    results = augment.check_augmentation(
        lambda: keras.Sequential([keras.layers.Rescaling(float("nan"))]),
        required=["flip"], lang="en")
    assert not _by_name(results)["augment_training"].passed and _score(results) == 0
    results = augment.check_augmentation(lambda: keras.Sequential([keras.layers.Identity()]),
                                         required=["flip"], lang="en")
    by = _by_name(results)
    assert _score(results) == 0 and by["augment_inference"].status == "not_assessed"
