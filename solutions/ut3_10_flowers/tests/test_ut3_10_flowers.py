"""Hidden tests for UT3-10 (Oxford Flowers102). One `test_<id>` per [[tests]] in assignment.toml.

Points, PASO, visibility and each test's config come from assignment.toml; `config` (normalised
by the plugin) holds the shared [checks] table (backbone, label encoding, classes, image size),
`lang` and `seed`.
Check modules are imported inside each test so one missing module costs only its own test.
"""

from __future__ import annotations

from autograder.checks.base import select

# the checks each visible `<id>_basics` test shows (contract + one property); the hidden test
# of the same check scores the rest
MIXUP_SHOWN = ("mixup_returns", "mixup_contract", "mixup_images")
CUTMIX_SHOWN = ("cutmix_returns", "cutmix_contract", "cutmix_images")
MODEL_SHOWN = ("model_returns", "model_backbone")
GRADCAM_SHOWN = ("gradcam_contract", "gradcam_top_class")
IG_SHOWN = ("ig_contract", "ig_target_class")


def test_load_data(student, config, check):
    from autograder.checks import data_loading

    check(data_loading.check_load_data(student.load_data, **config))


def test_baseline_pipeline(student, config, check):
    from autograder.checks import pipeline

    check(pipeline.check_pipeline(student.make_baseline_pipeline, **config))


def test_augmentation(student, config, check):
    from autograder.checks import augment

    check(augment.check_augmentation(student.make_augmentation, **config))


def test_augmented_pipeline(student, config, check):
    from autograder.checks import pipeline

    check(pipeline.check_pipeline(student.make_augmented_pipeline, **config))


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


def test_model_basics(student, config, check):
    from autograder.checks import model

    check(select(model.check_model(student.build_model, **config), MODEL_SHOWN))


def test_model(student, config, check):
    from autograder.checks import model

    check(select(model.check_model(student.build_model, **config), exclude=MODEL_SHOWN))


def test_training(student, config, check):
    from autograder.checks import training

    check(training.check_learns(student.build_model, student.make_baseline_pipeline,
                                **config))


def test_gradcam_basics(student, config, check):
    from autograder.checks import explain

    check(select(explain.check_gradcam(student.make_gradcam_heatmap, **config), GRADCAM_SHOWN))


def test_gradcam(student, config, check):
    from autograder.checks import explain

    check(select(explain.check_gradcam(student.make_gradcam_heatmap, **config),
                 exclude=GRADCAM_SHOWN))


def test_integrated_gradients_basics(student, config, check):
    from autograder.checks.integrated_gradients import check_integrated_gradients

    check(select(check_integrated_gradients(student.integrated_gradients, **config), IG_SHOWN))


def test_integrated_gradients(student, config, check):
    from autograder.checks.integrated_gradients import check_integrated_gradients

    check(select(check_integrated_gradients(student.integrated_gradients, **config),
                 exclude=IG_SHOWN))


def test_accuracy(student, config, check):
    from autograder.checks import accuracy

    cfg = config
    check(accuracy.check_accuracy(accuracy.read_metric(student, cfg["metric"]), **cfg))
