"""`autograder lint NB`: static findings (unfilled ___, NotImplementedError, syntax, metadata).

Without --assignment the contract (missing functions) comes from the assignment inferred like
`autograder check` does (notebook metadata, then file name); when none can be inferred, the
contract checks are skipped and stderr says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from autograder.errors import AutograderError
from autograder.messages import DEFAULT_LANG, LANGS, msg


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lint", help="statically check a template or submission (nothing is executed)",
        description="Report unfilled ___, raise NotImplementedError per function, missing "
                    "contract functions, syntax errors and copied/recreated nbgrader cells. "
                    "Exit 1 when anything is found.")
    p.add_argument("notebook", help="notebook to lint (.ipynb)")
    p.add_argument("--assignment", "-a",
                   help="assignment name or solution folder (default: from notebook metadata "
                        "or file name)")
    p.add_argument("--lang", choices=LANGS, help="message language")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from autograder.assignment import load
    from autograder.authoring.lint import blocking, lint_notebook, shown_cell
    from autograder.commands._infer import infer_assignment
    from autograder.notebook_io import read_notebook

    nb = read_notebook(args.notebook)
    spec = None
    if args.assignment:
        spec = load(args.assignment)
    else:
        try:
            spec = load(infer_assignment(Path(args.notebook), nb))
        except AutograderError:
            pass
    lang = args.lang or (spec.language if spec else DEFAULT_LANG)
    if spec is None:
        print(msg("lint", "cli_no_contract", lang), file=sys.stderr)
    issues = lint_notebook(nb, spec, lang=lang)
    if args.json:
        print(json.dumps([i.to_dict() for i in issues], ensure_ascii=False, indent=1))
    else:
        for i in issues:
            where = msg("lint", "cli_where", lang, cell=shown_cell(i.cell), line=i.line)
            print(f"{args.notebook}: {where}: {i.message}")  # codes only in --json
        print(msg("lint", "cli_summary", lang, n=len(issues)))
    return 1 if blocking(issues) else 0
