"""checks.data_loading.check_load_data: correct loaders pass, each wrong one fails its named check."""

from __future__ import annotations

import pytest

from autograder.checks.data_loading import check_load_data
from autograder.data import modes


def _tf():
    import tensorflow as tf
    import tensorflow_datasets as tfds

    return tf, tfds


def correct(split, image_size=(224, 224), limit=None):
    tf, tfds = _tf()
    ds = tfds.load("oxford_flowers102", split=split, as_supervised=True)
    if limit is not None:
        ds = ds.take(limit)
    return ds.map(lambda x, y: (tf.image.resize(x, image_size), y))


def correct_uint8_filter_style(split, image_size=(224, 224), limit=None):
    """Different style: uint8 output, limit via enumerate/filter (unknown cardinality)."""
    tf, tfds = _tf()
    ds = tfds.load("oxford_flowers102", split=split, as_supervised=True)
    ds = ds.map(lambda x, y: (tf.cast(tf.image.resize(x, image_size), tf.uint8), tf.cast(y, tf.int32)))
    if limit is not None:
        ds = ds.enumerate().filter(lambda i, e: i < limit).map(lambda i, e: e)
    return ds


def ignores_limit(split, image_size=(224, 224), limit=None):
    return correct(split, image_size, None)


def hard_coded_limit(split, image_size=(224, 224), limit=None):
    return correct(split, image_size, 3)


def fixed_size(split, image_size=(224, 224), limit=None):
    return correct(split, (224, 224), limit)


def rescaled(split, image_size=(224, 224), limit=None):
    return correct(split, image_size, limit).map(lambda x, y: (x / 255.0, y))


def batched(split, image_size=(224, 224), limit=None):
    return correct(split, image_size, limit).batch(2)


def one_hot(split, image_size=(224, 224), limit=None):
    tf, _ = _tf()
    return correct(split, image_size, limit).map(lambda x, y: (x, tf.one_hot(y, 102)))


def returns_list(split, image_size=(224, 224), limit=None):
    return [1, 2, 3]


def not_implemented(split, image_size=(224, 224), limit=None):
    raise NotImplementedError()


@pytest.fixture(scope="module", autouse=True)
def mock_mode():
    with modes.enter_data_mode({"DATA": "mock", "MOCK_EXAMPLES": 16}):
        yield


def _failed(results):
    return {r.name for r in results if not r.passed}


@pytest.mark.parametrize("fn", [correct, correct_uint8_filter_style])
def test_correct_loaders_pass(fn):
    results = check_load_data(fn, num_classes=102, image_size=(32, 48))
    assert _failed(results) == set(), [r.message for r in results]
    assert len(results) == 5


@pytest.mark.parametrize("fn, check", [
    (ignores_limit, "load_data_limit"),
    (hard_coded_limit, "load_data_limit"),
    (fixed_size, "load_data_shape"),
    (rescaled, "load_data_range"),
    (one_hot, "load_data_labels"),
])
def test_wrong_loaders_fail_the_named_check(fn, check):
    results = check_load_data(fn, num_classes=102, image_size=(32, 48))
    assert _failed(results) == {check}
    bad = next(r for r in results if r.name == check)
    assert bad.message and bad.hint and bad.status == "wrong"


def test_batched_fails_shape_and_limit():
    results = check_load_data(batched, num_classes=102, image_size=(32, 48))
    assert {"load_data_shape", "load_data_limit"} <= _failed(results)
    assert "sin agrupar en lotes" in next(r.message for r in results if r.name == "load_data_shape")


def test_not_a_dataset_and_not_implemented():
    results = check_load_data(returns_list, lang="en")
    assert all(not r.passed for r in results) and "tf.data.Dataset" in results[0].message
    results = check_load_data(not_implemented)
    assert all(r.status == "not_implemented" and r.score == 0 for r in results)
    assert "no está implementada" in results[0].message
    assert all(not r.passed for r in check_load_data(None))
