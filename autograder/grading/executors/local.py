"""The `local` backend: limited evaluator processes.

- `LimitedPool` (every `--jobs`, 1 included): `jobs` spawned worker processes (fresh
  interpreters, safe with TF), each a limited evaluator that keeps TensorFlow and its own
  sandbox zygote warm across submissions and runs the hidden checks on what students return.
  The process that owns the batch (and writes grades) never runs a check and never imports
  TensorFlow for it. Limits: RLIMIT_AS (soft) of `memory_mb` set in the worker before anything
  is imported (its student processes set their own); `task_seconds` of wall time per task, past
  which the owner kills the worker with everything under it and yields `TaskTimeout`. A worker
  that dies is replaced and its task retried once (`WorkerLost` after `MAX_DEATHS`).
- `SerialExecutor`: tasks in the calling process, no limits (the kit's own tests).

Warm evaluators between pools (`keep_warm(N)` or `AUTOGRADER_WARM_EVALUATORS=N`, default 0):
a process that grades many times (nbgrader's autograde calls `grade_isolated` once per
notebook; the kit's own test session) keeps up to N idle evaluators when a pool closes and hands
them to the next pool made with the same setup, memory limit, working directory and
environment, instead of starting a fresh one (TF import + zygote: ~8 s each). A parked evaluator
is in the state it has between two tasks of one batch (its student processes are gone, its
zygote waits): the trust is the same as within a batch. The probe seed and every
per-submission option travel with each task.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.connection as mpc
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from autograder.grading.executors import MAX_DEATHS, TaskTimeout, WorkerLost

START_TIMEOUT = 300.0  # a worker's warm-up (import TF, start the zygote)
POLL_S = 1.0
WARM_ENV = "AUTOGRADER_WARM_EVALUATORS"
_VOLATILE_ENV = ("PYTEST_CURRENT_TEST",)  # changes per test, means nothing to an evaluator


class SerialExecutor:
    """Tasks one after the other in this process (no limits: trusted callers only)."""

    def map_unordered(self, fn, tasks):
        for task in tasks:
            try:
                yield task, fn(task), None
            except Exception as exc:  # noqa: BLE001 - the caller records it
                yield task, None, exc

    def close(self) -> None:
        pass


def limit_memory(memory_mb: int | None) -> None:
    """Soft RLIMIT_AS of this process (children inherit it; the student processes set their
    own, under the unchanged hard limit). None or 0: unchanged."""
    if memory_mb:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        want = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (want if hard < 0 else min(want, hard), hard))


def _serve(conn: mpc.Connection, setup: Callable[[], None] | None,
           memory_mb: int | None) -> None:
    """Body of one evaluator: limits, warm-up, then (fn, task) -> ("ok", result) | ("err", exc)
    until None or EOF."""
    limit_memory(memory_mb)
    if setup is not None:
        try:
            setup()
        except Exception:  # noqa: BLE001 - warming up is best effort
            pass
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        fn, task = job
        try:
            reply: tuple[str, Any] = ("ok", fn(task))
        except Exception as exc:  # noqa: BLE001 - the owner records it
            reply = ("err", exc)
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - e.g. an exception that does not pickle
            conn.send(("err", RuntimeError(f"{type(exc).__name__}: {exc}"[:300])))


@dataclass
class _Worker:
    proc: multiprocessing.process.BaseProcess
    conn: mpc.Connection
    started: float
    ready: bool = False
    task: Any = None
    tries: int = 0
    since: float = 0.0  # when the running task was sent


def kill_tree(pid: int) -> None:
    """SIGKILL process `pid` and every process under it (the zygote, bwrap, students), then
    remove the student cgroups it left."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [*root.children(recursive=True), root]
    except psutil.Error:
        procs = []
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=5)
    try:
        from autograder.sandbox import cgroups

        cgroups.remove_stale()
    except Exception:  # noqa: BLE001 - best effort: the next grader cleans up as well
        pass


_KEEP_WARM: list[int | None] = [None]


def keep_warm(n: int | None) -> None:
    """Keep up to `n` idle evaluators between the pools of this process (None: `WARM_ENV`
    decides; 0: none, and the parked ones are stopped)."""
    _KEEP_WARM[0] = None if n is None else max(0, int(n))
    if n is not None and warm_limit() == 0:
        PARKED.release()


def warm_limit() -> int:
    """How many idle evaluators this process keeps between pools (`keep_warm`, else
    `WARM_ENV`; 0: none)."""
    if _KEEP_WARM[0] is not None:
        return _KEEP_WARM[0]
    try:
        return max(0, int(os.environ.get(WARM_ENV, "0") or 0))
    except ValueError:
        return 0


def _setup_key(setup: Callable[[], None] | None) -> tuple[Any, ...]:
    """What `setup` does, comparable across pools (a `functools.partial` compares by identity)."""
    func = getattr(setup, "func", setup)
    return (getattr(func, "__module__", None), getattr(func, "__qualname__", repr(func)),
            getattr(setup, "args", ()), tuple(sorted(getattr(setup, "keywords", {}).items())))


class _Parking:
    """Idle evaluators kept between pools of this process, oldest first, under a key that says
    what they were started with (see the module doc)."""

    def __init__(self) -> None:
        self._idle: list[tuple[tuple[Any, ...], _Worker]] = []
        self._owner = os.getpid()

    def take(self, key: tuple[Any, ...]) -> _Worker | None:
        """A parked evaluator started under `key` that is alive and quiet, or None."""
        self._forget_if_forked()
        for i, (k, w) in enumerate(self._idle):
            if k == key:
                del self._idle[i]
                if w.proc.is_alive() and not w.conn.poll():
                    return w
                _stop(w)
        return None

    def put(self, key: tuple[Any, ...], w: _Worker, limit: int) -> bool:
        """Park idle evaluator `w` (True), dropping the oldest past `limit`; False: not kept."""
        self._forget_if_forked()
        if limit <= 0 or not w.ready or w.task is not None or not w.proc.is_alive():
            return False
        self._idle.append((key, w))
        while len(self._idle) > limit:
            _stop(self._idle.pop(0)[1])
        return True

    def pids(self) -> set[int]:
        """The parked evaluators' process ids (not their children)."""
        return {w.proc.pid for _, w in self._idle if w.proc.pid}

    def release(self) -> None:
        """Stop every parked evaluator (at exit, or when a caller wants none left)."""
        self._forget_if_forked()
        while self._idle:
            _stop(self._idle.pop()[1])

    def _forget_if_forked(self) -> None:
        if os.getpid() != self._owner:  # a forked child does not own its parent's evaluators
            self._idle, self._owner = [], os.getpid()


def _stop(w: _Worker) -> None:
    """Ask evaluator `w` to leave, then kill whatever is left under it."""
    try:
        w.conn.send(None)
    except OSError:
        pass
    w.proc.join(5)
    if w.proc.is_alive() and w.proc.pid:  # it did not leave: kill it with its tree
        kill_tree(w.proc.pid)
        w.proc.join(5)
    w.conn.close()


PARKED = _Parking()
atexit.register(PARKED.release)


class LimitedPool:
    """`jobs` limited evaluator processes (see the module doc)."""

    def __init__(self, jobs: int, setup: Callable[[], None] | None = None, *,
                 task_seconds: float | None = None, memory_mb: int | None = None) -> None:
        self.jobs = max(1, int(jobs))
        self.setup = setup
        self.task_seconds = task_seconds
        self.memory_mb = memory_mb
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._failed_starts = 0

    def _key(self) -> tuple[Any, ...]:
        env = tuple(sorted((k, v) for k, v in os.environ.items() if k not in _VOLATILE_ENV))
        try:
            cwd: str | None = os.getcwd()
        except OSError:  # the working directory was removed
            cwd = None
        return (_setup_key(self.setup), self.memory_mb, cwd, env)

    def _start(self) -> _Worker:
        parked = PARKED.take(self._key())
        if parked is not None:
            parked.task, parked.tries = None, 0
            self._workers.append(parked)
            return parked
        here, there = self._ctx.Pipe()
        proc = self._ctx.Process(target=_serve, args=(there, self.setup, self.memory_mb),
                                 daemon=True, name="autograder-evaluator")
        proc.start()
        there.close()
        w = _Worker(proc, here, time.monotonic())
        self._workers.append(w)
        return w

    def _drop(self, w: _Worker) -> None:
        if w.proc.pid:
            kill_tree(w.proc.pid)
        w.proc.join(5)
        w.conn.close()
        self._workers.remove(w)

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]
                      ) -> Iterator[tuple[Any, Any, BaseException | None]]:
        pending = deque((t, 0) for t in tasks)
        while pending or any(w.task is not None for w in self._workers):
            busy = sum(w.task is not None for w in self._workers)
            while len(self._workers) < min(self.jobs, len(pending) + busy):
                self._start()
            for w in self._workers:
                if w.ready and w.task is None and pending:
                    (w.task, w.tries), w.since = pending.popleft(), time.monotonic()
                    w.conn.send((fn, w.task))
            ready = mpc.wait([w.conn for w in self._workers], timeout=self._wait_s())
            for w in list(self._workers):
                yield from self._step(w, w.conn in ready, pending)

    def _wait_s(self) -> float:
        ends = [w.since + self.task_seconds for w in self._workers
                if w.task is not None and self.task_seconds]
        return max(0.05, min([POLL_S, *(e - time.monotonic() for e in ends)]))

    def _step(self, w: _Worker, readable: bool, pending: deque[tuple[Any, int]]
              ) -> Iterator[tuple[Any, Any, BaseException | None]]:
        """What worker `w` has to say: ready, a result, its death, or its task's timeout."""
        if readable:
            try:
                kind, value = w.conn.recv()
            except (EOFError, OSError):
                kind, value = "dead", None
            if kind == "ready":
                w.ready, self._failed_starts = True, 0
                return
            if kind in ("ok", "err"):
                task, w.task = w.task, None
                yield (task, value, None) if kind == "ok" else (task, None, value)
                return
        elif w.proc.is_alive():
            if w.task is not None and self.task_seconds and \
                    time.monotonic() - w.since > self.task_seconds:
                task = w.task
                self._drop(w)
                yield task, None, TaskTimeout(self.task_seconds)
            elif not w.ready and time.monotonic() - w.started > START_TIMEOUT:
                self._drop(w)
                raise RuntimeError(f"an evaluator process did not start in {START_TIMEOUT:g} s")
            return
        # the worker died (EOF, or it exited)
        w.proc.join(5)
        code = w.proc.exitcode
        task, tries = w.task, w.tries
        self._drop(w)
        if task is None:
            self._failed_starts += 1
            if self._failed_starts > 2 * MAX_DEATHS:
                raise RuntimeError(f"evaluator processes keep dying while starting (exit {code})")
            return
        if tries + 1 >= MAX_DEATHS:
            yield task, None, WorkerLost(tries + 1, f"exit code {code}", self.memory_mb)
        else:
            pending.append((task, tries + 1))

    def close(self) -> None:
        """Park idle evaluators (up to `WARM_ENV`), stop the others."""
        limit, key = warm_limit(), self._key()
        for w in list(self._workers):
            if PARKED.put(key, w, limit):
                self._workers.remove(w)
        for w in list(self._workers):
            try:
                w.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + 30
        for w in list(self._workers):
            w.proc.join(max(0.1, deadline - time.monotonic()))
            self._drop(w)
