"""`--isolation` for the commands that run student notebooks, and the fail-closed preflight."""

from __future__ import annotations

import argparse
import sys

from autograder.model import IsolationMode
from autograder.sandbox.isolation import ISOLATION_ENV, requested_mode, require_sandbox


def add_isolation_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--isolation", choices=[IsolationMode.SANDBOX.value, IsolationMode.NONE.value],
                   default=None,
                   help="sandbox (default: bubblewrap user namespace, seccomp, per-student "
                        "cgroup; stops with exit 2 where it cannot run) or none (rlimits only: "
                        f"trusted notebooks only; also {ISOLATION_ENV}=none); printed in every "
                        "report")


def preflight(choice: str | None, lang: str) -> IsolationMode:
    """The isolation mode to grade with; `IsolationUnavailable` (exit 2, one line saying why and
    what to do) when the sandbox is asked for and cannot run here."""
    mode = requested_mode(choice)
    if mode == IsolationMode.SANDBOX:
        require_sandbox(lang)
    else:
        print("warning: grading WITHOUT the sandbox (--isolation none): student code runs with "
              "rlimits only; every report says so", file=sys.stderr)
    return mode
