"""WRONG Grad-CAM / Grad-CAM++ implementations, each with the check that must catch it.

WRONG_GRADCAM / WRONG_PLUS_PLUS: name -> (function, expected failing check name).
Each differs from a correct implementation in one mistake students actually make.
"""

import keras
import numpy as np
import tensorflow as tf


def _forward(model, name):
    """Nested-aware forward x -> (conv_output, predictions) (correct part of every variant)."""
    for layer in model.layers:
        if isinstance(layer, keras.Model) and name in [s.name for s in layer.layers]:
            inner = keras.Model(layer.inputs, [layer.get_layer(name).output, layer.output])
            rest = [lyr for lyr in model.layers if not isinstance(lyr, keras.layers.InputLayer)]
            head = rest[rest.index(layer) + 1:]

            def run(x, inner=inner, head=head):
                conv, out = inner(x)
                for lyr in head:
                    out = lyr(out)
                return conv, out

            return run
    return keras.Model(model.inputs, [model.get_layer(name).output, model.output])


def _conv_grads(img_array, model, name, pred_index):
    forward = _forward(model, name)
    with tf.GradientTape() as tape:
        conv, preds = forward(img_array)
        idx = int(tf.argmax(preds[0])) if pred_index is None else pred_index
        score = preds[:, idx]
    grads = tape.gradient(score, conv)
    return conv[0].numpy(), grads[0].numpy()


def _relu_norm(cam):
    cam = np.maximum(cam, 0)
    return cam / cam.max() if cam.max() > 0 else cam


def gradcam_correct(img_array, model, name, pred_index=None):
    conv, grads = _conv_grads(img_array, model, name, pred_index)
    return _relu_norm(conv @ grads.mean(axis=(0, 1)))


# ---------------------------------------------------------------- Grad-CAM mistakes


def no_relu(img_array, model, name, pred_index=None):
    conv, grads = _conv_grads(img_array, model, name, pred_index)
    cam = conv @ grads.mean(axis=(0, 1))
    return cam / np.abs(cam).max()


def no_relu_minmax(img_array, model, name, pred_index=None):
    conv, grads = _conv_grads(img_array, model, name, pred_index)
    cam = conv @ grads.mean(axis=(0, 1))
    return (cam - cam.min()) / (cam.max() - cam.min())


def not_normalised(img_array, model, name, pred_index=None):
    conv, grads = _conv_grads(img_array, model, name, pred_index)
    return np.maximum(conv @ grads.mean(axis=(0, 1)), 0)


def grads_wrt_input(img_array, model, name, pred_index=None):
    x = tf.convert_to_tensor(img_array)
    with tf.GradientTape() as tape:
        tape.watch(x)
        preds = model(x)
        idx = int(tf.argmax(preds[0])) if pred_index is None else pred_index
        score = preds[:, idx]
    grads = tape.gradient(score, x)[0].numpy()
    return _relu_norm(img_array[0] @ grads.mean(axis=(0, 1)))


def pooled_wrong_axes(img_array, model, name, pred_index=None):
    conv, grads = _conv_grads(img_array, model, name, pred_index)
    spatial = grads.mean(axis=-1)          # averaged over channels instead of space
    return _relu_norm(conv.sum(axis=-1) * spatial)


def ignores_pred_index(img_array, model, name, pred_index=None):
    return gradcam_correct(img_array, model, name, None)


def none_means_class_zero(img_array, model, name, pred_index=None):
    return gradcam_correct(img_array, model, name, 0 if pred_index is None else pred_index)


def constant_map(img_array, model, name, pred_index=None):
    conv, _ = _conv_grads(img_array, model, name, pred_index)
    return np.ones(conv.shape[:2])


def random_map(img_array, model, name, pred_index=None):
    conv, _ = _conv_grads(img_array, model, name, pred_index)
    return np.random.default_rng().uniform(0, 1, conv.shape[:2])


def transposed(img_array, model, name, pred_index=None):
    return gradcam_correct(img_array, model, name, pred_index).T


def negated_gradients(img_array, model, name, pred_index=None):
    conv, grads = _conv_grads(img_array, model, name, pred_index)
    return _relu_norm(conv @ (-grads).mean(axis=(0, 1)))


def abs_gradients(img_array, model, name, pred_index=None):
    conv, grads = _conv_grads(img_array, model, name, pred_index)
    return _relu_norm(conv @ np.abs(grads).mean(axis=(0, 1)))


def ignores_model(img_array, model, name, pred_index=None):
    """Saliency from the image alone (channel sum, pooled to the conv grid)."""
    conv, _ = _conv_grads(img_array, model, name, pred_index)
    h, w = conv.shape[:2]
    img = img_array[0].sum(axis=-1)
    fh, fw = img.shape[0] // h, img.shape[1] // w
    return _relu_norm(img.reshape(h, fh, w, fw).mean(axis=(1, 3)))


def keeps_channel_axis(img_array, model, name, pred_index=None):
    return gradcam_correct(img_array, model, name, pred_index)[..., None]


def activations_only(img_array, model, name, pred_index=None):
    """Mean activation map: no gradients, so nothing class specific."""
    conv, _ = _conv_grads(img_array, model, name, pred_index)
    return _relu_norm(conv.mean(axis=-1))


def squared_map(img_array, model, name, pred_index=None):
    """Normalised, then squared and renormalised by the sum (max no longer 1)."""
    cam = gradcam_correct(img_array, model, name, pred_index) ** 2
    return cam / cam.sum()


# ---------------------------------------------------------------- Grad-CAM++ mistakes


def pp_is_gradcam(img_array, model, name, pred_index=None):
    return gradcam_correct(img_array, model, name, pred_index)


def _pp_alpha(conv, g):
    denom = 2 * g**2 + conv.sum(axis=(0, 1)) * g**3
    return g**2 / np.where(denom != 0, denom, 1.0)


def pp_without_relu_on_grads(img_array, model, name, pred_index=None):
    conv, g = _conv_grads(img_array, model, name, pred_index)
    weights = (_pp_alpha(conv, g) * g).sum(axis=(0, 1))
    return _relu_norm(conv @ weights)


def pp_not_normalised(img_array, model, name, pred_index=None):
    conv, g = _conv_grads(img_array, model, name, pred_index)
    weights = (_pp_alpha(conv, g) * np.maximum(g, 0)).sum(axis=(0, 1))
    return np.maximum(conv @ weights, 0)


def pp_ignores_pred_index(img_array, model, name, pred_index=None):
    conv, g = _conv_grads(img_array, model, name, None)
    weights = (_pp_alpha(conv, g) * np.maximum(g, 0)).sum(axis=(0, 1))
    return _relu_norm(conv @ weights)


def pp_flat_only(img_array, model, name, pred_index=None):
    grad_model = keras.Model(model.inputs, [model.get_layer(name).output, model.output])
    with tf.GradientTape() as tape:
        conv, preds = grad_model(img_array)
        idx = int(tf.argmax(preds[0])) if pred_index is None else pred_index
        score = preds[:, idx]
    g = tape.gradient(score, conv)[0].numpy()
    conv = conv[0].numpy()
    weights = (_pp_alpha(conv, g) * np.maximum(g, 0)).sum(axis=(0, 1))
    return _relu_norm(conv @ weights)


WRONG_GRADCAM = {
    "no_relu": (no_relu, "gradcam_contract"),
    "no_relu_minmax": (no_relu_minmax, "gradcam_localization"),
    "not_normalised": (not_normalised, "gradcam_contract"),
    "grads_wrt_input": (grads_wrt_input, "gradcam_reference"),
    "pooled_wrong_axes": (pooled_wrong_axes, "gradcam_localization"),
    "ignores_pred_index": (ignores_pred_index, "gradcam_localization"),
    "none_means_class_zero": (none_means_class_zero, "gradcam_top_class"),
    "constant_map": (constant_map, "gradcam_contract"),
    "random_map": (random_map, "gradcam_localization"),
    "transposed": (transposed, "gradcam_localization"),
    "negated_gradients": (negated_gradients, "gradcam_localization"),
    "abs_gradients": (abs_gradients, "gradcam_localization"),
    "ignores_model": (ignores_model, "gradcam_randomization"),
    "keeps_channel_axis": (keeps_channel_axis, "gradcam_contract"),
    "activations_only": (activations_only, "gradcam_localization"),
    "squared_map": (squared_map, "gradcam_contract"),
}
WRONG_PLUS_PLUS = {
    "pp_is_gradcam": (pp_is_gradcam, "gradcampp_vs_gradcam"),
    "pp_without_relu_on_grads": (pp_without_relu_on_grads, "gradcampp_vs_gradcam"),
    "pp_not_normalised": (pp_not_normalised, "gradcampp_contract"),
    "pp_ignores_pred_index": (pp_ignores_pred_index, "gradcampp_localization"),
    "pp_flat_only": (pp_flat_only, "gradcampp_nested"),
}
