"""The shared result model: what checks return, what a test scores, what a submission gets.

Plain dataclasses with no pytest or TensorFlow import, so any report can be rendered from a
stored record. `CheckResult` (one property check) -> `TestOutcome` (one hidden test, scaled to
its points) -> `SubmissionResult` (one notebook).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

# not_assessed: the check could not gather its evidence (0 points, the message says why);
# reports show it as "not assessed", never as a wrong answer
Status = Literal["passed", "wrong", "not_implemented", "error", "not_assessed"]
PictureKind = Literal["heatmap", "augmentation", "png"]


@dataclass
class Picture:
    """A picture for the feedback page, held in memory only (never serialised to JSON).

    - "heatmap": `heatmap` (the student's map) over `image`, beside `reference` when given;
    - "augmentation": `images`, a grid of augmented samples;
    - "png": `png`, ready-made bytes.
    """

    kind: PictureKind
    image: Any = None
    heatmap: Any = None
    reference: Any = None
    images: Any = None
    png: bytes | None = None


class RunError(StrEnum):
    """Why a notebook could not be (fully) graded: `SubmissionResult.error_kind`, set where the
    result is produced (`grading.pipeline`), so reports never parse the `error` prose."""

    BAD_INPUT = "bad_input"  # not a readable v4 notebook (missing, empty, binary, bad JSON...)
    TIMEOUT = "timeout"  # executing the notebook's cells ran past --timeout
    DEADLINE = "deadline"  # the submission's whole budget (notebook + calls) was spent
    CRASHED = "crashed"  # the student process died while running the notebook
    SETUP = "setup_error"  # the profile's data mode could not be entered
    INTERNAL = "internal_error"  # the grader itself failed on this notebook
    WORKER_LOST = "worker_lost"  # its grading worker died twice (e.g. killed from inside)



class IsolationMode(StrEnum):
    """How student code was run: in the sandbox (bubblewrap), with `--isolation none` (rlimits
    only, an explicit weaker mode), trusted in-process, or unknown (older records)."""

    SANDBOX = "sandbox"
    NONE = "none"
    IN_PROCESS = "in_process"
    UNKNOWN = "unknown"


class IsolationFeature(StrEnum):
    """One protection that was actually in place for a submission."""

    USER_NAMESPACE = "user_namespace"  # unprivileged uid/gid 65534 in a user namespace
    MINIMAL_ROOT = "minimal_root"  # read-only system dirs, a few /etc files, no repo/home
    NO_NETWORK = "no_network"
    PID_NAMESPACE = "pid_namespace"
    NO_CAPABILITIES = "no_capabilities"
    SECCOMP = "seccomp"  # setns/unshare/mount/ptrace/bpf/keyctl... refused
    BOUNDED_TMPFS = "bounded_tmpfs"  # size-limited /tmp and /dev/shm, wiped per student
    CGROUP = "cgroup"  # per-student memory (tmpfs counted) / pids / CPU cgroup, group kill
    RLIMITS = "rlimits"  # per-process address space / CPU / file size / core limits


@dataclass(frozen=True)
class Isolation:
    """The isolation a submission ran under (typed; reports translate it via the catalogs)."""

    mode: IsolationMode = IsolationMode.UNKNOWN
    features: tuple[IsolationFeature, ...] = ()
    pids_max: int | None = None

    def has(self, feature: IsolationFeature) -> bool:
        return feature in self.features

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode.value, "features": [f.value for f in self.features],
                "pids_max": self.pids_max}

    @classmethod
    def from_dict(cls, data: Any) -> Isolation:
        """Inverse of `to_dict`; anything else (an older record's text) is UNKNOWN."""
        if not isinstance(data, dict):
            return cls()
        known = {f.value for f in IsolationFeature}
        try:
            mode = IsolationMode(data.get("mode"))
        except ValueError:
            mode = IsolationMode.UNKNOWN
        pids = data.get("pids_max")
        return cls(mode, tuple(IsolationFeature(f) for f in data.get("features", [])
                               if f in known), pids if isinstance(pids, int) else None)


@dataclass
class CheckResult:
    """Outcome of one property check on one student function.

    `score` is in [0, max_score]; `message` is student-facing (already in the assignment's
    language); `details` holds the numbers found (JSON-serialisable); `picture` is what the
    feedback page shows for this check (never serialised to JSON).
    """

    name: str
    passed: bool
    score: float
    max_score: float = 1.0
    message: str = ""
    hint: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    status: Status = "passed"
    picture: Picture | None = field(default=None, repr=False)
    key: str = ""  # "<catalog>:<message key>" of the message, for grouping failures by kind

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (picture dropped, numpy scalars converted; `key` only when set)."""
        return {
            "name": self.name,
            "passed": self.passed,
            "score": float(self.score),
            "max_score": float(self.max_score),
            "message": self.message,
            "hint": self.hint,
            "details": _jsonable(self.details),
            "status": self.status,
            **({"key": self.key} if self.key else {}),
        }

    @classmethod
    def ok(cls, name: str, message: str = "", max_score: float = 1.0, **details: Any) -> CheckResult:
        return cls(name, True, max_score, max_score, message, "", details, "passed")

    @classmethod
    def fail(
        cls,
        name: str,
        message: str,
        hint: str = "",
        max_score: float = 1.0,
        status: Status = "wrong",
        key: str = "",
        **details: Any,
    ) -> CheckResult:
        return cls(name, False, 0.0, max_score, message, hint, details, status, key=key)


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples recursively into JSON types."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if np is not None:
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist() if value.size <= 64 else f"<array shape={value.shape}>"
    if isinstance(value, float) and value != value:
        return None
    return value


def total(results: list[CheckResult]) -> tuple[float, float]:
    """(score, max_score) summed over results."""
    return sum(r.score for r in results), sum(r.max_score for r in results)



@dataclass
class TestOutcome:
    """One hidden test after the run: score already scaled to its points."""

    id: str
    points: float
    score: float
    status: str  # "passed" | "failed" | "error" | "skipped"
    message: str
    paso: str
    visible: bool
    bonus: bool
    gpu: bool
    duration: float
    results: list[CheckResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "points": self.points, "score": round(self.score, 4),
            "status": self.status, "message": self.message, "paso": self.paso,
            "visible": self.visible, "bonus": self.bonus, "gpu": self.gpu,
            "duration": round(self.duration, 3),
            "checks": [r.to_dict() for r in self.results],
        }



@dataclass
class Timings:
    """Where one submission's grading time went (`grade --profile-checks`), in seconds.

    `notebook`: starting the student process and executing the notebook's cells; `suite`: the
    whole hidden suite; `transfer`: models crossing the sandbox (serialising the checker's
    models, bounding and rebuilding returned ones; part of `suite`); `tests`: each hidden
    test's own time, in run order; `shared`: the tests handed the check results of an earlier
    test of the same run (a `_basics` test's hidden twin: `checks.memo.per_run`), whose time is
    near 0 for that reason; `total`: the submission from reading to result;
    `deduplicated_from`: the student whose identical notebook was graded instead ("" if none).
    """

    total: float = 0.0
    notebook: float = 0.0
    suite: float = 0.0
    transfer: float = 0.0
    tests: dict[str, float] = field(default_factory=dict)
    deduplicated_from: str = ""
    shared: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"total": round(self.total, 3), "notebook": round(self.notebook, 3),
                "suite": round(self.suite, 3), "transfer": round(self.transfer, 3),
                "tests": {k: round(v, 3) for k, v in self.tests.items()},
                "deduplicated_from": self.deduplicated_from, "shared": list(self.shared)}

    @classmethod
    def from_dict(cls, data: Any) -> Timings | None:
        """Inverse of `to_dict`; None for anything that is not such a dict."""
        if not isinstance(data, dict):
            return None

        def num(v: Any) -> float:
            return float(v) if isinstance(v, (int, float)) else 0.0
        tests, shared = data.get("tests"), data.get("shared")
        return cls(num(data.get("total")), num(data.get("notebook")), num(data.get("suite")),
                   num(data.get("transfer")),
                   {str(k): num(v) for k, v in tests.items()} if isinstance(tests, dict) else {},
                   str(data.get("deduplicated_from") or ""),
                   [str(t) for t in shared] if isinstance(shared, list) else [])


@dataclass
class SubmissionResult:
    """One student's grade. `error` is a notebook-level problem (not a notebook, timeout, ...)
    reported alongside per-test outcomes (tests affected by it score 0); `error_kind` says which
    (`RunError`; None with no error, or in records written before it existed). `restarts`:
    fresh student processes started after the first died during a call."""

    student: str
    assignment: str
    notebook: str
    outcomes: dict[str, TestOutcome] = field(default_factory=dict)
    max_score: float = 0.0
    error: str | None = None
    error_kind: RunError | None = None
    restarts: int = 0
    lint: list[dict[str, Any]] = field(default_factory=list)  # {"cell", "line", "func", "kind", "message"}
    skipped_cells: list[int] = field(default_factory=list)
    cell_errors: list[dict[str, Any]] = field(default_factory=list)  # {"cell", "line", "exc_type", "message"}
    isolation: Isolation = field(default_factory=lambda: Isolation())
    node: str = ""  # the machine that graded it (cluster backends), "" for this machine
    probe_seed: int | None = None  # the checks' probe seed (a regrade with it reproduces)
    execution_time: float = 0.0
    stdout_tail: str = ""
    pictures: dict[str, dict[str, Picture]] = field(default_factory=dict, repr=False)  # test -> check
    timings: Timings | None = None  # set with `profile_checks` (grade --profile-checks)

    @property
    def score(self) -> float:
        """Base + extra: what nbgrader's `score` column holds (may exceed `max_score`)."""
        return round(sum(o.score for o in self.outcomes.values()), 4)

    @property
    def base_score(self) -> float:
        """Points of the regular tests, out of `max_score`."""
        return round(sum(o.score for o in self.outcomes.values() if not o.bonus), 4)

    @property
    def extra_score(self) -> float:
        """Points of the bonus (extra-credit) tests, out of `extra_max`."""
        return round(sum(o.score for o in self.outcomes.values() if o.bonus), 4)

    @property
    def extra_max(self) -> float:
        return round(sum(o.points for o in self.outcomes.values() if o.bonus), 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "student": self.student, "assignment": self.assignment, "notebook": self.notebook,
            "score": self.score, "max_score": self.max_score, "error": self.error,
            "error_kind": self.error_kind.value if self.error_kind else None,
            "restarts": self.restarts, "lint": self.lint, "skipped_cells": self.skipped_cells,
            "cell_errors": self.cell_errors, "isolation": self.isolation.to_dict(),
            "node": self.node, "probe_seed": self.probe_seed,
            "execution_time": round(self.execution_time, 3),
            "tests": [o.to_dict() for o in self.outcomes.values()],
            **({"timings": self.timings.to_dict()} if self.timings is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        outcomes = {}
        for t in data.get("tests", []):
            checks = [CheckResult(c["name"], c["passed"], c["score"], c["max_score"],
                                  c.get("message", ""), c.get("hint", ""), c.get("details", {}),
                                  c.get("status", "passed"), key=c.get("key", ""))
                      for c in t.get("checks", [])]
            outcomes[t["id"]] = TestOutcome(
                id=t["id"], points=t["points"], score=t["score"], status=t["status"],
                message=t.get("message", ""), paso=t.get("paso", ""),
                visible=t.get("visible", False), bonus=t.get("bonus", False),
                gpu=t.get("gpu", False), duration=t.get("duration", 0.0), results=checks)
        return cls(student=data["student"], assignment=data["assignment"],
                   notebook=data.get("notebook", ""), outcomes=outcomes,
                   max_score=data.get("max_score", 0.0), error=data.get("error"),
                   error_kind=_run_error(data.get("error_kind")),
                   restarts=int(data.get("restarts") or 0),
                   lint=data.get("lint", []), skipped_cells=data.get("skipped_cells", []),
                   cell_errors=data.get("cell_errors", []),
                   isolation=Isolation.from_dict(data.get("isolation")),
                   node=data.get("node", ""), probe_seed=data.get("probe_seed"),
                   execution_time=data.get("execution_time", 0.0),
                   timings=Timings.from_dict(data.get("timings")))



def _run_error(value: Any) -> RunError | None:
    """A stored `error_kind` (None for records without one, or with an unknown value)."""
    try:
        return RunError(value) if value else None
    except ValueError:
        return None
