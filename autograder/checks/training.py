"""CPU learnability check: the student's model, loss, optimizer and pipeline learn a task.

Task (`make_task`): K-class procedurally generated 0..255 images whose class is the scene's hue
(random brightness, pixel noise, a grey occluding square), 48 training and 32 evaluation images.

Why not simply `fit` the student's model: with `weights=None`, EfficientNetB0's pooled features
are ~1e-6 in scale (default BatchNorm statistics), so a correct head trained with Adam 1e-3 stays
at chance, and fitting whole backbones on CPU takes far too long. Recalibrating BatchNorm
statistics (AdaBN) was tried and made the features less separable. So the check:

1. runs the student's pipelines (`training=True` for the training set, `False` for evaluation);
2. computes the student's backbone features once (inference mode) and standardises them per
   channel with the training statistics: a fixed affine map, equivalent to rescaling the Dense
   layer's inputs, so the backbone's arbitrary scale does not matter;
3. trains the student's OWN head layers (same layer objects and trainable flags) with the
   student's compiled loss and a fresh copy of the student's optimizer (same class and learning
   rate) for 25 full-batch steps on the cached features;
4. passes when evaluation accuracy >= 0.7 (chance 1/K = 0.25) AND the training loss fell to at
   most 0.7 of its initial value.

Calibration (tests/checks/test_training.py): correct ResNet50 and EfficientNetB0 solutions reach
about 1.0 on every seed tried; labels shuffled (chance on evaluation), learning rate 0 and a
frozen head (loss unchanged) fail, and a loss that does not match the labels makes Keras raise.
An untrained head cannot pass by luck: the loss criterion is deterministic for lr 0 / frozen
heads, and 23 of 32 right at p = 0.25 has probability < 1e-6.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.checks.base import call_student, failed, passed, raised
from autograder.checks.model import BACKBONE_OUT, split
from autograder.exchange import array_dataset, as_model, sample_dataset
from autograder.messages import DEFAULT_LANG
from autograder.model import CheckResult

CAT = "training"
NAME = "learns"
MIN_ACCURACY = 0.7
MAX_LOSS_RATIO = 0.7
STEPS = 25
N_TRAIN, N_EVAL = 48, 32


def make_task(n: int, num_classes: int, image_size: tuple[int, int], seed: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Balanced colour task: (images float32 [n,H,W,3] in 0..255, labels int64 [n]).

    Class c = the hue of the scene (random brightness, pixel noise and a grey occluding square
    of random size and place), so any backbone's pooled features separate the classes.
    """
    rng = np.random.default_rng(seed)
    h, w = image_size
    hues = np.linspace(0.0, 1.0, num_classes, endpoint=False)
    palette = np.stack([_hsv_to_rgb(hh) for hh in hues]) * 200 + 30
    labels = rng.permutation(np.arange(n) % num_classes)
    images = palette[labels][:, None, None, :] * rng.uniform(0.7, 1.0, (n, 1, 1, 1))
    images = images + rng.normal(0.0, 20.0, (n, h, w, 3))
    for i in range(n):
        side = int(rng.integers(min(h, w) // 6, min(h, w) // 3 + 1))
        y0, x0 = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        images[i, y0:y0 + side, x0:x0 + side] = rng.uniform(60, 200)
    return np.clip(images, 0, 255).astype(np.float32), labels.astype(np.int64)


def _hsv_to_rgb(hue: float) -> np.ndarray:
    import colorsys

    return np.array(colorsys.hsv_to_rgb(hue, 0.9, 0.9))


def _batches(make_pipeline, func, lang, x, y, batch_size, training, kwargs):
    value, bad = call_student(make_pipeline, func, NAME, lang, array_dataset(x, y),
                              batch_size=batch_size, training=training, **kwargs)
    if bad is not None:
        return None, None, bad
    try:
        sample = sample_dataset(value, max_batches=-(-len(x) // batch_size))
        xs = np.concatenate([np.asarray(b[0]) for b in sample.batches]).astype(np.float32)
        ys = np.concatenate([np.asarray(b[1]) for b in sample.batches])
    except Exception as exc:  # noqa: BLE001
        return None, None, raised(NAME, func, lang, exc)
    return xs, ys, None


def _feature_fn(model: Any) -> tuple[Callable[[np.ndarray], np.ndarray] | None, Any, list]:
    """(features(x), backbone layer/model, head layers) or (None, None, []) if not separable."""
    import keras

    nested, base_layers, head = split(model)
    if not head:
        return None, None, []
    if nested is not None:
        top = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
        pre = top[: top.index(nested)]

        def features(x):
            for layer in pre:
                x = layer(x, training=False)
            return np.asarray(nested(x, training=False))

        return features, nested, head
    names = [layer.name for layer in model.layers]
    out = next((o for o in BACKBONE_OUT.values() if o in names), None)
    if out is None:
        return None, None, []
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    sub = keras.Model(inputs, model.get_layer(out).output)
    return (lambda x: np.asarray(sub(x, training=False))), sub, head


def standardize(f_tr: np.ndarray, f_ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel z-score with the training features' statistics (a fixed affine map)."""
    axes = tuple(range(f_tr.ndim - 1))
    mu, sd = f_tr.mean(axis=axes), f_tr.std(axis=axes)
    sd = np.where(sd > 0, sd, 1.0)
    return ((f_tr - mu) / sd).astype(np.float32), ((f_ev - mu) / sd).astype(np.float32)


def _train_head(model, head, f_tr, y_tr, f_ev):
    """Train the student's head layers on cached features with the student's loss and a fresh
    copy of its optimizer: STEPS full-batch steps, eager (no tracing). Returns (loss before, loss after, eval
    predictions)."""
    import keras
    import tensorflow as tf

    def forward(f, training):
        for layer in head:
            f = layer(f, training=training)
        return f

    loss_fn = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss
    opt = type(model.optimizer).from_config(model.optimizer.get_config())
    weights = [w for layer in head for w in layer.trainable_weights]
    f_tr_t, y_tr_t = tf.constant(f_tr), tf.constant(y_tr)
    loss0 = float(np.mean(loss_fn(y_tr_t, forward(f_tr_t, False))))
    for _ in range(STEPS):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(loss_fn(y_tr_t, forward(f_tr_t, True)))
        if weights:
            opt.apply_gradients(zip(tape.gradient(loss, weights), weights, strict=True))
    loss1 = float(np.mean(loss_fn(y_tr_t, forward(f_tr_t, False))))
    pred = np.asarray(forward(tf.constant(f_ev), False)).argmax(1)
    return loss0, loss1, pred


def check_learns(build_model: Callable | None, make_pipeline: Callable | None, *,
                 backbone: str = "resnet50", label_encoding: str = "sparse",
                 num_classes: int = 4, image_size: tuple[int, int] = (64, 64),
                 batch_size: int = 32, time_budget_s: float = 60.0,
                 build_kwargs: dict[str, Any] | None = None,
                 pipeline_kwargs: dict[str, Any] | None = None, pass_num_classes: bool | None = None,
                 lang: str = DEFAULT_LANG, seed: int = 0, build_func: str = "build_model",
                 pipeline_func: str = "make_pipeline", **_: Any) -> list[CheckResult]:
    """One result named `learns`; see the module docstring for the criterion."""
    import keras

    start = time.perf_counter()
    image_size = tuple(image_size)
    kw = dict(pipeline_kwargs or {})
    if pass_num_classes if pass_num_classes is not None else label_encoding == "onehot":
        kw["num_classes"] = num_classes
    x_tr, y_tr = make_task(N_TRAIN, num_classes, image_size, seed)
    x_ev, y_ev = make_task(N_EVAL, num_classes, image_size, seed + 10_000)
    value, bad = call_student(build_model, build_func, NAME, lang, num_classes=num_classes,
                              image_size=image_size, weights=None, **(build_kwargs or {}))
    if bad is not None:
        return [bad]
    try:
        model = as_model(value)
    except Exception:  # noqa: BLE001 - not a model, or a file that does not load
        return [failed(CAT, NAME, lang, "learns_structure")]
    xs_tr, ys_tr, bad = _batches(make_pipeline, pipeline_func, lang, x_tr, y_tr, batch_size,
                                 True, kw)
    if bad is None:
        xs_ev, ys_ev, bad = _batches(make_pipeline, pipeline_func, lang, x_ev, y_ev,
                                     batch_size, False, kw)
    if bad is not None:
        return [bad]
    features, base, head = _feature_fn(model)
    if features is None:
        return [failed(CAT, NAME, lang, "learns_structure")]
    try:
        keras.utils.set_random_seed(seed)
        t_feat = time.perf_counter()
        f_tr, f_ev = standardize(features(xs_tr), features(xs_ev))
        t_head = time.perf_counter()
        loss0, loss1, pred = _train_head(model, head, f_tr, ys_tr, f_ev)
        t_end = time.perf_counter()
    except Exception as exc:  # noqa: BLE001 - wrong loss/labels combinations raise in Keras
        return [failed(CAT, NAME, lang, "learns_error", exc_type=type(exc).__name__,
                       exc=str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "")]
    truth = ys_ev.argmax(1) if ys_ev.ndim == 2 else ys_ev.reshape(-1)
    acc = float((pred == truth.astype(np.int64)).mean())
    ratio = loss1 / loss0 if loss0 > 0 else 1.0
    elapsed = time.perf_counter() - start
    details = dict(accuracy=acc, loss_before=loss0, loss_after=loss1, seconds=elapsed,
                   need=MIN_ACCURACY, chance=1.0 / num_classes, max_ratio=MAX_LOSS_RATIO,
                   seconds_build_and_pipeline=t_feat - start, seconds_features=t_head - t_feat,
                   seconds_head=t_end - t_head)
    if elapsed > time_budget_s:
        return [failed(CAT, NAME, lang, "learns_slow", budget=time_budget_s, **details)]
    if (acc < MIN_ACCURACY or not np.isfinite(ratio) or not np.isfinite([loss0, loss1]).all()
            or ratio > MAX_LOSS_RATIO):
        return [failed(CAT, NAME, lang, **details)]
    return [passed(CAT, NAME, lang, **details)]
