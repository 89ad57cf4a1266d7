"""What `autograder mutate` found: per mutant, per test and per check; JSON and HTML.

A mutant is *killed* when at least one selected test scored less than the reference did in the
same worker, *survived* when none did, *equivalent?* when it survived and every output the
checks received from it equalled the reference's on the same probe inputs (listed, excluded
from the rate), and *untested* when no `[[tests]]` entry names its function (counted as a
survivor: nothing would catch it). A test kills a mutant when its own score dropped; a check
kills it when it failed for the mutant and passed for the reference.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from autograder.authoring.mutants import Mutant

TEMPLATE = "mutation.html.j2"
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "report" / "templates"


class Verdict(StrEnum):
    KILLED = "killed"
    SURVIVED = "survived"
    EQUIVALENT = "equivalent?"
    UNTESTED = "untested"


@dataclass
class TestScore:
    """One hidden test's outcome for the reference or a mutant."""

    __test__ = False  # not a pytest class

    test: str
    score: float
    points: float
    status: str
    failed_checks: list[str] = field(default_factory=list)
    passed_checks: list[str] = field(default_factory=list)


@dataclass
class MutantOutcome:
    mutant: Mutant
    verdict: Verdict
    runs: list[TestScore] = field(default_factory=list)
    killed_by: list[str] = field(default_factory=list)        # test ids
    killing_checks: list[str] = field(default_factory=list)   # "test.check"
    duration: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        m = self.mutant
        return {"id": m.id, "function": m.func, "operator": m.operator.value, "line": m.line,
                "description": m.description, "diff": m.diff, "verdict": self.verdict.value,
                "killed_by": self.killed_by, "killing_checks": self.killing_checks,
                "scores": {r.test: {"score": round(r.score, 4), "points": r.points,
                                    "status": r.status} for r in self.runs},
                "duration_s": round(self.duration, 2)}


@dataclass
class Tally:
    """Mutants a test (or check) saw, and how many it killed."""

    killed: int = 0
    survived: int = 0

    @property
    def rate(self) -> float | None:
        n = self.killed + self.survived
        return self.killed / n if n else None

    def to_dict(self) -> dict[str, Any]:
        rate = self.rate
        return {"killed": self.killed, "survived": self.survived,
                "kill_rate": None if rate is None else round(rate, 4)}


@dataclass
class MutationReport:
    assignment: str
    seed: int
    limit: int | None
    generated: int                       # mutants generated before sampling
    outcomes: list[MutantOutcome]
    baseline: dict[str, TestScore]         # the reference's outcome per test
    elapsed: float = 0.0
    jobs: int = 1
    isolation: str = ""

    def counted(self) -> list[MutantOutcome]:
        """The non-equivalent mutants (the rate's denominator)."""
        return [o for o in self.outcomes if o.verdict is not Verdict.EQUIVALENT]

    @property
    def mutants(self) -> int:
        return len(self.counted())

    @property
    def kill_rate(self) -> float:
        counted = self.counted()
        killed = sum(o.verdict is Verdict.KILLED for o in counted)
        return killed / len(counted) if counted else 1.0

    def baseline_failures(self) -> list[str]:
        """Tests the unmutated reference did not pass in full here: they cannot kill anything,
        so the run says nothing about them (a broken reference or a flaky check)."""
        return [t for t, r in self.baseline.items() if r.score < r.points - 1e-9]

    def by(self, verdict: Verdict) -> list[MutantOutcome]:
        return [o for o in self.outcomes if o.verdict is verdict]

    def tests(self) -> dict[str, Tally]:
        """Per test: the counted mutants it ran, killed or not by that test."""
        out: dict[str, Tally] = {t: Tally() for t in self.baseline}
        for o in self.counted():
            for r in o.runs:
                tally = out.setdefault(r.test, Tally())
                if r.test in o.killed_by:
                    tally.killed += 1
                else:
                    tally.survived += 1
        return out

    def checks(self) -> dict[str, Tally]:
        """Per check ("test.check"): the counted mutants whose run recorded it."""
        out: dict[str, Tally] = {}
        for o in self.counted():
            for r in o.runs:
                for name in sorted(set(r.failed_checks) | set(r.passed_checks)):
                    key = f"{r.test}.{name}"
                    tally = out.setdefault(key, Tally())
                    if key in o.killing_checks:
                        tally.killed += 1
                    else:
                        tally.survived += 1
        return dict(sorted(out.items()))

    def functions(self) -> dict[str, Tally]:
        out: dict[str, Tally] = {}
        for o in self.counted():
            tally = out.setdefault(o.mutant.func, Tally())
            if o.verdict is Verdict.KILLED:
                tally.killed += 1
            else:
                tally.survived += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment, "seed": self.seed, "limit": self.limit,
            "generated": self.generated, "mutants": self.mutants,
            "kill_rate": round(self.kill_rate, 4),
            "killed": len(self.by(Verdict.KILLED)), "survived": len(self.by(Verdict.SURVIVED)),
            "untested": len(self.by(Verdict.UNTESTED)),
            "equivalent": len(self.by(Verdict.EQUIVALENT)),
            "tests": {k: v.to_dict() for k, v in self.tests().items()},
            "checks": {k: v.to_dict() for k, v in self.checks().items()},
            "functions": {k: v.to_dict() for k, v in self.functions().items()},
            "baseline": {k: asdict(v) for k, v in self.baseline.items()},
            "baseline_failures": self.baseline_failures(),
            "outcomes": [o.to_dict() for o in self.outcomes],
            "elapsed_s": round(self.elapsed, 1), "jobs": self.jobs, "isolation": self.isolation,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_html(self) -> str:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined

        env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        return env.get_template(TEMPLATE).render(report=self, data=self.to_dict(),
                                                 Verdict=Verdict)

    def write(self, outdir: Path) -> tuple[Path, Path]:
        """Write `mutation.json` and `mutation.html` into `outdir`; return their paths."""
        from autograder.notebook_io import write_text_atomic

        outdir.mkdir(parents=True, exist_ok=True)
        js, html = outdir / "mutation.json", outdir / "mutation.html"
        write_text_atomic(js, self.to_json() + "\n")
        write_text_atomic(html, self.to_html())
        return js, html
