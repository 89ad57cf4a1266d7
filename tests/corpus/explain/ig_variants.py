"""Integrated Gradients implementations: CORRECT_IG must pass, WRONG_IG must fail.

WRONG_IG: name -> (function, expected failing check name).
"""

import numpy as np
import tensorflow as tf


def _grads(model, images, target_class_idx):
    with tf.GradientTape() as tape:
        tape.watch(images)
        probs = model(images)[:, target_class_idx]
    return tape.gradient(probs, images)


def _path(image, baseline, alphas):
    alphas_x = alphas[:, tf.newaxis, tf.newaxis, tf.newaxis]
    return baseline[tf.newaxis] + alphas_x * (image - baseline)[tf.newaxis]


# ---------------------------------------------------------------- correct


def ig_tutorial_trapezoid_batched(model, image, target_class_idx, baseline=None, m_steps=50,
                                  batch_size=16):
    """TensorFlow tutorial style: batches of alphas, trapezoid rule."""
    image = tf.convert_to_tensor(image, tf.float32)
    baseline = tf.zeros_like(image) if baseline is None else tf.cast(baseline, tf.float32)
    alphas = tf.linspace(0.0, 1.0, m_steps + 1)
    chunks = []
    for start in range(0, m_steps + 1, batch_size):
        batch = alphas[start:start + batch_size]
        chunks.append(_grads(model, _path(image, baseline, batch), target_class_idx))
    grads = tf.concat(chunks, axis=0)
    avg = tf.reduce_mean((grads[:-1] + grads[1:]) / 2.0, axis=0)
    return ((image - baseline) * avg).numpy()


def ig_right_riemann_loop(model, image, target_class_idx, baseline=None, m_steps=50):
    """One alpha at a time, right Riemann sum."""
    image = np.asarray(image, dtype="float32")
    baseline = np.zeros_like(image) if baseline is None else np.asarray(baseline, "float32")
    total = np.zeros_like(image)
    for k in range(1, m_steps + 1):
        x = tf.convert_to_tensor((baseline + k / m_steps * (image - baseline))[None])
        total += _grads(model, x, target_class_idx)[0].numpy()
    return (image - baseline) * total / m_steps


def ig_left_riemann_batch(model, image, target_class_idx, baseline=None, m_steps=50):
    """All alphas in one batch, left Riemann sum."""
    image = tf.convert_to_tensor(image, tf.float32)
    baseline = tf.zeros_like(image) if baseline is None else tf.cast(baseline, tf.float32)
    alphas = tf.range(m_steps, dtype=tf.float32) / m_steps
    grads = _grads(model, _path(image, baseline, alphas), target_class_idx)
    return ((image - baseline) * tf.reduce_mean(grads, axis=0)).numpy()


def ig_midpoint(model, image, target_class_idx, baseline=None, m_steps=50):
    """Midpoint rule."""
    image = tf.convert_to_tensor(image, tf.float32)
    baseline = tf.zeros_like(image) if baseline is None else tf.cast(baseline, tf.float32)
    alphas = (tf.range(m_steps, dtype=tf.float32) + 0.5) / m_steps
    grads = _grads(model, _path(image, baseline, alphas), target_class_idx)
    return ((image - baseline) * tf.reduce_mean(grads, axis=0)).numpy()


# ---------------------------------------------------------------- wrong


def ig_no_scaling(model, image, target_class_idx, baseline=None, m_steps=50):
    image = tf.convert_to_tensor(image, tf.float32)
    baseline = tf.zeros_like(image) if baseline is None else tf.cast(baseline, tf.float32)
    grads = _grads(model, _path(image, baseline, tf.linspace(0.0, 1.0, m_steps + 1)),
                   target_class_idx)
    return tf.reduce_mean((grads[:-1] + grads[1:]) / 2.0, axis=0).numpy()


def ig_alphas_all_one(model, image, target_class_idx, baseline=None, m_steps=50):
    image = tf.convert_to_tensor(image, tf.float32)
    baseline = tf.zeros_like(image) if baseline is None else tf.cast(baseline, tf.float32)
    grads = _grads(model, _path(image, baseline, tf.ones(m_steps + 1)), target_class_idx)
    return ((image - baseline) * tf.reduce_mean(grads, axis=0)).numpy()


def ig_sum_not_mean(model, image, target_class_idx, baseline=None, m_steps=50):
    image = tf.convert_to_tensor(image, tf.float32)
    baseline = tf.zeros_like(image) if baseline is None else tf.cast(baseline, tf.float32)
    grads = _grads(model, _path(image, baseline, tf.linspace(0.0, 1.0, m_steps + 1)),
                   target_class_idx)
    return ((image - baseline) * tf.reduce_sum((grads[:-1] + grads[1:]) / 2.0, axis=0)).numpy()


def ig_ignores_target(model, image, target_class_idx, baseline=None, m_steps=50):
    top = int(np.argmax(model(np.asarray(image)[None])[0]))
    return ig_tutorial_trapezoid_batched(model, image, top, baseline, m_steps)


def ig_default_baseline_ones(model, image, target_class_idx, baseline=None, m_steps=50):
    if baseline is None:
        baseline = np.ones_like(image)
    return ig_tutorial_trapezoid_batched(model, image, target_class_idx, baseline, m_steps)


def ig_ignores_given_baseline(model, image, target_class_idx, baseline=None, m_steps=50):
    return ig_tutorial_trapezoid_batched(model, image, target_class_idx, None, m_steps)


def ig_smoothed_noise(model, image, target_class_idx, baseline=None, m_steps=50):
    attr = ig_tutorial_trapezoid_batched(model, image, target_class_idx, baseline, m_steps)
    return attr + np.random.default_rng(0).normal(0, 1e-3, attr.shape).astype("float32")


def ig_batched_output(model, image, target_class_idx, baseline=None, m_steps=50):
    return ig_tutorial_trapezoid_batched(model, image, target_class_idx, baseline, m_steps)[None]


def ig_sum_of_classes(model, image, target_class_idx, baseline=None, m_steps=50):
    """Differentiates the sum of outputs 0..target instead of the target output alone."""
    image = tf.convert_to_tensor(image, tf.float32)
    baseline = tf.zeros_like(image) if baseline is None else tf.cast(baseline, tf.float32)
    path = _path(image, baseline, tf.linspace(0.0, 1.0, m_steps + 1))
    with tf.GradientTape() as tape:
        tape.watch(path)
        out = tf.reduce_sum(model(path)[:, :target_class_idx + 1], axis=1)
    grads = tape.gradient(out, path)
    return ((image - baseline) * tf.reduce_mean((grads[:-1] + grads[1:]) / 2.0, axis=0)).numpy()


def ig_mean_of_all_points(model, image, target_class_idx, baseline=None, m_steps=50):
    """Mean of the gradients at all m_steps + 1 points (both ends weigh a full point)."""
    image = tf.convert_to_tensor(image, tf.float32)
    baseline = tf.zeros_like(image) if baseline is None else tf.cast(baseline, tf.float32)
    alphas = tf.linspace(0.0, 1.0, m_steps + 1)
    grads = _grads(model, _path(image, baseline, alphas), target_class_idx)
    return ((image - baseline) * tf.reduce_mean(grads, axis=0)).numpy()


def _batched_trapezoid(image, baseline, model, target_class_idx, m_steps, starts, size):
    image = tf.convert_to_tensor(image, tf.float32)
    baseline = tf.zeros_like(image) if baseline is None else tf.cast(baseline, tf.float32)
    path = _path(image, baseline, tf.linspace(0.0, 1.0, m_steps + 1))
    grads = tf.concat([_grads(model, path[s:s + size], target_class_idx) for s in starts], 0)
    avg = tf.reduce_mean((grads[:-1] + grads[1:]) / 2.0, axis=0)
    return ((image - baseline) * avg).numpy()


def ig_batches_skip_first_point(model, image, target_class_idx, baseline=None, m_steps=50):
    """Batches of 16 from `range(1, ...)`: the baseline's point is never computed
    (`autograder mutate` flowers integrated_gradients#26)."""
    return _batched_trapezoid(image, baseline, model, target_class_idx, m_steps,
                              range(1, m_steps + 1, 16), 16)


def ig_batches_skip_points(model, image, target_class_idx, baseline=None, m_steps=50):
    """Batches of 16 every 17 points: one point in 17 is skipped (integrated_gradients#27)."""
    return _batched_trapezoid(image, baseline, model, target_class_idx, m_steps,
                              range(0, m_steps + 1, 17), 16)


def ig_batches_overlap(model, image, target_class_idx, baseline=None, m_steps=50):
    """Batches of 17 every 16 points: points 16, 32, 48 computed twice (integrated_gradients#43)."""
    return _batched_trapezoid(image, baseline, model, target_class_idx, m_steps,
                              range(0, m_steps + 1, 16), 17)


CORRECT_IG = {
    "ig_mean_of_all_points": ig_mean_of_all_points,
    "ig_tutorial_trapezoid_batched": ig_tutorial_trapezoid_batched,
    "ig_right_riemann_loop": ig_right_riemann_loop,
    "ig_left_riemann_batch": ig_left_riemann_batch,
    "ig_midpoint": ig_midpoint,
}
WRONG_IG = {
    "ig_batches_skip_first_point": (ig_batches_skip_first_point, "ig_completeness"),
    "ig_batches_skip_points": (ig_batches_skip_points, "ig_completeness"),
    "ig_batches_overlap": (ig_batches_overlap, "ig_completeness"),
    "ig_no_scaling": (ig_no_scaling, "ig_completeness"),
    "ig_alphas_all_one": (ig_alphas_all_one, "ig_completeness"),
    "ig_sum_not_mean": (ig_sum_not_mean, "ig_completeness"),
    "ig_ignores_target": (ig_ignores_target, "ig_target_class"),
    "ig_default_baseline_ones": (ig_default_baseline_ones, "ig_baseline"),
    "ig_ignores_given_baseline": (ig_ignores_given_baseline, "ig_baseline"),
    "ig_smoothed_noise": (ig_smoothed_noise, "ig_ignored_input"),
    "ig_batched_output": (ig_batched_output, "ig_contract"),
    "ig_sum_of_classes": (ig_sum_of_classes, "ig_target_class"),
}
