"""`autograder data status|fetch <assignment>|--all`: inspect or fill the TFDS / Keras caches.

`status` prints what each assignment needs (its `[data]` table) and whether it is cached
(exit 0 when everything is present, 1 otherwise). `fetch` downloads what is missing; it checks
internet access first (5 s connect timeout), so on an offline machine it stops at once with exit 2
and says where to run it and which folders to copy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator

from autograder.assignment import all_names
from autograder.assignment import load as load_assignment
from autograder.data import caches as data
from autograder.errors import AutograderError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="show or download datasets and ImageNet weights",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("status", "fetch"))
    p.add_argument("names", nargs="*", metavar="NAME", help="assignment names")
    p.add_argument("--all", action="store_true", help="every assignment under solutions/")
    p.add_argument("--timeout", type=float, default=5.0, help="connect timeout in seconds")
    p.add_argument("--json", action="store_true", help="machine-readable status")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("absl").setLevel(logging.ERROR)  # tfds' "Variant folder ..." warnings
    names = all_names() if args.all else list(args.names)
    if not names:
        raise AutograderError("name an assignment or pass --all")
    assignments = [load_assignment(n) for n in names]
    if args.action == "fetch":
        for a in assignments:
            data.fetch(a, timeout=args.timeout, log=lambda m, a=a: print(f"{a.name}: {m}"))
    with _quiet_native_stderr():  # TensorFlow's C++ start-up lines say nothing about caches
        statuses = [(a.name, s) for a in assignments for s in data.cache_report(a)]
    if args.json:
        print(json.dumps([{"assignment": n, "kind": s.kind, "name": s.name, "ok": s.ok,
                           "path": s.path} for n, s in statuses], indent=2))
    else:
        for n, s in statuses:
            print(f"{'OK     ' if s.ok else 'MISSING'} {n}: {s.message}")
    return 0 if all(s.ok for _, s in statuses) else 1


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Drop what native code writes to fd 2 (absl/TF start-up logs); every problem a status
    finds is in its message, so nothing the user needs is lost."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
