"""`autograder` console script: one subcommand per module in `autograder.commands`.

Exit codes: 0 success (for `grade`: graded, whatever the scores), 1 checks failed
(`check`, `validate`, `generate --check`, `lint`), 2 usage or bad input, 3 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from autograder import __version__
from autograder.errors import AutograderError

# name -> one-line summary for `autograder --help`. Only the command being run is imported
# (`build_parser`): `--help`, `--version` and bad input answer without TensorFlow or nbformat.
COMMANDS = {
    "new": "scaffold a new assignment under solutions/ (instructors)",
    "generate": "generate student templates and nbgrader source notebooks",
    "lint": "statically check a template or submission (nothing is executed)",
    "validate": "check that references pass every hidden test and templates score 0",
    "check": "lint a notebook and run the visible checks (students)",
    "grade": "grade submissions in the sandbox and write reports",
    "report": "rebuild the class report OUTDIR/index.html from graded records",
    "data": "show or download datasets and ImageNet weights",
    "doctor": "show what this grading host has (TF, GPUs, caches)",
    "mutate": "measure how strong each hidden test is (mutation testing of the reference)",
}

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _chosen(argv: list[str]) -> str | None:
    """The subcommand named in argv (the first word that is one), None for none."""
    return next((a for a in argv if a in COMMANDS), None)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the command named in `argv` (all of them when None) is imported and
    fully registered, the others are listed by their summary."""
    chosen = _chosen(argv) if argv is not None else None
    parser = argparse.ArgumentParser(
        prog="autograder",
        description="Generate, validate and grade deep-learning notebook assignments.",
        epilog="Exit codes: 0 ok, 1 checks failed/stale, 2 bad input, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"autograder {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in COMMANDS.items():
        if argv is None or name == chosen:
            importlib.import_module(f"autograder.commands.{name}").register(sub)
        else:
            sub.add_parser(name, help=summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except AutograderError as exc:
        print(f"autograder {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("autograder: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001
        print(f"autograder {args.command}: internal error: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
