"""Práctica 10x (Oxford-IIIT Pets): what is specific to it (reference structure, profiles, GPU
threshold). Grading the reference, template and samples: test_bundled_assignments.py.

Named `test_p10x_pets_assignment.py`, not `test_p10x_pets.py`: the hidden suite has that basename.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import REPO_ROOT
from autograder.assignment import load as load_assignment

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

NAME = "p10x_pets"
HEAVY = {"model-build", "train", "curves", "tta-eval", "gradcam-demo", "metrics-eval",
         "topk-plot", "tsne", "lr-run", "save", "augmentation-demo", "mix-demo"}


@pytest.fixture(scope="module")
def assignment():
    return load_assignment(NAME)


# static properties of the reference ---------------------------------------------------------
def test_reference_notebook_structure(assignment):
    nb = nbformat.read(assignment.notebook, as_version=4)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids))
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    for name in ("IMAGE_SIZE", "LIMIT", "EPOCHS", "WEIGHTS", "SEED", "DATA", "USE_MIXUP",
                 "USE_CUTMIX", "USE_TTA"):
        assert f"\n{name} = " in "\n" + params[0].source, name
    skipped = {c.id for c in code if "skip-when-grading" in c.metadata.get("tags", [])}
    assert skipped == HEAVY
    source = "\n".join(c.source for c in code)
    for fn in assignment.functions:
        assert f"def {fn}(" in source, fn
    assert ".keras" in source and ".h5" not in source
    assert "keras.utils.set_random_seed(SEED)" in source
    assert "base_model(inputs, training=False)" in source and '"top_conv"' in source


def test_profiles_and_gpu_threshold(assignment):
    from autograder.profiles import profile_values

    ci = profile_values(assignment, "ci")
    assert ci["DATA"] == "mock" and ci["WEIGHTS"] is None and ci["IMAGE_SIZE"] == (64, 64)
    full = profile_values(assignment, "full")
    assert full["WEIGHTS"] == "imagenet" and full["IMAGE_SIZE"] == (224, 224)
    assert full["EPOCHS"] == 5 and full["BATCH_SIZE"] == 32 and full["SEED"] == 42
    gpu = assignment.raw["gpu"]
    assert gpu["metric"] == "val_accuracy" and gpu["min_value"] >= 0.86
    assert {t.id for t in assignment.tests} >= {"mixup", "cutmix", "tta", "metrics", "top_k",
                                                "embeddings", "lr_sweep", "gradcam_plus_plus"}
    functions = {f for t in assignment.tests for f in t.functions}
    assert functions == set(assignment.functions)
