"""`autograder lint NB`: static findings (unfilled ___, NotImplementedError, syntax, metadata)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lint", help="statically check a template or submission (nothing is executed)",
        description="Report unfilled ___, raise NotImplementedError per function, missing "
                    "contract functions, syntax errors and copied/recreated nbgrader cells. "
                    "Exit 1 when anything is found.")
    p.add_argument("notebook", help="notebook to lint (.ipynb)")
    p.add_argument("--assignment", "-a", help="assignment name or solution folder (contract)")
    p.add_argument("--lang", choices=("es", "en"), help="message language")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from autograder.lint import lint_notebook

    issues = lint_notebook(args.notebook, args.assignment, lang=args.lang)
    if args.json:
        print(json.dumps([i.to_dict() for i in issues], ensure_ascii=False, indent=1))
    else:
        for i in issues:
            where = f"cell {i.cell}" if i.cell is not None else "notebook"
            if i.line is not None:
                where += f", line {i.line}"
            print(f"{args.notebook}: {where}: {i.kind}: {i.message}")
        print(f"{len(issues)} issue(s)" if issues else "no issues")
    return 1 if issues else 0
