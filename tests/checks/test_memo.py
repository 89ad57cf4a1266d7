"""checks.memo: per-worker probes only while a batch task runs, keyed by every argument."""

from __future__ import annotations

from autograder.checks import memo


@memo.per_worker
def _probe(seed: int, *, size: int = 2) -> list[int]:
    return [seed] * size


def test_memo_only_while_active_and_keyed_by_arguments():
    memo.clear()
    assert not memo.enabled()
    assert _probe(1) is not _probe(1)  # off: a fresh object per call (nbgrader kernels, tests)
    with memo.active():
        a = _probe(1)
        assert _probe(1) is a
        assert _probe(2) is not a and _probe(1, size=3) == [1, 1, 1]
        with memo.active(False):  # GradingOptions(memo=False): the plain path
            assert _probe(1) is not a
        assert memo.enabled()
    assert not memo.enabled()  # restored after the task
    with memo.active():
        assert _probe(1) is a  # a worker keeps its values for the next task
        memo.clear()
        assert _probe(1) is not a
