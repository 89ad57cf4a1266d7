"""Hidden tests for Práctica 10x (Oxford-IIIT Pets). One `test_<id>` per [[tests]] in assignment.toml.

Points, Paso, visibility and each test's config come from assignment.toml; `config` (normalised
by the plugin) holds the shared [checks] table (backbone efficientnetb0, one-hot labels, 37
classes, image size), `lang` and `seed`. Check modules are imported inside each test so one missing module costs only
its own test.
"""

from __future__ import annotations


def test_load_data(student, config, check):
    from autograder.checks import data_loading

    check(data_loading.check_load_data(student.load_data, **config))


def test_augmentation(student, config, check):
    from autograder.checks import augment

    check(augment.check_augmentation(student.make_augmentation, **config))


def test_mixup(student, config, check):
    from autograder.checks import mixing

    check(mixing.check_mixup(student.mixup, **config))


def test_cutmix(student, config, check):
    from autograder.checks import mixing

    check(mixing.check_cutmix(student.cutmix, **config))


def test_pipeline(student, config, check):
    from autograder.checks import pipeline

    check(pipeline.check_pipeline(student.make_pipeline, **config))


def test_model(student, config, check):
    from autograder.checks import model

    check(model.check_model(student.build_model, **config))


def test_tta(student, config, check):
    from autograder.checks import metrics

    check(metrics.check_tta(student.tta_predict, **{**config, "num_classes": 5}))


def test_gradcam(student, config, check):
    from autograder.checks import explain

    check(explain.check_gradcam(student.make_gradcam_heatmap, **config))


def test_gradcam_plus_plus(student, config, check):
    from autograder.checks import explain

    check(explain.check_gradcam_plus_plus(student.make_gradcam_plus_plus_heatmap,
                                          **config))


def test_metrics(student, config, check):
    from autograder.checks import metrics

    check(metrics.check_classification_metrics(student.classification_metrics,
                                               **{**config, "num_classes": 5}))


def test_top_k(student, config, check):
    from autograder.checks import metrics

    check(metrics.check_top_k(student.top_k, **config))


def test_embeddings(student, config, check):
    from autograder.checks import metrics

    check(metrics.check_embeddings(student.extract_embeddings, **config))


def test_lr_sweep(student, config, check):
    from autograder.checks import metrics

    check(metrics.check_lr_sweep(student.lr_sweep, **config))


def test_training(student, config, check):
    from autograder.checks import training

    check(training.check_learns(student.build_model, student.make_pipeline,
                                **{**config, "num_classes": 4}))
