"""`autograder validate NAME... | --all`: prove each reference solution earns full marks and each
untouched student template scores 0 with "not implemented" messages (no crash).

Both notebooks are graded like submissions, by `autograder.grading.pipeline.grade_notebook`
(sandboxed). `--in-process` (a debugging aid, also used by the kit's fast tests) runs the same
pipeline with `InProcessRunner`, in this process without a sandbox: trusted notebooks only. The report
line names the executor used. Exit 0 when every assignment validates, 1 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograder.assignment import Assignment, all_names
from autograder.assignment import load as load_assignment
from autograder.commands.grade import PROFILE_HELP
from autograder.errors import AutograderError
from autograder.messages import DEFAULT_LANG
from autograder.profiles import require_profile


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate", help="check that references pass every hidden test and templates score 0",
        description="Grade each assignment's reference solution and its generated student "
                    "template exactly as submissions are graded. The reference must earn every "
                    "point (GPU tests aside) and the untouched template must score 0 with "
                    "'not implemented' feedback on every test.",
        epilog="Exit codes: 0 every assignment validates, 1 a reference or template is wrong "
               "(each problem is listed), 2 bad input, 3 internal error.")
    p.add_argument("names", nargs="*", metavar="NAME", help="assignment names (see solutions/)")
    p.add_argument("--all", action="store_true", help="every assignment under solutions/")
    p.add_argument("--profile", default="ci", metavar="NAME", help=PROFILE_HELP)
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--skip-template", action="store_true", help="do not grade the template")
    p.add_argument("--in-process", action="store_true",
                   help="debugging aid: run the notebooks in this process without the sandbox "
                        "(faster, full tracebacks; trusted notebooks only)")
    p.set_defaults(func=run)


def grade_in_process(path: str | Path, assignment: Assignment, *, profile: str = "ci",
                     run_all: bool = False, gpu: bool = False,
                     student_id: str | None = None, probe_seed: int | None = None) -> Any:
    """Trusted notebooks only: the grading pipeline with `InProcessRunner` (no sandbox)."""
    from autograder.grading.pipeline import grade_notebook
    from autograder.grading.runners import InProcessRunner

    return grade_notebook(path, assignment, student_id=student_id, runner=InProcessRunner(),
                          profile=profile, run_all=run_all, gpu=gpu, probe_seed=probe_seed)


def grader_function(in_process: bool = False):
    """(grade function, executor description): the sandboxed grader, or with `in_process` the
    trusted in-process executor."""
    if in_process:
        return grade_in_process, "in-process executor (trusted, no sandbox)"
    from autograder.grading.pipeline import grade_notebook

    return grade_notebook, "autograder.grading.pipeline.grade_notebook (sandbox)"


# validation -----------------------------------------------------------------------------------
def _problems(label: str, assignment: Assignment, result: Any,
              judge: Callable[[Any, Any], list[str]]) -> list[str]:
    """Problems of `result` (the reference's or the template's): a notebook error, a CPU test
    that did not run, and what `judge(spec, outcome)` finds in each test that ran."""
    problems = [f"{label}: notebook error: {result.error}"] if result.error else []
    for spec in assignment.tests:
        if spec.gpu:
            continue
        outcome = result.outcomes.get(spec.id)
        if outcome is None:
            problems.append(f"{label}: test {spec.id} did not run")
        else:
            problems += [f"{label}: {text}" for text in judge(spec, outcome)]
    return problems


def _judge_reference(spec: Any, outcome: Any) -> list[str]:
    """The reference earns every point of every CPU test."""
    if abs(outcome.score - spec.points) <= 1e-6:
        return []
    why = "".join(f"\n      {line.strip()}" for line in outcome.message.splitlines()[:3]
                  if line.strip())
    return [f"{spec.id} scored {outcome.score:g}/{spec.points:g} ({outcome.status})"
            f"{':' + why if why else ''}"]


def _judge_template(spec: Any, outcome: Any) -> list[str]:
    """The untouched template scores 0 with "not implemented" feedback, never a crash."""
    found = []
    if outcome.score > 1e-9:
        found.append(f"{spec.id} scored {outcome.score:g} (expected 0)")
    if not outcome.results:
        found.append(f"{spec.id} {outcome.status} without check results (crash?): "
                     f"{outcome.message[:200]}")
    elif not any(r.status == "not_implemented" for r in outcome.results):
        found.append(f"{spec.id} has no 'not implemented' result: "
                     f"{[r.status for r in outcome.results]}")
    return found


def _problems_reference(assignment: Assignment, result: Any) -> list[str]:
    return _problems("reference", assignment, result, _judge_reference)


def _problems_template(assignment: Assignment, result: Any) -> list[str]:
    return _problems("template", assignment, result, _judge_template)


def validate(name: str, *, profile: str = "ci", skip_template: bool = False,
             in_process: bool = False) -> dict[str, Any]:
    """Grade reference (+ template); return a JSON-safe report with `ok` and `problems`."""
    assignment = load_assignment(name)
    require_profile(assignment, profile)
    grade, executor = grader_function(in_process)
    report: dict[str, Any] = {"assignment": assignment.name, "profile": profile,
                              "executor": executor, "problems": []}
    started = time.monotonic()
    # the assignment's seed as probe seed: a validation is reproducible (grading draws a
    # secret one per batch)
    ref = grade(assignment.notebook, assignment, profile=profile, student_id="reference",
                probe_seed=assignment.seed)
    bonus = sum(o.score for o in ref.outcomes.values() if o.bonus)
    report["reference"] = {"score": ref.score, "max_score": ref.max_score, "bonus": bonus,
                           "seconds": round(time.monotonic() - started, 1),
                           "tests": {k: o.score for k, o in ref.outcomes.items()}}
    report["problems"] += _problems_reference(assignment, ref)
    template = assignment.output_dir / f"{assignment.name}.ipynb"
    if not skip_template:
        if not template.is_file():
            report["problems"].append(f"template {template} missing: run `autograder generate "
                                      f"{assignment.name}`")
        else:
            started = time.monotonic()
            tpl = grade(template, assignment, profile=profile, student_id="template",
                        probe_seed=assignment.seed)
            report["template"] = {"score": tpl.score, "seconds":
                                  round(time.monotonic() - started, 1)}
            report["problems"] += _problems_template(assignment, tpl)
    report["ok"] = not report["problems"]
    return report


def run(args: argparse.Namespace) -> int:
    names = all_names() if args.all else list(args.names)
    if not names:
        raise AutograderError("name an assignment or pass --all")
    if not args.in_process:
        from autograder.commands._isolation import preflight

        preflight(None, DEFAULT_LANG)  # the sandbox, or exit 2 before grading anything
    reports = []
    for n in names:
        try:
            reports.append(validate(n, profile=args.profile, skip_template=args.skip_template,
                                    in_process=args.in_process))
        except AutograderError as exc:
            if len(names) == 1:
                raise
            reports.append({"assignment": n, "profile": args.profile, "executor": "-",
                            "ok": False, "problems": [f"error: {exc}"],
                            "reference": {"score": 0, "bonus": 0, "max_score": 0, "seconds": 0}})
    if args.json:
        json.dump(reports, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        for r in reports:
            ref = r["reference"]
            line = (f"{'OK  ' if r['ok'] else 'FAIL'} {r['assignment']} [{r['profile']}] "
                    f"reference {ref['score'] - ref['bonus']:g}/{ref['max_score']:g}"
                    f" (+{ref['bonus']:g} bonus) in {ref['seconds']} s")
            if "template" in r:
                line += f"; template {r['template']['score']:g} in {r['template']['seconds']} s"
            print(line + f"  ({r['executor']})")
            for p in r["problems"]:
                print(f"    - {p}")
    return 0 if all(r["ok"] for r in reports) else 1
