"""top_k implementations: correct variants and realistic mistakes."""

import numpy as np
import tensorflow as tf


def correct_argsort(probabilities, k=5):
    idx = np.argsort(-probabilities, axis=1)[:, :k]
    return idx, np.take_along_axis(probabilities, idx, axis=1)


def correct_tf(probabilities, k=5):
    values, indices = tf.math.top_k(probabilities, k=k)
    return indices.numpy(), values.numpy()


def correct_reversed(probabilities, k=5):
    idx = np.argsort(probabilities, axis=1)[:, ::-1][:, :k]
    return idx, np.array([p[i] for p, i in zip(probabilities, idx, strict=True)])


def unsorted(probabilities, k=5):
    idx = np.argpartition(-probabilities, k, axis=1)[:, :k]
    idx = np.sort(idx, axis=1)  # class order, not probability order
    return idx, np.take_along_axis(probabilities, idx, axis=1)


def k_smallest(probabilities, k=5):
    idx = np.argsort(probabilities, axis=1)[:, :k]
    return idx, np.take_along_axis(probabilities, idx, axis=1)


def off_by_one(probabilities, k=5):
    idx = np.argsort(-probabilities, axis=1)[:, 1:k + 1]  # skips the top class
    return idx, np.take_along_axis(probabilities, idx, axis=1)


def one_too_many(probabilities, k=5):
    idx = np.argsort(-probabilities, axis=1)[:, :k + 1]
    return idx, np.take_along_axis(probabilities, idx, axis=1)


def tf_order_kept(probabilities, k=5):
    values, indices = tf.math.top_k(probabilities, k=k)
    return values.numpy(), indices.numpy()


def ignores_k(probabilities, k=5):
    idx = np.argsort(-probabilities, axis=1)[:, :5]
    return idx, np.take_along_axis(probabilities, idx, axis=1)


def wrong_probs(probabilities, k=5):
    idx = np.argsort(-probabilities, axis=1)[:, :k]
    return idx, np.sort(probabilities, axis=1)[:, :k]


CASES = [
    ("correct_argsort", correct_argsort, None),
    ("correct_tf", correct_tf, None),
    ("correct_reversed", correct_reversed, None),
    ("unsorted", unsorted, "topk_order"),
    ("k_smallest", k_smallest, "topk_values"),
    ("off_by_one", off_by_one, "topk_values"),
    ("one_too_many", one_too_many, "topk_shape"),
    ("tf_order_kept", tf_order_kept, "topk_shape"),
    ("ignores_k", ignores_k, "topk_shape"),
    ("wrong_probs", wrong_probs, "topk_values"),
]
