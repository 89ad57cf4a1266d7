"""Mixup implementations: correct ones in several styles, and plausible wrong ones.

Contract: mixup(images [B,H,W,C] float, labels [B,K] one-hot, alpha=0.2, seed=None)
-> (images, labels).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def _lam_perm(images, alpha, seed, per_sample=True):
    rng = np.random.default_rng(seed)
    b = len(images)
    lam = rng.beta(alpha, alpha, b if per_sample else None)
    return rng, np.broadcast_to(lam, (b,)).astype(np.float32), rng.permutation(b)


def _mix(x, y, lam, perm, lam_y=None, perm_y=None):
    lam_y = lam if lam_y is None else lam_y
    perm_y = perm if perm_y is None else perm_y
    li = lam.reshape(-1, 1, 1, 1)
    xm = li * x + (1 - li) * x[perm]
    ym = lam_y[:, None] * y + (1 - lam_y[:, None]) * y[perm_y]
    return xm.astype(np.float32), ym.astype(np.float32)


# ----------------------------------------------------------------------------- correct

def ok_numpy_per_sample(images, labels, alpha=0.2, seed=None):
    _, lam, perm = _lam_perm(images, alpha, seed)
    return _mix(images, labels, lam, perm)


def ok_numpy_per_batch(images, labels, alpha=0.2, seed=None):
    _, lam, perm = _lam_perm(images, alpha, seed, per_sample=False)
    return _mix(images, labels, lam, perm)


def ok_numpy_max_lambda(images, labels, alpha=0.2, seed=None):
    """Own sample dominates: lam = max(lam, 1 - lam) (used by several reference codes)."""
    _, lam, perm = _lam_perm(images, alpha, seed)
    lam = np.maximum(lam, 1 - lam)
    return _mix(images, labels, lam, perm)


def ok_keras_layer(images, labels, alpha=0.2, seed=None):
    out = keras.layers.MixUp(alpha=alpha, seed=seed)({"images": images, "labels": labels})
    return out["images"], out["labels"]


def _tf_mix(x, y, alpha, seed):
    seed = tf.constant([seed, 17], tf.int64)
    b = tf.shape(x)[0]
    g1 = tf.random.stateless_gamma([b], seed=seed, alpha=alpha)
    g2 = tf.random.stateless_gamma([b], seed=seed + [0, 1], alpha=alpha)
    lam = g1 / (g1 + g2)
    perm = tf.argsort(tf.random.stateless_uniform([b], seed=seed + [0, 2]))
    li = tf.reshape(lam, [-1, 1, 1, 1])
    xm = li * x + (1 - li) * tf.gather(x, perm)
    ym = lam[:, None] * y + (1 - lam[:, None]) * tf.gather(y, perm)
    return xm, ym


def ok_tf_stateless(images, labels, alpha=0.2, seed=None):
    seed = 0 if seed is None else seed
    return _tf_mix(tf.constant(images), tf.constant(labels), alpha, seed)


def ok_inside_tf_data(images, labels, alpha=0.2, seed=None):
    """The mixing runs as a graph inside Dataset.map, as in a Pets pipeline."""
    seed = 0 if seed is None else seed
    ds = tf.data.Dataset.from_tensors((images, labels)).map(
        lambda x, y: _tf_mix(x, y, alpha, seed))
    return next(iter(ds))


# ----------------------------------------------------------------------------- wrong

def bad_labels_other_lambda(images, labels, alpha=0.2, seed=None):
    rng, lam, perm = _lam_perm(images, alpha, seed)
    lam_y = rng.beta(alpha, alpha, len(images)).astype(np.float32)
    return _mix(images, labels, lam, perm, lam_y=lam_y)


def bad_labels_not_mixed(images, labels, alpha=0.2, seed=None):
    _, lam, perm = _lam_perm(images, alpha, seed)
    return _mix(images, labels, lam, perm)[0], labels


def bad_swapped_lambda(images, labels, alpha=0.2, seed=None):
    """(1 - lam) for the images, lam for the labels."""
    _, lam, perm = _lam_perm(images, alpha, seed)
    return _mix(images, labels, 1 - lam, perm, lam_y=lam)


def bad_labels_other_partner(images, labels, alpha=0.2, seed=None):
    rng, lam, perm = _lam_perm(images, alpha, seed)
    return _mix(images, labels, lam, perm, perm_y=rng.permutation(len(images)))


def bad_partner_itself(images, labels, alpha=0.2, seed=None):
    _, lam, _ = _lam_perm(images, alpha, seed)
    return _mix(images, labels, lam, np.arange(len(images)))


def bad_identity(images, labels, alpha=0.2, seed=None):
    return images, labels


def bad_uniform_lambda(images, labels, alpha=0.2, seed=None):
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0, 1, len(images)).astype(np.float32)
    return _mix(images, labels, lam, rng.permutation(len(images)))


def bad_fixed_lambda(images, labels, alpha=0.2, seed=None):
    rng = np.random.default_rng(seed)
    lam = np.full(len(images), 0.7, np.float32)
    return _mix(images, labels, lam, rng.permutation(len(images)))


def bad_alpha_ignored(images, labels, alpha=0.2, seed=None):
    """Hard-codes Beta(1, 1) instead of Beta(alpha, alpha)."""
    _, lam, perm = _lam_perm(images, 1.0, seed)
    return _mix(images, labels, lam, perm)


def bad_three_images(images, labels, alpha=0.2, seed=None):
    rng, lam, perm = _lam_perm(images, alpha, seed)
    perm2 = rng.permutation(len(images))
    li = lam.reshape(-1, 1, 1, 1)
    x = li * images + (1 - li) * 0.5 * (images[perm] + images[perm2])
    y = lam[:, None] * labels + (1 - lam[:, None]) * 0.5 * (labels[perm] + labels[perm2])
    return x, y


def bad_gamma_not_normalised(images, labels, alpha=0.2, seed=None):
    """lam = Gamma(alpha) draw without dividing by the sum: not in [0, 1]."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(alpha, 1.0, len(images)).astype(np.float32) + 0.2
    return _mix(images, labels, lam, rng.permutation(len(images)))


def bad_rescaled(images, labels, alpha=0.2, seed=None):
    x, y = ok_numpy_per_sample(images, labels, alpha, seed)
    return x / 255.0, y


def bad_seed_ignored(images, labels, alpha=0.2, seed=None):
    return ok_numpy_per_sample(images, labels, alpha, None)
