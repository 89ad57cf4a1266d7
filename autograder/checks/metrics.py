"""Práctica 10x checks: classification metrics, top-k, embeddings (TTA: `checks/tta.py`; LR
sweep: `checks/lr_sweep.py`).

Every check compares the student's output with an INDEPENDENT computation written here in
numpy (never by calling the same library the student may have used), on inputs chosen by the
checker and seeded by `seed`.

Conventions the checks fix (also stated in the reference notebook's docstrings):

- `classification_metrics(y_true, y_pred, num_classes)`: confusion matrix with rows = true
  class and columns = predicted class (scikit-learn's convention); macro averages over all
  `num_classes` classes; per-class precision of a class that is never predicted is 0 (and recall
  of a class with no true samples is 0), like scikit-learn's `zero_division=0`; macro F1 is the
  mean of the per-class F1 scores (not the harmonic mean of macro precision and recall).
- `top_k(probabilities, k=5)`: (indices, probabilities), each [B, k], sorted by decreasing
  probability.
- `extract_embeddings(model, images)`: [N, D] features at the output of the global average
  pooling that follows the backbone (not the softmax probabilities).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.checks.base import (
    as_float_array,
    as_scalar,
    call_student,
    failed,
    failed_first,
    finite,
    passed,
    substance_required,
)
from autograder.checks.memo import per_run
from autograder.exchange import as_model
from autograder.messages import DEFAULT_LANG, msg
from autograder.model import CheckResult

CATALOG = "metrics"


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
    """Labels where every class occurs in y_true and predictions are ~60 % right, imbalanced;
    class 0 is mostly missed (precision + recall < 1).

    With `never_predicted`, that class never appears in y_pred (its precision is 0 by convention).
    """
    rng = np.random.default_rng(seed + 303)
    p = np.linspace(1.0, 3.0, num_classes)
    y_true = np.concatenate([np.arange(num_classes),
                             rng.choice(num_classes, n - num_classes, p=p / p.sum())])
    rng.shuffle(y_true)
    noise = rng.integers(0, num_classes, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, noise)
    # class 0 mostly missed (a quarter of its samples right, at least one): its precision +
    # recall stay under 1 while its F1 is not 0, so F1 guarded by `P + R > 1` shows
    hard = np.flatnonzero(y_true[num_classes:] == 0) + num_classes  # kept by the line below
    y_pred[hard] = rng.integers(1, num_classes, len(hard))
    y_pred[hard[: max(1, len(hard) // 4)]] = 0
    if never_predicted is None:
        y_pred[: num_classes] = np.arange(num_classes)  # every class predicted at least once
    else:
        others = [c for c in range(num_classes) if c != never_predicted]
        y_pred = np.where(y_pred == never_predicted, rng.choice(others, n), y_pred)
    return y_true.astype("int64"), y_pred.astype("int64")


@per_run  # one evidence for the `_basics` test and its hidden twin (checks.memo)
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
        return failed_first(METRIC_CHECKS, problem)
    if not isinstance(value, dict) or any(k not in value for k in METRIC_KEYS):
        found = sorted(map(str, value)) if isinstance(value, dict) else type(value).__name__
        return failed_first(METRIC_CHECKS, failed(CATALOG, "metrics_keys", lang, "metrics_keys",
                                                   hint_key="", expected=list(METRIC_KEYS),
                                                   found=str(found)))
    ref = reference_metrics(y_true, y_pred, num_classes)
    results = [passed(CATALOG, "metrics_keys", lang, "ok")]
    cm = as_float_array(value["confusion_matrix"])
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
        found = as_scalar(value[key])
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
    found = as_scalar(value.get("precision_macro")) if isinstance(value, dict) else None
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


@per_run  # one evidence for the `_basics` test and its hidden twin (checks.memo)
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
            return failed_first(TOPK_CHECKS, problem)
        part = _check_topk_value(value, probs, k, lang)
        if any(not r.passed for r in part):
            return part
        results = part
    return results


def _check_topk_value(value: Any, probs: np.ndarray, k: int, lang: str) -> list[CheckResult]:
    batch = probs.shape[0]
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return failed_first(TOPK_CHECKS, failed(CATALOG, "topk_shape", lang, "topk_return",
                                                 hint_key="topk_hint", found=type(value).__name__))
    idx, vals = as_float_array(value[0]), as_float_array(value[1])
    if idx is None or vals is None or idx.shape != (batch, k) or vals.shape != (batch, k):
        found = [None if a is None else tuple(a.shape) for a in (idx, vals)]
        return failed_first(TOPK_CHECKS, failed(CATALOG, "topk_shape", lang, "topk_shape",
                                                 hint_key="topk_hint", k=k,
                                                 expected=str((batch, k)), found=str(found)))
    if not finite(idx, vals):
        return failed_first(TOPK_CHECKS, failed(CATALOG, "topk_shape", lang, "not_finite",
                                                 hint_key="", func="top_k"))
    if np.any(np.abs(idx - np.round(idx)) > 0) or idx.min() < 0 or idx.max() >= probs.shape[1]:
        swapped = np.all(np.abs(vals - np.round(vals)) == 0)
        key = "topk_swapped" if swapped else "topk_indices"
        return failed_first(TOPK_CHECKS, failed(CATALOG, "topk_shape", lang, key,
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


@per_run  # one evidence for the `_basics` test and its hidden twin (checks.memo)
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
        return failed_first(EMB_CHECKS, problem)
    out = as_float_array(value)
    expected = np.asarray(backbone(images, training=False), dtype=np.float64).mean(axis=(1, 2))
    probs = np.asarray(as_model(model)(images, training=False), dtype=np.float64)
    if out is None or out.shape != expected.shape:
        found = "None" if out is None else str(tuple(out.shape))
        key = "emb_probs" if out is not None and out.shape == probs.shape else "emb_shape"
        return failed_first(EMB_CHECKS, failed(CATALOG, "embeddings_shape", lang, key,
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
