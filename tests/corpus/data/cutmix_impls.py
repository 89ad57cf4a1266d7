"""CutMix implementations: correct ones in several styles, and plausible wrong ones.

Contract: cutmix(images [B,H,W,C] float, labels [B,K] one-hot, alpha=1.0, seed=None)
-> (images, labels).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def _box(rng, h, w, alpha):
    """Paper-style box: centre uniform in the image, side sqrt(1 - lam), clipped."""
    lam = rng.beta(alpha, alpha)
    r = np.sqrt(1.0 - lam)
    ch, cw = int(h * r), int(w * r)
    cy, cx = rng.integers(h), rng.integers(w)
    y0, y1 = np.clip(cy - ch // 2, 0, h), np.clip(cy + ch // 2, 0, h)
    x0, x1 = np.clip(cx - cw // 2, 0, w), np.clip(cx + cw // 2, 0, w)
    return lam, (cy, cx, ch, cw), (y0, y1, x0, x1)


def _paper(images, labels, alpha, seed, label_weight=None, paste=None, partner=None):
    """Shared loop; `label_weight(area, lam, raw)` and `paste(out, i, j, box)` inject bugs."""
    rng = np.random.default_rng(seed)
    b, h, w, _ = images.shape
    perm = rng.permutation(b) if partner is None else partner(b)
    x, y = images.copy(), labels.copy()
    for i in range(b):
        lam, raw, (y0, y1, x0, x1) = _box(rng, h, w, alpha)
        j = perm[i]
        if paste is None:
            x[i, y0:y1, x0:x1] = images[j, y0:y1, x0:x1]
        else:
            paste(x, images, i, j, raw, (y0, y1, x0, x1), rng)
        area = (y1 - y0) * (x1 - x0) / (h * w)
        a = area if label_weight is None else label_weight(area, lam, raw, h, w)
        y[i] = (1 - a) * labels[i] + a * labels[j]
    return x, y


# ----------------------------------------------------------------------------- correct

def ok_numpy_paper(images, labels, alpha=1.0, seed=None):
    return _paper(images, labels, alpha, seed)


def ok_keras_layer(images, labels, alpha=1.0, seed=None):
    """keras.layers.CutMix draws alpha ~ U(factor); factor=(a, a) fixes it."""
    out = keras.layers.CutMix(factor=(alpha, alpha), seed=seed)(
        {"images": images, "labels": labels})
    return out["images"], out["labels"]


def _tf_cutmix(x, y, alpha, seed):
    seed = tf.constant([seed, 3], tf.int64)
    shape = tf.shape(x)
    b, h, w = shape[0], shape[1], shape[2]
    g1 = tf.random.stateless_gamma([b], seed=seed, alpha=alpha)
    g2 = tf.random.stateless_gamma([b], seed=seed + [0, 1], alpha=alpha)
    lam = g1 / (g1 + g2)
    r = tf.sqrt(1.0 - lam)
    hf, wf = tf.cast(h, tf.float32), tf.cast(w, tf.float32)
    ch, cw = tf.cast(hf * r, tf.int32), tf.cast(wf * r, tf.int32)
    u = tf.random.stateless_uniform([2, b], seed=seed + [0, 2])
    cy, cx = tf.cast(u[0] * hf, tf.int32), tf.cast(u[1] * wf, tf.int32)
    y0, y1 = tf.clip_by_value(cy - ch // 2, 0, h), tf.clip_by_value(cy + ch // 2, 0, h)
    x0, x1 = tf.clip_by_value(cx - cw // 2, 0, w), tf.clip_by_value(cx + cw // 2, 0, w)
    rows = tf.range(h)[None, :, None]
    cols = tf.range(w)[None, None, :]
    inside = ((rows >= y0[:, None, None]) & (rows < y1[:, None, None])
              & (cols >= x0[:, None, None]) & (cols < x1[:, None, None]))
    perm = tf.argsort(tf.random.stateless_uniform([b], seed=seed + [0, 4]))
    xm = tf.where(inside[..., None], tf.gather(x, perm), x)
    area = tf.cast((y1 - y0) * (x1 - x0), tf.float32) / (hf * wf)
    ym = (1 - area)[:, None] * y + area[:, None] * tf.gather(y, perm)
    return xm, ym


def ok_tf_mask(images, labels, alpha=1.0, seed=None):
    return _tf_cutmix(tf.constant(images), tf.constant(labels), alpha, seed or 0)


def ok_inside_tf_data(images, labels, alpha=1.0, seed=None):
    ds = tf.data.Dataset.from_tensors((images, labels)).map(
        lambda x, y: _tf_cutmix(x, y, alpha, seed or 0))
    return next(iter(ds))


# ----------------------------------------------------------------------------- wrong

def bad_label_from_side(images, labels, alpha=1.0, seed=None):
    return _paper(images, labels, alpha, seed,
                  label_weight=lambda area, lam, raw, h, w: np.sqrt(area))


def bad_inverted_area(images, labels, alpha=1.0, seed=None):
    return _paper(images, labels, alpha, seed,
                  label_weight=lambda area, lam, raw, h, w: 1 - area)


def bad_unclipped_label(images, labels, alpha=1.0, seed=None):
    """Box is clipped for pasting but the label uses the nominal 1 - lam."""
    return _paper(images, labels, alpha, seed,
                  label_weight=lambda area, lam, raw, h, w: 1 - lam)


def _roll_paste(x, images, i, j, raw, box, rng):
    cy, cx, ch, cw = raw
    h, w = images.shape[1:3]
    rows = (np.arange(cy - ch // 2, cy + ch // 2) % h)
    cols = (np.arange(cx - cw // 2, cx + cw // 2) % w)
    x[i][np.ix_(rows, cols)] = images[j][np.ix_(rows, cols)]


def bad_wraparound(images, labels, alpha=1.0, seed=None):
    """Unclipped box that wraps around the borders (modular indices / np.roll)."""
    def weight(area, lam, raw, h, w):
        return (raw[2] // 2 * 2) * (raw[3] // 2 * 2) / (h * w)
    return _paper(images, labels, alpha, seed, paste=_roll_paste, label_weight=weight)


def _negative_slice_paste(x, images, i, j, raw, box, rng):
    cy, cx, ch, cw = raw
    y0, y1, x0, x1 = cy - ch // 2, cy + ch // 2, cx - cw // 2, cx + cw // 2
    x[i, y0:y1, x0:x1] = images[j, y0:y1, x0:x1]


def bad_negative_slices(images, labels, alpha=1.0, seed=None):
    """No clipping: negative starts make empty/odd slices while the label counts the box."""
    def weight(area, lam, raw, h, w):
        return min(1.0, (raw[2] // 2 * 2) * (raw[3] // 2 * 2) / (h * w))
    return _paper(images, labels, alpha, seed, paste=_negative_slice_paste, label_weight=weight)


def _two_boxes(x, images, i, j, raw, box, rng):
    y0, y1, x0, x1 = box
    x[i, y0:y1, x0:x1] = images[j, y0:y1, x0:x1]
    h, w = images.shape[1:3]
    a, c = rng.integers(0, h - 4), rng.integers(0, w - 4)
    x[i, a:a + 4, c:c + 4] = images[j, a:a + 4, c:c + 4]


def bad_several_boxes(images, labels, alpha=1.0, seed=None):
    return _paper(images, labels, alpha, seed, paste=_two_boxes)


def _blend(x, images, i, j, raw, box, rng):
    y0, y1, x0, x1 = box
    x[i, y0:y1, x0:x1] = 0.5 * images[i, y0:y1, x0:x1] + 0.5 * images[j, y0:y1, x0:x1]


def bad_blend(images, labels, alpha=1.0, seed=None):
    """Blends the box (Mixup inside the box) instead of pasting."""
    return _paper(images, labels, alpha, seed, paste=_blend)


def _moved(x, images, i, j, raw, box, rng):
    y0, y1, x0, x1 = box
    hh, ww = y1 - y0, x1 - x0
    x[i, y0:y1, x0:x1] = images[j, :hh, :ww]


def bad_patch_from_corner(images, labels, alpha=1.0, seed=None):
    """Pastes x_j's top-left corner instead of the same region."""
    return _paper(images, labels, alpha, seed, paste=_moved)


def bad_partner_itself(images, labels, alpha=1.0, seed=None):
    return _paper(images, labels, alpha, seed, partner=np.arange)


def bad_labels_not_mixed(images, labels, alpha=1.0, seed=None):
    return _paper(images, labels, alpha, seed)[0], labels


def bad_fixed_box(images, labels, alpha=1.0, seed=None):
    """Always a half-side box inside the image: area is constant 0.25."""
    rng = np.random.default_rng(seed)
    b, h, w, _ = images.shape
    perm = rng.permutation(b)
    x, y = images.copy(), labels.copy()
    for i in range(b):
        y0, x0 = rng.integers(0, h // 2 + 1), rng.integers(0, w // 2 + 1)
        x[i, y0:y0 + h // 2, x0:x0 + w // 2] = images[perm[i], y0:y0 + h // 2, x0:x0 + w // 2]
        y[i] = 0.75 * labels[i] + 0.25 * labels[perm[i]]
    return x, y


def bad_seed_ignored(images, labels, alpha=1.0, seed=None):
    return _paper(images, labels, alpha, None)


def _corners_off(images, labels, alpha, seed, y0_of):
    """Paper CutMix whose top edge is `y0_of(cy, ch)` (a slip in the corner formula); the labels
    still weigh the pasted area exactly."""
    rng = np.random.default_rng(seed)
    b, h, w, _ = images.shape
    perm = rng.permutation(b)
    x, y = images.copy(), labels.copy()
    for i in range(b):
        r = np.sqrt(1.0 - rng.beta(alpha, alpha))
        ch, cw = int(round(h * r)), int(round(w * r))
        cy, cx = rng.integers(h), rng.integers(w)
        y0, y1 = np.clip([y0_of(cy, ch), cy + ch - ch // 2], 0, h)
        x0, x1 = np.clip([cx - cw // 2, cx + cw - cw // 2], 0, w)
        x[i, y0:y1, x0:x1] = images[perm[i], y0:y1, x0:x1]
        area = (y1 - y0) * (x1 - x0) / (h * w)
        y[i] = (1 - area) * labels[i] + area * labels[perm[i]]
    return x, y


def bad_box_from_top(images, labels, alpha=1.0, seed=None):
    """`ch // 2 - cy` for `cy - ch // 2` (issue 15's flowers cutmix#36): most boxes start at row
    0, so they are not centred on (cy, cx)."""
    return _corners_off(images, labels, alpha, seed, lambda cy, ch: ch // 2 - cy)


def ok_corners_exact(images, labels, alpha=1.0, seed=None):
    """The same loop with the right corner (so `_corners_off` itself is a valid CutMix)."""
    return _corners_off(images, labels, alpha, seed, lambda cy, ch: cy - ch // 2)


def _sides_off(images, labels, alpha, seed, side_h):
    """Paper CutMix whose box height is `side_h(h, lam)` (the width stays right); labels weigh
    the pasted area exactly."""
    rng = np.random.default_rng(seed)
    b, h, w, _ = images.shape
    perm = rng.permutation(b)
    x, y = images.copy(), labels.copy()
    for i in range(b):
        lam = rng.beta(alpha, alpha)
        ch, cw = int(round(side_h(h, lam))), int(round(w * np.sqrt(1.0 - lam)))
        cy, cx = rng.integers(h), rng.integers(w)
        y0, y1 = np.clip([cy - ch // 2, cy + ch - ch // 2], 0, h)
        x0, x1 = np.clip([cx - cw // 2, cx + cw - cw // 2], 0, w)
        x[i, y0:y1, x0:x1] = images[perm[i], y0:y1, x0:x1]
        area = (y1 - y0) * (x1 - x0) / (h * w)
        y[i] = (1 - area) * labels[i] + area * labels[perm[i]]
    return x, y


def bad_side_divided(images, labels, alpha=1.0, seed=None):
    """`H / sqrt(1 - lam)` for `H * sqrt(1 - lam)` (issue 15's flowers cutmix#33): every box
    spans the image's height."""
    return _sides_off(images, labels, alpha, seed,
                      lambda h, lam: min(h / np.sqrt(max(1.0 - lam, 1e-9)), 4 * h))


def bad_side_one_plus(images, labels, alpha=1.0, seed=None):
    """`sqrt(1 + lam)` for `sqrt(1 - lam)` (flowers cutmix#56)."""
    return _sides_off(images, labels, alpha, seed, lambda h, lam: h * np.sqrt(1.0 + lam))


def bad_side_squared(images, labels, alpha=1.0, seed=None):
    """Height `H * (1 - lam)` (sqrt forgotten on one side): the box is not proportional."""
    return _sides_off(images, labels, alpha, seed, lambda h, lam: h * (1.0 - lam))
