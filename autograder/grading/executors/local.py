"""The `local` backend.

- `SerialExecutor`: in this process (jobs=1): this process is the trusted grader.
- `LocalPoolExecutor`: N spawned worker processes, each a trusted grader that keeps TensorFlow
  and its own sandbox zygote warm across submissions; a worker that dies is replaced and its
  task retried once, so one crash never stops the batch.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Callable

from autograder.grading.executors import MAX_DEATHS, WorkerLost


class SerialExecutor:
    """Tasks one after the other in this process."""

    def map_unordered(self, fn, tasks):
        for task in tasks:
            try:
                yield task, fn(task), None
            except Exception as exc:  # noqa: BLE001 - the caller records it
                yield task, None, exc

    def close(self) -> None:
        pass


def _warm(setup: Callable[[], None] | None) -> None:
    if setup is not None:
        try:
            setup()
        except Exception:  # noqa: BLE001 - warming up is best effort
            pass


class LocalPoolExecutor:
    """A pool of `jobs` spawned grader processes (fresh interpreters, safe with TF)."""

    def __init__(self, jobs: int, setup: Callable[[], None] | None = None) -> None:
        self.jobs = max(1, int(jobs))
        self.setup = setup
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(max_workers=self.jobs,
                                      mp_context=multiprocessing.get_context("spawn"),
                                      initializer=_warm, initargs=(self.setup,))

    def map_unordered(self, fn, tasks):
        pending = [(t, 0) for t in tasks]
        while pending:
            futures = {self._pool.submit(fn, t): (t, tries) for t, tries in pending}
            pending = []
            broken = False
            for fut in cf.as_completed(futures):
                task, tries = futures[fut]
                try:
                    yield task, fut.result(), None
                except cf.process.BrokenProcessPool as exc:
                    broken = True
                    if tries + 1 >= MAX_DEATHS:
                        yield task, None, WorkerLost(tries + 1, str(exc) or type(exc).__name__)
                    else:
                        pending.append((task, tries + 1))
                except Exception as exc:  # noqa: BLE001
                    yield task, None, exc
            if broken:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
