"""Known-answer models and inputs for the explanation checks.

Every model uses standard Keras layers only (no Lambda, no custom classes) and explicit weights
(`set_weights`), so it survives the sandbox's `.keras` save/reload and needs no training.

- `quadrant_case(nested=...)`: 32x32x4 input, 4x4 average pooling, a 1x1 identity conv
  ("last_conv"; nested: "top_conv" inside a backbone sub-model), GAP and a diagonal softmax head.
  Class c's only evidence is a blob in input channel c, placed in its own quadrant, so a correct
  Grad-CAM for class c lights that quadrant and nothing else.
- `plus_plus_case()`: Flatten + Dense head whose class-0 weights on channel 0 are positive on the
  left half and more negative on the right half. Grad-CAM's channel weight (mean gradient) is
  negative, so it hides the channel-0 blob; Grad-CAM++ weighs only ReLU(gradients) and shows it.
- `random_convnet(seed)`: small random conv nets for agreement with the reference.
- `ig_model(...)`: gentle smooth conv net for Integrated Gradients, with a cropped (ignored) band.
- `ig_bump_model(image)`: a path gradient that is a bump in the middle (points skipped or
  repeated along the path show up in the completeness sum).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.checks.memo import per_worker

NUM_QUADRANT_CLASSES = 4
QUADRANT_OF_CLASS = (1, 2, 3, 0)  # class c's blob lives in quadrant QUADRANT_OF_CLASS[c]
BLOB_INTENSITY = (1.0, 1.5, 3.0, 2.0)  # class 2 is the top class
POOL = 4
IMAGE = 32


@dataclass
class Case:
    """A model plus the input and the known answer for it."""

    model: Any
    layer_name: str
    image: np.ndarray  # batched [1, H, W, C]
    conv_shape: tuple[int, int]
    regions: dict[int, np.ndarray] = field(default_factory=dict)  # class -> bool mask at conv res

    @property
    def input_shape(self) -> tuple[int, int]:
        return tuple(self.image.shape[1:3])


def quadrant_mask(q: int, size: int) -> np.ndarray:
    """Boolean [size, size] mask of quadrant q (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right)."""
    mask = np.zeros((size, size), bool)
    half = size // 2
    r, c = divmod(q, 2)
    mask[r * half:(r + 1) * half, c * half:(c + 1) * half] = True
    return mask


def quadrant_image(seed: int = 0) -> np.ndarray:
    """[1, 32, 32, 4]: channel c holds one 8x8 blob in its quadrant, plus faint noise."""
    rng = np.random.default_rng(seed)
    img = rng.uniform(0.0, 0.02, size=(1, IMAGE, IMAGE, NUM_QUADRANT_CLASSES)).astype("float32")
    half = IMAGE // 2
    for c in range(NUM_QUADRANT_CLASSES):
        r, col = divmod(QUADRANT_OF_CLASS[c], 2)
        r0, c0 = r * half + 4, col * half + 4 + (c % 2) * 4  # off-centre so transposes move it
        img[0, r0:r0 + 8, c0:c0 + 4 + 4 * (c % 2 == 0), c] = BLOB_INTENSITY[c]
    return img


@per_worker  # the same probe for every student (checks.memo)
def quadrant_case(nested: bool = False, seed: int = 0, backbone_name: str = "backbone") -> Case:
    """The 4-class quadrant model (flat, or with the conv inside a backbone sub-model).

    `backbone_name` names the nested sub-model, so students who fetch their backbone by name
    (e.g. `model.get_layer("resnet50")`) can be met with the assignment's real name.
    """
    import keras
    from keras import layers

    k = NUM_QUADRANT_CLASSES
    inputs = keras.Input((IMAGE, IMAGE, k))
    if nested:
        b_in = keras.Input((IMAGE, IMAGE, k))
        b = layers.AveragePooling2D(POOL, name="pool")(b_in)
        b = layers.Conv2D(k, 1, name="top_conv")(b)
        b = layers.Activation("relu", name="top_activation")(b)
        backbone = keras.Model(b_in, b, name=backbone_name)
        x = backbone(inputs, training=False)
        layer_name = "top_conv"
    else:
        x = layers.AveragePooling2D(POOL, name="pool")(inputs)
        x = layers.Conv2D(k, 1, activation="relu", name="last_conv")(x)
        layer_name = "last_conv"
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(k, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="quadrant_nested" if nested else "quadrant")
    conv = (model.get_layer(backbone_name).get_layer("top_conv") if nested
            else model.get_layer(layer_name))
    conv.set_weights([np.eye(k, dtype="float32")[None, None], np.zeros(k, "float32")])
    cells = (IMAGE // POOL) ** 2
    dense = model.get_layer("predictions")
    dense.set_weights([np.eye(k, dtype="float32") * cells / 4.0, np.zeros(k, "float32")])
    size = IMAGE // POOL
    regions = {c: quadrant_mask(QUADRANT_OF_CLASS[c], size) for c in range(k)}
    return Case(model, layer_name, quadrant_image(seed), (size, size), regions)


def randomized_top(case: Case, seed: int) -> Case:
    """Same architecture and input with the conv and head re-initialised (Adebayo et al. 2018).

    Top layers are re-drawn from N(0, 1) with a numpy generator (no global seeds touched).
    """
    import keras

    rng = np.random.default_rng(seed)
    clone = keras.models.clone_model(case.model)
    clone.set_weights(case.model.get_weights())
    for layer in _weighted_layers(clone)[-2:]:
        layer.set_weights([rng.normal(0.0, 1.0, w.shape).astype("float32")
                           for w in layer.get_weights()])
    return Case(clone, case.layer_name, case.image, case.conv_shape, case.regions)


def _weighted_layers(model: Any) -> list[Any]:
    import keras

    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out.extend(_weighted_layers(layer))
        elif layer.get_weights():
            out.append(layer)
    return out


@per_worker  # the same probe for every student (checks.memo)
def plus_plus_case() -> Case:
    """2-class model where Grad-CAM hides the channel-0 blob and Grad-CAM++ must show it.

    regions[0] marks the channel-0 blob (left half), regions[1] the channel-1 blob (right).
    """
    import keras
    from keras import layers

    inputs = keras.Input((IMAGE, IMAGE, 2))
    x = layers.AveragePooling2D(POOL, name="pool")(inputs)
    x = layers.Conv2D(2, 1, activation="relu", name="last_conv")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(2, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="plus_plus")
    model.get_layer("last_conv").set_weights([np.eye(2, dtype="float32")[None, None],
                                               np.zeros(2, "float32")])
    size = IMAGE // POOL
    w = np.zeros((size, size, 2, 2), "float32")
    w[:, : size // 2, 0, 0] = 1.0   # channel 0, left half: positive evidence for class 0
    w[:, size // 2:, 0, 0] = -1.5   # channel 0, right half: stronger negative (mean < 0)
    w[:, :, 1, 0] = 0.2             # channel 1: weak positive everywhere
    model.get_layer("predictions").set_weights([w.reshape(-1, 2) * 0.5, np.zeros(2, "float32")])
    img = np.full((1, IMAGE, IMAGE, 2), 0.01, "float32")
    img[0, 8:16, 4:12, 0] = 1.0     # channel-0 blob: conv cells (2..3, 1..2), left half
    img[0, 16:24, 20:28, 1] = 1.0   # channel-1 blob: conv cells (4..5, 5..6), right half
    regions = {0: np.zeros((size, size), bool), 1: np.zeros((size, size), bool)}
    regions[0][2:4, 1:3] = True
    regions[1][4:6, 5:7] = True
    return Case(model, "last_conv", img, (size, size), regions)


@per_worker  # the same probe for every student (checks.memo)
def random_convnet(seed: int) -> Case:
    """A random 2-conv net on a random 32x32x3 image; odd seeds use a Flatten+Dense head."""
    import keras
    from keras import layers

    inputs = keras.Input((IMAGE, IMAGE, 3))
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(12, 3, padding="same", activation="relu", name="last_conv")(x)
    if seed % 2:
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(5, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name=f"random_convnet_{seed}")
    rng = np.random.default_rng(seed)
    _glorot_weights(model, rng)
    image = rng.uniform(0.0, 1.0, (1, IMAGE, IMAGE, 3)).astype("float32")
    return Case(model, "last_conv", image, (IMAGE // 2, IMAGE // 2))


def _glorot_weights(model: Any, rng: np.random.Generator) -> None:
    """Set every kernel Glorot-uniform from `rng` and biases small, without touching global seeds."""
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        kernel = weights[0]
        fan_in = int(np.prod(kernel.shape[:-1]))
        limit = np.sqrt(6.0 / (fan_in + kernel.shape[-1]))
        new = [rng.uniform(-limit, limit, kernel.shape).astype("float32")]
        new += [rng.uniform(-0.05, 0.05, w.shape).astype("float32") for w in weights[1:]]
        layer.set_weights(new)


@per_worker  # the same probe for every student (checks.memo)
def ig_model(seed: int = 1, size: int = 12, crop: int = 4, num_classes: int = 3) -> Any:
    """Gentle smooth model for IG: the right `crop` columns and input channel 2 are ignored.

    Calibrated (seed 1, `ig_image(1)`): at 50 steps the trapezoid rule misses completeness by
    < 0.01 %, left/right Riemann by < 1 %, gradient x input by > 35 %, IG without the
    (x - baseline) factor by > 13 %, for every class.
    """
    import keras
    from keras import layers

    inputs = keras.Input((size, size, 3))
    x = layers.Cropping2D(((0, 0), (0, crop)), name="ignore_right")(inputs)
    x = layers.Conv2D(4, 3, activation="tanh", name="conv")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="ig_gentle")
    rng = np.random.default_rng(seed)
    kernel = rng.normal(0.0, 0.15, (3, 3, 3, 4)).astype("float32")
    kernel[:, :, 2, :] = 0.0  # input channel 2 never reaches the output
    model.get_layer("conv").set_weights([kernel, np.zeros(4, "float32")])
    dense = model.get_layer("predictions")
    w = rng.normal(0.0, 0.1, dense.get_weights()[0].shape).astype("float32")
    dense.set_weights([w, np.zeros(num_classes, "float32")])
    return model


def ig_bump_model(image: np.ndarray, centre: float = 0.5, sharpness: float = 16.0) -> Any:
    """Two-class softmax whose class-0 probability along the path alpha * image is
    sigmoid(sharpness * (alpha - centre)): its path gradient is a bump at `centre`, ~0 at both
    ends. Every evenly spaced rule (trapezoid, left, right, midpoint) integrates it within
    1e-4 at 50 steps (centre 0.5, sharpness 16; centre 0.64, sharpness 60); a mean over
    m + 1 points under-counts by 1/(m + 1); a path with points skipped or repeated does not
    (see `integrated_gradients._ig_path`)."""
    import keras
    from keras import layers

    flat = np.asarray(image, dtype="float64").reshape(-1)
    inputs = keras.Input(image.shape)
    x = layers.Flatten(name="flatten")(inputs)
    outputs = layers.Dense(2, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="ig_bump")
    kernel = np.zeros((flat.size, 2), "float32")
    kernel[:, 0] = sharpness * flat / float(flat @ flat)
    bias = np.array([-sharpness * centre, 0.0], "float32")
    model.get_layer("predictions").set_weights([kernel, bias])
    return model


def ig_ignored_mask(size: int = 12, crop: int = 4) -> np.ndarray:
    """Boolean [H, W, C] mask of the inputs `ig_model` ignores."""
    mask = np.zeros((size, size, 3), bool)
    mask[:, size - crop:, :] = True
    mask[:, :, 2] = True
    return mask


def ig_image(seed: int = 1, size: int = 12) -> np.ndarray:
    """[H, W, 3] input for IG in [-1, 2] (so x - baseline scaling matters)."""
    rng = np.random.default_rng(seed + 100)
    return rng.uniform(-1.0, 2.0, (size, size, 3)).astype("float32")
