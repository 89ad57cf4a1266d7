"""Time every data/model check for one student (Flowers/ResNet50 and Pets/EfficientNetB0).

Usage: .venv/bin/python benchmarks/checks_speed.py [--repeat N]
Prints the import time, then per check and in total for each student profile, for the first
(cold: Keras/tf.data tracing included) and later (warm) students in the same process.
Implementations are the correct ones from tests/corpus/data.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "data"


def _load(stem: str):
    spec = importlib.util.spec_from_file_location(f"bench_{stem}", CORPUS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def profiles():
    from autograder.checks import augment, mixing, model, pipeline, training

    mix, cut = _load("mixup_impls"), _load("cutmix_impls")
    aug, pipe, mod = _load("augment_impls"), _load("pipeline_impls"), _load("model_impls")
    flowers = [
        ("mixup", lambda: mixing.check_mixup(mix.ok_numpy_per_sample)),
        ("cutmix", lambda: mixing.check_cutmix(cut.ok_numpy_paper)),
        ("augmentation", lambda: augment.check_augmentation(
            aug.ok_flowers, required=("flip", "rotation", "zoom", "translation", "brightness",
                                      "contrast"))),
        ("pipeline baseline", lambda: pipeline.check_pipeline(pipe.ok_resnet_baseline)),
        ("pipeline augmented", lambda: pipeline.check_pipeline(pipe.ok_resnet_augmented,
                                                               augmented=True)),
        ("model", lambda: model.check_model(mod.ok_resnet, num_classes=102,
                                            expected_params=23_796_710)),
        ("learns", lambda: training.check_learns(mod.ok_resnet, mod.resnet_pipeline)),
    ]
    pets = [
        ("mixup", lambda: mixing.check_mixup(mix.ok_keras_layer)),
        ("cutmix", lambda: mixing.check_cutmix(cut.ok_keras_layer)),
        ("augmentation", lambda: augment.check_augmentation(aug.ok_pets)),
        ("pipeline mixup", lambda: pipeline.check_pipeline(
            pipe.ok_pets, backbone="efficientnetb0", label_encoding="onehot", augmented=True,
            mix="mixup", num_classes=5)),
        ("model", lambda: model.check_model(mod.ok_effnet, backbone="efficientnetb0",
                                            num_classes=37, dropout=0.3, loss="onehot")),
        ("learns", lambda: training.check_learns(mod.ok_effnet, mod.pets_pipeline,
                                                 backbone="efficientnetb0",
                                                 label_encoding="onehot")),
    ]
    return {"ut3_10_flowers (ResNet50)": flowers, "p10x_pets (EfficientNetB0)": pets}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="students per profile")
    args = parser.parse_args()
    t0 = time.perf_counter()
    import keras  # noqa: F401
    import tensorflow  # noqa: F401

    print(f"import tensorflow + keras: {time.perf_counter() - t0:.1f} s")
    ok = True
    for name, checks in profiles().items():
        for rep in range(args.repeat):
            total, parts = 0.0, []
            for label, run in checks:
                t = time.perf_counter()
                results = run()
                dt = time.perf_counter() - t
                total += dt
                parts.append(f"{label} {dt:.2f}")
                failing = [r.name for r in results if not r.passed]
                if failing:
                    ok = False
                    print(f"  unexpected failures in {label}: {failing}")
            kind = "cold" if rep == 0 else "warm"
            print(f"{name} student {rep + 1} ({kind}): {total:.1f} s  [{'; '.join(parts)}]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
