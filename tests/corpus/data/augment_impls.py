"""make_augmentation() implementations: correct and plausible wrong ones."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers


def ok_flowers():
    """UT3-10: all six kinds."""
    return keras.Sequential([
        layers.RandomFlip("horizontal"), layers.RandomRotation(0.05), layers.RandomZoom(0.1),
        layers.RandomTranslation(0.1, 0.1), layers.RandomBrightness(0.2),
        layers.RandomContrast(0.2),
    ])


def ok_pets():
    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.05),
                             layers.RandomZoom(0.1)], name="data_augmentation")


def ok_nested():
    geometric = keras.Sequential([layers.RandomFlip("horizontal_and_vertical"),
                                  layers.RandomRotation((-0.1, 0.1))])
    return keras.Sequential([geometric, layers.RandomZoom((-0.2, 0.0), (-0.2, 0.0))])


def bad_missing_zoom():
    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.05)])


def bad_zero_rotation():
    """A blank filled with 0: the layer is there but does nothing."""
    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.0),
                             layers.RandomZoom(0.1)])


def bad_rescaling_inside():
    return keras.Sequential([layers.Rescaling(1.0 / 255), layers.RandomFlip("horizontal"),
                             layers.RandomRotation(0.05), layers.RandomZoom(0.1)])


def bad_brightness_unit_range():
    """RandomBrightness defaults to value_range=(0, 255) in Keras 3; (0, 1) clips 0..255 images."""
    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.05),
                             layers.RandomZoom(0.1),
                             layers.RandomBrightness(0.2, value_range=(0, 1))])


class AlwaysFlip(layers.Layer):
    """A custom 'random' flip that ignores `training`."""

    def call(self, x, training=None):
        return tf.image.random_flip_left_right(x)


def bad_active_at_inference():
    return keras.Sequential([AlwaysFlip(), layers.RandomFlip("horizontal"),
                             layers.RandomRotation(0.05), layers.RandomZoom(0.1)])


class FixedShift(layers.Layer):
    """Always the same transformation: not random."""

    def call(self, x, training=None):
        return tf.roll(x, 1, axis=2) if training else x


def bad_not_random():
    return keras.Sequential([FixedShift()])


def bad_rotation_too_far():
    """A blank filled with 0.1 (±36°) where the statement allows ±5 % of a turn."""
    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
                             layers.RandomZoom(0.1)])


def bad_zoom_range_too_far():
    """The zoom as a (lower, upper) pair, the lower end past the statement's 10 %."""
    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.05),
                             layers.RandomZoom((-0.2, 0.1))])


def bad_brightness_range_off():
    """value_range one level off the images' 0..255."""
    return keras.Sequential([
        layers.RandomFlip("horizontal"), layers.RandomRotation(0.05), layers.RandomZoom(0.1),
        layers.RandomTranslation(0.1, 0.1), layers.RandomBrightness(0.2, value_range=(0, 256)),
        layers.RandomContrast(0.2),
    ])
