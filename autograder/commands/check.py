"""`autograder check NOTEBOOK`: the student's local check before submitting.

Static lint first (unfilled `___`, `raise NotImplementedError()`, missing functions, syntax
errors: autograder.lint), then the assignment's VISIBLE tests in the sandbox
(grader.grade_notebook(visible_only=True)); hidden tests never run and no test source is printed.
The summary separates "not implemented yet" from "wrong". Without --assignment, the student
bundle next to the notebook (`autograder_check/` in its folder or one level up, written by
`autograder generate`: visible tests only) wins; else the assignment is inferred from the
notebook's metadata (`metadata.autograder.assignment`) or its file name under solutions/.
`--assignment` takes a name, a solution folder or a bundle folder. Exit codes: 0 every visible
check passes and lint is clean, 1 something to fix (unlike `nbgrader validate`, which exits 0),
2 usage or bad input, 3 internal error. Untouched optional (extra-credit) functions are
reported as optional and never make it exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from autograder import assignment as assignment_mod
from autograder.commands._infer import find_bundle, infer_assignment
from autograder.commands._isolation import add_isolation_arg, preflight
from autograder.commands.grade import quiet_stdout
from autograder.errors import AutograderError, NotebookError
from autograder.messages import DEFAULT_LANG, LANGS, msg
from autograder.model import SubmissionResult
from autograder.report import results_json
from autograder.report.console import text_summary
from autograder.report.summary import outcome_status


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="lint a notebook and run the visible checks (students)",
        description="Static lint, then the assignment's visible checks in a sandbox. Prints a "
                    "summary that separates 'not implemented yet' from 'wrong'.",
        epilog="Exit codes: 0 all visible checks pass, 1 something to fix, 2 bad input, "
               "3 internal error.")
    p.add_argument("notebook", metavar="NOTEBOOK", help="the notebook to check")
    p.add_argument("--assignment", "-a", metavar="NAME",
                   help="assignment name, solution folder or student bundle folder (default: "
                        "the autograder/ bundle next to the notebook, else the notebook's "
                        "metadata or file name)")
    p.add_argument("--json", action="store_true",
                   help="print {assignment, lint, results} as JSON on stdout")
    p.add_argument("--timeout", type=float, metavar="S", help="wall-clock limit in seconds")
    p.add_argument("--lang", choices=LANGS, default=None,
                   help="language of the summary (default: the assignment's)")
    add_isolation_arg(p)
    p.set_defaults(func=run)


def lint_findings(nb: Any, assignment: assignment_mod.Assignment,
                  lang: str) -> list[dict[str, Any]]:
    """autograder.lint findings (of a notebook node or path) as SubmissionResult.lint dicts."""
    from autograder.authoring.lint import lint_notebook

    return [issue.to_dict() for issue in lint_notebook(nb, assignment, lang=lang)]


def _read_and_load(notebook: Path, args: argparse.Namespace
                   ) -> tuple[Any, assignment_mod.Assignment]:
    """The notebook and its assignment; errors in the student's language (--lang, else
    Spanish), with where to find the `autograder_check/` folder when none is found."""
    from autograder.notebook_io import read_notebook

    lang = args.lang or DEFAULT_LANG
    try:
        nb = read_notebook(notebook)  # bad input first: "not a notebook", never "cannot infer"
    except NotebookError as exc:
        raise AutograderError(msg("report", "check_bad_notebook", lang, notebook=notebook,
                                  detail=msg("grader", exc.kind.value, lang, **exc.values))
                              ) from exc
    bundle = None if args.assignment else find_bundle(notebook, nb)
    try:
        source = args.assignment or bundle or infer_assignment(notebook, nb)
        return nb, assignment_mod.load(source)
    except AutograderError as exc:
        if args.assignment:
            raise AutograderError(msg("report", "check_unknown_assignment", lang,
                                      assignment=args.assignment, detail=str(exc))) from exc
        raise AutograderError(msg("report", "check_no_bundle", lang, notebook=notebook,
                                  names=", ".join(assignment_mod.all_names()) or "-")) from exc


def run(args: argparse.Namespace) -> int:
    notebook = Path(args.notebook)
    nb, assignment = _read_and_load(notebook, args)
    lang = args.lang or assignment.language
    lint = lint_findings(nb, assignment, lang)
    with quiet_stdout(args.json):
        result = _grade_visible(notebook, assignment, args)
    result.lint = lint
    from autograder.authoring.lint import blocking

    optional = set(assignment.optional_functions)
    failing = [o for o in result.outcomes.values()
               if outcome_status(o) not in ("passed", "skipped")
               and not (o.bonus and outcome_status(o) == "not_implemented"
                        and set(assignment.test(o.id).functions) <= optional)]
    if args.json:
        sys.stdout.write(json.dumps({"assignment": assignment.name, "lint": lint,
                                     "results": results_json(result, lang=lang)},
                                    ensure_ascii=False, indent=2) + "\n")
    else:
        print(msg("report", "check_header", lang, notebook=notebook, assignment=assignment.name))
        print()
        sys.stdout.write(text_summary(result, lang=lang, visible_only=True))
        if not result.outcomes:
            print(msg("report", "check_no_visible", lang))
    return 1 if (failing or blocking(lint) or result.error) else 0


def _grade_visible(notebook: Path, assignment: assignment_mod.Assignment,
                   args: argparse.Namespace) -> SubmissionResult:
    if not any(t.visible for t in assignment.tests):
        return SubmissionResult(student=notebook.stem, assignment=assignment.name,
                                notebook=str(notebook))
    from autograder.grading.pipeline import grade_notebook

    opts: dict[str, Any] = {"timeout": args.timeout} if args.timeout else {}
    opts["isolation"] = preflight(args.isolation, args.lang or assignment.language)
    return grade_notebook(notebook, assignment, visible_only=True, profile="ci",
                          student_id=notebook.stem, lang=args.lang, **opts)
