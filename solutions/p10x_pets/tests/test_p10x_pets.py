"""Hidden tests for Práctica 10x (Oxford-IIIT Pets). One `test_<id>` per [[tests]] in assignment.toml.

Points, Paso, visibility and each test's config come from assignment.toml; `config` (normalised
by the plugin) holds the shared [checks] table (backbone efficientnetb0, one-hot labels, 37
classes, image size), `lang` and `seed`. Check modules are imported inside each test so one missing module costs only
its own test.
"""

from __future__ import annotations

from autograder.checks.base import select

# the checks each visible `<id>_basics` test shows (contract + one property); the hidden test
# of the same check scores the rest
MIXUP_SHOWN = ('mixup_returns', 'mixup_contract', 'mixup_images')
CUTMIX_SHOWN = ('cutmix_returns', 'cutmix_contract', 'cutmix_images')
MODEL_SHOWN = ('model_returns', 'model_backbone')
TTA_SHOWN = ('tta_shape', 'tta_probabilities')
GRADCAM_SHOWN = ('gradcam_contract', 'gradcam_top_class')
METRICS_SHOWN = ('metrics_keys', 'metrics_confusion_matrix')
TOP_K_SHOWN = ('topk_shape',)
EMBEDDINGS_SHOWN = ('embeddings_shape',)
LR_SWEEP_SHOWN = ('lr_sweep_keys',)


def test_load_data(student, config, check):
    from autograder.checks import data_loading

    check(data_loading.check_load_data(student.load_data, **config))


def test_augmentation(student, config, check):
    from autograder.checks import augment

    check(augment.check_augmentation(student.make_augmentation, **config))


def test_mixup_basics(student, config, check):
    from autograder.checks import mixing

    check(select(mixing.check_mixup(student.mixup, **config), MIXUP_SHOWN))


def test_mixup(student, config, check):
    from autograder.checks import mixing

    check(select(mixing.check_mixup(student.mixup, **config), exclude=MIXUP_SHOWN))


def test_cutmix_basics(student, config, check):
    from autograder.checks import mixing

    check(select(mixing.check_cutmix(student.cutmix, **config), CUTMIX_SHOWN))


def test_cutmix(student, config, check):
    from autograder.checks import mixing

    check(select(mixing.check_cutmix(student.cutmix, **config), exclude=CUTMIX_SHOWN))


def test_pipeline(student, config, check):
    from autograder.checks import pipeline

    check(pipeline.check_pipeline(student.make_pipeline, **config))


def test_model_basics(student, config, check):
    from autograder.checks import model

    check(select(model.check_model(student.build_model, **config), MODEL_SHOWN))


def test_model(student, config, check):
    from autograder.checks import model

    check(select(model.check_model(student.build_model, **config), exclude=MODEL_SHOWN))


def test_tta_basics(student, config, check):
    from autograder.checks import tta

    check(select(tta.check_tta(student.tta_predict, **{**config, "num_classes": 5}), TTA_SHOWN))


def test_tta(student, config, check):
    from autograder.checks import tta

    check(select(tta.check_tta(student.tta_predict, **{**config, "num_classes": 5}), exclude=TTA_SHOWN))


def test_gradcam_basics(student, config, check):
    from autograder.checks import explain

    check(select(explain.check_gradcam(student.make_gradcam_heatmap, **config), GRADCAM_SHOWN))


def test_gradcam(student, config, check):
    from autograder.checks import explain

    check(select(explain.check_gradcam(student.make_gradcam_heatmap, **config), exclude=GRADCAM_SHOWN))


def test_gradcam_plus_plus(student, config, check):
    from autograder.checks import explain

    check(explain.check_gradcam_plus_plus(student.make_gradcam_plus_plus_heatmap,
                                          **config))


def test_metrics_basics(student, config, check):
    from autograder.checks import metrics

    check(select(metrics.check_classification_metrics(student.classification_metrics,
                                               **{**config, "num_classes": 5}), METRICS_SHOWN))


def test_metrics(student, config, check):
    from autograder.checks import metrics

    check(select(metrics.check_classification_metrics(student.classification_metrics,
                                               **{**config, "num_classes": 5}), exclude=METRICS_SHOWN))


def test_top_k_basics(student, config, check):
    from autograder.checks import metrics

    check(select(metrics.check_top_k(student.top_k, **config), TOP_K_SHOWN))


def test_top_k(student, config, check):
    from autograder.checks import metrics

    check(select(metrics.check_top_k(student.top_k, **config), exclude=TOP_K_SHOWN))


def test_embeddings_basics(student, config, check):
    from autograder.checks import metrics

    check(select(metrics.check_embeddings(student.extract_embeddings, **config), EMBEDDINGS_SHOWN))


def test_embeddings(student, config, check):
    from autograder.checks import metrics

    check(select(metrics.check_embeddings(student.extract_embeddings, **config), exclude=EMBEDDINGS_SHOWN))


def test_lr_sweep_basics(student, config, check):
    from autograder.checks import lr_sweep

    check(select(lr_sweep.check_lr_sweep(student.lr_sweep, **config), LR_SWEEP_SHOWN))


def test_lr_sweep(student, config, check):
    from autograder.checks import lr_sweep

    check(select(lr_sweep.check_lr_sweep(student.lr_sweep, **config), exclude=LR_SWEEP_SHOWN))


def test_training(student, config, check):
    from autograder.checks import training

    check(training.check_learns(student.build_model, student.make_pipeline,
                                **{**config, "num_classes": 4}))
