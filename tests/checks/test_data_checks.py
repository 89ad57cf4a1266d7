"""Focused properties of the data/model checks beyond the corpus: failure statuses, both
languages, the Beta goodness-of-fit calibration, plain-data (sandbox) return forms."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from autograder.checks import augment, mixing, model, pipeline, training  # noqa: E402
from autograder.exchange import sample_dataset  # noqa: E402

CATALOGS = Path(__file__).resolve().parents[2] / "autograder" / "messages"
OWN = ("mixing", "augment", "pipeline", "model", "training")


def _not_implemented(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("check", [
    lambda f: mixing.check_mixup(f),
    lambda f: mixing.check_cutmix(f),
    lambda f: augment.check_augmentation(f),
    lambda f: pipeline.check_pipeline(f),
    lambda f: model.check_model(f),
    lambda f: training.check_learns(f, f),
], ids=["mixup", "cutmix", "augment", "pipeline", "model", "learns"])
@pytest.mark.parametrize("fn", [None, _not_implemented], ids=["missing", "not-implemented"])
def test_unimplemented_student_fails_every_result(check, fn):
    results = check(fn)
    assert results and all(not r.passed and r.score == 0 for r in results)
    assert all(r.status == "not_implemented" for r in results)


def test_raising_student_is_an_error_not_a_crash():
    def boom(*args, **kwargs):
        raise ValueError("shapes do not match")

    results = mixing.check_mixup(boom)
    assert results[0].status == "error" and "ValueError" in results[0].message
    assert all(not r.passed for r in results)


@pytest.mark.parametrize("name", OWN)
def test_catalogs_have_both_languages(name):
    with open(CATALOGS / f"{name}.toml", "rb") as fh:
        entries = tomllib.load(fh)
    assert entries
    for key, entry in entries.items():
        assert entry.get("es") and entry.get("en"), key


def test_messages_follow_language_and_carry_a_hint():
    def labels_not_mixed(images, labels, alpha=0.2, seed=None):
        rng = np.random.default_rng(seed)
        lam = rng.beta(alpha, alpha, len(images))[:, None, None, None]
        return lam * images + (1 - lam) * images[rng.permutation(len(images))], labels

    es = {r.name: r for r in mixing.check_mixup(labels_not_mixed, lang="es")}["mixup_labels"]
    en = {r.name: r for r in mixing.check_mixup(labels_not_mixed, lang="en")}["mixup_labels"]
    assert "etiqueta" in es.message and "label" in en.message
    assert es.hint and en.hint and es.hint != en.hint
    assert "lambda" in es.message and es.details["i"] >= 0


def test_beta_goodness_of_fit_calibration():
    """False rejections: none in 400 seeded correct runs (the rate is <= 1e-4 by construction);
    power: a uniform lambda and Beta(1, 1) are rejected in every seeded run at n = 60."""
    from scipy import stats

    cdf = mixing._folded_cdf(0.2)
    rejected = 0
    for seed in range(400):
        lam = np.random.default_rng(seed).beta(0.2, 0.2, 300)
        values = np.minimum(lam, 1 - lam)
        values = values[values >= mixing.EPS_FOLD]
        rejected += stats.kstest(values, cdf).pvalue < mixing.P_REJECT
    assert rejected == 0
    for seed in range(50):
        lam = np.random.default_rng(seed).uniform(0, 1, 60)
        assert stats.kstest(np.minimum(lam, 1 - lam), cdf).pvalue < mixing.P_REJECT


def test_mixup_per_batch_lambda_collects_enough_independent_draws():
    calls = []

    def per_batch(images, labels, alpha=0.2, seed=None):
        calls.append(seed)
        rng = np.random.default_rng(seed)
        lam, perm = rng.beta(alpha, alpha), rng.permutation(len(images))
        return lam * images + (1 - lam) * images[perm], lam * labels + (1 - lam) * labels[perm]

    results = {r.name: r for r in mixing.check_mixup(per_batch, lambda_per="batch")}
    assert all(r.passed for r in results.values())
    assert results["mixup_distribution"].details["n"] >= 20
    assert len(calls) > 12  # more calls than for per-sample lambdas


def test_cutmix_tolerance_is_grid_rounding_only():
    """A label weight off by more than (H+W+1)/(H*W) fails even when everything else is right."""
    def off_by_a_little(images, labels, alpha=1.0, seed=None):
        rng = np.random.default_rng(seed)
        b, h, w, _ = images.shape
        perm, x, y = rng.permutation(b), images.copy(), labels.copy()
        for i in range(b):
            x[i, 4:20, 4:20] = images[perm[i], 4:20, 4:20]
            a = 256 / (h * w) + 0.08
            y[i] = (1 - a) * labels[i] + a * labels[perm[i]]
        return x, y

    failing = {r.name for r in mixing.check_cutmix(off_by_a_little) if not r.passed}
    assert "cutmix_labels" in failing


def test_pipeline_accepts_plain_data_returns():
    """The sandbox hands checks a DatasetSample instead of a live dataset."""
    import keras
    import tensorflow as tf

    def pipe(ds, batch_size=32, training=True):
        if training:
            ds = ds.shuffle(100)
        ds = ds.batch(batch_size).map(
            lambda x, y: (keras.applications.resnet50.preprocess_input(x), y))
        return sample_dataset(ds.prefetch(tf.data.AUTOTUNE), max_batches=8)

    results = pipeline.check_pipeline(pipe)
    assert all(r.passed for r in results), [r.message for r in results if not r.passed]


def test_pipeline_identifies_each_preprocessing():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (4, 8, 8, 3)).astype(np.float64)
    for name, out in pipeline.candidates(x).items():
        found, order = pipeline.identify(out[::-1].astype(np.float32), x)
        assert found == name and list(order) == [3, 2, 1, 0]


def test_augment_kinds_need_nonzero_strength():
    import keras
    from keras import layers

    present = augment.kinds_present(keras.Sequential([
        layers.RandomFlip("horizontal"), layers.RandomRotation(0.0), layers.RandomZoom(0.1),
        layers.RandomContrast(0.0), layers.RandomTranslation(0.0, 0.1)]))
    assert present == {"flip": True, "rotation": False, "zoom": True, "translation": True,
                       "brightness": False, "contrast": False}


def _through_the_wire(value):
    """What the grader gets when the sandboxed student returns `value` (config + raw weights,
    rebuilt by `sandbox.modelbound` after its static bound)."""
    from autograder.sandbox import wire

    tree, blobs = wire.encode_return(value)
    return wire.decode_return(tree, {k: bytearray(v) for k, v in blobs.items()})


def test_augmentation_returned_through_the_wire():
    """The sandbox hands back a returned augmentation model rebuilt from its config."""
    import keras
    from keras import layers

    def make_augmentation():
        return _through_the_wire(keras.Sequential([layers.RandomFlip("horizontal"),
                                                   layers.RandomRotation(0.05)]))

    results = {r.name: r for r in augment.check_augmentation(make_augmentation)}
    assert [n for n, r in results.items() if not r.passed] == ["augment_kinds"]
    assert results["augment_kinds"].details["missing"] == ["zoom"]


def test_learning_task_is_balanced_and_deterministic():
    x1, y1 = training.make_task(48, 4, (16, 16), 3)
    x2, y2 = training.make_task(48, 4, (16, 16), 3)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert np.bincount(y1).tolist() == [12] * 4
    assert x1.dtype == np.float32 and 0 <= x1.min() and x1.max() <= 255


@pytest.mark.slow
def test_resnet50_parameter_count():
    """23,796,710 parameters for ResNet50 + GAP + Dense(102) (the UT3-10 report), at 64 px."""
    import keras
    from keras import layers

    def build(num_classes=102, image_size=(224, 224), weights="imagenet",
              trainable_base=False):
        base = keras.applications.ResNet50(include_top=False, weights=weights,
                                           input_shape=(*image_size, 3))
        base.trainable = trainable_base
        inputs = keras.Input((*image_size, 3))
        x = layers.GlobalAveragePooling2D()(base(inputs, training=False))
        out = layers.Dense(num_classes, activation="softmax")(layers.Dropout(0.2)(x))
        m = keras.Model(inputs, out)
        m.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
        return m

    results = model.check_model(build, num_classes=102, expected_params=23_796_710)
    assert all(r.passed for r in results), [r.message for r in results if not r.passed]
    wrong = {r.name: r for r in model.check_model(build, num_classes=102,
                                                  expected_params=23_796_711)}
    assert not wrong["model_params"].passed
    assert wrong["model_params"].details["found"] == 23_796_710


@pytest.mark.slow
def test_model_returned_through_the_wire():
    """A model crossing the sandbox (config + raw weights, bounded) is checked the same."""
    import keras
    from keras import layers

    def build(num_classes=37, image_size=(224, 224), weights="imagenet", dropout=0.3):
        base = keras.applications.EfficientNetB0(include_top=False, weights=weights,
                                                 input_shape=(*image_size, 3))
        base.trainable = False
        inputs = keras.Input((*image_size, 3))
        x = layers.GlobalAveragePooling2D()(base(inputs, training=False))
        out = layers.Dense(num_classes, activation="softmax")(layers.Dropout(0.3)(x))
        m = keras.Model(inputs, out)  # ignores `dropout`: right only when 0.3 is asked
        m.compile(keras.optimizers.Adam(1e-3), "categorical_crossentropy")
        return _through_the_wire(m)

    results = model.check_model(build, backbone="efficientnetb0", num_classes=5,
                                image_size=(32, 32), dropout=0.3, loss="onehot")
    assert all(r.passed for r in results), [r.message for r in results if not r.passed]
    failing = {r.name for r in model.check_model(build, backbone="efficientnetb0",
                                                 num_classes=5, image_size=(32, 32),
                                                 dropout=0.5, loss="onehot") if not r.passed}
    assert failing == {"model_head"}


def test_augment_factor_problems_name_each_layer_past_its_limit():
    import keras
    from keras import layers

    model = keras.Sequential([
        layers.RandomFlip("horizontal"), layers.RandomRotation((-0.05, 0.1)),
        layers.RandomZoom(0.1, 0.2), layers.RandomBrightness(0.2, value_range=(0, 1))])
    limits = {"rotation": 0.05, "zoom": 0.1, "brightness": 0.2}
    assert augment.factor_problems(model, limits, (0, 255)) == [
        "RandomRotation: 0.1 > 0.05", "RandomZoom: 0.2 > 0.1",
        "RandomBrightness: value_range=(0, 1) != (0, 255)"]
    assert augment.factor_problems(model, {"rotation": 0.1, "zoom": 0.2}, None) == []


def test_augment_factors_only_when_configured_and_known():
    import keras
    from keras import layers

    def make():
        return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.05),
                                 layers.RandomZoom(0.1)])

    assert "augment_factors" not in {r.name for r in augment.check_augmentation(make)}
    with pytest.raises(ValueError, match="rotatoin"):
        augment.check_augmentation(make, max_factors={"rotatoin": 0.05})
