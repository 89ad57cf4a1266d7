"""Pipeline implementations (UT3-10 ResNet50 sparse; Práctica 10x EfficientNetB0 one-hot)."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

AUTOTUNE = tf.data.AUTOTUNE
resnet_pre = keras.applications.resnet50.preprocess_input
effnet_pre = keras.applications.efficientnet.preprocess_input
AUG = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.05),
                        layers.RandomZoom(0.1)])


def _cast(x, y):
    return tf.cast(x, tf.float32), y


# ----------------------------------------------------------------------------- correct

def ok_resnet_baseline(ds, batch_size=32, training=True):
    if training:
        ds = ds.shuffle(1000)
    ds = ds.map(_cast).batch(batch_size)
    ds = ds.map(lambda x, y: (resnet_pre(x), y), num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)


def ok_resnet_map_before_batch(ds, batch_size=32, training=True):
    ds = ds.map(lambda x, y: (resnet_pre(tf.cast(x, tf.float32)), y))
    if training:
        ds = ds.shuffle(256, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(2)


def ok_resnet_augmented(ds, batch_size=32, training=True):
    if training:
        ds = ds.shuffle(1000)
    ds = ds.map(_cast).batch(batch_size)
    if training:
        ds = ds.map(lambda x, y: (AUG(x, training=True), y), num_parallel_calls=AUTOTUNE)
    ds = ds.map(lambda x, y: (resnet_pre(x), y), num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)


def _mixup(x, y, alpha=0.2):
    """Per-sample Mixup in graph mode (inside Dataset.map)."""
    b = tf.shape(x)[0]
    g1, g2 = tf.random.gamma([b], alpha), tf.random.gamma([b], alpha)
    lam = g1 / (g1 + g2)
    perm = tf.random.shuffle(tf.range(b))
    li = tf.reshape(lam, [-1, 1, 1, 1])
    return (li * x + (1 - li) * tf.gather(x, perm),
            lam[:, None] * y + (1 - lam[:, None]) * tf.gather(y, perm))


def ok_pets(ds, batch_size=32, training=True, num_classes=37, mix=None):
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), tf.one_hot(y, num_classes)))
    if training:
        ds = ds.shuffle(1000).batch(batch_size)
        ds = ds.map(lambda x, y: (AUG(x, training=True), y))
        if mix in ("mixup", "both"):
            ds = ds.map(_mixup)
    else:
        ds = ds.batch(batch_size)
    return ds.map(lambda x, y: (effnet_pre(x), y)).prefetch(AUTOTUNE)


# ----------------------------------------------------------------------------- wrong

def bad_efficientnet_preprocessing(ds, batch_size=32, training=True):
    """The UT3-10 report's bug: EfficientNet's preprocess_input (a no-op) for ResNet50."""
    if training:
        ds = ds.shuffle(1000)
    ds = ds.map(_cast).batch(batch_size).map(lambda x, y: (effnet_pre(x), y))
    return ds.prefetch(AUTOTUNE)


def bad_preprocessing_twice(ds, batch_size=32, training=True):
    ds = ds.map(lambda x, y: (resnet_pre(tf.cast(x, tf.float32)), y))  # "load_data" did it
    if training:
        ds = ds.shuffle(1000)
    ds = ds.batch(batch_size).map(lambda x, y: (resnet_pre(x), y))
    return ds.prefetch(AUTOTUNE)


def bad_rescale_then_preprocess(ds, batch_size=32, training=True):
    if training:
        ds = ds.shuffle(1000)
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, y)).batch(batch_size)
    return ds.map(lambda x, y: (resnet_pre(x), y)).prefetch(AUTOTUNE)


def bad_pets_resnet_preprocessing(ds, batch_size=32, training=True, num_classes=37, mix=None):
    ds = ds.map(lambda x, y: (resnet_pre(tf.cast(x, tf.float32)), tf.one_hot(y, num_classes)))
    if training:
        ds = ds.shuffle(1000)
    return ds.batch(batch_size).prefetch(AUTOTUNE)


def bad_pets_rescaled(ds, batch_size=32, training=True, num_classes=37, mix=None):
    """/255 for EfficientNet, which rescales inside the model: double rescaling."""
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, tf.one_hot(y, num_classes)))
    if training:
        ds = ds.shuffle(1000)
    return ds.batch(batch_size).prefetch(AUTOTUNE)


def bad_shuffle_always(ds, batch_size=32, training=True):
    ds = ds.shuffle(1000).map(_cast).batch(batch_size)
    return ds.map(lambda x, y: (resnet_pre(x), y)).prefetch(AUTOTUNE)


def ok_no_prefetch(ds, batch_size=32, training=True):
    """Prefetching cannot be observed in the batches: not scored (issue 11 item 6)."""
    if training:
        ds = ds.shuffle(1000)
    return ds.map(_cast).batch(batch_size).map(lambda x, y: (resnet_pre(x), y))


def bad_shuffle_once(ds, batch_size=32, training=True):
    if training:
        ds = ds.shuffle(1000, seed=3, reshuffle_each_iteration=False)
    ds = ds.map(_cast).batch(batch_size)
    return ds.map(lambda x, y: (resnet_pre(x), y)).prefetch(AUTOTUNE)


def bad_no_shuffle_forged_claims(ds, batch_size=32, training=True):
    """No shuffle, no prefetch, but the sample claims both (what a patched student process
    sends): the op chain is not evidence."""
    from autograder.exchange import sample_dataset

    ds = ds.map(_cast).batch(batch_size).map(lambda x, y: (resnet_pre(x), y))
    s = sample_dataset(ds, 4)
    s.ops = ["Prefetch", "Map", "Batch", "Map", "Shuffle", "TensorSlices"]
    s.cardinality = 3
    return s


def bad_no_train_shuffle(ds, batch_size=32, training=True):
    ds = ds.map(_cast).batch(batch_size)
    return ds.map(lambda x, y: (resnet_pre(x), y)).prefetch(AUTOTUNE)


def bad_onehot_for_sparse_loss(ds, batch_size=32, training=True):
    if training:
        ds = ds.shuffle(1000)
    ds = ds.map(lambda x, y: (resnet_pre(tf.cast(x, tf.float32)), tf.one_hot(y, 102)))
    return ds.batch(batch_size).prefetch(AUTOTUNE)


def bad_pets_sparse_labels(ds, batch_size=32, training=True, num_classes=37, mix=None):
    """Forgets tf.one_hot although the model uses categorical_crossentropy."""
    ds = ds.map(_cast)
    if training:
        ds = ds.shuffle(1000)
    return ds.batch(batch_size).prefetch(AUTOTUNE)


def bad_labels_shuffled_apart(ds, batch_size=32, training=True):
    """Shuffles images and labels as two datasets, then zips them: pairs are broken."""
    images = ds.map(lambda x, y: resnet_pre(tf.cast(x, tf.float32)))
    labels = ds.map(lambda x, y: y)
    if training:
        images, labels = images.shuffle(1000, seed=1), labels.shuffle(1000, seed=2)
    return tf.data.Dataset.zip((images, labels)).batch(batch_size).prefetch(AUTOTUNE)


def bad_batch_size_ignored(ds, batch_size=32, training=True):
    if training:
        ds = ds.shuffle(1000)
    ds = ds.map(_cast).batch(32).map(lambda x, y: (resnet_pre(x), y))
    return ds.prefetch(AUTOTUNE)


def bad_augment_always(ds, batch_size=32, training=True):
    if training:
        ds = ds.shuffle(1000)
    ds = ds.map(_cast).batch(batch_size).map(lambda x, y: (AUG(x, training=True), y))
    return ds.map(lambda x, y: (resnet_pre(x), y)).prefetch(AUTOTUNE)


def bad_augment_missing(ds, batch_size=32, training=True):
    return ok_resnet_baseline(ds, batch_size, training)


def bad_pets_mix_ignored(ds, batch_size=32, training=True, num_classes=37, mix=None):
    return ok_pets(ds, batch_size, training, num_classes, mix=None)


def bad_augmented_labels_shifted(ds, batch_size=32, training=True):
    """'Fixes' 1-based labels in the augmentation branch only: training labels change."""
    if training:
        ds = ds.shuffle(1000)
    ds = ds.map(_cast).batch(batch_size)
    if training:
        ds = ds.map(lambda x, y: (AUG(x, training=True), y - 1))
    ds = ds.map(lambda x, y: (resnet_pre(x), y))
    return ds.prefetch(AUTOTUNE)


def bad_pets_augment_missing(ds, batch_size=32, training=True, num_classes=37, mix=None):
    """The augmentation map deleted: with `mix` the MixUp still changes every image, but
    `training=True` without `mix` returns the inputs unchanged (issue 15's pets make_pipeline)."""
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), tf.one_hot(y, num_classes)))
    if training:
        ds = ds.shuffle(1000).batch(batch_size)
        if mix in ("mixup", "both"):
            ds = ds.map(_mixup)
    else:
        ds = ds.batch(batch_size)
    return ds.map(lambda x, y: (effnet_pre(x), y)).prefetch(AUTOTUNE)
