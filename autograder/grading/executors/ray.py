"""The `ray` backend: batch tasks on a Ray cluster, one warm grader per Ray actor.

- Pool: `RayExecutor` connects to a running cluster (`address`: "auto" or HOST:PORT) and
  starts one actor per slot the cluster's resources allow (each slot: 1 CPU, the student
  process's memory plus `GRADER_MB` for the trusted grader, 1 GPU under `--gpu`), capped by
  `jobs` when it is > 1 and by the number of tasks. Actors are spread over the nodes.
- Each actor is a trusted grader: it runs `setup()` (its own sandbox zygote) once, and
  rebuilds its own copy of the shipped folders (the assignment: toml, hidden suite, reference
  data) from one `FolderBundle` put in the object store once per batch (no shared filesystem);
  the copy lives in a private (0700) temp folder the student sandbox does not see.
- Tasks carry the notebook bytes (`batch.Task`); one task per actor at a time, results are
  yielded as they arrive. An actor that dies (crash, kill, node lost) is replaced and its task
  retried on whichever actor is free next; after `MAX_DEATHS` deaths the task is yielded with
  `WorkerLost` (graded as failed with a clear reason). Each task is yielded exactly once.
- Limits, as in the local pool: each actor is a limited evaluator (`setup` sets the soft
  RLIMIT_AS of `grading.evaluator`, not under `--gpu`; checks run under `check_timeout`); a task
  past `ExecutorOptions.task_seconds` has its actor killed and replaced and is yielded with
  `TaskTimeout`. Ray's own memory request (`slot()`) only schedules; its memory monitor kills a
  worker when the node runs short.
- The driver's `AUTOGRADER_*` settings (sandbox preload, pids cap, bwrap off) are passed to the
  actors, so the cluster grades like the local pool. Every node must have the same kit version
  installed (checked: a mismatch stops the batch before any task).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import ray
from ray import exceptions as rex

from autograder import __version__
from autograder.errors import AutograderError
from autograder.grading.executors import (
    MAX_DEATHS,
    ExecutorOptions,
    Setup,
    TaskTimeout,
    WorkerLost,
)

GRADER_MB = 1536  # the trusted grader + zygote next to the student process, per actor
SHIP_LIMIT = 256 * 2**20  # bytes of one shipped folder (an assignment is kilobytes)
START_TIMEOUT = float(os.environ.get("AUTOGRADER_RAY_START_TIMEOUT", "300"))
_SKIP = {"__pycache__", ".ipynb_checkpoints", ".git", ".pytest_cache"}
# a dead actor or node: the task is retried; anything else is the grader's error for that task
_LOST = (rex.RayActorError, rex.WorkerCrashedError, rex.ObjectLostError,
         rex.OwnerDiedError, rex.NodeDiedError)


@dataclass(frozen=True)
class FolderBundle:
    """A folder's regular files as (relative POSIX path, bytes): shipped once per batch."""

    source: str  # the folder's path on the driver (the key tasks name it by)
    files: tuple[tuple[str, bytes], ...]

    @classmethod
    def pack(cls, folder: str | os.PathLike[str], limit: int = SHIP_LIMIT) -> FolderBundle:
        """Read `folder` (no symlinks, no caches); AutograderError over `limit` bytes."""
        root = Path(folder)
        files, size = [], 0
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if _SKIP & set(rel.parts) or path.is_symlink() or not path.is_file():
                continue
            data = path.read_bytes()
            size += len(data)
            if size > limit:
                raise AutograderError(f"{root}: more than {limit // 2**20} MiB to ship to the "
                                      "cluster; keep large data out of the assignment folder")
            files.append((rel.as_posix(), data))
        return cls(str(folder), tuple(files))

    def unpack(self, dest: Path) -> Path:
        """Write the files under `dest` (paths escaping it are refused); returns `dest`."""
        for rel, data in self.files:
            parts = PurePosixPath(rel).parts
            if PurePosixPath(rel).is_absolute() or ".." in parts or not parts:
                raise ValueError(f"refusing to unpack {rel!r}")
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return dest


@dataclass(frozen=True)
class WorkerInfo:
    """What an actor reports once it is warm."""

    node: str  # "<hostname> (<ray node id prefix>)"
    version: str  # the kit version installed on that node


class GraderActor:
    """One warm trusted grader on some node (wrapped by `ray.remote` in `RayExecutor`)."""

    def __init__(self, setup: Setup, *bundles: FolderBundle) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="autograder-ship-"))  # 0700
        self.folders = {b.source: str(b.unpack(self.root / str(i)))
                        for i, b in enumerate(bundles)}
        if setup is not None:
            try:
                setup()
            except Exception:  # noqa: BLE001 - warming up is best effort, as locally
                pass
        node_id = ray.get_runtime_context().get_node_id()
        self.node = f"{socket.gethostname()} ({node_id[:8]})"

    def info(self) -> WorkerInfo:
        return WorkerInfo(node=self.node, version=__version__)

    def run(self, fn: Callable[[Any], Any], task: Any) -> Any:
        """`fn(task)` with the task's assignment folder replaced by this actor's copy; the
        result (a SubmissionResult) is stamped with this actor's node."""
        local = self.folders.get(getattr(task, "assignment_dir", None))
        if local is not None:
            task = dataclasses.replace(task, assignment_dir=local)
        result = fn(task)
        if hasattr(result, "node"):
            result.node = self.node
        return result

    def stop(self) -> None:
        """Stop the zygote and drop the copies (called before the actor is killed)."""
        from autograder.sandbox import zygote

        zygote.shutdown()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class _Pool:
    """One `map_unordered` call's state: tasks waiting (with their worker deaths so far), the
    shipped bundles' refs, actors starting / idle, and tasks running (ref -> actor, task,
    deaths)."""

    pending: deque[tuple[Any, int]]
    bundles: list[Any]
    starting: dict[Any, Any] = field(default_factory=dict)
    idle: list[Any] = field(default_factory=list)
    running: dict[Any, tuple[Any, Any, int]] = field(default_factory=dict)
    since: dict[Any, float] = field(default_factory=dict)  # ref -> when its task was sent


def _forwarded_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("AUTOGRADER_")}


class RayExecutor:
    """A pool of `GraderActor`s on a Ray cluster (see the module docstring)."""

    def __init__(self, jobs: int, setup: Setup, options: ExecutorOptions) -> None:
        self.jobs, self.setup, self.options = jobs, setup, options
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            address = options.address or "auto"
            try:
                ray.init(address=address, log_to_driver=False, configure_logging=False,
                         runtime_env={"env_vars": _forwarded_env()})
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise AutograderError(
                    f"cannot connect to a Ray cluster at {address!r} ({exc}); start one with "
                    "`ray start --head` or pass --address HOST:PORT") from exc
        self._actor_cls = ray.remote(GraderActor)
        self.running = 0
        self.retried = 0
        self._warm_deaths = 0
        self._actors: list[Any] = []  # every actor started and not replaced
        self._warm: list[Any] = []  # those that reported ready (pending ones get no stop())

    def counts(self) -> tuple[int, int]:
        """(tasks running now, task retries so far): for the progress bar."""
        return self.running, self.retried

    def slot(self) -> dict[str, Any]:
        """The resources one actor (one task at a time) requests."""
        memory_mb = (self.options.memory_mb or 3000) + GRADER_MB
        return {"num_cpus": 1, "num_gpus": 1 if self.options.gpu else 0,
                "memory": memory_mb * 2**20}

    def capacity(self) -> int:
        """How many actors the cluster's resources hold at once (at least 1)."""
        res = ray.cluster_resources()
        slot = self.slot()
        fits = [int(res.get("CPU", 0) // slot["num_cpus"])]
        if res.get("memory"):
            fits.append(int(res["memory"] // slot["memory"]))
        if slot["num_gpus"]:
            fits.append(int(res.get("GPU", 0)))
            if fits[-1] == 0:
                raise AutograderError("--gpu: the Ray cluster has no GPU; add GPU nodes "
                                      "(see docs/cluster.md)")
        n = max(1, min(fits))
        return min(n, self.jobs) if self.jobs > 1 else n

    def _start(self, pool: _Pool) -> None:
        actor = self._actor_cls.options(scheduling_strategy="SPREAD", max_restarts=0,
                                        **self.slot()).remote(self.setup, *pool.bundles)
        self._actors.append(actor)
        pool.starting[actor.info.remote()] = actor

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]
                      ) -> Iterator[tuple[Any, Any, BaseException | None]]:
        """Yield (task, result, exception) once per task as results arrive (see module doc)."""
        pending = deque((t, 0) for t in tasks)
        if not pending:
            return
        folders = sorted({f for t, _ in pending if (f := getattr(t, "assignment_dir", None))}
                         | set(self.options.ship))
        # put once per batch; top-level actor arguments, so each actor gets the values
        pool = _Pool(pending, [ray.put(FolderBundle.pack(f)) for f in folders])
        for _ in range(min(len(pending), self.capacity())):
            self._start(pool)
        last_progress = time.monotonic()
        while pool.pending or pool.running:
            while pool.idle and pool.pending:
                actor, (task, deaths) = pool.idle.pop(), pool.pending.popleft()
                ref = actor.run.remote(fn, task)
                pool.running[ref], pool.since[ref] = (actor, task, deaths), time.monotonic()
            self.running = len(pool.running)
            yield from self._overdue(pool)
            ready, _ = ray.wait([*pool.running, *pool.starting], num_returns=1, timeout=5.0)
            if not ready:
                if not pool.running and time.monotonic() - last_progress > START_TIMEOUT:
                    raise AutograderError(f"no Ray worker became available in {START_TIMEOUT:g}"
                                          " s; check the cluster's free CPU/memory/GPU")
                continue
            last_progress = time.monotonic()
            if ready[0] in pool.starting:
                self._warmed(pool, ready[0])
                continue
            out = self._finished(pool, ready[0])
            self.running = len(pool.running)
            if out is not None:
                yield out

    def _overdue(self, pool: _Pool) -> Iterator[tuple[Any, Any, BaseException | None]]:
        """Tasks past `options.task_seconds`: their actor is killed (its zygote and students
        die with it) and replaced; the task is yielded with `TaskTimeout`, not retried."""
        limit = self.options.task_seconds
        if not limit:
            return
        for ref in [r for r, t in pool.since.items() if time.monotonic() - t > limit]:
            pool.since.pop(ref)
            if ref in pool.running:
                actor, task, _ = pool.running.pop(ref)
                self._replace(actor, pool)
                yield task, None, TaskTimeout(limit)

    def _warmed(self, pool: _Pool, ref: Any) -> None:
        """An actor finished starting (idle now), or died doing so (start another, bounded)."""
        actor = pool.starting.pop(ref)
        try:
            info: WorkerInfo = ray.get(ref)
        except _LOST as exc:  # died while warming up (e.g. its node went away)
            if getattr(exc, "actor_init_failed", False):  # a bug, not a lost node
                raise AutograderError(f"a Ray worker failed to start: {exc}") from exc
            self._warm_deaths += 1
            if self._warm_deaths > 2 * MAX_DEATHS + len(pool.idle) + len(pool.running):
                raise AutograderError("Ray workers keep dying while starting: "
                                      f"{_describe(exc)}") from exc
            self._start(pool)
            return
        if info.version != __version__:
            raise AutograderError(f"node {info.node} has autograder {info.version}, this "
                                  f"machine {__version__}: install the same version everywhere")
        pool.idle.append(actor)
        self._warm.append(actor)

    def _finished(self, pool: _Pool, ref: Any) -> tuple[Any, Any, BaseException | None] | None:
        """A task's outcome to yield, or None when its actor died and it was queued again."""
        actor, task, deaths = pool.running.pop(ref)
        pool.since.pop(ref, None)
        try:
            result = ray.get(ref)
        except _LOST as exc:  # the actor or its node died: replace it, retry the task
            self._replace(actor, pool)
            if deaths + 1 >= MAX_DEATHS:
                return task, None, WorkerLost(deaths + 1, _describe(exc))
            self.retried += 1
            pool.pending.appendleft((task, deaths + 1))
            return None
        except rex.RayError as exc:  # fn raised (or its input could not be loaded): this
            pool.idle.append(actor)  # task's error; the actor is fine
            return task, None, _cause(exc)
        pool.idle.append(actor)
        return task, result, None

    def _replace(self, actor: Any, pool: _Pool) -> None:
        ray.kill(actor, no_restart=True)
        self._actors.remove(actor)
        if actor in self._warm:
            self._warm.remove(actor)
        self._start(pool)

    def close(self) -> None:
        """Stop every actor's zygote (bounded wait), kill the actors, disconnect if we
        connected."""
        stops = [a.stop.remote() for a in self._warm]
        if stops:
            ray.wait(stops, num_returns=len(stops), timeout=10.0)
        for a in self._actors:
            ray.kill(a, no_restart=True)
        self._actors.clear()
        self._warm.clear()
        if self._owns_ray:
            ray.shutdown()


def _cause(exc: rex.RayError) -> BaseException:
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
