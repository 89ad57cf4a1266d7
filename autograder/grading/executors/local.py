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
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection as mpc
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from autograder.grading.executors import MAX_DEATHS, TaskTimeout, WorkerLost

START_TIMEOUT = 300.0  # a worker's warm-up (import TF, start the zygote)
POLL_S = 1.0


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

    def _start(self) -> _Worker:
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
        for w in list(self._workers):
            try:
                w.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + 30
        for w in list(self._workers):
            w.proc.join(max(0.1, deadline - time.monotonic()))
            self._drop(w)
