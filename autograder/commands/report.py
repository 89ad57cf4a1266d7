"""`autograder report OUTDIR [--json] [--lang es|en] [--title TEXT]`: rebuild the class report.

Reads `OUTDIR/<student>/record.json` (written by `autograder grade -o OUTDIR`), never regrades,
and writes `OUTDIR/index.html` (see `report.class_report`); `--json` prints the aggregate
(`ClassStats.to_dict()`) on stdout instead of the path. Exit codes: 0 written, 2 no records or
a bad folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from autograder.errors import AutograderError
from autograder.grading.store import RECORD_FILE
from autograder.messages import DEFAULT_LANG, LANGS
from autograder.report.class_report import load_records, write_class_report
from autograder.report.class_stats import class_stats


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="rebuild the class report OUTDIR/index.html from graded records",
        description="Rebuild OUTDIR/index.html (score distribution, students at 0 and why, pass "
                    "rates per PASO, test and check, most frequent failures, timing, all "
                    "students) from OUTDIR/<student>/record.json, without regrading.",
        epilog="Exit codes: 0 written, 2 no record.json in OUTDIR or OUTDIR is not a folder.")
    p.add_argument("outdir", metavar="OUTDIR", help="the -o folder of `autograder grade`")
    p.add_argument("--json", action="store_true",
                   help="also print the aggregate as JSON on stdout")
    p.add_argument("--lang", choices=LANGS, default=None,
                   help="language of the page (default: the one the records were graded in, "
                        f"else {DEFAULT_LANG})")
    p.add_argument("--title", metavar="TEXT", help="assignment title shown on the page "
                                                   "(default: from its assignment.toml when "
                                                   "found, else its name)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    results = load_records(Path(args.outdir))
    title = args.title or _title({r.assignment for r in results})
    lang = args.lang or _graded_lang(Path(args.outdir))
    path = write_class_report(results, args.outdir, lang=lang, title=title)
    if args.json:
        sys.stdout.write(json.dumps(class_stats(results).to_dict(), ensure_ascii=False,
                                    indent=2) + "\n")
    else:
        print(f"{path} ({len(results)} students)")
    return 0


def _title(names: set[str]) -> str | None:
    """The assignment's title when the records name one known assignment, else None."""
    if len(names) != 1:
        return None
    from autograder import assignment

    try:
        return assignment.load(names.pop()).title
    except (AutograderError, OSError):
        return None


def _graded_lang(outdir: Path) -> str:
    """The report language stored in the records' fingerprints when they all agree."""
    langs = set()
    for path in outdir.glob(f"*/{RECORD_FILE}"):
        try:
            langs.add(json.loads(path.read_text(encoding="utf-8"))["fingerprint"]["lang"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return langs.pop() if len(langs) == 1 and langs <= set(LANGS) else DEFAULT_LANG
