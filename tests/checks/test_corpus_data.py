"""Every wrong implementation in tests/corpus/data fails with the expected check named; every
correct one passes every check, across several seeds (model builds are seed-free: one run;
the tf.data-traced Mixup/CutMix variants, slow to retrace, run one seed)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from autograder.checks import augment, mixing, model, pipeline, training  # noqa: E402

REGISTRY = Path(__file__).resolve().parent.parent / "corpus" / "data" / "registry.py"


def _registry():
    name = "data_corpus_registry"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REGISTRY)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


CASES = _registry().CASES
SEEDS = {"mixup": (0, 1, 2), "cutmix": (0, 1, 2), "augment": (0, 1), "pipeline": (0, 1),
         "model": (0,), "learns": (0,)}
PARAMS = [pytest.param(case, seed, id=f"{case.id}-s{seed}",
                       marks=[pytest.mark.slow] if case.check in ("model", "learns") else [])
          for case in CASES for seed in (case.seeds or SEEDS[case.check])]


def run_case(case, seed: int):
    target = case.target()
    cfg = dict(case.config, seed=seed, lang="es")
    if case.check == "mixup":
        return mixing.check_mixup(target, **cfg)
    if case.check == "cutmix":
        return mixing.check_cutmix(target, **cfg)
    if case.check == "augment":
        return augment.check_augmentation(target, **cfg)
    if case.check == "pipeline":
        return pipeline.check_pipeline(target, **cfg)
    if case.check == "model":
        return model.check_model(target, **cfg)
    return training.check_learns(*target, **cfg)


@pytest.mark.parametrize(("case", "seed"), PARAMS)
def test_corpus_case(case, seed):
    results = run_case(case, seed)
    failing = {r.name: r for r in results if not r.passed}
    if case.expected is None:
        assert not failing, {n: r.message for n, r in failing.items()}
        assert all(r.score == r.max_score for r in results)
    else:
        assert case.expected in failing, (
            f"expected {case.expected} to fail; failing: "
            f"{ {n: r.message for n, r in failing.items()} }")
        bad = failing[case.expected]
        assert bad.score == 0 and bad.message, bad
        assert bad.status in ("wrong", "error")


def test_corpus_size():
    wrong = [c for c in CASES if c.expected is not None]
    correct = [c for c in CASES if c.expected is None]
    assert len(wrong) >= 30 and len(correct) >= 10
    assert len({c.id for c in CASES}) == len(CASES)
