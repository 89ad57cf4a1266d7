"""`autograder grade PATH... --assignment NAME`: grade submissions in the sandbox, write reports.

PATH: a notebook, a folder of notebooks, or an nbgrader `submitted/` tree (see `grading.discover`).
- one notebook, `--json`: exactly one Gradescope results.json object on stdout, nothing else;
- one notebook, no `-o`: a readable summary on stdout;
- `-o OUTDIR` or several notebooks: per-student OUTDIR/<student>/results.json + feedback.html
  and batch OUTDIR/grades.csv + grades.json + index.html, the class report (default OUTDIR:
  ./autograder-out/<assignment>);
  `--json` then prints grades.json on stdout.
Diagnostics and the progress bar go to stderr; the bar is off with --json or when stderr is not a
terminal. Exit codes: 0 graded (whatever the scores), 2 usage or bad input, 3 internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder import assignment as assignment_mod
from autograder.commands._isolation import add_isolation_arg, preflight
from autograder.errors import AutograderError
from autograder.grading.discover import Submission, discover
from autograder.messages import LANGS
from autograder.profiles import require_profile

if TYPE_CHECKING:
    from autograder.model import SubmissionResult
# reports, the store and nbformat (2+ s of imports) load only when grading starts, so that
# `--help` and `--gpu`'s fail-fast answer at once

PROFILE_HELP = ("a [profiles.NAME] table of the assignment's assignment.toml (bundled: ci = mock "
                "data, small images, no weights, the default; full = real data; gpu-smoke = real "
                "backbones on generated data, for --gpu --run-all)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "grade", help="grade submissions in the sandbox and write reports",
        description="Grade notebooks in a sandbox (one process per submission) and write "
                    "Gradescope results.json, feedback.html, grades.csv, grades.json and the "
                    "class report index.html.",
        epilog="PATH: notebook, folder of notebooks, or nbgrader submitted/ tree "
               "(submitted/<student>/<assignment>/<notebook>.ipynb). Exit codes: 0 graded "
               "(whatever the scores), 2 usage or bad input, 3 internal error.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="notebook(s) or folder(s)")
    p.add_argument("--assignment", "-a", required=True, metavar="NAME",
                   help="assignment name (folder under solutions/) or path to its folder")
    p.add_argument("--jobs", "-j", type=_jobs, default="auto", metavar="N|auto",
                   help="grade N submissions in parallel; auto (the default): as many as the "
                        "usable CPUs and the memory allow (worker + student limit each)")
    p.add_argument("--profile-checks", action="store_true",
                   help="time each submission: notebook run, model transfer and each hidden "
                        "test; print a table on stderr and store it in results.json/grades.json "
                        "(\"timings\")")
    p.add_argument("--no-dedupe", dest="dedupe", action="store_false",
                   help="grade identical notebooks (same bytes) separately instead of once")
    p.add_argument("-o", "--output", metavar="OUTDIR",
                   help="write reports here (default for batches: ./autograder-out/<assignment>)")
    p.add_argument("--json", action="store_true",
                   help="machine output on stdout (results.json for one notebook, else grades.json)")
    p.add_argument("--timeout", type=_positive_float, metavar="S",
                   help="wall-clock limit in seconds for running one notebook")
    p.add_argument("--memory", type=_positive_int, metavar="MB",
                   help="memory limit of one student (all its processes and tmpfs files) in MB")
    p.add_argument("--call-timeout", type=_positive_float, metavar="S",
                   help="wall-clock limit in seconds for one call into a student function")
    p.add_argument("--deadline", type=_positive_float, metavar="S",
                   help="wall-clock budget in seconds for one submission: notebook, every "
                        "call and restarts (default: 300, or --timeout + 120 when longer)")
    p.add_argument("--check-timeout", type=_positive_float, metavar="S",
                   help="time student models may run in one hidden test, in the grader's "
                        "limited evaluator (default 60)")
    p.add_argument("--probe-seed", type=_seed, metavar="N",
                   help="seed of the checks' probe inputs (default: a secret random one per "
                        "run, recorded in grades.json and each record.json: pass it to regrade "
                        "with the same inputs)")
    p.add_argument("--profile", default="ci", metavar="NAME", help=PROFILE_HELP)
    p.add_argument("--gpu", action="store_true",
                   help="also run tests marked gpu; stops at once (exit 2) when no GPU is usable")
    p.add_argument("--force", action="store_true",
                   help="regrade students that already have results in OUTDIR")
    p.add_argument("--run-all", action="store_true",
                   help="also execute cells tagged skip-when-grading")
    p.add_argument("--backend", default="local", metavar="NAME",
                   help="where batch tasks run: local (default) or ray (a Ray cluster; "
                        "pip install '.[cluster]'; see docs/cluster.md)")
    p.add_argument("--address", metavar="auto|HOST:PORT", default=None,
                   help="--backend ray: the cluster to join (default: auto, the cluster this "
                        "machine belongs to)")
    p.add_argument("--lang", choices=LANGS, default=None,
                   help="language of the reports (default: the assignment's)")
    add_isolation_arg(p)
    p.set_defaults(func=run)


def _positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (the error names the value, never this function)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return value


def _jobs(text: str) -> int | str:
    """argparse type: "auto" or an integer >= 1."""
    return "auto" if text.strip().lower() == "auto" else _positive_int(text)


def _seed(text: str) -> int:
    """argparse type: an integer in [0, 2**63)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, not {text!r}")
    return value


def _positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text!r}")
    return value


def prepare_outdir(outdir: Path) -> Path:
    """Create the report folder; AutograderError (exit 2, one line) when it is a file, cannot be
    created or is not writable."""
    if outdir.exists() and not outdir.is_dir():
        raise AutograderError(f"output {outdir} exists and is not a folder; pass -o a folder")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AutograderError(f"cannot create output folder {outdir}: "
                              f"{exc.strerror or type(exc).__name__}") from exc
    if not os.access(outdir, os.W_OK | os.X_OK):
        raise AutograderError(f"output folder {outdir} is not writable")
    return outdir


def _engine_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {"profile": args.profile, "gpu": args.gpu, "run_all": args.run_all}
    if args.profile_checks:
        opts["profile_checks"] = True
    for attr, option in (("timeout", "timeout"), ("memory", "memory_mb"),
                         ("call_timeout", "call_timeout"), ("deadline", "deadline"),
                         ("check_timeout", "check_timeout"), ("probe_seed", "probe_seed")):
        if getattr(args, attr) is not None:  # unset: GradingOptions' default
            opts[option] = getattr(args, attr)
    if args.lang:
        opts["lang"] = args.lang
    return opts


def grade_one(sub: Submission, assignment: assignment_mod.Assignment,
              opts: dict[str, Any]) -> SubmissionResult:
    """Grade one notebook in the sandbox, its checks in a limited evaluator process
    (`grading.batch.grade_isolated`)."""
    from autograder.grading import batch

    return batch.grade_isolated(sub.student, sub.path, assignment, **opts)


def grade_many(subs: list[Submission], assignment: assignment_mod.Assignment, outdir: Path,
               opts: dict[str, Any], *, jobs: int | str, force: bool, quiet: bool,
               report_options: dict[str, Any], backend: str = "local",
               address: str | None = None, dedupe: bool = True) -> list[SubmissionResult]:
    """Grade a batch with `grading.batch.grade_batch` (incremental, resumable) under a
    progress bar.

    Each student's results.json + feedback.html are written as soon as that student is graded
    (with pictures); students resumed from an earlier run only get reports that are missing
    (their stored record has no pictures, so existing feedback is kept)."""
    from autograder.grading.batch import BatchStats, Progress, grade_batch
    from autograder.grading.store import StudentFolder

    written: set[str] = set()

    def on_result(result: SubmissionResult) -> None:
        StudentFolder(outdir, result.student).write_reports(result, **report_options)
        written.add(result.student)

    progress = Progress(len(subs), quiet)
    stats = BatchStats()
    try:
        results = grade_batch([(s.student, s.path) for s in subs], assignment, outdir, jobs=jobs,
                              force=force, progress=progress, on_result=on_result,
                              backend=backend, address=address, dedupe=dedupe, stats=stats,
                              **opts)
    finally:
        progress.close()
    if stats.deduplicated and not quiet:
        print(f"{stats.deduplicated} of {len(results)} student(s) handed in a notebook identical "
              f"to another one (same bytes): graded once, {stats.graded} graded with "
              f"{stats.jobs} worker(s); --no-dedupe grades each", file=sys.stderr)
    reused = sum(r.student not in written for r in results)
    if reused and not quiet:
        print(f"{reused} of {len(results)} student(s) reused from earlier results in {outdir} "
              "(same notebook, assignment and options); --force regrades them", file=sys.stderr)
    for r in results:
        if r.student not in written and not StudentFolder(outdir, r.student).has_reports():
            on_result(r)
    return results


def report_options(assignment: assignment_mod.Assignment, lang: str) -> dict[str, Any]:
    from autograder.report.gradescope import VISIBILITIES

    hidden = assignment.raw.get("gradescope", {}).get("hidden_visibility", "after_published")
    if hidden not in VISIBILITIES:
        raise AutograderError(f"{assignment.name}: [gradescope] hidden_visibility must be one of "
                              f"{', '.join(VISIBILITIES)}, not {hidden!r}")
    return {"lang": lang, "title": assignment.title, "hidden_visibility": hidden}


def write_tables(results: list[SubmissionResult], subs: list[Submission], outdir: Path,
                 assignment: assignment_mod.Assignment) -> None:
    """Batch grades.csv + grades.json (nbgrader timestamps when known)."""
    from autograder.report import write_batch_tables

    write_batch_tables(results, outdir, duedate=str(assignment.raw["assignment"].get("duedate", "")),
                       timestamps={s.student: s.timestamp for s in subs if s.timestamp})


def run(args: argparse.Namespace) -> int:
    if args.gpu and args.backend == "local":  # a cluster backend checks its own workers
        from autograder.gpu import require_gpu

        require_gpu()  # before anything slow: no GPU -> exit 2 with the fix
    assignment = assignment_mod.load(args.assignment)
    require_profile(assignment, args.profile)  # the profiles come from assignment.toml
    from autograder.report import grades_json, results_json
    from autograder.report.class_report import write_class_report
    from autograder.report.console import text_summary

    lang = args.lang or assignment.language
    notebook_name = assignment.notebook.name
    report_opts = report_options(assignment, lang)
    subs = discover(args.paths, assignment.name, notebook_name)
    opts = dict(_engine_options(args), isolation=preflight(args.isolation, lang))
    single = len(subs) == 1
    if single and not args.output:
        with quiet_stdout(args.json):
            result = grade_one(subs[0], assignment, opts)
        if args.profile_checks:
            from autograder.report.console import timings_table

            sys.stderr.write(timings_table([result]))
        if args.json:
            _print_json(results_json(result, lang=lang,
                                     hidden_visibility=report_opts["hidden_visibility"]))
        else:
            sys.stdout.write(text_summary(result, lang=lang))
        return 0
    outdir = prepare_outdir(Path(args.output or Path("autograder-out") / assignment.name))
    with quiet_stdout(args.json):
        results = grade_many(subs, assignment, outdir, opts, jobs=args.jobs, force=args.force,
                             quiet=args.json, report_options=report_opts, backend=args.backend,
                             address=args.address, dedupe=args.dedupe)
    if args.profile_checks:
        from autograder.report.console import timings_table

        sys.stderr.write(timings_table(results))
    if not results and subs:
        raise RuntimeError("the grader returned no results")
    write_tables(results, subs, outdir, assignment)
    write_class_report(results, outdir, lang=lang, title=assignment.title)
    if args.json:
        _print_json(results_json(results[0], lang=lang,
                                 hidden_visibility=report_opts["hidden_visibility"])
                    if single else grades_json(results))
    else:
        for r in sorted(results, key=lambda r: r.student):
            note = f"  ({r.error})" if r.error else ""
            extra = f" (+{r.extra_score:g} extra)" if r.extra_max else ""
            print(f"{r.student}: {r.base_score:g} / {r.max_score:g}{extra}{note}")
        print(f"reports: {outdir}/ (index.html, grades.csv, grades.json, "
              "<student>/feedback.html)", file=sys.stderr)
    return 0


@contextlib.contextmanager
def quiet_stdout(active: bool) -> Iterator[None]:
    """While grading for --json, send everything written to stdout (Python or C level, e.g. TF
    logs or a library's print) to stderr, so stdout carries only the JSON object."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
