#!/usr/bin/env python
"""Batch speed (issue 13): `autograder grade DIR --jobs auto` vs serial `nbgrader autograde`.

Same machine, same run, same students, same checks, same `ci` profile data. For each assignment
(default: UT3-10 and Práctica 10x) it builds a temporary nbgrader course from the generated
source notebook and nbgrader_config.py (`grade_speed.make_course`, trusted config) and the
students:

- ut3_10_flowers: N copies of a correct notebook (the released notebook with the reference's
  answers put back, `grade_speed.correct_submission`);
- p10x_pets: N notebooks cycling through the correct one and the samples of
  tests/submissions/p10x_pets/ (correct_style, mistakes), each mapped onto the released notebook
  cell by cell so nbgrader finds its test cells.

nbgrader gets each notebook with the ci profile and mock data entered in the kernel
(`grade_speed.same_work_for_nbgrader`); autograder gets the notebook as handed in (it injects
the profile itself). Every figure is the wall time of whole CLI processes (start-up included):
`nbgrader autograde` once per course (serial, as it is), `autograder grade` once per
assignment folder. With `--distinct` every copy gets a comment naming its student, so no two
notebooks are identical (no deduplication). Prints both totals, the scores, and as the LAST line
exactly `batch_speedup_vs_nbgrader=<ratio>`. Not a test.

    .venv/bin/python benchmarks/batch_speed.py [--students 20] [--distinct] [--skip-nbgrader]
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grade_speed as gs  # noqa: E402 - the nbgrader course setup is shared

REPO = gs.REPO
SAMPLES = {"ut3_10_flowers": [], "p10x_pets": ["correct_style", "mistakes"]}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--students", type=int, default=20,
                   help="students per assignment (default 20, the issue's 20 + 20)")
    p.add_argument("--assignments", nargs="+", default=list(SAMPLES), choices=list(SAMPLES))
    p.add_argument("--jobs", default="auto", help="autograder's --jobs (default auto)")
    p.add_argument("--distinct", action="store_true",
                   help="make every notebook unique (a comment with the student's name)")
    p.add_argument("--skip-nbgrader", action="store_true",
                   help="time autograder only (no ratio)")
    p.add_argument("--keep", metavar="DIR", help="build the courses in DIR and keep them")
    p.add_argument("--timeout", type=float, default=7200, help="limit per CLI run (s)")
    return p.parse_args(argv)


def onto_release(sample: nbformat.NotebookNode, template: nbformat.NotebookNode,
                 release: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`sample` (a student notebook shaped like the student template) written into the
    released notebook: each released code cell that is the template's cell i gets the sample's
    cell i source; test cells stay as released."""
    if len(sample.cells) != len(template.cells):
        raise SystemExit("a sample notebook does not follow the template's cells")
    out = copy.deepcopy(release)
    used: set[int] = set()
    for cell in out.cells:
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        for i, t in enumerate(template.cells):
            if i not in used and t.cell_type == "code" and t.source == cell.source:
                cell.source = sample.cells[i].source
                used.add(i)
                break
    return out


def students(name: str, course: Path, n: int, distinct: bool
             ) -> list[tuple[str, nbformat.NotebookNode]]:
    """(student id, notebook in nbgrader form) for `n` students."""
    correct = gs.correct_submission(course, name)
    kinds = [correct]
    if SAMPLES[name]:
        template = nbformat.read(REPO / "assignments" / name / f"{name}.ipynb", as_version=4)
        release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
        for s in SAMPLES[name]:
            sample = nbformat.read(REPO / "tests" / "submissions" / name / f"{s}.ipynb",
                                   as_version=4)
            kinds.append(onto_release(sample, template, release))
    out = []
    for i in range(n):
        nb = copy.deepcopy(kinds[i % len(kinds)])
        sid = f"student{i + 1:02d}"
        if distinct:
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"<!-- {sid} -->"))
        out.append((sid, nb))
    return out


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), else the platform's word for it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.system()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="batch_speed_"))
    root.mkdir(parents=True, exist_ok=True)
    nbg = [sys.executable, "-m", "nbgrader"]
    total = {"autograder": 0.0, "nbgrader": 0.0}
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} CPUs, {cpu_model()}, load {os.getloadavg()[0]:.1f}; "
          f"{args.students} students x {', '.join(args.assignments)}", flush=True)
    try:
        for name in args.assignments:
            _, files = gs.generated_files(name, env)
            course = gs.make_course(root / name, name, files, stock=False)
            gs.run(nbg + ["generate_assignment", name, "--force"], course, env, args.timeout)
            folder = root / name / "autograder_in"
            folder.mkdir(parents=True)
            for sid, nb in students(name, course, args.students, args.distinct):
                nbformat.write(nb, folder / f"{sid}.ipynb")
                sub = course / "submitted" / sid / name
                sub.mkdir(parents=True)
                nbformat.write(gs.same_work_for_nbgrader(copy.deepcopy(nb), name, env),
                               sub / f"{name}.ipynb")
            t, out = gs.run([sys.executable, "-m", "autograder", "grade", str(folder), "-a",
                             name, "--jobs", str(args.jobs), "-o", str(root / name / "out"),
                             "--force", "--json"], root, env, args.timeout)
            scores = [s["score"] for s in json.loads(out)["students"]]
            total["autograder"] += t
            print(f"{name}: autograder grade --jobs {args.jobs}: {t:.1f} s "
                  f"({t / args.students:.2f} s per notebook), scores {sorted(set(scores))}",
                  flush=True)
            if args.skip_nbgrader:
                continue
            t, _ = gs.run(nbg + ["autograde", name, "--force"], course, env, args.timeout)
            gs.run(nbg + ["export"], course, env, args.timeout)
            rows = list(csv.DictReader((course / "grades.csv").open()))
            total["nbgrader"] += t
            print(f"{name}: nbgrader autograde (serial, generated config): {t:.1f} s "
                  f"({t / args.students:.2f} s per notebook), scores "
                  f"{sorted({float(r['score']) for r in rows})}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"total: autograder {total['autograder']:.1f} s, nbgrader {total['nbgrader']:.1f} s")
    if total["nbgrader"] and total["autograder"]:
        print(f"batch_speedup_vs_nbgrader={total['nbgrader'] / total['autograder']:.2f}")
    else:
        print("batch_speedup_vs_nbgrader=nan")
    return 0


if __name__ == "__main__":
    sys.exit(main())
