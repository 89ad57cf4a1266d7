"""TTA implementations: correct variants and realistic mistakes.

CASES: (name, function, expected failing check or None when correct).
"""

import keras
import numpy as np
import tensorflow as tf


def correct_numpy(model, images):
    p1 = model.predict(images, verbose=0)
    p2 = model.predict(images[:, :, ::-1, :], verbose=0)
    return (p1 + p2) / 2.0


def correct_tf(model, images):
    x = tf.convert_to_tensor(images)
    views = [x, tf.image.flip_left_right(x)]
    return tf.reduce_mean(tf.stack([model(v, training=False) for v in views]), axis=0).numpy()


def correct_four_flips(model, images):
    x = np.asarray(images)
    views = [x, x[:, :, ::-1], x[:, ::-1], x[:, ::-1, ::-1]]
    return np.mean([model.predict(v, verbose=0) for v in views], axis=0)


def correct_random_views(model, images):
    aug = keras.Sequential([keras.layers.RandomRotation(0.05, seed=1),
                            keras.layers.RandomZoom(0.1, seed=2)])
    x = tf.convert_to_tensor(images)
    preds = [model(x), model(tf.image.flip_left_right(x))]
    preds += [model(aug(x, training=True)) for _ in range(2)]
    return np.mean([np.asarray(p) for p in preds], axis=0)


def no_averaging(model, images):
    return model.predict(images, verbose=0)


def flipped_only(model, images):
    return model.predict(np.flip(images, axis=2), verbose=0)


def wrong_axis(model, images):
    # axis=1 is the height in NHWC: a vertical flip
    p1 = model.predict(images, verbose=0)
    p2 = model.predict(np.flip(images, axis=1), verbose=0)
    return (p1 + p2) / 2


def vertical_only(model, images):
    x = tf.convert_to_tensor(images)
    return model(tf.image.flip_up_down(x)).numpy()


def summed(model, images):
    return model.predict(images, verbose=0) + model.predict(images[:, :, ::-1], verbose=0)


def argmax_vote(model, images):
    p = (model.predict(images, verbose=0) + model.predict(images[:, :, ::-1], verbose=0)) / 2
    return np.eye(p.shape[1])[p.argmax(1)]


def log_probs(model, images):
    p1 = model.predict(images, verbose=0)
    p2 = model.predict(images[:, :, ::-1], verbose=0)
    return (np.log(p1) + np.log(p2)) / 2


def wrong_shape(model, images):
    p = (model.predict(images, verbose=0) + model.predict(images[:, :, ::-1], verbose=0)) / 2
    return p.argmax(axis=1)


def not_implemented(model, images):
    raise NotImplementedError()


CASES = [
    ("correct_numpy", correct_numpy, None),
    ("correct_tf", correct_tf, None),
    ("correct_four_flips", correct_four_flips, None),
    ("correct_random_views", correct_random_views, None),
    ("no_averaging", no_averaging, "tta_average"),
    ("flipped_only", flipped_only, "tta_average"),
    ("wrong_axis", wrong_axis, "tta_average"),
    ("vertical_only", vertical_only, "tta_average"),
    ("summed", summed, "tta_probabilities"),
    ("argmax_vote", argmax_vote, "tta_average"),
    ("log_probs", log_probs, "tta_probabilities"),
    ("wrong_shape", wrong_shape, "tta_shape"),
    ("not_implemented", not_implemented, "tta_shape"),
]
