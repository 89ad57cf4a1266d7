"""Práctica 10x (Oxford-IIIT Pets): reference, template and sample submissions under `ci`.

Named `test_p10x_pets_assignment.py`, not `test_p10x_pets.py`: the hidden suite has that basename
and pytest (rootdir/prepend import) would resolve the nested run to this module instead.

Grades with the executor `autograder validate` uses (`validate.grader_function()`: the sandboxed
grader when importable, else the trusted in-process executor), so this is what CI validates:
reference full marks, untouched template 0 with "not implemented" results, the correct-style
submission full marks and the mistakes submission losing exactly what expected.toml lists,
with Spanish messages.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import REPO_ROOT
from autograder.assignment import load as load_assignment

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

NAME = "p10x_pets"
SUBMISSIONS = REPO_ROOT / "tests" / "submissions" / NAME
EXPECTED = tomllib.loads((SUBMISSIONS / "expected.toml").read_text(encoding="utf-8"))
HEAVY = {"model-build", "train", "curves", "tta-eval", "gradcam-demo", "metrics-eval",
         "topk-plot", "tsne", "lr-run", "save", "augmentation-demo", "mix-demo"}


@pytest.fixture(scope="module")
def assignment():
    return load_assignment(NAME)


@pytest.fixture(scope="module")
def graded(assignment):
    """Grade each notebook once per module: path -> SubmissionResult."""
    from autograder.commands.validate import grader_function

    grade, _ = grader_function()
    cache: dict[str, object] = {}

    def _grade(path: Path):
        key = str(path)
        if key not in cache:
            cache[key] = grade(path, assignment, profile="ci", student_id=path.stem)
        return cache[key]

    return _grade


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


# graded notebooks ----------------------------------------------------------------------------
def _scores(result):
    return {k: round(o.score, 4) for k, o in result.outcomes.items()}


@pytest.mark.slow
def test_reference_full_marks(assignment, graded):
    result = graded(assignment.notebook)
    assert not result.error
    assert result.score == pytest.approx(assignment.max_score()), (
        _scores(result), [o.message[:300] for o in result.outcomes.values()][:2])


@pytest.mark.slow
def test_template_scores_zero_not_implemented(assignment, graded):
    from autograder.assignment import assignments_dir

    result = graded(assignments_dir() / NAME / f"{NAME}.ipynb")
    assert result.score == 0, _scores(result)
    for test_id, outcome in result.outcomes.items():
        assert outcome.results, test_id
        assert outcome.results[0].status == "not_implemented", (test_id, outcome.results[0])
        assert "no está implementada" in outcome.results[0].message


@pytest.mark.slow
def test_correct_style_full_marks(assignment, graded):
    expected = EXPECTED["correct_style"]
    result = graded(SUBMISSIONS / expected["notebook"])
    assert result.score == pytest.approx(expected["score"]), _scores(result)


@pytest.mark.slow
def test_mistakes_lose_exactly_expected_points(assignment, graded):
    expected = EXPECTED["mistakes"]
    result = graded(SUBMISSIONS / expected["notebook"])
    wrong = expected["tests"]
    for test_id, outcome in result.outcomes.items():
        failed = sorted(r.name for r in outcome.results if not r.passed)
        if test_id not in wrong:
            assert outcome.score == pytest.approx(outcome.points), (test_id, failed)
            continue
        spec = wrong[test_id]
        assert failed == sorted(spec["failed"]), test_id
        assert outcome.score == pytest.approx(spec["score"], abs=1e-3), test_id
        messages = " ".join(r.message for r in outcome.results if not r.passed)
        assert spec["message_contains"] in messages, (test_id, messages)
        assert all(r.hint or r.message for r in outcome.results if not r.passed)
    assert set(wrong) <= set(result.outcomes)
    assert result.score == pytest.approx(expected["score"], abs=1e-3)
    assert assignment.max_score() - result.score == pytest.approx(expected["lost"], abs=1e-3)


@pytest.mark.slow
def test_every_weighted_check_exists(assignment, graded):
    result = graded(SUBMISSIONS / EXPECTED["correct_style"]["notebook"])
    names = {r.name for o in result.outcomes.values() for r in o.results}
    for spec in assignment.tests:
        assert set(spec.weights) <= names, (spec.id, set(spec.weights) - names)
