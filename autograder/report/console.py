"""Readable terminal summary of a SubmissionResult (used by `autograder check` and `grade`).

Groups failing tests into "not implemented yet" / "wrong" / "errors" so a student knows what to
fill in versus what to fix; prints only student-facing messages and hints, never test source.
"""

from __future__ import annotations

from autograder.messages import DEFAULT_LANG, msg
from autograder.model import IsolationMode, SubmissionResult
from autograder.report.summary import (
    CATALOG,
    cell_error_lines,
    check_line,
    fmt_points,
    isolation_text,
    lint_lines,
    merge_same_message,
    outcome_status,
    shown_cells,
)

_GROUPS = (("not_implemented", "check_not_implemented_header"),
           ("wrong", "check_wrong_header"), ("partial", "check_wrong_header"),
           ("error", "check_error_header"))


def text_summary(result: SubmissionResult, *, lang: str = DEFAULT_LANG, show_lint: bool = True,
                 visible_only: bool = False) -> str:
    """Multi-line summary: notebook error, lint, failures grouped by kind, score line
    (worded for the visible tests of `autograder check` when `visible_only`)."""
    def t(key: str, **values: object) -> str:
        return msg(CATALOG, key, lang, **values)

    out: list[str] = []
    if result.error:
        out += [t("notebook_error", error=result.error), ""]
    if show_lint:
        if result.lint:
            out.append(t("check_lint_header"))
            out += [f"  - {line}" for line in lint_lines(result.lint)]
        else:
            out.append(t("check_lint_clean"))
        out.append("")
    if cell_errors := cell_error_lines(result, lang):
        out.append(t("cell_errors_title") + ":")
        out += [f"  - {line}" for line in cell_errors]
        out.append("")
    outcomes = list(result.outcomes.values())
    statuses = {o.id: outcome_status(o) for o in outcomes}
    printed_headers: set[str] = set()
    for status, header in _GROUPS:
        group = [o for o in outcomes if statuses[o.id] == status]
        if not group:
            continue
        if header not in printed_headers:
            out.append(t(header))
            printed_headers.add(header)
        for o in group:
            label = f"{o.paso} · {o.id}" if o.paso else o.id
            out.append(f"  [{label}] {fmt_points(o.score)} / {fmt_points(o.points)}")
            failed = [r for r in o.results if not r.passed]
            for r in merge_same_message(failed):
                out += ["    " + line for line in check_line(r, lang).splitlines()]
            if not failed and o.message:
                out += ["    " + line for line in o.message.splitlines()]
        out.append("")
    passed = [o for o in outcomes if statuses[o.id] == "passed"]
    if passed:
        out.append("✔ " + ", ".join(o.id for o in passed))
    if outcomes:
        counted = [o for o in outcomes if statuses[o.id] != "skipped"]
        out.append(t("check_summary" if visible_only else "grade_summary", passed=len(passed), total=len(counted),
                     score=fmt_points(sum(o.score for o in counted if not o.bonus)),
                     max_score=fmt_points(sum(o.points for o in counted if not o.bonus)),
                     extra=fmt_points(sum(o.score for o in counted if o.bonus)),
                     extra_max=fmt_points(sum(o.points for o in counted if o.bonus)) if any(
                         o.bonus for o in counted) else ""))
        if visible_only and len(passed) == len(counted) and not result.error:
            out.append(t("check_all_passed"))
    if result.skipped_cells:
        out.append(t("skipped_cells", cells=shown_cells(result.skipped_cells)))
    if result.isolation.mode == IsolationMode.NONE:  # the weaker mode is never silent
        out.append(f"{t('isolation')}: {isolation_text(result.isolation, lang)}")
    return "\n".join(out).strip() + "\n"


def timings_table(results: list[SubmissionResult]) -> str:
    """`grade --profile-checks`: where the time went (instructor-facing, seconds). One row per
    submission (total, notebook run, hidden suite, model transfer, slowest test), then one row
    per hidden test (mean and max over the submissions actually graded)."""
    timed = [r for r in results if r.timings is not None]
    if not timed:
        return "no timings recorded (resumed results: --force regrades them)\n"
    width = max(len("student"), *(len(r.student) for r in timed))
    head = f"{'student':<{width}}  {'total':>7}  {'notebook':>8}  {'suite':>7}  {'transfer':>8}  slowest test"
    lines = [head, "-" * len(head)]
    per_test: dict[str, list[float]] = {}
    shared: dict[str, int] = {}
    for r in sorted(timed, key=lambda r: r.student):
        t = r.timings
        assert t is not None
        if t.deduplicated_from:
            lines.append(f"{r.student:<{width}}  (identical to {t.deduplicated_from}: not regraded)")
            continue
        for test, s in t.tests.items():
            per_test.setdefault(test, []).append(s)
            shared[test] = shared.get(test, 0) + (test in t.shared)
        slow = max(t.tests.items(), key=lambda kv: kv[1], default=("", 0.0))
        lines.append(f"{r.student:<{width}}  {t.total:7.2f}  {t.notebook:8.2f}  {t.suite:7.2f}  "
                     f"{t.transfer:8.2f}  {slow[0]} {slow[1]:.2f}".rstrip())
    if per_test:
        tw = max(len("test"), *(len(k) for k in per_test))
        lines += ["", f"{'test':<{tw}}  {'mean':>7}  {'max':>7}  runs", "-" * (tw + 24)]
        for test, xs in per_test.items():
            note = "" if not shared.get(test) else "  shared" if shared[test] == len(xs) else \
                f"  shared in {shared[test]}"
            lines.append(f"{test:<{tw}}  {sum(xs) / len(xs):7.2f}  {max(xs):7.2f}  "
                         f"{len(xs):4d}{note}")
    return "\n".join(lines) + "\n"
