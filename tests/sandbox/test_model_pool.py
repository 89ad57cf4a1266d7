"""A batch worker hands out a rebuilt model again for the same config (`sandbox.model_pool`):
the instance it hands out is, in every piece of state, the model a fresh rebuild would give."""

from __future__ import annotations

import json
import random
import weakref

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from autograder.checks import memo  # noqa: E402
from autograder.grading.batch import clear_caches  # noqa: E402
from autograder.sandbox import model_pool, modelbound  # noqa: E402

X = np.random.default_rng(1).uniform(0, 1, (4, 16, 16, 3)).astype("float32")


def _config_and_weights() -> tuple[str, list[list[np.ndarray]]]:
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.5)(x)  # seed drawn by Keras from Python's `random`
    x = keras.layers.Dropout(0.3, seed=7)(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    sets = [[rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()]
            for _ in range(2)]
    return json.dumps(keras.saving.serialize_keras_object(model)), sets


def _use(model, metrics: bool = False) -> list[np.ndarray]:
    """What a check may do to a model: dropout draws, a training step, flags; `metrics`: also
    update the compiled metrics (which builds their variables)."""
    out = [np.asarray(model(X, training=True)) for _ in range(2)]
    head = model.layers[-1]
    with __import__("tensorflow").GradientTape() as tape:
        loss = keras.ops.mean(model(X, training=True))
    grads = tape.gradient(loss, head.trainable_weights)
    model.optimizer.apply_gradients(zip(grads, head.trainable_weights, strict=True))
    model.layers[1].trainable = False
    model.optimizer.learning_rate.assign(0.5)
    if metrics:
        model.compute_metrics(X, np.zeros(4), np.asarray(model(X)))
    return out


def _state(model) -> list[np.ndarray]:
    return [np.array(v.numpy()) for v in [*model.variables, *model.optimizer.variables,
                                          *model.metrics_variables]]


def _grade_three(pooled: bool, metrics: bool = False) -> tuple[list[tuple], list[bool]]:
    """Rebuild the model three times (weights A, B, A), using each as a check would."""
    config, (a, b) = _config_and_weights()
    clear_caches()
    random.seed(1234)
    seen, again, previous = [], [], None
    with memo.active(pooled):
        for weights in (a, b, a):
            model = modelbound.load_bounded(config, weights)
            again.append(previous is not None and previous() is model)
            previous = weakref.ref(model)
            seen.append((_state(model), [layer.trainable for layer in model._flatten_layers()],
                         _use(model, metrics), random.getstate()))
            del model
    clear_caches()
    return seen, again


@pytest.mark.parametrize("metrics", [False, True], ids=["reused", "more-state-built"])
def test_a_pooled_model_is_exactly_a_fresh_rebuild(metrics):
    fresh, fresh_again = _grade_three(pooled=False, metrics=metrics)
    pooled, pooled_again = _grade_three(pooled=True, metrics=metrics)
    assert fresh_again == [False] * 3
    # the same instance handed out three times; rebuilt each time when a check built more
    assert pooled_again == [False, not metrics, not metrics]
    for (state_f, flags_f, out_f, rnd_f), (state_p, flags_p, out_p, rnd_p) in zip(
            fresh, pooled, strict=True):
        assert len(state_f) == len(state_p)
        for f, p in zip(state_f, state_p, strict=True):
            np.testing.assert_array_equal(f, p)
        assert flags_f == flags_p
        for f, p in zip(out_f, out_p, strict=True):  # the same dropout masks
            np.testing.assert_array_equal(f, p)
        assert rnd_f == rnd_p  # Python's random left where a fresh rebuild leaves it


def test_a_model_still_held_is_not_handed_out_again():
    config, (a, b) = _config_and_weights()
    clear_caches()
    with memo.active(True):
        first = modelbound.load_bounded(config, a)
        second = modelbound.load_bounded(config, b)
        assert second is not first  # `first` is still in use: a fresh rebuild
        np.testing.assert_array_equal(first.get_weights()[0], a[0])
        kept = id(second)
        holder = [second]
        holder.append(holder)  # a reference cycle: released only by the garbage collector
        del second, holder
        third = modelbound.load_bounded(config, b)  # the pool collects the cycle first
        assert id(third) == kept
    clear_caches()


def test_the_plain_path_rebuilds_every_time():
    config, (a, _) = _config_and_weights()
    clear_caches()
    ids = []
    for _ in range(2):
        model = modelbound.load_bounded(config, a)  # memo off (outside a batch worker)
        ids.append(id(model))
        keep = model  # noqa: F841 - hold it so a new id cannot reuse the old one's
    assert ids[0] != ids[1]
    assert not model_pool._POOL


def test_a_rebuild_that_moves_random_otherwise_is_not_kept():
    config, (a, _) = _config_and_weights()
    clear_caches()

    def deserialize():
        random.random()  # something besides Keras' default seeds
        return keras.saving.deserialize_keras_object(json.loads(config), safe_mode=True)

    with memo.active(True):
        model = model_pool.obtain(config, deserialize, lambda m: m.set_weights(a))
    assert isinstance(model, keras.Model)
    assert not model_pool._POOL
