"""No credit for doing nothing (issue 17): null implementations x contract functions x assignments.

Every null variant of `tests/corpus/nulls.py` runs in ONE sandboxed student process per
assignment and is graded through the same path as a submission: `SandboxStudent` proxies and
the real hidden suite (`grading.suite.run_suite`). Each (assignment, test, null kind) must score
0 points. With `AUTOGRADER_NULL_TABLE=FILE` the module writes the table of points it measured.
The `training` test (CPU learnability, slow) is left out: its model half is covered by
the `model` test, which null models fail structurally.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder import assignment as assignment_mod
from autograder.grading.suite import run_suite
from tests.corpus.nulls import NULLS, NullStudent, notebook_source

pytestmark = pytest.mark.slow

ASSIGNMENTS = ("ut3_10_flowers", "p10x_pets")
SKIP_TESTS = {"training", "accuracy"}  # slow learnability check; GPU only


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for name in ASSIGNMENTS:
        a = assignment_mod.load(name)
        for t in a.tests:
            if t.id in SKIP_TESTS or len(t.functions) != 1:
                continue
            cases.extend((name, t.id, kind) for kind in NULLS.get(t.functions[0], {}))
    return cases


CASES = _cases()


class _Runs:
    """One sandboxed process per assignment; suite outcomes cached per null kind."""

    def __init__(self) -> None:
        self.procs: dict[str, object] = {}
        self.outcomes: dict[tuple[str, str], dict] = {}

    def student(self, name: str):
        import nbformat

        from autograder.sandbox.host import StudentProcess
        from autograder.sandbox.proxy import SandboxStudent
        from autograder.sandbox.zygote import get_zygote

        if name not in self.procs:
            a = assignment_mod.load(name)
            nb = nbformat.v4.new_notebook()
            nb.cells = [nbformat.v4.new_code_cell(notebook_source(a.functions))]
            proc = StudentProcess(get_zygote(), timeout=120, call_timeout=60)
            report = proc.run_notebook(nbformat.writes(nb))
            assert report.state == "alive" and report.cell_errors == [], report
            self.procs[name] = proc
        return SandboxStudent(self.procs[name])

    def outcome(self, name: str, test_id: str, kind: str):
        if (name, kind) not in self.outcomes:
            a = assignment_mod.load(name)
            select = [i for n, i, k in CASES if n == name and k == kind]
            outcomes, _ = run_suite(a, NullStudent(self.student(name), kind), select=select)
            self.outcomes[(name, kind)] = outcomes
        return self.outcomes[(name, kind)][test_id]

    def close(self) -> None:
        for proc in self.procs.values():
            proc.close()
        table = os.environ.get("AUTOGRADER_NULL_TABLE")
        if table:  # the closing note's table: assignment | test | null kind | points
            rows = [f"| {n} | {t} | {k} | {o[t].score:g} / {o[t].points:g} |"
                    for (n, k), o in sorted(self.outcomes.items()) for t in sorted(o)
                    if (n, t, k) in CASES]
            Path(table).write_text("| assignment | test | null | points |\n|---|---|---|---|\n"
                                   + "\n".join(sorted(rows)) + "\n")


@pytest.fixture(scope="module")
def runs():
    r = _Runs()
    yield r
    r.close()


PARAMS = [pytest.param(*c, id="-".join(c)) for c in CASES]


@pytest.mark.parametrize(("name", "test_id", "kind"), PARAMS)
def test_null_implementation_scores_zero(runs, name, test_id, kind):
    o = runs.outcome(name, test_id, kind)
    credited = [f"{r.name} ({r.score:g}/{r.max_score:g})" for r in o.results if r.score > 0]
    assert o.score == 0, f"{kind} {test_id}: {o.score:g}/{o.points:g} from {credited}"
    silent = [r.name for r in o.results if not r.passed and not r.message]
    assert not silent, f"{kind} {test_id}: results that score 0 without saying why: {silent}"
