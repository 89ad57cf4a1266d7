"""Registry of the data/model corpus: case id -> (check, implementation, expected failure, config).

`expected` is None for a correct implementation (every result must pass) or the name of the
check result that must fail. Loaded by path (tests/checks/test_corpus_data.py), so the
implementation modules are loaded the same way.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _load(stem: str):
    name = f"data_corpus_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / f"{stem}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@dataclass(frozen=True)
class Case:
    id: str
    check: str              # mixup | cutmix | augment | pipeline | model | learns
    module: str
    func: str | tuple[str, str]
    expected: str | None    # failing check name, None = correct
    config: dict[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] | None = None  # None: the test's default seeds for this check

    def target(self) -> Any:
        mod = _load(self.module)
        if isinstance(self.func, tuple):
            return tuple(getattr(mod, f) for f in self.func)
        return getattr(mod, self.func)


FLOWERS_PIPE = dict(backbone="resnet50", label_encoding="sparse")
PETS_PIPE = dict(backbone="efficientnetb0", label_encoding="onehot")
FLOWERS_MODEL = dict(backbone="resnet50", num_classes=5, loss="sparse")
PETS_MODEL = dict(backbone="efficientnetb0", num_classes=5, loss="onehot", dropout=0.3)
# the bundled assignments' augmentation configs (their statements' factor limits)
FLOWERS_AUGMENT = dict(
    required=("flip", "rotation", "zoom", "translation", "brightness", "contrast"),
    max_factors=dict(rotation=0.05, zoom=0.1, translation=0.1, brightness=0.2, contrast=0.2),
    value_range=(0, 255))
PETS_AUGMENT = dict(required=("flip", "rotation", "zoom"),
                    max_factors=dict(rotation=0.05, zoom=0.1))


def _m(id_, func, expected, **config):
    return Case(id_, "mixup", "mixup_impls", func, expected, config)


def _c(id_, func, expected, **config):
    return Case(id_, "cutmix", "cutmix_impls", func, expected, config)


CASES: list[Case] = [
    # Mixup
    _m("mixup-numpy-per-sample", "ok_numpy_per_sample", None),
    _m("mixup-numpy-per-batch", "ok_numpy_per_batch", None, lambda_per="batch"),
    _m("mixup-per-batch-when-per-sample", "ok_numpy_per_batch", "mixup_lambda_scope"),
    _m("mixup-numpy-max-lambda", "ok_numpy_max_lambda", None),
    _m("mixup-keras-layer", "ok_keras_layer", None),
    _m("mixup-tf-stateless", "ok_tf_stateless", None),
    Case("mixup-inside-tf-data", "mixup", "mixup_impls", "ok_inside_tf_data", None, seeds=(0,)),
    _m("mixup-keras-alpha-1", "ok_keras_layer", None, alpha=1.0),
    _m("mixup-labels-other-lambda", "bad_labels_other_lambda", "mixup_labels"),
    _m("mixup-labels-not-mixed", "bad_labels_not_mixed", "mixup_labels"),
    _m("mixup-swapped-lambda", "bad_swapped_lambda", "mixup_labels"),
    _m("mixup-labels-other-partner", "bad_labels_other_partner", "mixup_labels"),
    _m("mixup-partner-itself", "bad_partner_itself", "mixup_mixes"),
    _m("mixup-identity", "bad_identity", "mixup_mixes"),
    _m("mixup-uniform-lambda", "bad_uniform_lambda", "mixup_distribution"),
    _m("mixup-fixed-lambda", "bad_fixed_lambda", "mixup_distribution"),
    _m("mixup-alpha-ignored", "bad_alpha_ignored", "mixup_distribution"),
    _m("mixup-three-images", "bad_three_images", "mixup_images"),
    _m("mixup-gamma-not-normalised", "bad_gamma_not_normalised", "mixup_images"),
    _m("mixup-rescaled", "bad_rescaled", "mixup_images"),
    _m("mixup-seed-ignored", "bad_seed_ignored", "mixup_seed"),
    # CutMix
    _c("cutmix-numpy-paper", "ok_numpy_paper", None),
    _c("cutmix-keras-layer", "ok_keras_layer", None),
    _c("cutmix-keras-layer-alpha-0.5", "ok_keras_layer", None, alpha=0.5),
    _c("cutmix-tf-mask", "ok_tf_mask", None),
    Case("cutmix-inside-tf-data", "cutmix", "cutmix_impls", "ok_inside_tf_data", None,
         seeds=(0,)),
    _c("cutmix-label-from-side", "bad_label_from_side", "cutmix_labels"),
    _c("cutmix-inverted-area", "bad_inverted_area", "cutmix_labels"),
    _c("cutmix-unclipped-label", "bad_unclipped_label", "cutmix_labels"),
    _c("cutmix-negative-slices", "bad_negative_slices", "cutmix_labels"),
    _c("cutmix-wraparound", "bad_wraparound", "cutmix_images"),
    _c("cutmix-several-boxes", "bad_several_boxes", "cutmix_images"),
    _c("cutmix-blend", "bad_blend", "cutmix_images"),
    _c("cutmix-patch-from-corner", "bad_patch_from_corner", "cutmix_images"),
    _c("cutmix-partner-itself", "bad_partner_itself", "cutmix_mixes"),
    _c("cutmix-labels-not-mixed", "bad_labels_not_mixed", "cutmix_labels"),
    _c("cutmix-fixed-box", "bad_fixed_box", "cutmix_distribution"),
    _c("cutmix-seed-ignored", "bad_seed_ignored", "cutmix_seed"),
    _c("cutmix-corners-exact", "ok_corners_exact", None),
    _c("cutmix-box-from-top", "bad_box_from_top", "cutmix_distribution"),
    _c("cutmix-side-divided", "bad_side_divided", "cutmix_distribution"),
    _c("cutmix-side-one-plus", "bad_side_one_plus", "cutmix_distribution"),
    _c("cutmix-side-squared", "bad_side_squared", "cutmix_distribution"),
    # Augmentation
    Case("augment-flowers", "augment", "augment_impls", "ok_flowers", None,
         dict(required=("flip", "rotation", "zoom", "translation", "brightness", "contrast"))),
    Case("augment-flowers-factors", "augment", "augment_impls", "ok_flowers", None,
         FLOWERS_AUGMENT),
    Case("augment-pets", "augment", "augment_impls", "ok_pets", None),
    Case("augment-pets-factors", "augment", "augment_impls", "ok_pets", None, PETS_AUGMENT),
    Case("augment-rotation-too-far", "augment", "augment_impls", "bad_rotation_too_far",
         "augment_factors", PETS_AUGMENT),
    Case("augment-zoom-range-too-far", "augment", "augment_impls", "bad_zoom_range_too_far",
         "augment_factors", PETS_AUGMENT),
    Case("augment-brightness-range-off", "augment", "augment_impls",
         "bad_brightness_range_off", "augment_factors", FLOWERS_AUGMENT),
    Case("augment-nested", "augment", "augment_impls", "ok_nested", None),
    Case("augment-missing-zoom", "augment", "augment_impls", "bad_missing_zoom",
         "augment_kinds"),
    Case("augment-zero-rotation", "augment", "augment_impls", "bad_zero_rotation",
         "augment_kinds"),
    Case("augment-rescaling-inside", "augment", "augment_impls", "bad_rescaling_inside",
         "augment_inference"),
    Case("augment-brightness-unit-range", "augment", "augment_impls",
         "bad_brightness_unit_range", "augment_range"),
    Case("augment-active-at-inference", "augment", "augment_impls",
         "bad_active_at_inference", "augment_inference"),
    Case("augment-not-random", "augment", "augment_impls", "bad_not_random",
         "augment_training", dict(required=())),
    # Pipelines
    Case("pipeline-resnet-baseline", "pipeline", "pipeline_impls", "ok_resnet_baseline", None,
         FLOWERS_PIPE),
    Case("pipeline-resnet-map-before-batch", "pipeline", "pipeline_impls",
         "ok_resnet_map_before_batch", None, FLOWERS_PIPE),
    Case("pipeline-resnet-augmented", "pipeline", "pipeline_impls", "ok_resnet_augmented", None,
         dict(FLOWERS_PIPE, augmented=True)),
    Case("pipeline-pets-mixup", "pipeline", "pipeline_impls", "ok_pets", None,
         dict(PETS_PIPE, augmented=True, mix="mixup", num_classes=5)),
    Case("pipeline-efficientnet-preprocessing-for-resnet", "pipeline", "pipeline_impls",
         "bad_efficientnet_preprocessing", "pipeline_preprocessing", FLOWERS_PIPE),
    Case("pipeline-preprocessing-twice", "pipeline", "pipeline_impls",
         "bad_preprocessing_twice", "pipeline_preprocessing", FLOWERS_PIPE),
    Case("pipeline-rescale-then-preprocess", "pipeline", "pipeline_impls",
         "bad_rescale_then_preprocess", "pipeline_preprocessing", FLOWERS_PIPE),
    Case("pipeline-pets-resnet-preprocessing", "pipeline", "pipeline_impls",
         "bad_pets_resnet_preprocessing", "pipeline_preprocessing", PETS_PIPE),
    Case("pipeline-pets-rescaled", "pipeline", "pipeline_impls", "bad_pets_rescaled",
         "pipeline_preprocessing", PETS_PIPE),
    Case("pipeline-shuffle-at-eval", "pipeline", "pipeline_impls", "bad_shuffle_always",
         "pipeline_order", FLOWERS_PIPE),
    Case("pipeline-no-prefetch-not-scored", "pipeline", "pipeline_impls", "ok_no_prefetch",
         None, FLOWERS_PIPE),
    Case("pipeline-shuffled-once", "pipeline", "pipeline_impls", "bad_shuffle_once",
         "pipeline_train_shuffle", FLOWERS_PIPE),
    Case("pipeline-forged-op-chain", "pipeline", "pipeline_impls",
         "bad_no_shuffle_forged_claims", "pipeline_train_shuffle", FLOWERS_PIPE),
    Case("pipeline-no-train-shuffle", "pipeline", "pipeline_impls", "bad_no_train_shuffle",
         "pipeline_train_shuffle", FLOWERS_PIPE),
    Case("pipeline-onehot-for-sparse-loss", "pipeline", "pipeline_impls",
         "bad_onehot_for_sparse_loss", "pipeline_labels", FLOWERS_PIPE),
    Case("pipeline-pets-sparse-labels", "pipeline", "pipeline_impls", "bad_pets_sparse_labels",
         "pipeline_labels", PETS_PIPE),
    Case("pipeline-labels-shuffled-apart", "pipeline", "pipeline_impls",
         "bad_labels_shuffled_apart", "pipeline_labels", FLOWERS_PIPE),
    Case("pipeline-batch-size-ignored", "pipeline", "pipeline_impls", "bad_batch_size_ignored",
         "pipeline_batch", FLOWERS_PIPE),
    Case("pipeline-augment-at-eval", "pipeline", "pipeline_impls", "bad_augment_always",
         "pipeline_augment", dict(FLOWERS_PIPE, augmented=True)),
    Case("pipeline-augment-missing", "pipeline", "pipeline_impls", "bad_augment_missing",
         "pipeline_augment", dict(FLOWERS_PIPE, augmented=True)),
    Case("pipeline-augmented-labels-shifted", "pipeline", "pipeline_impls",
         "bad_augmented_labels_shifted", "pipeline_labels", dict(FLOWERS_PIPE, augmented=True)),
    Case("pipeline-pets-mix-ignored", "pipeline", "pipeline_impls", "bad_pets_mix_ignored",
         "pipeline_mix", dict(PETS_PIPE, augmented=True, mix="mixup", num_classes=5)),
    Case("pipeline-pets-augment-missing", "pipeline", "pipeline_impls",
         "bad_pets_augment_missing", "pipeline_augment",
         dict(PETS_PIPE, augmented=True, mix="mixup", num_classes=5)),
    # Models
    Case("model-resnet", "model", "model_impls", "ok_resnet", None, FLOWERS_MODEL),
    Case("model-resnet-flat", "model", "model_impls", "ok_resnet_flat", None, FLOWERS_MODEL),
    Case("model-effnet", "model", "model_impls", "ok_effnet", None, PETS_MODEL),
    Case("model-effnet-pooling-avg", "model", "model_impls", "ok_effnet_pooling_avg", None,
         PETS_MODEL),
    Case("model-wrong-dropout", "model", "model_impls", "bad_dropout", "model_head",
         PETS_MODEL),
    Case("model-unfrozen-base", "model", "model_impls", "bad_unfrozen", "model_frozen",
         FLOWERS_MODEL),
    Case("model-no-softmax", "model", "model_impls", "bad_no_softmax", "model_head",
         FLOWERS_MODEL),
    Case("model-categorical-loss-sparse-labels", "model", "model_impls",
         "bad_categorical_loss", "model_compile", FLOWERS_MODEL),
    Case("model-learning-rate", "model", "model_impls", "bad_learning_rate", "model_compile",
         FLOWERS_MODEL),
    Case("model-from-logits", "model", "model_impls", "bad_from_logits", "model_compile",
         FLOWERS_MODEL),
    Case("model-sgd", "model", "model_impls", "bad_sgd", "model_compile", FLOWERS_MODEL),
    Case("model-freeze-all", "model", "model_impls", "bad_freeze_all", "model_frozen",
         FLOWERS_MODEL),
    Case("model-hardcoded-classes", "model", "model_impls", "bad_hardcoded_classes",
         "model_head", FLOWERS_MODEL),
    Case("model-flatten", "model", "model_impls", "bad_flatten", "model_head", FLOWERS_MODEL),
    Case("model-resnet50v2", "model", "model_impls", "bad_backbone_v2", "model_backbone",
         FLOWERS_MODEL),
    # CPU learnability (model + pipeline). Broken ones fail for structural reasons (no update,
    # broken pairs, a raising loss), so they run at 32 px to save time; correct ones at 64 px.
    Case("learns-resnet", "learns", "model_impls", ("ok_resnet", "resnet_pipeline"), None,
         dict(backbone="resnet50", label_encoding="sparse")),
    Case("learns-effnet", "learns", "model_impls", ("ok_effnet", "pets_pipeline"), None,
         dict(backbone="efficientnetb0", label_encoding="onehot")),
    Case("learns-lr-zero", "learns", "model_impls", ("bad_lr_zero", "resnet_pipeline"),
         "learns", dict(backbone="resnet50", label_encoding="sparse", image_size=(32, 32))),
    Case("learns-freeze-all", "learns", "model_impls", ("bad_freeze_all", "resnet_pipeline"),
         "learns", dict(backbone="resnet50", label_encoding="sparse", image_size=(32, 32))),
    Case("learns-labels-shuffled", "learns", "model_impls",
         ("ok_resnet", "bad_pipeline_labels_shuffled"), "learns",
         dict(backbone="resnet50", label_encoding="sparse", image_size=(32, 32))),
    Case("learns-categorical-loss-sparse-labels", "learns", "model_impls",
         ("bad_categorical_loss", "resnet_pipeline"), "learns",
         dict(backbone="resnet50", label_encoding="sparse", image_size=(32, 32))),
]
