"""`autograder grade` (placeholder until implemented)."""

from __future__ import annotations

import argparse

from autograder.errors import AutograderError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grade", help="(not implemented yet)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise AutograderError("'grade' is not implemented yet")
