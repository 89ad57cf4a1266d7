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


# per_run: one evidence per student for a `_basics` test and its hidden twin ------------------

@memo.per_run
def _check(fn, *, alpha: float = 0.2, data: dict | None = None) -> list[dict]:
    return [{"value": fn(alpha)}]


def _counting() -> tuple[list[float], object]:
    """(the calls made, a plain student function recording them): memo keys it by identity."""
    calls: list[float] = []

    def fn(alpha: float) -> float:
        calls.append(alpha)
        return alpha

    return calls, fn


def test_per_run_shares_results_within_one_run_only_and_hands_out_copies():
    calls, f = _counting()
    with memo.active():
        assert _check(f) == _check(f) == [{"value": 0.2}] and len(calls) == 2  # no run open
        with memo.one_run():
            first = _check(f, data={"mode": "mock"})
            first[0]["value"] = "changed by a caller"
            again = _check(f, data={"mode": "mock"})
            assert again == [{"value": 0.2}] and len(calls) == 3  # shared, and a copy
            assert _check(f, data={"mode": "real"}) and len(calls) == 4  # other arguments
            assert _check(f, alpha=0.3) == [{"value": 0.3}] and len(calls) == 5
        with memo.one_run():
            _check(f, data={"mode": "mock"})
            assert len(calls) == 6  # the next student's run starts empty
        with memo.active(False), memo.one_run():  # the plain path: every test gathers its own
            _check(f), _check(f)
            assert len(calls) == 8


def test_per_run_does_not_share_without_a_stable_identity():
    import numpy as np

    calls, f = _counting()
    with memo.active(), memo.one_run():
        _check(f, data={"probe": np.zeros(2)}), _check(f, data={"probe": np.zeros(2)})
        assert len(calls) == 2  # an array argument: no key, no sharing

        class _Proc:
            state = "alive"

        class _Proxy:  # shaped like sandbox.proxy._Proxy
            def __init__(self, proc):
                self.proc = proc

            def __call__(self, alpha):
                self.proc.state = "crashed"  # the student process dies during the check
                return f(alpha)

            def __memo_key__(self):
                return (self.proc, "fn") if self.proc.state == "alive" else None

        proc = _Proc()
        _check(_Proxy(proc))
        proc.state = "alive"  # a restarted process under the same proxy identity
        _check(_Proxy(proc))
        assert len(calls) == 4  # a check that lost its student is gathered again


def test_sandbox_proxy_keys_by_its_live_process():
    from autograder.sandbox.proxy import _Proxy

    class _Proc:
        state = "alive"

    p, q = _Proc(), _Proc()
    assert _Proxy(p, "mixup").__memo_key__() == _Proxy(p, "mixup").__memo_key__()
    assert _Proxy(p, "mixup").__memo_key__() != _Proxy(q, "mixup").__memo_key__()
    assert _Proxy(p, "mixup").__memo_key__() != _Proxy(p, "cutmix").__memo_key__()
    p.state = "timeout"
    assert _Proxy(p, "mixup").__memo_key__() is None


def test_basics_test_and_its_hidden_twin_call_the_student_once():
    from autograder.assignment import load
    from autograder.grading.suite import NamespaceStudent, run_suite
    from tests.checks.test_mixing_feedback import _mixup

    calls = []

    def mixup(*args, **kwargs):
        calls.append(1)
        return _mixup(*args, **kwargs)

    a = load("ut3_10_flowers")
    plain, session = run_suite(a, NamespaceStudent({"mixup": mixup}),
                               select=["mixup_basics", "mixup"])
    assert session.shared == set()
    per_check = len(calls) // 2
    assert per_check > 0 and len(calls) == 2 * per_check  # memo off: each test calls it
    calls.clear()
    with memo.active():
        shared, session = run_suite(a, NamespaceStudent({"mixup": mixup}),
                                    select=["mixup_basics", "mixup"])
    assert len(calls) == per_check
    assert session.shared == {"mixup"}  # `grade --profile-checks` marks it "shared"
    assert {k: (o.score, o.status, [(r.name, r.score) for r in o.results])
            for k, o in shared.items()} == {
        k: (o.score, o.status, [(r.name, r.score) for r in o.results]) for k, o in plain.items()}
    assert shared["mixup"].score > 0 and shared["mixup_basics"].score > 0
