"""`autograder generate`: student templates + nbgrader source notebooks from reference solutions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.assignment import all_names, load
from autograder.errors import AutograderError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate", help="generate student templates and nbgrader source notebooks",
        description="Write assignments/<name>/<name>.ipynb (student template), "
                    "assignments/<name>/source/<name>.ipynb (nbgrader source), "
                    "nbgrader_config.py and README.md from solutions/<name>/. "
                    "Byte-identical on re-run.")
    p.add_argument("solutions", nargs="*", metavar="SOLUTION",
                   help="solution folder or assignment name (see --all)")
    p.add_argument("--all", action="store_true", help="every assignment under solutions/")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 and list the stale files if any would change")
    p.set_defaults(func=run)


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run(args: argparse.Namespace) -> int:
    from autograder.authoring.generate import build, reference_warnings, stale, write

    names = list(args.solutions)
    if args.all:
        names += [n for n in all_names() if n not in names]
    if not names:
        if args.all:
            print("autograder generate: no assignments under solutions/ (nothing to do)")
            return 0
        raise AutograderError("give a solution folder or name, or --all")
    # build everything first: a marker error in one assignment writes nothing at all
    planned = {}
    for name in names:
        spec = load(name)
        planned.update(build(spec))
        for warning in reference_warnings(spec):
            print(f"autograder generate: warning: {warning}", file=sys.stderr)
    if args.check:
        old = stale(planned)
        for path in old:
            print(f"stale: {_show(path)}")
        if old:
            print(f"{len(old)} generated file(s) are stale: run `autograder generate --all`",
                  file=sys.stderr)
            return 1
        print(f"up to date: {len(planned)} file(s) for {len(names)} assignment(s)")
        return 0
    written = write(planned)
    for path in written:
        print(f"wrote {_show(path)}")
    print(f"{len(written)} file(s) written, {len(planned) - len(written)} unchanged")
    return 0
