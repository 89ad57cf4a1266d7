"""Issue 13's rule: the optimised batch path (identical notebooks graded once, per-worker
memoised references, a pool of workers) gives the same checks, scores and messages, bit for bit,
as the plain path (every notebook graded on its own, caches cleared, one process)."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from autograder.assignment import REPO_ROOT
from autograder.grading import batch
from autograder.model import SubmissionResult

SUBMISSIONS = REPO_ROOT / "tests" / "submissions"
NAMES = ["ut3_10_flowers", "p10x_pets"]


def checks_of(result: SubmissionResult) -> dict[str, object]:
    """Everything a student is graded on: each test's score and status, each check's score,
    status and text."""
    return {tid: (o.score, o.status, o.message,
                  [(c.name, c.score, c.max_score, c.status, c.message, c.hint)
                   for c in o.results])
            for tid, o in result.outcomes.items()} | {"error": result.error}


def test_checks_of_sees_a_changed_message_or_score():
    from autograder.model import CheckResult, TestOutcome

    c = CheckResult("k", True, 1.0)
    o = TestOutcome("t", 1, 1.0, "passed", "", "", True, False, False, 0.0, [c])
    r = SubmissionResult("a", "x", "a.ipynb", outcomes={"t": o})
    other = dataclasses.replace(r, outcomes={"t": dataclasses.replace(
        o, results=[dataclasses.replace(c, message="otro")])})
    assert checks_of(r) == checks_of(dataclasses.replace(r, student="b"))
    assert checks_of(r) != checks_of(other)
    assert checks_of(r) != checks_of(dataclasses.replace(
        r, outcomes={"t": dataclasses.replace(o, score=0.5)}))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_optimised_batch_grades_like_the_plain_path(name, tmp_path):
    samples = sorted((SUBMISSIONS / name).glob("*.ipynb"))
    folder = tmp_path / "subs"
    folder.mkdir()
    pairs = []
    for p in samples:
        shutil.copy(p, folder / p.name)
        shutil.copy(p, folder / f"twin_{p.name}")  # identical bytes: graded once
        pairs += [(p.stem, folder / p.name), (f"twin_{p.stem}", folder / f"twin_{p.name}")]
    stats = batch.BatchStats()
    # one probe seed for both paths (messages quote probe values; unpinned, each batch draws one)
    fast = {r.student: r for r in batch.grade_batch(pairs, name, tmp_path / "fast", jobs=2,
                                                    progress=False, stats=stats, probe_seed=7)}
    assert stats.deduplicated == len(samples) and stats.graded == len(samples)
    for p in samples:
        batch.clear_caches()
        plain = batch.grade_batch([(p.stem, p)], name, tmp_path / "plain", jobs=1,
                                  dedupe=False, force=True, progress=False, memo=False,
                                  probe_seed=7)[0]
        assert not plain.error, plain.error
        assert checks_of(fast[p.stem]) == checks_of(plain), p.name
        assert checks_of(fast[f"twin_{p.stem}"]) == checks_of(plain), p.name
        assert fast[f"twin_{p.stem}"].student == f"twin_{p.stem}"


@pytest.mark.slow
def test_a_model_from_the_worker_pool_grades_like_a_fresh_rebuild(monkeypatch):
    """`sandbox.model_pool`: the second submission with the same `build_model` gets the
    models the first one's checks rebuilt, reset; every check must come out as on its own."""
    from autograder.checks import memo
    from autograder.grading.pipeline import GradingOptions, grade_source
    from autograder.sandbox import model_pool

    name = "ut3_10_flowers"
    data = (SUBMISSIONS / name / "correct_style.ipynb").read_bytes()
    options = GradingOptions(probe_seed=7)
    handed_again = []
    reset = model_pool._reset
    monkeypatch.setattr(model_pool, "_reset", lambda kept: handed_again.append(1) or reset(kept))
    batch.clear_caches()
    with memo.active(True):
        grade_source(data, "first.ipynb", name, options)
        before = len(handed_again)
        second = grade_source(data, "second.ipynb", name, options)
    assert len(handed_again) > before  # the second one's models came from the pool
    batch.clear_caches()
    with memo.active(False):
        plain = grade_source(data, "second.ipynb", name, options)
    batch.clear_caches()
    assert not plain.error, plain.error
    assert checks_of(second) == checks_of(plain)
