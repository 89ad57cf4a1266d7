#!/usr/bin/env python
"""Grading speed: `autograder grade` vs `nbgrader autograde`, and `--jobs 1` vs `--jobs 2`.

Same machine, same run, same checks. In a temporary nbgrader course built from the generated
nbgrader source notebook and nbgrader_config.py of the assignment (`autograder generate`'s
output, e.g. assignments/<name>/source/), it:

1. releases the assignment with `nbgrader generate_assignment` and builds one correct
   submission (the release notebook with the reference's answers put back);
2. times `nbgrader autograde` on it twice: with stock preprocessors (hidden-test cells run the
   kit's checks inside the student's kernel) and with the generated config (stock + the trusted
   sandboxed re-run of every hidden test, see docs/nbgrader.md);
3. times `autograder grade NOTEBOOK --json` on the same notebook;
4. copies it to N students (default 20) and times `autograder grade DIR -o OUT --jobs 1` and
   `--jobs 2`, each into a fresh output folder.

Every figure is the wall-clock time of a whole CLI process (start-up included), as a course
would see it. Prints the scores (to show the same checks ran) and the ratios. Not a test.

    .venv/bin/python benchmarks/grade_speed.py [--assignment ut3_10_flowers] [--students 20]
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Prints wall-clock seconds per run and the speed ratios.")
    p.add_argument("--assignment", default="ut3_10_flowers",
                   help="assignment name (under solutions/) or path to its folder "
                        "(e.g. tests/fixtures/toy_assignment)")
    p.add_argument("--students", type=int, default=20, help="batch size for the --jobs runs")
    p.add_argument("--skip-nbgrader", action="store_true", help="skip the nbgrader runs")
    p.add_argument("--skip-batch", action="store_true", help="skip the --jobs 1 / 2 runs")
    p.add_argument("--keep", metavar="DIR", help="build the course in DIR and keep it")
    p.add_argument("--timeout", type=float, default=1800, help="limit per CLI run (s)")
    return p.parse_args(argv)


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[float, str]:
    """Run `cmd`; return (wall seconds, stdout). Raise with the stderr tail when it fails."""
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    elapsed = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:5])}... exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return elapsed, proc.stdout


def generated_files(name_or_dir: str, env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """(assignment name, {relative path: text}) of the generated files, from `generate.build`
    (byte-identical to the committed assignments/<name>/ when those are up to date)."""
    os.environ.update({k: env[k] for k in ("AUTOGRADER_SOLUTIONS",) if k in env})
    from autograder.assignment import assignments_dir, load
    from autograder.authoring.generate import build

    spec = load(name_or_dir)
    files = build(spec)
    root = assignments_dir() / spec.name
    return spec.name, {p.relative_to(root).as_posix(): text for p, text in files.items()}


def make_course(root: Path, name: str, files: dict[str, str], *, stock: bool) -> Path:
    """A course dir with the generated source notebook and config (stock: in-kernel checks)."""
    course = root / ("course_stock" if stock else "course_trusted")
    (course / "source" / name).mkdir(parents=True)
    (course / "source" / name / f"{name}.ipynb").write_text(files[f"source/{name}.ipynb"])
    config = files["nbgrader_config.py"] + '\nc.CourseDirectory.course_id = "bench"\n'
    if stock:
        config += ("from nbgrader.converters import Autograde as _Autograde\n"
                   "c.Autograde.autograde_preprocessors = list(\n"
                   "    _Autograde.class_traits()['autograde_preprocessors'].default())\n")
    (course / "nbgrader_config.py").write_text(config)
    return course


def correct_submission(course: Path, name: str) -> nbformat.NotebookNode:
    """The released notebook with the reference's answers put back (what a good student hands in)."""
    source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    if len(source.cells) != len(release.cells):
        return source
    for src, rel in zip(source.cells, release.cells, strict=True):
        is_test = "autograder-test" in rel.metadata.get("tags", []) or (
            rel.metadata.get("nbgrader", {}).get("grade") and
            not rel.metadata.get("nbgrader", {}).get("solution"))
        if rel.cell_type == "code" and not is_test:
            rel.source = src.source  # solution markers are comments: left as they are
    return release


def same_work_for_nbgrader(nb: nbformat.NotebookNode, name: str, env: dict[str, str]
                           ) -> nbformat.NotebookNode:
    """The submission as nbgrader must run it to do the work `autograder grade` does: the ci
    profile injected after the `parameters` cell and, first, a cell that enters the profile's
    data mode (tfds mock data) in the kernel. Without it nbgrader would run the full profile
    and the notebook's tfds.load would retry downloads on this offline machine."""
    from autograder import profiles
    from autograder.assignment import load

    old = os.environ.get("AUTOGRADER_SOLUTIONS")
    if env.get("AUTOGRADER_SOLUTIONS"):
        os.environ["AUTOGRADER_SOLUTIONS"] = env["AUTOGRADER_SOLUTIONS"]
    try:
        values = profiles.profile_values(load(name), "ci")
    finally:
        if old is None:
            os.environ.pop("AUTOGRADER_SOLUTIONS", None)
        else:
            os.environ["AUTOGRADER_SOLUTIONS"] = old
    nb = profiles.inject(nb, values)
    setup = nbformat.v4.new_code_cell(
        "from autograder.data import modes as _autograder_data\n"
        f"_autograder_mock = _autograder_data.enter_data_mode({values!r})")
    nb.cells.insert(0, setup)
    return nb


def nbgrader_score(course: Path, env: dict[str, str], timeout: float) -> str:
    run([sys.executable, "-m", "nbgrader", "export"], course, env, timeout)
    rows = list(csv.DictReader((course / "grades.csv").open()))
    return ", ".join(f"{r['score']}/{r['max_score']}" for r in rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    spec_dir = Path(args.assignment)
    if (spec_dir / "assignment.toml").is_file():
        env["AUTOGRADER_SOLUTIONS"] = str(spec_dir.resolve().parent)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="grade_speed_"))
    root.mkdir(parents=True, exist_ok=True)
    name, files = generated_files(args.assignment, env)
    assignment_arg = str(spec_dir.resolve()) if env.get("AUTOGRADER_SOLUTIONS") else name
    ag = [sys.executable, "-m", "autograder", "grade"]
    nbg = [sys.executable, "-m", "nbgrader"]
    times: dict[str, float] = {}
    print(f"assignment {name}; course dirs under {root}", flush=True)
    try:
        courses = {}
        for stock in ((True, False) if not args.skip_nbgrader else (True,)):
            course = make_course(root, name, files, stock=stock)
            run(nbg + ["generate_assignment", name, "--force"], course, env, args.timeout)
            courses[stock] = course
        submission = correct_submission(courses[True], name)
        for course in courses.values():
            folder = course / "submitted" / "student01" / name
            folder.mkdir(parents=True)
            nbformat.write(same_work_for_nbgrader(copy.deepcopy(submission), name, env),
                           folder / f"{name}.ipynb")
        notebook = root / f"{name}.ipynb"  # autograder grade injects the profile itself
        nbformat.write(submission, notebook)

        if not args.skip_nbgrader:
            for stock, label in ((True, "nbgrader autograde (stock, checks in kernel)"),
                                 (False, "nbgrader autograde (generated config, + sandbox)")):
                course = courses[stock]
                times[label], _ = run(nbg + ["autograde", name, "--force"], course, env,
                                      args.timeout)
                print(f"{label}: {times[label]:.1f} s, score "
                      f"{nbgrader_score(course, env, args.timeout)}", flush=True)

        label = "autograder grade (1 notebook)"
        times[label], out = run(ag + [str(notebook), "-a", assignment_arg, "--json"], root, env,
                                args.timeout)
        data = json.loads(out)
        print(f"{label}: {times[label]:.1f} s (engine {data['execution_time']:.1f} s), score "
              f"{data['score']}/{data['max_score']}", flush=True)

        if not args.skip_batch:
            batch = root / "batch"
            batch.mkdir(exist_ok=True)
            for i in range(args.students):
                shutil.copy(notebook, batch / f"student{i + 1:02d}.ipynb")
            for jobs in (1, 2):
                label = f"autograder grade {args.students} notebooks --jobs {jobs}"
                times[label], out = run(ag + [str(batch), "-a", assignment_arg, "--jobs",
                                              str(jobs), "-o", str(root / f"out_jobs{jobs}"),
                                              "--force", "--json"], root, env, args.timeout)
                scores = sorted({s["score"] for s in json.loads(out)["students"]})
                print(f"{label}: {times[label]:.1f} s ({times[label] / args.students:.1f} s per "
                      f"notebook), scores {scores}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    print("\nratios (higher = autograder faster):")
    one = times.get("autograder grade (1 notebook)")
    for label, t in times.items():
        if label.startswith("nbgrader") and one:
            print(f"  {label} / autograder grade: {t / one:.2f}x")
    j1 = times.get(f"autograder grade {args.students} notebooks --jobs 1")
    j2 = times.get(f"autograder grade {args.students} notebooks --jobs 2")
    if j1 and j2:
        print(f"  --jobs 1 / --jobs 2: {j1 / j2:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
