"""CORRECT Grad-CAM / Grad-CAM++ implementations, written the ways students write them.

CORRECT_GRADCAM / CORRECT_PLUS_PLUS: name -> function that must pass every check.
FLAT_ONLY: the keras-io tutorial recipe; must pass everything except `*_nested`.
"""

import keras
import numpy as np
import tensorflow as tf


def _find_backbone(model, name):
    for layer in model.layers:
        if isinstance(layer, keras.Model) and name in [sub.name for sub in layer.layers]:
            return layer
    return None


def _head_after(model, base):
    layers = [lyr for lyr in model.layers if not isinstance(lyr, keras.layers.InputLayer)]
    return layers[layers.index(base) + 1:]


# ---------------------------------------------------------------- Grad-CAM


def gradcam_submodel_loop(img_array, model, last_conv_layer_name, pred_index=None):
    """Nested-aware: sub-model of the backbone, then the head layers inside the tape."""
    base = _find_backbone(model, last_conv_layer_name)
    if base is None:
        grad_model = keras.Model(model.inputs, [model.get_layer(last_conv_layer_name).output,
                                                model.output])
        forward = grad_model
    else:
        inner = keras.Model(base.inputs, [base.get_layer(last_conv_layer_name).output,
                                          base.output])
        head = _head_after(model, base)

        def forward(x):
            conv, out = inner(x)
            for layer in head:
                out = layer(out)
            return conv, out

    with tf.GradientTape() as tape:
        conv_out, preds = forward(img_array)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        class_channel = preds[:, pred_index]
    grads = tape.gradient(class_channel, conv_out)
    pooled = tf.reduce_mean(grads, axis=(0, 1, 2))
    heatmap = conv_out[0] @ pooled[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    return heatmap.numpy()


def _rewired_grad_model(model, name):
    """Rewire a nested model into one functional model with two outputs."""
    base = _find_backbone(model, name)
    if base is None:
        return keras.Model(model.inputs, [model.get_layer(name).output, model.output])
    inner = keras.Model(base.inputs, [base.get_layer(name).output, base.output])
    inputs = keras.Input(shape=model.inputs[0].shape[1:])
    conv, x = inner(inputs)
    for layer in _head_after(model, base):
        x = layer(x)
    return keras.Model(inputs, [conv, x])


def gradcam_rewired_numpy(img_array, model, last_conv_layer_name, pred_index=None):
    """Rewired functional model; weights and map computed in numpy; watch() style tape."""
    grad_model = _rewired_grad_model(model, last_conv_layer_name)
    x = tf.convert_to_tensor(img_array, dtype=tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        conv_out, preds = grad_model(x, training=False)
        idx = int(np.argmax(preds[0])) if pred_index is None else pred_index
        score = preds[0, idx]
    grads = tape.gradient(score, conv_out)[0].numpy()
    del tape
    weights = grads.mean(axis=(0, 1))
    cam = np.maximum(np.einsum("hwk,k->hw", conv_out[0].numpy(), weights), 0)
    return cam / (cam.max() + 1e-12)


def gradcam_resized(img_array, model, last_conv_layer_name, pred_index=None):
    """Normalised map resized to the input size (bilinear) for overlaying."""
    heatmap = gradcam_submodel_loop(img_array, model, last_conv_layer_name, pred_index)
    size = img_array.shape[1:3]
    resized = tf.image.resize(heatmap[..., None], size, method="bilinear")[..., 0].numpy()
    return np.clip(resized, 0.0, 1.0)


def gradcam_resized_then_normalised(img_array, model, last_conv_layer_name, pred_index=None):
    """Resize first (nearest), then normalise: max exactly 1 at input resolution."""
    grad_model = _rewired_grad_model(model, last_conv_layer_name)
    with tf.GradientTape() as tape:
        conv_out, preds = grad_model(img_array)
        if pred_index is None:
            pred_index = int(tf.argmax(preds[0]))
        score = preds[:, pred_index]
    grads = tape.gradient(score, conv_out)
    weights = tf.reduce_mean(grads[0], axis=(0, 1))
    cam = tf.nn.relu(tf.reduce_sum(conv_out[0] * weights, axis=-1))
    cam = tf.image.resize(cam[..., None], img_array.shape[1:3], method="nearest")[..., 0]
    return (cam / tf.reduce_max(cam)).numpy()


# ---------------------------------------------------------------- Grad-CAM++


def gradcampp_standard(img_array, model, last_conv_layer_name, pred_index=None):
    """Closed form with exp(score) first/second/third derivatives (common tf-keras port)."""
    grad_model = _rewired_grad_model(model, last_conv_layer_name)
    with tf.GradientTape() as tape:
        conv_out, preds = grad_model(img_array)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        score = preds[:, pred_index]
    grads = tape.gradient(score, conv_out)
    first = tf.exp(score)[:, None, None, None] * grads
    second = tf.exp(score)[:, None, None, None] * grads ** 2
    third = tf.exp(score)[:, None, None, None] * grads ** 3
    global_sum = tf.reduce_sum(conv_out, axis=(1, 2), keepdims=True)
    alpha_num = second
    alpha_denom = second * 2.0 + third * global_sum
    alpha_denom = tf.where(alpha_denom != 0.0, alpha_denom, tf.ones_like(alpha_denom))
    alphas = alpha_num / alpha_denom
    weights = tf.reduce_sum(alphas * tf.nn.relu(first), axis=(1, 2))
    cam = tf.reduce_sum(weights[:, None, None, :] * conv_out, axis=-1)[0]
    cam = tf.nn.relu(cam)
    return (cam / (tf.reduce_max(cam) + 1e-10)).numpy()


def gradcampp_numpy_resized(img_array, model, last_conv_layer_name, pred_index=None):
    """Plain gradients, numpy formula, sub-model loop for nesting, resized to the input."""
    base = _find_backbone(model, last_conv_layer_name)
    if base is None:
        inner, head = keras.Model(model.inputs, [model.get_layer(last_conv_layer_name).output,
                                                 model.output]), []
    else:
        inner = keras.Model(base.inputs, [base.get_layer(last_conv_layer_name).output,
                                          base.output])
        head = _head_after(model, base)
    with tf.GradientTape() as tape:
        conv_out, preds = inner(img_array)
        for layer in head:
            preds = layer(preds)
        idx = int(np.argmax(preds[0])) if pred_index is None else pred_index
        score = preds[0, idx]
    g = tape.gradient(score, conv_out)[0].numpy().astype("float64")
    a = conv_out[0].numpy().astype("float64")
    denom = 2 * g**2 + a.sum(axis=(0, 1)) * g**3
    denom = np.where(denom != 0, denom, 1.0)
    alpha = g**2 / denom
    w = (alpha * np.maximum(g, 0)).sum(axis=(0, 1))
    cam = np.maximum(a @ w, 0)
    cam = cam / cam.max() if cam.max() > 0 else cam
    up = tf.image.resize(cam[..., None], img_array.shape[1:3])[..., 0].numpy()
    return np.clip(up, 0, 1)


# ---------------------------------------------------------------- flat only (tutorial)


def gradcam_tutorial_flat_only(img_array, model, last_conv_layer_name, pred_index=None):
    """keras-io recipe: right on flat models, fails on nested backbones in Keras 3."""
    grad_model = keras.models.Model(
        model.inputs, [model.get_layer(last_conv_layer_name).output, model.output])
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model(img_array)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        class_channel = preds[:, pred_index]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    heatmap = last_conv_layer_output[0] @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    return heatmap.numpy()


CORRECT_GRADCAM = {
    "gradcam_submodel_loop": gradcam_submodel_loop,
    "gradcam_rewired_numpy": gradcam_rewired_numpy,
    "gradcam_resized": gradcam_resized,
    "gradcam_resized_then_normalised": gradcam_resized_then_normalised,
}
CORRECT_PLUS_PLUS = {
    "gradcampp_standard": gradcampp_standard,
    "gradcampp_numpy_resized": gradcampp_numpy_resized,
}
FLAT_ONLY = {"gradcam_tutorial_flat_only": gradcam_tutorial_flat_only}
