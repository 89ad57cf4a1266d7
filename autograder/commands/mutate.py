"""`autograder mutate NAME`: grade mutants of the reference; report how strong each hidden test is.

Prints a summary (or, with --json, one JSON object: `mutants`, `kill_rate`, `tests`, ...) and
writes `mutation.json` + `mutation.html` into `-o OUT` (default `out/mutation/<name>`). Exit 0,
or 1 when the kill rate is under the assignment's `[mutation] min_kill_rate`; 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.messages import LANGS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mutate", help="measure how strong each hidden test is (mutation testing of the reference)",
        description="Generate mutants of the reference's contract functions (student slips: "
                    "operators, constants, axes, dropped ReLU/normalisation, swapped arguments, "
                    "transposes, training flags, mean/sum, deleted statements, inputs returned "
                    "unchanged), grade each in the sandbox with the tests that touch its "
                    "function, and report killed / survived per test and per check.",
        epilog="Exit codes: 0 ok, 1 kill rate under [mutation] min_kill_rate, 2 bad input.")
    p.add_argument("name", metavar="NAME", help="assignment name or solution folder")
    pick = p.add_mutually_exclusive_group()
    pick.add_argument("--limit", type=int, help="grade at most N mutants (sampled with --seed)")
    pick.add_argument("--only", action="append", metavar="ID[,ID...]",
                      help="grade only these mutants, ids as the report prints them "
                           "(e.g. make_pipeline#11,make_pipeline#14); repeatable")
    p.add_argument("--seed", type=int, help="sampling seed (default: the assignment's seed)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="parallel workers (default 1)")
    p.add_argument("--call-timeout", type=float, default=60.0,
                   help="seconds per call into a mutated function (default 60)")
    p.add_argument("--first-kill", action="store_true",
                   help="stop each mutant at the first test that kills it (faster, same verdicts; "
                        "per-test tallies then count fewer runs)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--lang", choices=LANGS, default=None,
                   help="language of the checks' messages and of errors (default: the "
                        "assignment's)")
    p.add_argument("-o", "--output", help="folder for mutation.json and mutation.html "
                                          "(default out/mutation/NAME)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from autograder.assignment import load
    from autograder.authoring.mutate import MutateOptions, run_mutation
    from autograder.authoring.mutation_report import Verdict
    from autograder.errors import AutograderError

    if args.limit is not None and args.limit < 1:
        raise AutograderError("--limit must be at least 1")
    a = load(args.name)
    lang = args.lang or a.language
    only = None
    if args.only is not None:
        only = [i.strip() for arg in args.only for i in arg.split(",") if i.strip()]
        if not only:
            raise AutograderError("--only needs at least one mutant id (e.g. make_pipeline#11)")
    quiet = args.json or not sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if not quiet:
            print(f"\r{done}/{total} mutants", end="", file=sys.stderr, flush=True)

    report = run_mutation(a, limit=args.limit, seed=args.seed, jobs=args.jobs,
                          options=MutateOptions(call_timeout=args.call_timeout,
                                                first_kill=args.first_kill, lang=lang),
                          progress=progress, only=only)
    out = Path(args.output) if args.output else Path("out") / "mutation" / a.name
    js, html = report.write(out)
    floor = a.mutation.min_kill_rate if a.mutation else None
    if args.json:
        print(report.to_json())
    else:
        print(f"{a.name}: {report.mutants} mutants graded ({report.generated} generated), "
              f"kill rate {report.kill_rate:.1%}, {len(report.by(Verdict.EQUIVALENT))} "
              f"equivalent?, {report.elapsed:.0f} s")
        for test, tally in report.tests().items():
            rate = "-" if tally.rate is None else f"{tally.rate:.0%}"
            print(f"  {test:28s} killed {tally.killed:3d}  survived {tally.survived:3d}  {rate}")
        for o in report.by(Verdict.SURVIVED) + report.by(Verdict.UNTESTED):
            print(f"  survived {o.mutant.id}: {o.mutant.description}")
        for test in report.baseline_failures():
            print(f"  WARNING: the reference itself does not pass `{test}` here: its numbers "
                  "mean nothing (run `autograder validate`)")
        print(f"reports: {js} {html}")
    if floor is not None and report.kill_rate < floor:
        print(f"{a.name}: kill rate {report.kill_rate:.3f} under [mutation] min_kill_rate "
              f"{floor}", file=sys.stderr)
        return 1
    return 0
