"""extract_embeddings implementations: correct variants and realistic mistakes."""

import keras
import numpy as np


def correct_gap_layer(model, images):
    gap = next(la for la in model.layers if isinstance(la, keras.layers.GlobalAveragePooling2D))
    return keras.Model(model.inputs, gap.output).predict(images, verbose=0)


def correct_by_name(model, images):
    feat = keras.Model(model.input, model.get_layer("global_average_pooling2d").output)
    return np.asarray(feat(images, training=False))


def correct_backbone_then_mean(model, images):
    backbone = model.get_layer("efficientnetb0")
    return np.asarray(backbone(images, training=False)).mean(axis=(1, 2))


def correct_before_dense(model, images):
    # output of the Dropout layer (identity at inference) = GAP output
    return keras.Model(model.inputs, model.layers[-2].output).predict(images, verbose=0)


def softmax_output(model, images):
    return model.predict(images, verbose=0)


def no_pooling(model, images):
    return model.get_layer("efficientnetb0").predict(images, verbose=0)


def flattened_map(model, images):
    fmap = model.get_layer("efficientnetb0").predict(images, verbose=0)
    return fmap.reshape(len(images), -1)


def max_pooled(model, images):
    return np.asarray(model.get_layer("efficientnetb0")(images)).max(axis=(1, 2))


CASES = [
    ("correct_gap_layer", correct_gap_layer, None),
    ("correct_by_name", correct_by_name, None),
    ("correct_backbone_then_mean", correct_backbone_then_mean, None),
    ("correct_before_dense", correct_before_dense, None),
    ("softmax_output", softmax_output, "embeddings_shape"),
    ("no_pooling", no_pooling, "embeddings_shape"),
    ("flattened_map", flattened_map, "embeddings_shape"),
    ("max_pooled", max_pooled, "embeddings_values"),
]
