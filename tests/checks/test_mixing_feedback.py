"""Mixup/CutMix feedback is truthful (issue 12.5, 9, 9b): one slip fails one check, a check that
could not gather its evidence is "not assessed", and every promised property is checked."""

from __future__ import annotations

import numpy as np

from autograder.checks import mixing


def _mixup(images, labels, alpha=0.2, seed=None, *, label_lam=None, per_batch=False,
           dtype_out=None, in_place=False):
    rng = np.random.default_rng(seed)
    images = np.asarray(images)
    labels = np.asarray(labels, dtype=np.float32)
    b = images.shape[0]
    lam = np.full(b, rng.beta(alpha, alpha)) if per_batch else rng.beta(alpha, alpha, size=b)
    lam = lam.astype(images.dtype)
    partner = rng.permutation(b)
    ly = (rng.beta(alpha, alpha, size=b) if label_lam else lam).reshape(-1, 1)
    lx = lam.reshape(-1, 1, 1, 1)
    out = lx * images + (1 - lx) * images[partner]
    if in_place:
        images *= 0.5
    y = ly * labels + (1 - ly) * labels[partner]
    return (out.astype(dtype_out) if dtype_out else out), y.astype(np.float32)


def _by_name(results):
    return {r.name: r for r in results}


def test_reference_mixup_passes_every_check():
    res = _by_name(mixing.check_mixup(_mixup, alpha=0.2))
    assert all(r.passed for r in res.values()), [r.message for r in res.values() if not r.passed]


def test_other_lambda_for_labels_fails_labels_only_not_the_distribution():
    res = _by_name(mixing.check_mixup(lambda *a, **k: _mixup(*a, **k, label_lam=True), alpha=0.2))
    assert not res["mixup_labels"].passed and res["mixup_labels"].status == "wrong"
    assert res["mixup_distribution"].passed, res["mixup_distribution"].message
    assert "no fijes" not in res["mixup_distribution"].message
    assert [n for n, r in res.items() if not r.passed] == ["mixup_labels"]


def test_distribution_without_enough_calls_is_not_assessed(monkeypatch):
    """When sampling stops early the distribution check says so, it never diagnoses."""
    res = _by_name(mixing.check_mixup(_mixup, alpha=0.2, calls=12, max_calls=3, min_draws=0))
    dist = res["mixup_distribution"]
    assert dist.status == "not_assessed" and dist.score == 0
    assert "No evaluado" in dist.message and "3" in dist.message


def test_lambda_scope_follows_the_assignment_decision():
    """Issue 12.9: per-sample (the flowers/pets decision) fails a per-batch lambda, and the
    other way round; the labels hint names the same scope."""
    per_batch = lambda *a, **k: _mixup(*a, **k, per_batch=True)  # noqa: E731
    res = _by_name(mixing.check_mixup(per_batch, alpha=0.2, lambda_per="sample"))
    assert not res["mixup_lambda_scope"].passed
    assert "un lambda distinto por muestra" in res["mixup_lambda_scope"].message
    assert [n for n, r in res.items() if not r.passed] == ["mixup_lambda_scope"]
    res = _by_name(mixing.check_mixup(per_batch, alpha=0.2, lambda_per="batch"))
    assert all(r.passed for r in res.values()), [r.message for r in res.values() if not r.passed]
    res = _by_name(mixing.check_mixup(_mixup, alpha=0.2, lambda_per="batch"))
    assert not res["mixup_lambda_scope"].passed
    wrong_labels = _by_name(mixing.check_mixup(lambda *a, **k: _mixup(*a, **k, label_lam=True),
                                               alpha=0.2, lambda_per="sample"))
    assert "uno por muestra" in wrong_labels["mixup_labels"].hint
    assert "una sola vez" not in wrong_labels["mixup_labels"].hint


def test_contract_dtype_and_caller_arrays():
    """Issue 12.9b: float32 in -> float32 out; the caller's arrays are left as they were."""
    f64 = _by_name(mixing.check_mixup(lambda *a, **k: _mixup(*a, **k, dtype_out="float64")))
    assert not f64["mixup_contract"].passed and "float64" in f64["mixup_contract"].message
    inplace = _by_name(mixing.check_mixup(lambda *a, **k: _mixup(*a, **k, in_place=True)))
    assert not inplace["mixup_contract"].passed
    assert "modificó los arrays" in inplace["mixup_contract"].message
