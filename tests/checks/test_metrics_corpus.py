"""Every wrong implementation in tests/corpus/metrics fails with the expected check named;
every correct one passes every check, across seeds."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from autograder.checks import (
    lr_sweep,
    metrics,  # noqa: E402
    tta,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "metrics"
CHECKS = {
    "tta": tta.check_tta,
    "classification": metrics.check_classification_metrics,
    "topk": metrics.check_top_k,
    "embeddings": metrics.check_embeddings,
    "lr_sweep": lr_sweep.check_lr_sweep,
}
SEEDS = (0, 1, 2)


def _load(stem: str):
    spec = importlib.util.spec_from_file_location(f"metrics_corpus_{stem}", CORPUS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = [(stem, name, fn, expected)
         for stem in CHECKS for name, fn, expected in _load(stem).CASES]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("stem", "name", "fn", "expected"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_corpus_case(stem, name, fn, expected, seed):
    results = CHECKS[stem](fn, seed=seed)
    failed = [r.name for r in results if not r.passed]
    assert results, "a check must return at least one result"
    if expected is None:
        assert not failed, [(r.name, r.message) for r in results if not r.passed]
        assert all(r.score == r.max_score for r in results)
    else:
        assert expected in failed, (failed, [r.message for r in results])
        bad = next(r for r in results if r.name == expected)
        assert bad.score == 0 and bad.message and bad.message == bad.message.strip()


def test_corpus_sizes():
    wrong = [c for c in CASES if c[3] is not None]
    right = [c for c in CASES if c[3] is None]
    assert len(wrong) >= 20 and len(right) >= 10


@pytest.mark.parametrize("stem", sorted(CHECKS))
def test_missing_function_is_not_implemented(stem):
    results = CHECKS[stem](None)
    assert results and all(not r.passed for r in results)
    assert results[0].status == "not_implemented"
