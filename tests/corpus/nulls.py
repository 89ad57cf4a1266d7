"""Null implementations of every contract function: answers a student who does nothing real
would submit (issue 17). Each must score 0 on its function's hidden test.

`NULLS[func][kind]` is the source of a notebook-level function named `<func>__<kind>`; the
module-level `notebook_source()` joins them into one cell, so one sandboxed process per
assignment serves every variant (`NullStudent` maps `student.<func>` to the variant).
Kinds: identity (an input returned unchanged), zeros, ones, const, random (seeded), lazy (the
right shape from a simpler computation), permute (a reordering, no mixing), nan (non-finite).
`raise NotImplementedError` and `pass` are covered by the untouched template tests.
"""

from __future__ import annotations

from typing import Any

HEADER = '''
import numpy as np
import tensorflow as tf
import keras

def _n(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)

def _conv_shape(model, layer_name):
    for m in [model] + [l for l in model.layers if hasattr(l, "layers")]:
        try:
            return tuple(int(d) for d in m.get_layer(layer_name).output.shape[1:3])
        except ValueError:
            continue
    return (7, 7)

def _probs_shape(model, images):
    return tuple(_n(model(images, training=False)).shape)
'''

# body templates: {f} is the variant's name
_MIX = {
    "identity": "def {f}(images, labels, alpha=0.2, seed=None):\n    return images, labels\n",
    "zeros": "def {f}(images, labels, alpha=0.2, seed=None):\n"
             "    return np.zeros_like(_n(images)), np.zeros_like(_n(labels))\n",
    "ones": "def {f}(images, labels, alpha=0.2, seed=None):\n"
            "    return np.ones_like(_n(images)), np.ones_like(_n(labels))\n",
    "const": "def {f}(images, labels, alpha=0.2, seed=None):\n"
             "    y = _n(labels)\n"
             "    return np.full_like(_n(images), 127.5), np.full_like(y, 1.0 / y.shape[-1])\n",
    "random": "def {f}(images, labels, alpha=0.2, seed=None):\n"
              "    rng = np.random.default_rng(seed)\n    x, y = _n(images), _n(labels)\n"
              "    p = rng.random(y.shape)\n"
              "    return (rng.uniform(0, 255, x.shape).astype(x.dtype),\n"
              "            (p / p.sum(-1, keepdims=True)).astype(y.dtype))\n",
    "permute": "def {f}(images, labels, alpha=0.2, seed=None):\n"
               "    x, y = _n(images), _n(labels)\n"
               "    idx = np.random.default_rng(seed).permutation(len(x))\n"
               "    return x[idx], y[idx]\n",
    "lazy": "def {f}(images, labels, alpha=0.2, seed=None):\n"  # images mixed, labels untouched
            "    x, y = _n(images), _n(labels)\n"
            "    return 0.5 * x + 0.5 * x[::-1], y\n",
}
_PIPE = {
    "identity": "def {f}(ds, batch_size=32, training=True, **kw):\n    return ds\n",
    "lazy": "def {f}(ds, batch_size=32, training=True, **kw):\n    return ds.batch(batch_size)\n",
    "zeros": "def {f}(ds, batch_size=32, training=True, **kw):\n"
             "    return ds.map(lambda x, y: (tf.zeros_like(tf.cast(x, tf.float32)), y))"
             ".batch(batch_size).prefetch(1)\n",
    "const": "def {f}(ds, batch_size=32, training=True, **kw):\n"
             "    return ds.map(lambda x, y: (tf.cast(x, tf.float32) * 0 + 0.5, y))"
             ".batch(batch_size).prefetch(1)\n",
    "random": "def {f}(ds, batch_size=32, training=True, **kw):\n"
              "    return ds.map(lambda x, y: (tf.random.stateless_uniform(tf.shape(x), (1, 2),"
              " 0, 255), y)).batch(batch_size).prefetch(1)\n",
}
_CAM = {
    "zeros": "def {f}(img_array, model, last_conv_layer_name, pred_index=None):\n"
             "    return np.zeros(_conv_shape(model, last_conv_layer_name), 'float32')\n",
    "ones": "def {f}(img_array, model, last_conv_layer_name, pred_index=None):\n"
            "    return np.ones(_conv_shape(model, last_conv_layer_name), 'float32')\n",
    "const": "def {f}(img_array, model, last_conv_layer_name, pred_index=None):\n"
             "    return np.full(_conv_shape(model, last_conv_layer_name), 0.5, 'float32')\n",
    "random": "def {f}(img_array, model, last_conv_layer_name, pred_index=None):\n"
              "    return np.random.default_rng(0).random("
              "_conv_shape(model, last_conv_layer_name)).astype('float32')\n",
    "lazy": "def {f}(img_array, model, last_conv_layer_name, pred_index=None):\n"
            "    m = _n(img_array)[0].mean(-1)\n"
            "    return ((m - m.min()) / (m.max() - m.min() + 1e-9)).astype('float32')\n",
    "identity": "def {f}(img_array, model, last_conv_layer_name, pred_index=None):\n"
                "    return _n(img_array)[0]\n",
}

NULLS: dict[str, dict[str, str]] = {
    "load_data": {
        "zeros": "def {f}(split, image_size=(224, 224), limit=None):\n"
                 "    n = limit or 8\n    return tf.data.Dataset.from_tensor_slices((\n"
                 "        np.zeros((n, *image_size, 3), 'uint8'), np.zeros(n, 'int64')))\n",
        "const": "def {f}(split, image_size=(224, 224), limit=None):\n"
                 "    n = limit or 8\n    return tf.data.Dataset.from_tensor_slices((\n"
                 "        np.full((n, *image_size, 3), 128, 'uint8'), np.ones(n, 'int64')))\n",
        "random": "def {f}(split, image_size=(224, 224), limit=None):\n"
                  "    n = limit or 8\n    rng = np.random.default_rng(0)\n"
                  "    return tf.data.Dataset.from_tensor_slices((\n"
                  "        rng.integers(0, 256, (n, *image_size, 3)).astype('uint8'),\n"
                  "        rng.integers(0, 37, n).astype('int64')))\n",
    },
    "make_augmentation": {
        "identity": "def {f}():\n    return keras.Sequential([])\n",
        "lazy": "def {f}():\n    return keras.Sequential(["  # the right layers, no strength
                " keras.layers.RandomRotation(0.0), keras.layers.RandomZoom(0.0),\n"
                "        keras.layers.RandomTranslation(0.0, 0.0),"
                " keras.layers.RandomBrightness(0.0), keras.layers.RandomContrast(0.0)])\n",
        "const": "def {f}():\n    return keras.Sequential([keras.layers.Rescaling(0.0, offset=0.5)])\n",
    },
    # no "lazy" for Mixup: 0.5 * x + 0.5 * x[::-1] does mix images (a partial implementation)
    "mixup": {k: v for k, v in _MIX.items() if k != "lazy"},
    "cutmix": dict(_MIX),
    "make_pipeline": dict(_PIPE),
    "make_baseline_pipeline": dict(_PIPE),
    "make_augmented_pipeline": dict(_PIPE),
    "build_model": {
        "lazy": "def {f}(num_classes=37, image_size=(224, 224), weights=None, **kw):\n"
                "    m = keras.Sequential([keras.Input((*image_size, 3)), keras.layers.Flatten(),\n"
                "        keras.layers.Dense(num_classes, activation='softmax')])\n"
                "    m.compile('adam', 'categorical_crossentropy', metrics=['accuracy'])\n"
                "    return m\n",
        "const": "def {f}(num_classes=37, image_size=(224, 224), weights=None, **kw):\n"
                 "    inp = keras.Input((*image_size, 3))\n"
                 "    x = keras.layers.GlobalAveragePooling2D()(inp)\n"
                 "    out = keras.layers.Dense(num_classes, activation='softmax',"
                 " kernel_initializer='zeros')(x)\n"
                 "    m = keras.Model(inp, out)\n"
                 "    m.compile('adam', 'categorical_crossentropy', metrics=['accuracy'])\n"
                 "    return m\n",
    },
    "tta_predict": {
        "identity": "def {f}(model, images):\n    return images\n",
        "zeros": "def {f}(model, images):\n    return np.zeros(_probs_shape(model, images))\n",
        "ones": "def {f}(model, images):\n    return np.ones(_probs_shape(model, images))\n",
        "const": "def {f}(model, images):\n    s = _probs_shape(model, images)\n"
                 "    return np.full(s, 1.0 / s[-1])\n",
        "random": "def {f}(model, images):\n    p = np.random.default_rng(0).random("
                  "_probs_shape(model, images))\n    return p / p.sum(-1, keepdims=True)\n",
        "lazy": "def {f}(model, images):\n    return _n(model(images, training=False))\n",
    },
    "make_gradcam_heatmap": dict(_CAM),
    "make_gradcam_plus_plus_heatmap": dict(_CAM),
    "integrated_gradients": {
        "identity": "def {f}(model, image, target_class_idx, baseline=None, m_steps=50):\n"
                    "    return _n(image)\n",
        "zeros": "def {f}(model, image, target_class_idx, baseline=None, m_steps=50):\n"
                 "    return np.zeros_like(_n(image), dtype='float32')\n",
        "ones": "def {f}(model, image, target_class_idx, baseline=None, m_steps=50):\n"
                "    return np.ones_like(_n(image), dtype='float32')\n",
        "random": "def {f}(model, image, target_class_idx, baseline=None, m_steps=50):\n"
                  "    return np.random.default_rng(0).normal(size=_n(image).shape)"
                  ".astype('float32')\n",
        "lazy": "def {f}(model, image, target_class_idx, baseline=None, m_steps=50):\n"
                "    return (_n(image) / 255.0).astype('float32')\n",
    },
    "classification_metrics": {
        "identity": "def {f}(y_true, y_pred, num_classes):\n"  # y_true against itself
                    "    y = np.asarray(y_true)\n    cm = np.zeros((num_classes, num_classes), int)\n"
                    "    np.add.at(cm, (y, y), 1)\n"
                    "    return {'confusion_matrix': cm, 'precision_macro': 1.0,"
                    " 'recall_macro': 1.0, 'f1_macro': 1.0, 'accuracy': 1.0}\n",
        "zeros": "def {f}(y_true, y_pred, num_classes):\n"
                 "    return {'confusion_matrix': np.zeros((num_classes, num_classes), int),"
                 " 'precision_macro': 0.0, 'recall_macro': 0.0, 'f1_macro': 0.0,"
                 " 'accuracy': 0.0}\n",
        "const": "def {f}(y_true, y_pred, num_classes):\n"
                 "    return {'confusion_matrix': np.ones((num_classes, num_classes), int),"
                 " 'precision_macro': 0.5, 'recall_macro': 0.5, 'f1_macro': 0.5,"
                 " 'accuracy': 0.5}\n",
        "nan": "def {f}(y_true, y_pred, num_classes):\n"
               "    return {'confusion_matrix': np.full((num_classes, num_classes), np.nan),"
               " 'precision_macro': np.nan, 'recall_macro': np.nan, 'f1_macro': np.nan,"
               " 'accuracy': np.nan}\n",
    },
    "top_k": {
        "lazy": "def {f}(probabilities, k=5):\n    p = np.asarray(probabilities)\n"
                "    idx = np.tile(np.arange(k), (len(p), 1))\n"
                "    return idx, np.take_along_axis(p, idx, 1)\n",
        "zeros": "def {f}(probabilities, k=5):\n    p = np.asarray(probabilities)\n"
                 "    return np.zeros((len(p), k), int), np.zeros((len(p), k))\n",
        "random": "def {f}(probabilities, k=5):\n    p = np.asarray(probabilities)\n"
                  "    rng = np.random.default_rng(0)\n"
                  "    idx = np.stack([rng.permutation(p.shape[1])[:k] for _ in p])\n"
                  "    return idx, np.take_along_axis(p, idx, 1)\n",
        "identity": "def {f}(probabilities, k=5):\n    return probabilities, probabilities\n",
    },
    "extract_embeddings": {
        "zeros": "def {f}(model, images):\n"
                 "    return np.zeros((len(images), model.layers[-1].input.shape[-1]))\n",
        "ones": "def {f}(model, images):\n"
                "    return np.ones((len(images), model.layers[-1].input.shape[-1]))\n",
        "random": "def {f}(model, images):\n    return np.random.default_rng(0).normal(size=("
                  "len(images), model.layers[-1].input.shape[-1]))\n",
        "lazy": "def {f}(model, images):\n    return _n(model(images, training=False))\n",
        "identity": "def {f}(model, images):\n    return images\n",
    },
    "lr_sweep": {
        "identity": "def {f}(learning_rates, train_fn):\n"
                    "    return {lr: lr for lr in learning_rates}\n",
        "zeros": "def {f}(learning_rates, train_fn):\n    return {lr: 0.0 for lr in learning_rates}\n",
        "const": "def {f}(learning_rates, train_fn):\n    return {lr: 0.5 for lr in learning_rates}\n",
        "lazy": "def {f}(learning_rates, train_fn):\n"  # one training, its number for every rate
                "    best = max(train_fn(learning_rates[0])['val_accuracy'])\n"
                "    return {lr: best for lr in learning_rates}\n",
        "nan": "def {f}(learning_rates, train_fn):\n"
               "    return {lr: float('nan') for lr in learning_rates}\n",
        "inf": "def {f}(learning_rates, train_fn):\n"
               "    return {lr: float('inf') for lr in learning_rates}\n",
    },
}


def variant(func: str, kind: str) -> str:
    return f"{func}__{kind}"


def notebook_source(functions: list[str]) -> str:
    """One cell defining every null variant of `functions`."""
    parts = [HEADER]
    for func in functions:
        for kind, body in NULLS.get(func, {}).items():
            parts.append(body.replace("{f}", variant(func, kind)))
    return "\n".join(parts)


class NullStudent:
    """`student.<func>` -> the sandboxed variant `<func>__<kind>` (None when it has no such kind)."""

    def __init__(self, student: Any, kind: str) -> None:
        self._student, self._kind = student, kind

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._kind not in NULLS.get(name, {}):
            return None
        return getattr(self._student, variant(name, self._kind))
