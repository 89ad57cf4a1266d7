"""Reference Grad-CAM, Grad-CAM++ and Integrated Gradients (instructor-only: not in the wheel).

Loaded by `autograder.checks.references.load("explain")` for `autograder.checks.explain` (ground
truth on random conv nets) and usable from
reference solutions. Grad-CAM maps are returned at the conv map's spatial resolution, ReLU'd and
divided by their maximum (all-zero maps stay zero).

`conv_and_predictions(model, layer_name)` handles flat models and NESTED ones, where the layer
lives inside a backbone sub-model (`x = base_model(inputs, training=False)` then a head). In
Keras 3 `keras.Model(model.inputs, [model.get_layer(name).output, model.output])` fails there;
what works is a sub-model from the backbone's own inputs to `[conv_output, backbone_output]`
followed by the outer model's remaining layers (assumed to form a chain, as in the seeds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def find_layer(model: Any, name: str) -> tuple[Any, list[Any]]:
    """(layer, path of enclosing sub-models outermost first, excluding `model`); KeyError if absent."""
    import keras

    for layer in model.layers:
        if layer.name == name:
            return layer, []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            try:
                found, path = find_layer(layer, name)
            except KeyError:
                continue
            return found, [layer, *path]
    raise KeyError(name)


def conv_and_predictions(model: Any, layer_name: str) -> Callable[[Any], tuple[Any, Any]]:
    """A function x -> (conv_output, predictions), differentiable end to end (flat or nested)."""
    import keras

    layer, path = find_layer(model, layer_name)
    if not path:
        grad_model = keras.Model(_inputs(model), [layer.output, model.output])
        return lambda x: tuple(grad_model(x, training=False))
    base = path[0]
    inner_fn = conv_and_predictions(base, layer_name) if len(path) > 1 else None
    if inner_fn is None:
        inner = keras.Model(_inputs(base), [layer.output, base.output])
        inner_fn = lambda x: tuple(inner(x, training=False))  # noqa: E731
    layers = [lyr for lyr in model.layers if not isinstance(lyr, keras.layers.InputLayer)]
    head = layers[layers.index(base) + 1:]

    def run(x: Any) -> tuple[Any, Any]:
        conv, out = inner_fn(x)
        for lyr in head:
            out = lyr(out, training=False)
        return conv, out

    return run


def _inputs(model: Any) -> Any:
    """The model's input tensor (unwrapped when single, so calling with a tensor does not warn)."""
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs


def class_score(preds: Any, pred_index: int | None) -> tuple[Any, int]:
    """(score tensor of the chosen class for sample 0, the class index used)."""
    import tensorflow as tf

    if pred_index is None:
        pred_index = int(tf.argmax(preds[0]))
    return preds[:, pred_index], int(pred_index)


def gradcam(img_array: Any, model: Any, layer_name: str, pred_index: int | None = None,
            *, plus_plus: bool = False) -> np.ndarray:
    """Grad-CAM (or Grad-CAM++ with `plus_plus`) map [h, w] at the conv map's resolution, in [0, 1]."""
    import tensorflow as tf

    fn = conv_and_predictions(model, layer_name)
    x = tf.convert_to_tensor(np.asarray(img_array, dtype="float32"))
    with tf.GradientTape() as tape:
        conv, preds = fn(x)
        score, _ = class_score(preds, pred_index)
    grads = tape.gradient(score, conv)[0].numpy().astype("float64")
    conv = conv[0].numpy().astype("float64")
    if plus_plus:
        weights = plus_plus_weights(grads, conv)
    else:
        weights = grads.mean(axis=(0, 1))
    cam = np.maximum(conv @ weights, 0.0)
    top = cam.max()
    return (cam / top if top > 0 else cam).astype("float32")


def plus_plus_weights(grads: np.ndarray, conv: np.ndarray) -> np.ndarray:
    """Grad-CAM++ channel weights (Chattopadhyay et al. 2018, exp(score) closed form).

    alpha = g^2 / (2 g^2 + sum_ab A * g^3); w_k = sum_ij alpha_ij^k * ReLU(g_ij^k).
    """
    g2, g3 = grads**2, grads**3
    denom = 2.0 * g2 + conv.sum(axis=(0, 1)) * g3
    alpha = g2 / np.where(denom != 0.0, denom, 1.0)
    return (alpha * np.maximum(grads, 0.0)).sum(axis=(0, 1))


def integrated_gradients(model: Any, image: Any, target_class_idx: int, baseline: Any = None,
                         m_steps: int = 50, *, rule: str = "trapezoid") -> np.ndarray:
    """IG attributions shaped like `image` [H, W, C]; zero baseline by default.

    rule: "trapezoid" (mean of neighbouring gradients), "right" or "left" Riemann.
    """
    import tensorflow as tf

    image = np.asarray(image, dtype="float32")
    baseline = np.zeros_like(image) if baseline is None else np.asarray(baseline, "float32")
    alphas = np.linspace(0.0, 1.0, m_steps + 1, dtype="float32")[:, None, None, None]
    path = tf.convert_to_tensor(baseline[None] + alphas * (image - baseline)[None])
    with tf.GradientTape() as tape:
        tape.watch(path)
        score = model(path, training=False)[:, target_class_idx]
    grads = tape.gradient(score, path).numpy().astype("float64")
    if rule == "trapezoid":
        avg = ((grads[:-1] + grads[1:]) / 2.0).mean(axis=0)
    elif rule == "right":
        avg = grads[1:].mean(axis=0)
    elif rule == "left":
        avg = grads[:-1].mean(axis=0)
    else:
        raise ValueError(f"unknown rule {rule!r}")
    return ((image - baseline) * avg).astype("float32")
