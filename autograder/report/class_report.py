"""The instructor's class report `OUTDIR/index.html`: one self-contained page (plots embedded as
base64 PNG, a few lines of vanilla JS to sort the students table) from the per-student records.

`write_class_report(results, outdir)` is called by `autograder grade` after a batch;
`load_records(outdir)` reads `OUTDIR/<student>/record.json` back for `autograder report`
(no regrading). Numbers come from `class_stats.class_stats`; texts from the `class_report`
catalog (es/en); the template is `report/templates/index.html.j2` (autoescaped: student ids
and messages are escaped, links to `<student>/feedback.html` are URL-quoted).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from autograder import __version__
from autograder.errors import AutograderError
from autograder.grading.store import RECORD_FILE, StudentFolder
from autograder.messages import DEFAULT_LANG, msg
from autograder.model import Isolation, SubmissionResult
from autograder.notebook_io import write_text_atomic
from autograder.report.class_stats import ClassStats, class_stats
from autograder.report.html import _env, _png_uri
from autograder.report.summary import fmt_points, isolation_text

CATALOG = "class_report"
TEMPLATE = "index.html.j2"
INDEX_FILE = "index.html"
CHART_CHECKS = 25  # worst checks drawn in the pass-rate chart (the table lists them all)


def load_records(outdir: str | Path) -> list[SubmissionResult]:
    """Every readable `OUTDIR/<student>/record.json`, sorted by student. Unreadable records
    are named on stderr and left out; no record at all is an AutograderError (exit 2)."""
    outdir = Path(outdir)
    if not outdir.is_dir():
        raise AutograderError(f"{outdir}: not a folder; pass the -o folder of `autograder grade`")
    results = []
    for path in sorted(outdir.glob(f"*/{RECORD_FILE}")):
        record = StudentFolder(outdir, path.parent.name).load_record()
        if record is None:
            print(f"autograder report: {path}: unreadable record, left out", file=sys.stderr)
        else:
            results.append(record)
    if not results:
        raise AutograderError(f"{outdir}: no */{RECORD_FILE} found; grade into it first with "
                              "`autograder grade PATH... -a NAME -o OUTDIR`")
    return sorted(results, key=lambda r: r.student)


def _pct(rate: float) -> str:
    return f"{100 * rate:.0f} %"


def _plots(stats: ClassStats, t: Any) -> dict[str, str]:
    """Embedded PNG data URIs (a plot that fails to render is left out, never fatal)."""
    from autograder.report import plots

    out: dict[str, str] = {}
    try:
        out["histogram"] = _png_uri(plots.score_histogram_png(
            [s.base for s in stats.students], [s.bonus for s in stats.students],
            stats.max_score, stats.bonus_points,
            [t("hist_base", max=fmt_points(stats.max_score)),
             t("hist_bonus", max=fmt_points(stats.bonus_points))], t("students_axis")))
        worst = stats.checks[:CHART_CHECKS]
        if worst:
            out["checks"] = _png_uri(plots.pass_rate_png(
                [f"{c.test} · {c.check}" for c in worst], [c.pass_rate for c in worst],
                t("pass_rate_axis")))
    except Exception as exc:  # noqa: BLE001 - a broken plot never breaks the report
        print(f"index.html: plot left out: {type(exc).__name__}: {exc}", file=sys.stderr)
    return out


def report_context(stats: ClassStats, *, lang: str = DEFAULT_LANG,
                   title: str | None = None) -> dict[str, Any]:
    """Everything `index.html.j2` shows, as plain values."""
    def t(key: str, **values: Any) -> str:
        return msg(CATALOG, key, lang, **values)

    return {
        "lang": lang, "t": t, "version": __version__, "stats": stats,
        "title": title or stats.assignment, "plots": _plots(stats, t),
        "pct": _pct, "href": lambda student: quote(f"{student}/feedback.html"),
        "isolation": [(isolation_text(Isolation.from_dict(k), lang), n)
                      for k, n in stats.isolation],
        "slowest": stats.slowest(),
        "errors_text": "; ".join(f"{t('zero_' + kind)}: {n}" for kind, n in stats.errors.items()),
    }


def render_class_report(stats: ClassStats, *, lang: str = DEFAULT_LANG,
                        title: str | None = None) -> str:
    """The class report page as an HTML string."""
    return _env().get_template(TEMPLATE).render(**report_context(stats, lang=lang, title=title))


def write_class_report(results: list[SubmissionResult], outdir: str | Path, *,
                       lang: str = DEFAULT_LANG, title: str | None = None) -> Path:
    """Write `outdir/index.html` atomically; return its path."""
    html = render_class_report(class_stats(results), lang=lang, title=title)
    return write_text_atomic(Path(outdir) / INDEX_FILE, html)
