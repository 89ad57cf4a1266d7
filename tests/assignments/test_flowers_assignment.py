"""UT3-10 assignment: what is specific to it (reference notebook format, parameters, markers,
points). Grading the reference, template and samples: test_bundled_assignments.py."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import load
from autograder.profiles import PARAMETERS_TAG, profile_values

NAME = "ut3_10_flowers"
ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "submissions" / NAME
SKIP = "skip-when-grading"


@pytest.fixture(scope="module")
def assignment():
    return load(NAME)


@pytest.fixture(scope="module")
def reference(assignment):
    return nbformat.read(assignment.notebook, as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


# ---------------------------------------------------------------- static (fast) ----------------
def test_reference_is_clean_nbformat_45(assignment, reference):
    nbformat.validate(reference)
    assert (reference.nbformat, reference.nbformat_minor) == (4, 5)
    assert reference.metadata["kernelspec"]["name"] == "python3"
    ids = [c.id for c in reference.cells]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z0-9-]+", i) for i in ids)
    for c in _code(reference):
        assert c.outputs == [] and c.execution_count is None, c.id
    raw = assignment.notebook.read_text(encoding="utf-8")
    assert raw == nbformat.writes(reference, indent=1) + "\n"  # stable, canonical serialisation


def test_parameters_cell_defaults_are_the_full_profile(assignment, reference):
    cells = [c for c in _code(reference) if PARAMETERS_TAG in c.metadata.get("tags", [])]
    assert len(cells) == 1
    ns: dict = {}
    exec(cells[0].source, ns)  # noqa: S102 - our own reference
    for key in ("IMAGE_SIZE", "LIMIT", "EPOCHS", "WEIGHTS", "SEED", "DATA"):
        assert key in ns, key
    full = profile_values(assignment, "full")
    assert {k: ns[k] for k in full} == full
    ci = profile_values(assignment, "ci")
    assert ci["DATA"] == "mock" and ci["WEIGHTS"] is None and ci["EPOCHS"] == 1
    assert ci["IMAGE_SIZE"] == (64, 64) and set(ci) - {"MOCK_EXAMPLES"} <= set(ns)


def test_contract_functions_defined_with_docstrings(assignment, reference):
    defined = {}
    for c in _code(reference):
        for node in ast.parse(c.source).body:
            if isinstance(node, ast.FunctionDef):
                defined[node.name] = ast.get_docstring(node)
    for name in assignment.functions:
        assert defined.get(name), f"{name} missing or without docstring"


def test_heavy_cells_are_tagged_and_backbone_preprocessing_is_resnet50(reference):
    sources = {c.id: c for c in _code(reference)}
    for cid in ("train", "evaluate", "create-model", "viz-aug", "gradcam-demo", "ig-demo"):
        assert SKIP in sources[cid].metadata.get("tags", []), cid
    for c in _code(reference):
        if SKIP not in c.metadata.get("tags", []):
            assert ".fit(" not in c.source and "plt.show" not in c.source, c.id
    code = "\n".join(c.source for c in _code(reference))
    assert "keras.applications.resnet50 import preprocess_input" in code
    assert "applications.efficientnet" not in code and "EfficientNet(" not in code
    assert "keras.utils.set_random_seed(SEED)" in code


def test_markers_blanks_and_reflection_cells(reference):
    code = "\n".join(c.source for c in _code(reference))
    assert code.count("### BEGIN SOLUTION") == code.count("### END SOLUTION") >= 6
    for blank in ("# BLANK: 0.05", '# BLANK: "sparse_categorical_crossentropy"',
                  "# BLANK: (0, 1, 2)"):
        assert blank in code
    reflections = [c for c in reference.cells if "reflection" in c.metadata.get("tags", [])]
    assert len(reflections) == 3
    assert all(c.cell_type == "markdown" and c.metadata["autograder"]["points"] == 2
               and "### BEGIN SOLUTION" in c.source for c in reflections)


def test_points_bonus_and_gpu_threshold(assignment):
    # (the suite <-> toml match for every assignment: test_bundled_assignments.py)
    assert assignment.max_score() == 20
    assert {t.id for t in assignment.tests if t.bonus} == {"mixup", "cutmix", "mixup_basics",
                                                           "cutmix_basics"}
    gpu = assignment.raw["gpu"]
    assert gpu["min_value"] > 0.527 and gpu["metric"] == "test_accuracy"
    assert assignment.raw["checks"]["backbone"] == "resnet50"
