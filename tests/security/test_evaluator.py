"""The limited evaluator (issue 11, item 4): student models that pass the static bounds run
only under time and memory limits, in a process that is not the batch's owner.

- unit: `modelbound.check_clock` interrupts a rebuilt model between layer calls and fails every
  later call of the same test; an out-of-memory inside a call is an over-budget failure;
- for real, through the sandbox and `grade_batch`: a slow model and a memory-hungry model (both
  within the static bounds) fail their check with the budget message while the student's other
  test still scores; a submission whose evaluator runs past deadline + grace is killed by the
  owner and recorded as over the deadline; the next student in the same batch gets the score it
  gets alone (3.0, as in test_hostile_returns), and no process is left behind.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil
import pytest

from tests.security.test_hostile_returns import AUG, EMPTY_MODEL, HONEST_MODEL, MODEL_TOY
from tests.support import toy_notebooks as T
from tests.support.stall import stall_or_answer

BUDGET_TEXT = "supera los límites del corrector"
# within the static bounds (measured as declared at 32x32: ~6.8e9 of 8e9 operations per image,
# Flatten + Dense make it fixed-size) and ~1 s per call of the check's 16 images on this CPU
SLOW = (f"keras.Sequential([keras.Input((32, 32, 3)), {AUG}, "
        "keras.layers.Conv2D(256, 3, padding='same'), keras.layers.Conv2D(256, 5, padding='same'),"
        " keras.layers.Conv2D(3, 1), keras.layers.Flatten(), keras.layers.Dense(2)])")
# within the static bounds (7.9 M values per image in its widest layer, 8 M allowed) but 0.5 GB
# per layer output for the check's 16 images: past the evaluator's memory in this test
BIG = (f"keras.Sequential([keras.Input((32, 32, 3)), {AUG}, keras.layers.UpSampling2D(8), "
       "keras.layers.Conv2D(120, 1), keras.layers.Conv2D(120, 1), "
       "keras.layers.Conv2D(3, 1), keras.layers.Flatten(), keras.layers.Dense(2)])")
HONEST_SCALE = "\ndef scale(x):\n    return 2 * x\n"


def _notebook(path: Path, expr: str, honest_scale: bool = True) -> str:
    code = EMPTY_MODEL.replace(
        "def make_augmentation():\n    # YOUR CODE HERE\n    raise NotImplementedError()",
        f"def make_augmentation():\n    return {expr}")
    return str(T.write(path, code + (HONEST_SCALE if honest_scale else "")))


def _model(expr: str):
    import keras

    from autograder.sandbox import modelbound

    model = eval(expr, {"keras": keras})  # noqa: S307 - the test's own model expressions
    return modelbound.load_bounded(json.dumps(keras.saving.serialize_keras_object(model)),
                                   model.get_weights())


def _descendants() -> set[int]:
    """Processes under this one, less multiprocessing's resource tracker (it lives as long as
    this process, whatever the grader does)."""
    out = set()
    for p in psutil.Process().children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(p.cmdline()):
                out.add(p.pid)
        except psutil.Error:
            pass
    return out


def test_check_clock_interrupts_a_model_and_fails_the_rest_of_the_test():
    import numpy as np

    from autograder.errors import StudentCodeError
    from autograder.sandbox import modelbound

    slow = _model(SLOW)
    x = np.zeros((64, 32, 32, 3), "float32")  # ~1 s per call on an idle 2-core CPU
    slow(x[:1])  # outside a test: no limit
    t0 = time.monotonic()
    with modelbound.check_clock(0.2):
        with pytest.raises(StudentCodeError) as info:
            slow(x)
        assert time.monotonic() - t0 < 0.2 + 2.5  # stopped between layers, not at the end
        assert info.value.kind == "over_budget" and "0.2 s" in info.value.detail
        t1 = time.monotonic()
        with pytest.raises(StudentCodeError):
            slow(x[:1])  # the test's model time is spent: fails at once
        assert time.monotonic() - t1 < 0.1
    with modelbound.check_clock(30):  # the next test starts afresh
        assert slow(x[:1]).shape == (1, 2)


def test_check_clock_counts_only_model_time():
    import numpy as np

    from autograder.sandbox import modelbound

    fast = _model(f"keras.Sequential([keras.Input((32, 32, 3)), {AUG}])")
    x = np.zeros((2, 32, 32, 3), "float32")
    with modelbound.check_clock(1.0):
        for _ in range(3):
            fast(x, training=True)
            time.sleep(0.4)  # the check's own time does not count
        assert fast(x).shape == x.shape


def test_out_of_memory_in_a_model_call_is_over_budget():
    from autograder.errors import StudentCodeError
    from autograder.sandbox import modelbound

    class Hungry:
        name = "m"

        def boom(self, *args, **kwargs):
            raise RuntimeError("Exception encountered when calling Conv2D.call(): OOM when "
                               "allocating tensor with shape[16,256,256,120]")

    with pytest.raises(StudentCodeError) as info:
        modelbound._timed(Hungry(), Hungry().boom)
    assert info.value.kind == "over_budget" and "memory" in info.value.detail
    with pytest.raises(ValueError):  # any other error stays what it was
        modelbound._timed(Hungry(), lambda: int("x"))


def _grade(tmp: Path, batch: list[tuple[str, str]], **options):
    from autograder.grading.batch import grade_batch

    before = _descendants()
    results = grade_batch(batch, str(MODEL_TOY), tmp / "out", progress=False, **options)
    time.sleep(0.5)
    return {r.student: r for r in results}, _descendants() - before


@pytest.mark.slow
def test_slow_model_fails_its_check_and_the_batch_goes_on(tmp_path):
    batch = [("slow", _notebook(tmp_path / "slow.ipynb", SLOW)),
             ("zz_honest", str(T.write(tmp_path / "honest.ipynb", HONEST_MODEL)))]
    # the check's calls take ~1 s of SLOW on an idle CPU (more under load), the honest model's
    # well under 0.1 s: 0.5 s separates them on any load
    got, left = _grade(tmp_path, batch, timeout=60, call_timeout=30, check_timeout=0.5)
    augment = got["slow"].outcomes["augment"]
    called = {c.name: c for c in augment.results}
    assert BUDGET_TEXT in called["augment_inference"].message, augment.results
    assert "more than 0.5 s of model calls" in called["augment_inference"].message
    assert augment.score == 0.0  # the untouched template's score: the layer list alone is form
    assert got["slow"].outcomes["scale"].score == 1.0  # its other test still ran and scored
    assert got["zz_honest"].score == 3.0
    assert not left, left


@pytest.mark.slow
def test_big_model_fails_its_check_on_the_evaluators_memory(tmp_path, monkeypatch):
    """BIG passes the static bounds but not the evaluator's address space (2400 MB here; TF
    and the checks need ~1.7 GB): its check fails with the budget message (or, if TF died of
    it, the submission is recorded with the evaluator's memory message)."""
    monkeypatch.setenv("AUTOGRADER_EVALUATOR_MB", "2400")
    batch = [("big", _notebook(tmp_path / "big.ipynb", BIG)),
             ("zz_honest", str(T.write(tmp_path / "honest.ipynb", HONEST_MODEL)))]
    got, left = _grade(tmp_path, batch, timeout=60, call_timeout=30)
    big = got["big"]
    if big.error_kind == "worker_lost":
        assert "límites de memoria del corrector (2400 MB)" in big.error, big.error
    else:
        called = {c.name: c for c in big.outcomes["augment"].results}
        assert BUDGET_TEXT in called["augment_inference"].message, big.outcomes
        assert "memory limit" in called["augment_inference"].message
        assert big.outcomes["augment"].score == 0.0
        assert big.outcomes["scale"].score == 1.0
    assert got["zz_honest"].score == 3.0
    assert not left, left


def test_evaluator_past_its_wall_time_is_killed_with_its_tree_and_replaced(tmp_path):
    """The owner's limit, for real: the first task runs past `task_seconds`, so its evaluator
    and everything it started (also in another session) are killed; the next task gets a fresh
    evaluator."""
    from autograder.grading.executors import TaskTimeout
    from autograder.grading.executors.local import LimitedPool

    before = _descendants()
    pool = LimitedPool(1, task_seconds=3.0)
    jobs = [(60.0, str(tmp_path / "a.pid")), (0.1, str(tmp_path / "b.pid"))]
    t0 = time.monotonic()
    try:
        out = list(pool.map_unordered(stall_or_answer, jobs))
    finally:
        pool.close()
    assert time.monotonic() - t0 < 30
    (first, res1, exc1), (second, res2, exc2) = out
    assert first == jobs[0] and res1 is None and isinstance(exc1, TaskTimeout)
    assert second == jobs[1] and exc2 is None and isinstance(res2, int)
    time.sleep(0.5)
    assert not _alive(res2)  # closed with the pool
    assert not _alive(int((tmp_path / "a.pid").read_text()))  # killed with its evaluator
    assert not _descendants() - before
    psutil.Process(int((tmp_path / "b.pid").read_text())).kill()  # the finished task's own


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_timed_out_task_is_recorded_with_the_deadline_message(tmp_path):
    from autograder.assignment import load
    from autograder.grading.batch import _lost_result, make_task
    from autograder.grading.executors import TaskTimeout, WorkerLost
    from autograder.grading.pipeline import GradingOptions

    a = load(MODEL_TOY)
    opts = GradingOptions(deadline=4, probe_seed=11)
    task = make_task("stall", Path(_notebook(tmp_path / "stall.ipynb", SLOW)), a, opts)
    r = _lost_result(task, a, TaskTimeout(5.0))
    assert r.score == 0.0 and r.error_kind == "deadline" and r.probe_seed == 11
    assert "superó el tiempo máximo del corrector (5 s" in r.error
    assert all(o.score == 0 for o in r.outcomes.values()) and len(r.outcomes) == 2
    lost = _lost_result(task, a, WorkerLost(2, "exit code -6", memory_mb=2400))  # OOM abort
    assert lost.error_kind == "worker_lost" and "memoria del corrector (2400 MB)" in lost.error
    node = _lost_result(task, a, WorkerLost(2, "ActorDiedError: node lost"))  # no memory limit
    assert "memoria" not in node.error and "Avisa al profesorado" in node.error
