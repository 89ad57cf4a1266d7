"""Práctica 10x checks: TTA, classification metrics, top-k, embeddings, LR sweep.

Every check compares the student's output with an INDEPENDENT computation written here in
numpy (never by calling the same library the student may have used), on inputs chosen by the
checker and seeded by `seed`.

Conventions the checks fix (also stated in the reference notebook's docstrings):

- `tta_predict(model, images)`: the average of the model's softmax probabilities over the
  original batch and its horizontal flip (width axis), at least. Extra views are accepted
  (vertical flip, small rotations, ...) as long as the result is a probability distribution
  per row and both the original and the horizontal flip carry weight >= 0.1 in it.
  Verification: the checker's model sees images whose columns hold two colours (left half,
  right half) and is built so that a horizontal flip swaps the halves' roles while vertical
  flips and small rotations/zooms barely change its output. The student's result is fitted
  by least squares as ``w0 * p(original) + wh * p(hflip)``; the fit must be close, with
  w0, wh >= 0.1 and w0 + wh ~= 1.
- `classification_metrics(y_true, y_pred, num_classes)`: confusion matrix with rows = true
  class and columns = predicted class (scikit-learn's convention); macro averages over all
  `num_classes` classes; per-class precision of a class that is never predicted is 0 (and recall
  of a class with no true samples is 0), like scikit-learn's `zero_division=0`; macro F1 is the
  mean of the per-class F1 scores (not the harmonic mean of macro precision and recall).
- `top_k(probabilities, k=5)`: (indices, probabilities), each [B, k], sorted by decreasing
  probability.
- `extract_embeddings(model, images)`: [N, D] features at the output of the global average
  pooling that follows the backbone (not the softmax probabilities).
- `lr_sweep(learning_rates, train_fn)`: calls `train_fn(lr)` (returns a `history.history`-like
  dict with lists per epoch, "val_accuracy" among them) and returns {lr: max(val_accuracy)}.
  The checker passes `fake_train_fn`, a module-level function (the sandbox passes callables
  by import path).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder.checks.base import (
    call_student,
    failed,
    finite,
    passed,
    skipped,
    substance_required,
)
from autograder.exchange import as_model, to_numpy
from autograder.messages import DEFAULT_LANG, msg
from autograder.model import CheckResult

CATALOG = "metrics"


def _failed_first(names: Sequence[str], first: CheckResult) -> list[CheckResult]:
    """`first` failed: it and every later check of the sequence score 0 with its message."""
    return [first, *skipped(names[1:], first)]


def _as_array(value: Any) -> np.ndarray | None:
    try:
        arr = np.asarray(to_numpy(value), dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


# --------------------------------------------------------------------------------- TTA ---

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


@substance_required("tta_shape", "tta_probabilities")  # any softmax output is a distribution
def check_tta(tta_predict: Callable[..., Any] | None, *, lang: str = DEFAULT_LANG, seed: int = 0,
              num_classes: int = 5, **_: Any) -> list[CheckResult]:
    """TTA returns per-row probability distributions averaging original + horizontal flip."""
    model = tta_model(num_classes, seed=seed)
    images = tta_images(seed=seed)
    value, problem = call_student(tta_predict, "tta_predict", TTA_CHECKS[0], lang, model,
                                 images.copy())
    if problem:
        return _failed_first(TTA_CHECKS, problem)
    out = _as_array(value)
    batch = images.shape[0]
    if out is None or out.shape != (batch, num_classes):
        found = "None" if out is None else str(tuple(out.shape))
        return _failed_first(TTA_CHECKS, failed(CATALOG, "tta_shape", lang, "tta_shape",
                                                hint_key="tta_shape_hint",
                                                expected=str((batch, num_classes)), found=found))
    if not np.all(np.isfinite(out)):
        return _failed_first(TTA_CHECKS, failed(CATALOG, "tta_shape", lang, "not_finite",
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


# ----------------------------------------------------------------------------- metrics ---

METRIC_CHECKS = ("metrics_keys", "metrics_confusion_matrix", "metrics_accuracy",
                 "metrics_precision", "metrics_recall", "metrics_f1", "metrics_zero_division")
METRIC_KEYS = ("confusion_matrix", "precision_macro", "recall_macro", "f1_macro", "accuracy")


def reference_metrics(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict[str, Any]:
    """Independent confusion-matrix based macro metrics (see module docstring for conventions)."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    tp = np.diag(cm).astype(float)
    predicted = cm.sum(axis=0).astype(float)
    actual = cm.sum(axis=1).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {"confusion_matrix": cm, "precision_macro": float(precision.mean()),
            "recall_macro": float(recall.mean()), "f1_macro": float(f1.mean()),
            "accuracy": float(tp.sum() / cm.sum())}


def metrics_case(seed: int, num_classes: int = 5, n: int = 80, never_predicted: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Labels where every class occurs in y_true and predictions are ~60 % right, imbalanced.

    With `never_predicted`, that class never appears in y_pred (its precision is 0 by convention).
    """
    rng = np.random.default_rng(seed + 303)
    p = np.linspace(1.0, 3.0, num_classes)
    y_true = np.concatenate([np.arange(num_classes),
                             rng.choice(num_classes, n - num_classes, p=p / p.sum())])
    rng.shuffle(y_true)
    noise = rng.integers(0, num_classes, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, noise)
    if never_predicted is None:
        y_pred[: num_classes] = np.arange(num_classes)  # every class predicted at least once
    else:
        others = [c for c in range(num_classes) if c != never_predicted]
        y_pred = np.where(y_pred == never_predicted, rng.choice(others, n), y_pred)
    return y_true.astype("int64"), y_pred.astype("int64")


def _scalar(value: Any) -> float | None:
    try:
        arr = np.asarray(to_numpy(value), dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return float(arr) if arr.size == 1 else None


@substance_required("metrics_keys")
def check_classification_metrics(classification_metrics: Callable[..., Any] | None, *,
                                 lang: str = DEFAULT_LANG, seed: int = 0, num_classes: int = 5,
                                 **_: Any) -> list[CheckResult]:
    """Compare confusion matrix, accuracy and macro P/R/F1 with `reference_metrics`."""
    fn = "classification_metrics"
    y_true, y_pred = metrics_case(seed, num_classes)
    value, problem = call_student(classification_metrics, fn, METRIC_CHECKS[0], lang,
                                 y_true.copy(), y_pred.copy(), num_classes)
    if problem:
        return _failed_first(METRIC_CHECKS, problem)
    if not isinstance(value, dict) or any(k not in value for k in METRIC_KEYS):
        found = sorted(map(str, value)) if isinstance(value, dict) else type(value).__name__
        return _failed_first(METRIC_CHECKS, failed(CATALOG, "metrics_keys", lang, "metrics_keys",
                                                   hint_key="", expected=list(METRIC_KEYS),
                                                   found=str(found)))
    ref = reference_metrics(y_true, y_pred, num_classes)
    results = [passed(CATALOG, "metrics_keys", lang, "ok")]
    cm = _as_array(value["confusion_matrix"])
    if cm is None or cm.shape != ref["confusion_matrix"].shape:
        results.append(failed(CATALOG, "metrics_confusion_matrix", lang, "cm_shape",
                              hint_key="cm_hint", expected=str(ref["confusion_matrix"].shape),
                              found="?" if cm is None else str(cm.shape)))
    elif np.array_equal(cm, ref["confusion_matrix"]):
        results.append(passed(CATALOG, "metrics_confusion_matrix", lang, "ok"))
    elif np.array_equal(cm, ref["confusion_matrix"].T):
        results.append(failed(CATALOG, "metrics_confusion_matrix", lang, "cm_transposed",
                              hint_key="cm_hint"))
    else:
        results.append(failed(CATALOG, "metrics_confusion_matrix", lang, "cm_values",
                              hint_key="cm_hint", cells=int((cm != ref["confusion_matrix"]).sum())))
    micro = ref["accuracy"]
    for key, check, hint in (("accuracy", "metrics_accuracy", "accuracy_hint"),
                             ("precision_macro", "metrics_precision", "macro_hint"),
                             ("recall_macro", "metrics_recall", "macro_hint"),
                             ("f1_macro", "metrics_f1", "f1_hint")):
        found = _scalar(value[key])
        expected = ref[key]
        if found is not None and abs(found - expected) <= 1e-4:
            results.append(passed(CATALOG, check, lang, "ok", found=found))
            continue
        note = ""
        if found is not None and key != "accuracy" and abs(found - micro) <= 1e-4:
            note = msg(CATALOG, "looks_micro", lang)
        elif found is not None and key in ("precision_macro", "recall_macro"):
            other = ref["recall_macro" if key == "precision_macro" else "precision_macro"]
            if abs(found - other) <= 1e-4:
                note = msg(CATALOG, "looks_swapped", lang)
        results.append(failed(CATALOG, check, lang, "metric_value", hint_key=hint or "", metric=key,
                              expected=expected, found="?" if found is None else found, note=note))
    results.append(_check_zero_division(classification_metrics, lang, seed, num_classes))
    return results


def _check_zero_division(fn: Callable[..., Any] | None, lang: str, seed: int,
                         num_classes: int) -> CheckResult:
    """Second case: one class is never predicted; its precision must count as 0 (not NaN)."""
    name = "metrics_zero_division"
    missing = num_classes - 1
    y_true, y_pred = metrics_case(seed + 1, num_classes, never_predicted=missing)
    value, problem = call_student(fn, "classification_metrics", name, lang, y_true.copy(),
                                 y_pred.copy(), num_classes)
    if problem:
        return problem
    ref = reference_metrics(y_true, y_pred, num_classes)
    found = _scalar(value.get("precision_macro")) if isinstance(value, dict) else None
    if found is not None and abs(found - ref["precision_macro"]) <= 1e-4:
        return passed(CATALOG, name, lang, "ok", found=found)
    return failed(CATALOG, name, lang, "zero_division", hint_key="zero_division_hint", cls=missing,
                  expected=ref["precision_macro"], found="?" if found is None else found)


# ------------------------------------------------------------------------------- top-k ---

TOPK_CHECKS = ("topk_shape", "topk_values", "topk_order")


def topk_case(seed: int, batch: int = 6, num_classes: int = 12) -> np.ndarray:
    """Softmax rows with distinct values (no ties), float32."""
    rng = np.random.default_rng(seed + 404)
    logits = rng.normal(0, 2.0, (batch, num_classes))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return probs.astype("float32")


@substance_required("topk_shape")
def check_top_k(top_k: Callable[..., Any] | None, *, lang: str = DEFAULT_LANG, seed: int = 0,
                **_: Any) -> list[CheckResult]:
    """(indices, probabilities) of the k largest per row, sorted decreasing; k=5 default and 3."""
    probs = topk_case(seed)
    results: list[CheckResult] = []
    for k, kwargs in ((5, {}), (3, {"k": 3})):
        value, problem = call_student(top_k, "top_k", TOPK_CHECKS[0], lang, probs.copy(),
                                     **kwargs)
        if problem:
            return _failed_first(TOPK_CHECKS, problem)
        part = _check_topk_value(value, probs, k, lang)
        if any(not r.passed for r in part):
            return part
        results = part
    return results


def _check_topk_value(value: Any, probs: np.ndarray, k: int, lang: str) -> list[CheckResult]:
    batch = probs.shape[0]
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return _failed_first(TOPK_CHECKS, failed(CATALOG, "topk_shape", lang, "topk_return",
                                                 hint_key="topk_hint", found=type(value).__name__))
    idx, vals = _as_array(value[0]), _as_array(value[1])
    if idx is None or vals is None or idx.shape != (batch, k) or vals.shape != (batch, k):
        found = [None if a is None else tuple(a.shape) for a in (idx, vals)]
        return _failed_first(TOPK_CHECKS, failed(CATALOG, "topk_shape", lang, "topk_shape",
                                                 hint_key="topk_hint", k=k,
                                                 expected=str((batch, k)), found=str(found)))
    if not finite(idx, vals):
        return _failed_first(TOPK_CHECKS, failed(CATALOG, "topk_shape", lang, "not_finite",
                                                 hint_key="", func="top_k"))
    if np.any(np.abs(idx - np.round(idx)) > 0) or idx.min() < 0 or idx.max() >= probs.shape[1]:
        swapped = np.all(np.abs(vals - np.round(vals)) == 0)
        key = "topk_swapped" if swapped else "topk_indices"
        return _failed_first(TOPK_CHECKS, failed(CATALOG, "topk_shape", lang, key,
                                                 hint_key="topk_hint"))
    idx = idx.astype(int)
    results = [passed(CATALOG, "topk_shape", lang, "ok")]
    ref = np.argsort(-probs, axis=1)[:, :k]
    gathered = np.take_along_axis(probs, idx, axis=1)
    same_set = all(set(idx[i]) == set(ref[i]) for i in range(batch))
    if not same_set:
        smallest = all(set(idx[i]) == set(np.argsort(probs[i])[:k]) for i in range(batch))
        results.append(failed(CATALOG, "topk_values", lang,
                              "topk_smallest" if smallest else "topk_set", hint_key="topk_hint",
                              k=k))
    elif not np.allclose(vals, gathered, atol=1e-6):
        results.append(failed(CATALOG, "topk_values", lang, "topk_probs_mismatch",
                              hint_key="topk_hint"))
    else:
        results.append(passed(CATALOG, "topk_values", lang, "ok"))
    if same_set and np.array_equal(idx, ref):
        results.append(passed(CATALOG, "topk_order", lang, "ok"))
    else:
        results.append(failed(CATALOG, "topk_order", lang, "topk_order", hint_key="topk_hint", k=k))
    return results


# -------------------------------------------------------------------------- embeddings ---

EMB_CHECKS = ("embeddings_shape", "embeddings_values")


def embeddings_model(num_classes: int = 5, dim: int = 8, size: int = 16, seed: int = 0) -> Any:
    """Model shaped like the assignment's: nested backbone `efficientnetb0` -> GAP -> Dropout ->
    Dense softmax, with explicit weights. Returns (model, backbone)."""
    import keras

    rng = np.random.default_rng(seed + 505)
    b_in = keras.Input((size, size, 3), name="backbone_input")
    conv1 = keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="relu", name="stem_conv")
    conv2 = keras.layers.Conv2D(dim, 3, padding="same", activation="relu", name="top_conv")
    backbone = keras.Model(b_in, conv2(conv1(b_in)), name="efficientnetb0")
    inputs = keras.Input((size, size, 3), name="input_layer")
    x = backbone(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D(name="global_average_pooling2d")(x)
    x = keras.layers.Dropout(0.3, name="dropout")(x)
    dense = keras.layers.Dense(num_classes, activation="softmax", name="dense")
    model = keras.Model(inputs, dense(x), name="pets_checker")
    conv1.set_weights([rng.normal(0, 0.02, (3, 3, 3, 6)).astype("float32"),
                       rng.normal(0.1, 0.05, 6).astype("float32")])
    conv2.set_weights([rng.normal(0, 0.3, (3, 3, 6, dim)).astype("float32"),
                       rng.normal(0.05, 0.05, dim).astype("float32")])
    dense.set_weights([rng.normal(0, 1.0, (dim, num_classes)).astype("float32"),
                       np.zeros(num_classes, "float32")])
    return model, backbone


@substance_required("embeddings_shape")
def check_embeddings(extract_embeddings: Callable[..., Any] | None, *, lang: str = DEFAULT_LANG,
                     seed: int = 0, **_: Any) -> list[CheckResult]:
    """[N, D] backbone GAP features, equal to the checker's own GAP(backbone(images))."""
    num_classes, dim = 5, 8
    model, backbone = embeddings_model(num_classes, dim, seed=seed)
    rng = np.random.default_rng(seed + 606)
    images = rng.uniform(0, 255, (7, 16, 16, 3)).astype("float32")
    value, problem = call_student(extract_embeddings, "extract_embeddings", EMB_CHECKS[0], lang,
                                 model, images.copy())
    if problem:
        return _failed_first(EMB_CHECKS, problem)
    out = _as_array(value)
    expected = np.asarray(backbone(images, training=False), dtype=np.float64).mean(axis=(1, 2))
    probs = np.asarray(as_model(model)(images, training=False), dtype=np.float64)
    if out is None or out.shape != expected.shape:
        found = "None" if out is None else str(tuple(out.shape))
        key = "emb_probs" if out is not None and out.shape == probs.shape else "emb_shape"
        return _failed_first(EMB_CHECKS, failed(CATALOG, "embeddings_shape", lang, key,
                                                hint_key="emb_hint", expected=str(expected.shape),
                                                found=found))
    results = [passed(CATALOG, "embeddings_shape", lang, "ok")]
    if np.allclose(out, expected, rtol=1e-4, atol=1e-5):
        results.append(passed(CATALOG, "embeddings_values", lang, "ok"))
    else:
        err = float(np.abs(out - expected).max())
        results.append(failed(CATALOG, "embeddings_values", lang, "emb_values", hint_key="emb_hint",
                              max_error=err))
    return results


# ----------------------------------------------------------------------------- LR sweep ---

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
        return _failed_first(LR_CHECKS, problem)
    if not isinstance(value, dict):
        return _failed_first(LR_CHECKS, failed(CATALOG, "lr_sweep_keys", lang, "lr_type",
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
        return _failed_first(LR_CHECKS, failed(CATALOG, "lr_sweep_keys", lang, "lr_keys",
                                               hint_key="lr_hint", expected=sorted(expected),
                                               found=sorted(found)))
    results = [passed(CATALOG, "lr_sweep_keys", lang, "ok")]
    wrong = []
    for lr, best in expected.items():
        got = next(v for f, v in found.items() if np.isclose(lr, f, rtol=1e-6))
        got_f = _scalar(got)
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
