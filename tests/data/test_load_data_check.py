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


# -- content: the grader loads the split itself (issue 17) ---------------------------------------
DATASET = {"dataset": "oxford_flowers102", "data": {"DATA": "mock", "MOCK_EXAMPLES": 16}}


def nearest(split, image_size=(224, 224), limit=None):
    tf, tfds = _tf()
    ds = tfds.load("oxford_flowers102", split=split, as_supervised=True).take(limit)
    return ds.map(lambda x, y: (tf.image.resize(x, image_size, method="nearest"), y))


def shuffled(split, image_size=(224, 224), limit=None):
    tf, tfds = _tf()
    ds = tfds.load("oxford_flowers102", split=split, as_supervised=True).shuffle(16, seed=3)
    return ds.take(limit).map(lambda x, y: (tf.image.resize(x, image_size), y))


def shifted_labels(split, image_size=(224, 224), limit=None):
    return correct(split, image_size, limit).map(lambda x, y: (x, (y + 1) % 102))


def cropped(split, image_size=(224, 224), limit=None):
    tf, _ = _tf()
    return correct(split, (512, 512), limit).map(
        lambda x, y: (tf.image.resize_with_crop_or_pad(x, *image_size), y))


def _random_images(labels):
    import numpy as np

    tf, _ = _tf()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (len(labels), 32, 48, 3)).astype("uint8")
    return tf.data.Dataset.from_tensor_slices((images, np.asarray(labels, "int64")))


def random_data(split, image_size=(224, 224), limit=None):
    import numpy as np

    return _random_images(np.random.default_rng(1).integers(0, 102, limit))


def random_images_true_labels(split, image_size=(224, 224), limit=None):
    return _random_images([int(y) for _, y in correct(split, image_size, limit)])


def _by_name(results):
    return {r.name: r for r in results}


@pytest.mark.parametrize("fn", [correct, correct_uint8_filter_style, nearest])
def test_loaders_of_the_split_pass_the_content_check(fn):
    results = check_load_data(fn, num_classes=102, image_size=(32, 48), **DATASET)
    assert _failed(results) == set(), [r.message for r in results]
    assert len(results) == 6 and sum(r.score for r in results) == 6


@pytest.mark.parametrize("fn, key, text", [
    (shuffled, "data:content_order", "primeros"),
    (shifted_labels, "data:content_label", "en el dataset es"),
    (cropped, "data:content_image", "no es el ejemplo 0"),
    (random_images_true_labels, "data:content_image", "no es el ejemplo 0"),
])
def test_data_of_the_split_done_wrong_fails_only_content(fn, key, text):
    results = _by_name(check_load_data(fn, num_classes=102, image_size=(32, 48), **DATASET))
    content = results.pop("load_data_content")
    assert content.key == key and text in content.message and content.hint
    assert all(r.passed and r.score == 1 for r in results.values()), \
        [r.message for r in results.values()]


def test_made_up_data_of_the_right_form_earns_nothing():
    results = check_load_data(random_data, num_classes=102, image_size=(32, 48), **DATASET)
    assert sum(r.score for r in results) == 0
    content = _by_name(results)["load_data_content"]
    assert content.key == "data:content_foreign" and "vienen de oxford_flowers102: los datos no son" in content.message
    assert {r.status for r in results if r.name != "load_data_content"} == {"not_assessed"}


def test_unavailable_reference_is_not_scored_and_says_why():
    results = check_load_data(correct, num_classes=102, image_size=(32, 48),
                              dataset="no_such_dataset_xyz", data=DATASET["data"])
    content = _by_name(results)["load_data_content"]
    assert content.status == "not_assessed" and content.max_score == 0
    assert "no pudo cargar" in content.message and "no_such_dataset_xyz" in content.message
    assert sum(r.score for r in results) == 5


def test_wrong_shape_is_not_compared_and_true_labels_keep_the_form_credit():
    results = _by_name(check_load_data(fixed_size, num_classes=102, image_size=(32, 48), **DATASET))
    assert not results["load_data_shape"].passed
    content = results.pop("load_data_content")
    assert not content.passed and content.message == results["load_data_shape"].message
    assert [n for n, r in results.items() if r.score == 1] == [
        "load_data_pairs", "load_data_range", "load_data_labels", "load_data_limit"]
