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

COMMANDS = ("generate", "lint", "validate", "check", "grade", "report", "data", "doctor",
            "mutate")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or with `only` (a name in COMMANDS) one holding just that subcommand:
    `main` builds the one it needs, so `grade --gpu` does not import every command's modules."""
    parser = argparse.ArgumentParser(
        prog="autograder",
        description="Generate, validate and grade deep-learning notebook assignments.",
        epilog="Exit codes: 0 ok, 1 checks failed/stale, 2 bad input, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"autograder {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        module = importlib.import_module(f"autograder.commands.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
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
