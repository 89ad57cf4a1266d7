"""Práctica 10x: the TTA check. `tta_predict(model, images)` returns the average of the model's
softmax probabilities over the original batch and its horizontal flip (width axis), at least.
Extra views are accepted (vertical flip, small rotations, ...) as long as the result is a
probability distribution per row and both the original and the horizontal flip carry weight
>= 0.1 in it. Verification: the checker's model sees images whose columns hold two colours (left
half, right half) and is built so that a horizontal flip swaps the halves' roles while vertical
flips and small rotations/zooms barely change its output. The student's result is fitted by
least squares as ``w0 * p(original) + wh * p(hflip)``; the fit must be close, with w0, wh >= 0.1
and w0 + wh ~= 1. Messages: the `metrics` catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.checks.base import (
    as_float_array,
    call_student,
    failed,
    failed_first,
    passed,
    substance_required,
)
from autograder.checks.memo import per_run
from autograder.messages import DEFAULT_LANG
from autograder.model import CheckResult

CATALOG = "metrics"


TTA_CHECKS = ("tta_shape", "tta_probabilities", "tta_average")


def tta_model(num_classes: int = 5, size: int = 16, seed: int = 0) -> Any:
    """Flatten + Dense softmax whose logits depend on the mean colour of each image half.

    Dense weights are `a[c, k]` on the left half of the columns and `b[c, k]` on the right half
    (scaled by 1 / (255 * pixels per half)), so a horizontal flip swaps the halves' roles; images
    constant along the height make vertical flips an identity.
    """
    import keras

    rng = np.random.default_rng(seed + 101)
    a = rng.normal(0.0, 4.0, size=(3, num_classes))
    b = rng.normal(0.0, 4.0, size=(3, num_classes))
    half = size // 2
    w = np.zeros((size, size, 3, num_classes))
    w[:, :half] = a / (255.0 * size * half)
    w[:, half:] = b / (255.0 * size * half)
    inputs = keras.Input((size, size, 3), name="image")
    x = keras.layers.Flatten(name="flatten")(inputs)
    dense = keras.layers.Dense(num_classes, activation="softmax", name="probs")
    outputs = dense(x)
    model = keras.Model(inputs, outputs, name="tta_checker")
    dense.set_weights([w.reshape(-1, num_classes).astype("float32"),
                       rng.normal(0.0, 0.5, num_classes).astype("float32")])
    return model


def tta_images(batch: int = 6, size: int = 16, seed: int = 0) -> np.ndarray:
    """Images whose left and right halves have two different random colours (float32 0..255)."""
    rng = np.random.default_rng(seed + 202)
    imgs = np.zeros((batch, size, size, 3), dtype="float32")
    for i in range(batch):
        left, right = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        while np.abs(left - right).max() < 120:
            right = rng.uniform(0, 255, 3)
        imgs[i, :, : size // 2] = left
        imgs[i, :, size // 2:] = right
    return imgs


def _softmax_predict(model: Any, images: np.ndarray) -> np.ndarray:
    return np.asarray(model(images, training=False), dtype=np.float64)


@per_run  # one evidence for the `_basics` test and its hidden twin (checks.memo)
@substance_required("tta_shape", "tta_probabilities")  # any softmax output is a distribution
def check_tta(tta_predict: Callable[..., Any] | None, *, lang: str = DEFAULT_LANG, seed: int = 0,
              num_classes: int = 5, **_: Any) -> list[CheckResult]:
    """TTA returns per-row probability distributions averaging original + horizontal flip."""
    model = tta_model(num_classes, seed=seed)
    images = tta_images(seed=seed)
    value, problem = call_student(tta_predict, "tta_predict", TTA_CHECKS[0], lang, model,
                                 images.copy())
    if problem:
        return failed_first(TTA_CHECKS, problem)
    out = as_float_array(value)
    batch = images.shape[0]
    if out is None or out.shape != (batch, num_classes):
        found = "None" if out is None else str(tuple(out.shape))
        return failed_first(TTA_CHECKS, failed(CATALOG, "tta_shape", lang, "tta_shape",
                                                hint_key="tta_shape_hint",
                                                expected=str((batch, num_classes)), found=found))
    if not np.all(np.isfinite(out)):
        return failed_first(TTA_CHECKS, failed(CATALOG, "tta_shape", lang, "not_finite",
                                                hint_key="", func="tta_predict"))
    results = [passed(CATALOG, "tta_shape", lang, "ok")]
    sums = out.sum(axis=1)
    if out.min() < -1e-5 or np.abs(sums - 1).max() > 1e-3:
        results.append(failed(CATALOG, "tta_probabilities", lang, "tta_probabilities",
                              hint_key="tta_probabilities_hint", low=float(out.min()),
                              sum_min=float(sums.min()), sum_max=float(sums.max())))
    else:
        results.append(passed(CATALOG, "tta_probabilities", lang, "ok"))
    p0 = _softmax_predict(model, images)
    ph = _softmax_predict(model, images[:, :, ::-1])
    basis = np.stack([p0.ravel(), ph.ravel()], axis=1)
    (w0, wh), *_unused = np.linalg.lstsq(basis, out.ravel(), rcond=None)
    residual = float(np.abs(basis @ np.array([w0, wh]) - out.ravel()).max())
    details = dict(w_original=round(float(w0), 4), w_hflip=round(float(wh), 4),
                   residual=round(residual, 4))
    if residual > 0.1:
        results.append(failed(CATALOG, "tta_average", lang, "tta_unexplained",
                              hint_key="tta_average_hint", **details))
    elif wh < 0.1:
        results.append(failed(CATALOG, "tta_average", lang, "tta_no_hflip",
                              hint_key="tta_average_hint", **details))
    elif w0 < 0.1:
        results.append(failed(CATALOG, "tta_average", lang, "tta_no_original",
                              hint_key="tta_average_hint", **details))
    elif abs(w0 + wh - 1) > 0.05:
        results.append(failed(CATALOG, "tta_average", lang, "tta_not_mean",
                              hint_key="tta_probabilities_hint", **details))
    else:
        results.append(passed(CATALOG, "tta_average", lang, "ok", **details))
    return results


