"""Warm evaluators between pools (`executors.local.keep_warm`): a closed pool parks its idle
evaluators; the next pool started the same way adopts them; anything else gets a fresh one."""

from __future__ import annotations

import psutil
import pytest

from autograder.grading.executors import local
from autograder.grading.executors.local import PARKED, LimitedPool, keep_warm, warm_limit
from tests.support.stall import evaluator_pid, stall_or_answer


@pytest.fixture
def warm():
    """One parked evaluator at most, none left over from earlier tests (or after this one)."""
    before = warm_limit()
    keep_warm(0)
    keep_warm(1)
    yield
    keep_warm(0)
    keep_warm(before)


def _pids(pool: LimitedPool, n: int = 1) -> set[int]:
    try:
        return {res for _, res, exc in pool.map_unordered(evaluator_pid, range(n))
                if exc is None}
    finally:
        pool.close()


def test_next_pool_adopts_the_parked_evaluator(warm):
    (first,) = _pids(LimitedPool(1))
    assert PARKED.pids() == {first} and psutil.pid_exists(first)
    (second,) = _pids(LimitedPool(1))
    assert second == first


def test_another_environment_or_memory_limit_gets_a_fresh_evaluator(warm, monkeypatch):
    (first,) = _pids(LimitedPool(1))
    (other,) = _pids(LimitedPool(1, memory_mb=4096))
    assert other != first
    assert PARKED.pids() == {other}  # one kept at most: the older one was stopped
    assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE
    monkeypatch.setenv("AUTOGRADER_ISOLATION", "none")
    (third,) = _pids(LimitedPool(1, memory_mb=4096))
    assert third != other


def test_a_dead_parked_evaluator_is_replaced(warm):
    (first,) = _pids(LimitedPool(1))
    psutil.Process(first).kill()
    psutil.Process(first).wait(5)
    (second,) = _pids(LimitedPool(1))
    assert second != first


def test_turning_it_off_stops_the_parked_ones(warm):
    (first,) = _pids(LimitedPool(1))
    keep_warm(0)
    assert PARKED.pids() == set()
    assert not psutil.pid_exists(first)
    (second,) = _pids(LimitedPool(1))
    assert PARKED.pids() == set() and not psutil.pid_exists(second)


def test_environment_variable_sets_the_default(monkeypatch):
    before = warm_limit()
    keep_warm(None)
    try:
        monkeypatch.setenv(local.WARM_ENV, "2")
        assert warm_limit() == 2
        monkeypatch.setenv(local.WARM_ENV, "many")
        assert warm_limit() == 0
        monkeypatch.delenv(local.WARM_ENV)
        assert warm_limit() == 0
    finally:
        keep_warm(before)


def test_a_busy_evaluator_is_never_parked(warm, tmp_path):
    """A pool closed while its evaluator still runs a task (the owner gave up on it) does not
    keep that evaluator."""
    pool = LimitedPool(1)
    w = pool._start()  # noqa: SLF001 - drive one worker by hand
    assert w.conn.recv() == ("ready", None)
    w.ready, w.task = True, (2.0, str(tmp_path / "child.pid"))
    w.conn.send((stall_or_answer, w.task))
    pool.close()
    assert PARKED.pids() == set()
    assert not w.proc.is_alive()
    psutil.Process(int((tmp_path / "child.pid").read_text())).kill()  # the task's own


def test_key_without_a_working_directory(tmp_path, monkeypatch):
    """A pool closed after its caller's working directory was removed still closes (no
    FileNotFoundError from the key), and its evaluator is not handed to a pool elsewhere."""
    gone = tmp_path / "gone"
    gone.mkdir()
    here = LimitedPool(1)._key()  # noqa: SLF001
    monkeypatch.chdir(gone)
    gone.rmdir()
    key = LimitedPool(1)._key()  # noqa: SLF001
    assert key[2] is None and key != here


WARM_WORKER_PROBE = """
import time
from autograder.grading import batch
from autograder.sandbox import zygote
t0 = time.monotonic()
batch.warm_worker()
started = time.monotonic() - t0
(z,) = zygote._ZYGOTES.values()
time.sleep(1.0)  # bubblewrap's --die-with-parent fires when the starting thread has ended
print(z.alive(), zygote.get_zygote() is z, "tensorflow" in __import__("sys").modules,
      round(started, 1))
"""


@pytest.mark.slow
def test_warm_worker_overlaps_tensorflow_with_a_zygote_that_stays_up():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", WARM_WORKER_PROBE], capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    alive, reused, tf, _seconds = out.stdout.split()
    # a zygote started from the importing thread would die with it and the first task would
    # start a second one (measured: +4-8 s per cold notebook)
    assert (alive, reused, tf) == ("True", "True", "True")
