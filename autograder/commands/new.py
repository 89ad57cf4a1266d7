"""`autograder new NAME`: scaffold `solutions/NAME/` (see `autograder.authoring.scaffold`)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "new", help="scaffold a new assignment under solutions/ (instructors)",
        description="Write solutions/NAME/NAME.ipynb (reference with a `parameters` cell and "
                    "one PASO), assignment.toml (every key, optional ones commented; see "
                    "docs/authoring.md) and tests/test_NAME.py. `autograder generate NAME` and "
                    "`autograder validate NAME` accept the result as is.")
    p.add_argument("name", metavar="NAME", help="assignment name (lowercase, digits, _)")
    p.add_argument("--title", default="", help="student-facing title")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from autograder.assignment import solutions_dir
    from autograder.authoring.scaffold import scaffold
    from autograder.notebook_io import write_text_atomic

    files = scaffold(args.name, solutions_dir(), args.title)
    for path, text in files.items():
        write_text_atomic(path, text)
        print(f"wrote {path}")
    print(f"next: edit them, then `autograder generate {args.name}` and "
          f"`autograder validate {args.name}`")
    return 0
