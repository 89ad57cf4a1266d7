"""Where batch grading tasks run: a registry of executor backends (`--backend NAME`).

An executor maps a picklable function over tasks and yields `(task, result, exception)` as
they finish, in any order; `close()` frees its workers. A backend is a factory
`(jobs, setup) -> Executor` registered under a name; `setup` is the per-worker warm-up hook
(start the sandbox zygote, import TensorFlow) run once in each worker before its first task.
`local` (the default) is a pool of `jobs` spawned, limited evaluator processes, also for one job
(`executors.local.LimitedPool`: the process that owns the batch never runs a check on a student
object); `ray` (optional extra `.[cluster]`, imported only when asked for) is a pool of Ray actors
on a cluster. Backend-specific settings travel as `ExecutorOptions`. A task whose worker died
`MAX_DEATHS` times is yielded with a `WorkerLost` exception (graded as failed, never retried
forever); a task past `ExecutorOptions.task_seconds` with `TaskTimeout` (its worker is killed
and replaced, the task is not retried).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from autograder.errors import AutograderError

Setup = Callable[[], None] | None
MAX_DEATHS = 2  # a task whose worker died this many times is not retried again


class WorkerLost(Exception):
    """The worker grading a task died `deaths` times (crash, kill, node lost); `memory_mb`:
    the worker's memory limit when it had one (a local evaluator: most likely what killed it)."""

    def __init__(self, deaths: int, detail: str, memory_mb: int | None = None) -> None:
        super().__init__(f"worker died {deaths} times: {detail}")
        self.deaths = deaths
        self.detail = detail
        self.memory_mb = memory_mb


class TaskTimeout(Exception):
    """A task ran past `seconds` of wall time in its worker (which was killed)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"task ran past {seconds:g} s")
        self.seconds = seconds


@dataclass(frozen=True)
class ExecutorOptions:
    """What a backend may need beyond `jobs` and `setup`: the cluster `address` ("auto" or
    HOST:PORT), whether each task needs a `gpu`, the student process's `memory_mb`, the
    folders every worker needs a copy of (`ship`: the assignment; no shared filesystem), the
    wall time of one task (`task_seconds`: the submission deadline + a grace) and the
    evaluator's address-space limit (`evaluator_mb`; None: none, e.g. on GPU hosts)."""

    address: str | None = None
    gpu: bool = False
    memory_mb: int | None = None
    ship: tuple[str, ...] = ()
    task_seconds: float | None = None
    evaluator_mb: int | None = None


class Executor(Protocol):
    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]
                      ) -> Iterator[tuple[Any, Any, BaseException | None]]:
        """Yield (task, result, exception) as tasks finish, in any order."""
        ...

    def close(self) -> None: ...


ExecutorFactory = Callable[[int, Setup, ExecutorOptions], Executor]
_REGISTRY: dict[str, ExecutorFactory] = {}


def register(name: str, factory: ExecutorFactory) -> None:
    """Make `factory(jobs, setup, options)` available as backend `name`."""
    _REGISTRY[name] = factory


def backends() -> list[str]:
    return sorted(_REGISTRY)


def make_executor(backend: str = "local", *, jobs: int = 1, setup: Setup = None,
                  options: ExecutorOptions | None = None) -> Executor:
    """The executor of backend `backend`; AutograderError (exit 2) for an unknown name or a
    backend that cannot start (e.g. `ray` not installed)."""
    factory = _REGISTRY.get(backend)
    if factory is None:
        raise AutograderError(f"unknown executor backend {backend!r} "
                              f"(available: {', '.join(backends())})")
    return factory(jobs, setup, options or ExecutorOptions())


def _local(jobs: int, setup: Setup, options: ExecutorOptions) -> Executor:
    from autograder.grading.executors.local import LimitedPool

    return LimitedPool(jobs, setup, task_seconds=options.task_seconds,
                       memory_mb=options.evaluator_mb)


def _ray(jobs: int, setup: Setup, options: ExecutorOptions) -> Executor:
    try:
        import ray  # noqa: F401 - optional extra
    except ImportError as exc:
        raise AutograderError(
            "the ray backend needs Ray, an optional extra: pip install -c constraints.txt "
            "-e '.[cluster]' (or pip install 'dl-autograder[cluster]')") from exc
    from autograder.grading.executors.ray import RayExecutor

    return RayExecutor(jobs, setup, options)


register("local", _local)
register("ray", _ray)
