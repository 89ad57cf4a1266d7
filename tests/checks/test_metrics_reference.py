"""The checks' own reference computations against independent formulas and scikit-learn-free
hand counts, plus message rendering in both languages."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks import lr_sweep, metrics, tta
from autograder.messages import catalog, msg


def test_reference_metrics_hand_example():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 0, 0])  # class 2 never predicted
    ref = metrics.reference_metrics(y_true, y_pred, 3)
    assert ref["confusion_matrix"].tolist() == [[1, 1, 0], [0, 2, 0], [2, 0, 0]]
    # precision: c0 1/3, c1 2/3, c2 0 (no predictions); recall: c0 1/2, c1 1, c2 0
    assert ref["precision_macro"] == pytest.approx((1 / 3 + 2 / 3 + 0) / 3)
    assert ref["recall_macro"] == pytest.approx((0.5 + 1 + 0) / 3)
    f1 = [2 * (1 / 3) * 0.5 / (1 / 3 + 0.5), 2 * (2 / 3) / (2 / 3 + 1), 0]
    assert ref["f1_macro"] == pytest.approx(np.mean(f1))
    assert ref["accuracy"] == pytest.approx(0.5)


def test_metrics_case_properties():
    y_true, y_pred = metrics.metrics_case(0)
    assert set(y_true) == set(range(5)) and set(y_pred) == set(range(5))
    y_true, y_pred = metrics.metrics_case(0, never_predicted=4)
    assert 4 not in set(y_pred) and 4 in set(y_true)



@pytest.mark.parametrize("seed", range(50))
def test_metrics_case_has_a_mostly_missed_class(seed):
    """Class 0: some true positives, precision + recall <= 1 (so an F1 guarded by `P + R > 1`
    differs from the right one)."""
    y_true, y_pred = metrics.metrics_case(seed)
    cm = metrics.reference_metrics(y_true, y_pred, 5)["confusion_matrix"]
    tp = cm[0, 0]
    assert tp > 0 and tp / cm[:, 0].sum() + tp / cm[0].sum() <= 1
    assert set(y_true) == set(range(5)) and set(y_pred) == set(range(5))


def test_tta_model_flip_matters_and_vflip_does_not():
    model = tta.tta_model()
    images = tta.tta_images()
    p0 = np.asarray(model(images))
    assert np.abs(p0 - np.asarray(model(images[:, :, ::-1]))).max() > 0.2
    assert np.allclose(p0, np.asarray(model(images[:, ::-1])), atol=1e-6)


def test_fake_train_fn_best_is_not_last_nor_train():
    for lr in (1e-2, 1e-3, 1e-4):
        h = lr_sweep.fake_train_fn(lr)
        assert max(h["val_accuracy"]) != h["val_accuracy"][-1]
        assert max(h["accuracy"]) != max(h["val_accuracy"])
        assert h.history is h
    best = lr_sweep.expected_sweep([1e-2, 1e-3, 3e-4, 1e-4])
    assert max(best, key=best.get) in (1e-3, 3e-4, 1e-4)
    assert best[1e-2] < best[1e-3]


def test_fake_train_fn_is_importable_by_path():
    import importlib

    module = importlib.import_module(lr_sweep.fake_train_fn.__module__)
    assert getattr(module, lr_sweep.fake_train_fn.__qualname__) is lr_sweep.fake_train_fn


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_message_renders(lang):
    values = dict(expected=0.5, found=0.25, func="f", low=0.0, sum_min=1.0, sum_max=2.0,
                  w_hflip=0.0, w_original=1.0, residual=0.5, cells=2, metric="m", note="",
                  cls=4, k=5, max_error=0.1, lr=0.001)
    for key in catalog("metrics"):
        text = msg("metrics", key, lang, **values)
        assert text


def test_english_option():
    results = metrics.check_top_k(lambda p, k=5: (p, p), lang="en")
    assert "top_k" in results[0].message and "must" in results[0].message
