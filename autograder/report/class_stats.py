"""Class-level numbers from many `SubmissionResult`s: what `index.html`, `grades.json` and
`autograder report --json` show.

Everything is derived from structured fields, never from message prose:
- why a student scored 0: `SubmissionResult.error_kind` (bad file, timeout, crash, setup,
  internal), else the tests' statuses (`summary.outcome_status`) and lint kinds (unfilled
  template, code that raised, wrong answers); a record with an `error` but no `error_kind`
  (written before it existed) is "other";
- failing messages are grouped per check by `CheckResult.key` (the catalog entry the message
  was rendered from); checks without a key are grouped by their message with numbers elided.
Rates: a test's pass rate counts every student (a notebook that could not run failed it) except
those for whom it was skipped with a reason; a check's pass rate counts the students in whose
run that check produced a result.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from autograder.model import CheckResult, SubmissionResult
from autograder.report.summary import outcome_status

EXAMPLES_PER_GROUP = 2
GROUPS_PER_CHECK = 3
SLOWEST = 5
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w])")
_UNFILLED_LINT = {"unfilled_blank", "not_implemented", "missing_function"}


class ZeroCause(StrEnum):
    """Why a student has 0 points (the `class_report` catalog has a label `zero_<value>`)."""

    BAD_INPUT = "bad_input"
    TIMEOUT = "timeout"
    DEADLINE = "deadline"
    CRASHED = "crashed"
    SETUP = "setup_error"
    INTERNAL = "internal_error"
    WORKER_LOST = "worker_lost"
    OTHER_ERROR = "other_error"  # an `error` without `error_kind` (older records)
    UNFILLED = "unfilled"  # the template left as given: NotImplementedError / `___`
    RAISED = "raised"  # their code ran but raised in every test
    WRONG = "wrong"  # answers checked and wrong


def elide(message: str) -> str:
    """`message` with every number replaced by `…` (groups messages that differ in values)."""
    return _NUMBER.sub("…", message or "").strip()


def zero_cause(result: SubmissionResult) -> ZeroCause | None:
    """Why `result` scored 0 (None when it scored anything)."""
    if result.score > 0:
        return None
    if result.error_kind is not None:
        return ZeroCause(result.error_kind.value)
    if result.error:
        return ZeroCause.OTHER_ERROR
    statuses = {outcome_status(o) for o in result.outcomes.values()} - {"passed", "skipped"}
    if statuses == {"not_implemented"}:
        return ZeroCause.UNFILLED
    if statuses & {"wrong", "partial"}:
        return ZeroCause.WRONG
    if any(f.get("kind") in _UNFILLED_LINT for f in result.lint):
        return ZeroCause.UNFILLED
    return ZeroCause.RAISED if "error" in statuses else ZeroCause.WRONG


@dataclass
class FailureGroup:
    """Students who failed one check with the same message (values elided)."""

    key: str  # catalog key, or "" when grouped by the elided text
    message: str  # the message with numbers elided
    status: str
    count: int = 0
    examples: list[str] = field(default_factory=list)  # first students, sorted


@dataclass
class CheckStat:
    test: str
    check: str
    paso: str
    runs: int = 0
    passed: int = 0
    failures: list[FailureGroup] = field(default_factory=list)  # most frequent first

    @property
    def pass_rate(self) -> float:
        return self.passed / self.runs if self.runs else 0.0


@dataclass
class TestStat:
    id: str
    paso: str
    points: float
    bonus: bool
    students: int = 0
    passed: int = 0
    skipped: int = 0  # skipped with a reason (evidence not gathered): not in the pass rate
    total_score: float = 0.0

    @property
    def pass_rate(self) -> float:
        ran = self.students - self.skipped
        return self.passed / ran if ran else 0.0

    @property
    def mean_score(self) -> float:
        return self.total_score / self.students if self.students else 0.0


@dataclass
class PasoStat:
    paso: str
    points: float  # regular points of its tests (bonus apart)
    bonus_points: float
    mean_score: float  # per student, bonus included
    pass_rate: float  # passed (student, test) pairs / all pairs
    tests: list[str]


@dataclass
class StudentRow:
    student: str
    score: float
    base: float
    bonus: float
    max_score: float
    tests_passed: int
    tests_total: int
    error_kind: str | None
    zero_cause: str | None
    execution_time: float
    restarts: int
    isolation: dict[str, Any]  # Isolation.to_dict()


@dataclass
class ClassStats:
    """The class report's numbers (see module docstring); `to_dict()` is the JSON form."""

    assignment: str
    count: int
    max_score: float
    bonus_points: float
    mean: float
    median: float
    mean_base: float
    mean_bonus: float
    zeros: dict[str, list[str]]  # ZeroCause value -> students
    errors: dict[str, int]  # RunError value -> students (any score)
    pasos: list[PasoStat]
    tests: list[TestStat]
    checks: list[CheckStat]  # worst pass rate first
    students: list[StudentRow]  # sorted by id
    isolation: list[tuple[dict[str, Any], int]]  # (Isolation.to_dict(), students), most first
    total_time: float
    restarts: int

    def slowest(self, n: int = SLOWEST) -> list[StudentRow]:
        return sorted(self.students, key=lambda s: (-s.execution_time, s.student))[:n]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for t, ts in zip(data["tests"], self.tests, strict=True):
            t.update(pass_rate=round(ts.pass_rate, 4), mean_score=round(ts.mean_score, 4))
            del t["total_score"]
        for c, cs in zip(data["checks"], self.checks, strict=True):
            c["pass_rate"] = round(cs.pass_rate, 4)
        data["slowest"] = [s.student for s in self.slowest()]
        return data


def _split(result: SubmissionResult) -> tuple[float, float]:
    """(base, bonus) points of one student."""
    bonus = sum(o.score for o in result.outcomes.values() if o.bonus)
    return round(result.score - bonus, 4), round(bonus, 4)


def _student_row(r: SubmissionResult) -> StudentRow:
    base, bonus = _split(r)
    cause = zero_cause(r)
    return StudentRow(
        student=r.student, score=r.score, base=base, bonus=bonus, max_score=float(r.max_score),
        tests_passed=sum(outcome_status(o) == "passed" for o in r.outcomes.values()),
        tests_total=len(r.outcomes), error_kind=r.error_kind.value if r.error_kind else None,
        zero_cause=cause.value if cause else None, execution_time=round(r.execution_time, 3),
        restarts=r.restarts, isolation=r.isolation.to_dict())


def _add_failure(stat: CheckStat, result: CheckResult, student: str) -> None:
    """Count `student` in the group of `result`'s catalog key (or elided text, without one)."""
    text = elide(result.message)
    same = (lambda g: g.key == result.key) if result.key else (
        lambda g: not g.key and g.message == text)
    group = next((g for g in stat.failures if same(g)), None)
    if group is None:
        group = FailureGroup(result.key, text, result.status)
        stat.failures.append(group)
    group.count += 1
    group.examples.append(student)


def _test_and_check_stats(results: list[SubmissionResult]) -> tuple[list[TestStat],
                                                                       list[CheckStat]]:
    tests: dict[str, TestStat] = {}
    checks: dict[tuple[str, str], CheckStat] = {}
    for r in sorted(results, key=lambda r: r.student):
        for o in r.outcomes.values():
            ts = tests.setdefault(o.id, TestStat(o.id, o.paso, float(o.points), o.bonus))
            ts.students += 1
            ts.passed += outcome_status(o) == "passed"
            ts.skipped += outcome_status(o) == "skipped"
            ts.total_score += o.score
            seen: set[str] = set()
            for c in o.results:
                if c.name in seen:  # one verdict per student and check
                    continue
                seen.add(c.name)
                cs = checks.setdefault((o.id, c.name), CheckStat(o.id, c.name, o.paso))
                cs.runs += 1
                if c.passed:
                    cs.passed += 1
                else:
                    _add_failure(cs, c, r.student)
    for cs in checks.values():
        cs.failures.sort(key=lambda g: (-g.count, g.key, g.message))
        del cs.failures[GROUPS_PER_CHECK:]
        for g in cs.failures:
            del g.examples[EXAMPLES_PER_GROUP:]
    order = {tid: i for i, tid in enumerate(tests)}
    ranked = sorted(checks.values(),
                    key=lambda c: (c.pass_rate, -c.runs, order[c.test], c.check))
    return list(tests.values()), ranked


def _paso_stats(tests: list[TestStat], count: int) -> list[PasoStat]:
    out: dict[str, PasoStat] = {}
    pairs: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for t in tests:
        name = t.paso or "—"
        p = out.setdefault(name, PasoStat(name, 0.0, 0.0, 0.0, 0.0, []))
        p.tests.append(t.id)
        if t.bonus:
            p.bonus_points += t.points
        else:
            p.points += t.points
        p.mean_score += t.total_score / count if count else 0.0
        pairs[name] += t.students - t.skipped
        passed[name] += t.passed
    for name, p in out.items():
        p.pass_rate = passed[name] / pairs[name] if pairs[name] else 0.0
        p.mean_score = round(p.mean_score, 4)
    return list(out.values())


def class_stats(results: list[SubmissionResult]) -> ClassStats:
    """Aggregate a batch (any order; one result per student)."""
    rows = [_student_row(r) for r in sorted(results, key=lambda r: r.student)]
    tests, checks = _test_and_check_stats(results)
    n = len(rows)
    zeros: dict[str, list[str]] = {c.value: [] for c in ZeroCause}
    for row in rows:
        if row.zero_cause:
            zeros[row.zero_cause].append(row.student)
    assignments = sorted({r.assignment for r in results})
    return ClassStats(
        assignment=", ".join(assignments), count=n,
        max_score=max((row.max_score for row in rows), default=0.0),
        bonus_points=sum(t.points for t in tests if t.bonus),
        mean=round(statistics.fmean(r.score for r in rows), 4) if rows else 0.0,
        median=round(statistics.median(r.score for r in rows), 4) if rows else 0.0,
        mean_base=round(statistics.fmean(r.base for r in rows), 4) if rows else 0.0,
        mean_bonus=round(statistics.fmean(r.bonus for r in rows), 4) if rows else 0.0,
        zeros={k: v for k, v in zeros.items() if v},
        errors=dict(sorted(Counter(r.error_kind for r in rows if r.error_kind).items())),
        pasos=_paso_stats(tests, n), tests=tests, checks=checks, students=rows,
        isolation=[(json.loads(k), n) for k, n in Counter(
            json.dumps(r.isolation, sort_keys=True) for r in rows).most_common()],
        total_time=round(sum(r.execution_time for r in rows), 3),
        restarts=sum(r.restarts for r in rows))


def check_rates(results: list[SubmissionResult]) -> dict[str, dict[str, dict[str, Any]]]:
    """{test: {check: {"runs", "passed", "pass_rate"}}} for grades.json (test order kept)."""
    tests, checks = _test_and_check_stats(results)
    out: dict[str, dict[str, dict[str, Any]]] = {t.id: {} for t in tests}
    for c in sorted(checks, key=lambda c: c.check):
        out[c.test][c.check] = {"runs": c.runs, "passed": c.passed,
                                "pass_rate": round(c.pass_rate, 4)}
    return out


__all__ = ["ClassStats", "CheckStat", "FailureGroup", "PasoStat", "StudentRow",
           "TestStat", "ZeroCause", "check_rates", "class_stats", "elide", "zero_cause"]
