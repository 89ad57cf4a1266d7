"""Where batch grading tasks run: a registry of executor backends (`--backend NAME`).

An executor maps a picklable function over tasks and yields `(task, result, exception)` as
they finish, in any order; `close()` frees its workers. A backend is a factory
`(jobs, setup) -> Executor` registered under a name; `setup` is the per-worker warm-up hook
(start the sandbox zygote, import TensorFlow) run once in each worker before its first task.
`local` (the default) is serial for one job and a pool of spawned processes otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from autograder.errors import AutograderError

Setup = Callable[[], None] | None


class Executor(Protocol):
    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]
                      ) -> Iterator[tuple[Any, Any, BaseException | None]]:
        """Yield (task, result, exception) as tasks finish, in any order."""
        ...

    def close(self) -> None: ...


ExecutorFactory = Callable[[int, Setup], Executor]
_REGISTRY: dict[str, ExecutorFactory] = {}


def register(name: str, factory: ExecutorFactory) -> None:
    """Make `factory(jobs, setup)` available as backend `name`."""
    _REGISTRY[name] = factory


def backends() -> list[str]:
    return sorted(_REGISTRY)


def make_executor(backend: str = "local", *, jobs: int = 1, setup: Setup = None) -> Executor:
    """The executor of backend `backend`; AutograderError (exit 2) for an unknown name."""
    factory = _REGISTRY.get(backend)
    if factory is None:
        raise AutograderError(f"unknown executor backend {backend!r} "
                              f"(available: {', '.join(backends())})")
    return factory(jobs, setup)


def _local(jobs: int, setup: Setup) -> Executor:
    from autograder.grading.executors.local import LocalPoolExecutor, SerialExecutor

    return SerialExecutor() if jobs <= 1 else LocalPoolExecutor(jobs, setup)


register("local", _local)
