"""build_model() implementations (UT3-10: ResNet50 sparse; Práctica 10x: EfficientNetB0 one-hot)
and the pipelines the learnability check pairs them with."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

resnet_pre = keras.applications.resnet50.preprocess_input


def _resnet(num_classes, image_size, weights, trainable_base, *, dropout=0.2, lr=1e-3,
            loss="sparse_categorical_crossentropy", activation="softmax", pool="gap",
            optimizer=None, freeze_all=False, units=None):
    base = keras.applications.ResNet50(include_top=False, weights=weights,
                                       input_shape=(*image_size, 3))
    base.trainable = trainable_base
    inputs = keras.Input((*image_size, 3))
    x = base(inputs, training=False)
    x = layers.GlobalAveragePooling2D()(x) if pool == "gap" else layers.Flatten()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(units or num_classes, activation=activation)(x)
    model = keras.Model(inputs, outputs)
    if freeze_all:
        model.trainable = False
    model.compile(optimizer=optimizer or keras.optimizers.Adam(lr), loss=loss,
                  metrics=["accuracy"])
    return model


def _effnet(num_classes, image_size, weights, dropout, *, lr=1e-3,
            loss="categorical_crossentropy", pooling=None):
    base = keras.applications.EfficientNetB0(include_top=False, weights=weights,
                                             input_shape=(*image_size, 3), pooling=pooling)
    base.trainable = False
    inputs = keras.Input((*image_size, 3))
    x = base(inputs, training=False)
    if pooling is None:
        x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss=loss,
                  metrics=["accuracy"])
    return model


# ----------------------------------------------------------------------------- correct

def ok_resnet(num_classes=102, image_size=(224, 224), weights="imagenet", trainable_base=False):
    return _resnet(num_classes, image_size, weights, trainable_base)


def ok_resnet_flat(num_classes=102, image_size=(224, 224), weights="imagenet",
                   trainable_base=False):
    """Head built on `base.output` (backbone layers inlined in the model)."""
    base = keras.applications.ResNet50(include_top=False, weights=weights,
                                       input_shape=(*image_size, 3))
    base.trainable = trainable_base
    x = layers.GlobalAveragePooling2D()(base.output)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(base.input, outputs)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    return model


def ok_effnet(num_classes=37, image_size=(224, 224), weights="imagenet", dropout=0.3):
    return _effnet(num_classes, image_size, weights, dropout)


def ok_effnet_pooling_avg(num_classes=37, image_size=(224, 224), weights="imagenet",
                          dropout=0.3):
    return _effnet(num_classes, image_size, weights, dropout, pooling="avg")


# ----------------------------------------------------------------------------- wrong

def bad_dropout(num_classes=37, image_size=(224, 224), weights="imagenet", dropout=0.3):
    return _effnet(num_classes, image_size, weights, 0.5)


def bad_unfrozen(num_classes=102, image_size=(224, 224), weights="imagenet",
                 trainable_base=False):
    return _resnet(num_classes, image_size, weights, True)


def bad_no_softmax(num_classes=102, image_size=(224, 224), weights="imagenet",
                   trainable_base=False):
    return _resnet(num_classes, image_size, weights, trainable_base, activation=None)


def bad_categorical_loss(num_classes=102, image_size=(224, 224), weights="imagenet",
                         trainable_base=False):
    """Sparse (integer) labels from the pipeline, but categorical_crossentropy."""
    return _resnet(num_classes, image_size, weights, trainable_base,
                   loss="categorical_crossentropy")


def bad_learning_rate(num_classes=102, image_size=(224, 224), weights="imagenet",
                      trainable_base=False):
    return _resnet(num_classes, image_size, weights, trainable_base, lr=1e-2)


def bad_from_logits(num_classes=102, image_size=(224, 224), weights="imagenet",
                    trainable_base=False):
    return _resnet(num_classes, image_size, weights, trainable_base,
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def bad_sgd(num_classes=102, image_size=(224, 224), weights="imagenet", trainable_base=False):
    return _resnet(num_classes, image_size, weights, trainable_base,
                   optimizer=keras.optimizers.SGD(1e-3))


def bad_freeze_all(num_classes=102, image_size=(224, 224), weights="imagenet",
                   trainable_base=False):
    return _resnet(num_classes, image_size, weights, trainable_base, freeze_all=True)


def bad_hardcoded_classes(num_classes=102, image_size=(224, 224), weights="imagenet",
                          trainable_base=False):
    return _resnet(num_classes, image_size, weights, trainable_base, units=102)


def bad_flatten(num_classes=102, image_size=(224, 224), weights="imagenet",
                trainable_base=False):
    return _resnet(num_classes, image_size, weights, trainable_base, pool="flatten")


def bad_backbone_v2(num_classes=102, image_size=(224, 224), weights="imagenet",
                    trainable_base=False):
    base = keras.applications.ResNet50V2(include_top=False, weights=weights,
                                         input_shape=(*image_size, 3), pooling="avg")
    base.trainable = False
    inputs = keras.Input((*image_size, 3))
    x = layers.Dropout(0.2)(base(inputs, training=False))
    model = keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def bad_lr_zero(num_classes=102, image_size=(224, 224), weights="imagenet",
                trainable_base=False):
    return _resnet(num_classes, image_size, weights, trainable_base, lr=0.0)


def bad_effnet_lr_zero(num_classes=37, image_size=(224, 224), weights="imagenet", dropout=0.3):
    return _effnet(num_classes, image_size, weights, dropout, lr=0.0)


# ----------------------------------------------------------------------------- pipelines

def resnet_pipeline(ds, batch_size=32, training=True):
    if training:
        ds = ds.shuffle(1000)
    ds = ds.batch(batch_size).map(lambda x, y: (resnet_pre(tf.cast(x, tf.float32)), y))
    return ds.prefetch(tf.data.AUTOTUNE)


def pets_pipeline(ds, batch_size=32, training=True, num_classes=37, mix=None):
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), tf.one_hot(y, num_classes)))
    if training:
        ds = ds.shuffle(1000)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def bad_pipeline_labels_shuffled(ds, batch_size=32, training=True):
    images = ds.map(lambda x, y: resnet_pre(tf.cast(x, tf.float32)))
    labels = ds.map(lambda x, y: y)
    if training:
        labels = labels.shuffle(1000, seed=3)
    return tf.data.Dataset.zip((images, labels)).batch(batch_size).prefetch(2)
