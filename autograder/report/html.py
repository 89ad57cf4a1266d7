"""Per-student `feedback.html` from the Jinja2 template `report/templates/feedback.html.j2`.

Autoescape is on: student-influenced text (messages quoting exceptions, lint findings, ids) is
escaped; `code` spans written with backticks become <code>. Pictures are embedded as base64 PNG
data URIs, built from the typed `SubmissionResult.pictures` ({test_id: {check: Picture}}) by
`Picture.kind`: "heatmap" -> `pictures.heatmap_overlay_png(image, heatmap, reference)`,
"augmentation" -> `pictures.augmentation_grid_png(images)`, "png" -> embedded as it is. A picture
that fails to render is left out, never fatal.
"""

from __future__ import annotations

import base64
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from autograder import __version__
from autograder.messages import DEFAULT_LANG, msg
from autograder.model import Picture, SubmissionResult
from autograder.notebook_io import write_text_atomic
from autograder.report.summary import (
    CATALOG,
    cell_error_lines,
    fmt_points,
    isolation_text,
    lint_rows,
    merge_same_message,
    outcome_status,
    shown_cells,
    status_label,
)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"  # package data
TEMPLATE = "feedback.html.j2"
_BACKTICKS = re.compile(r"`([^`\n]+)`")
MAX_PICTURES_PER_TEST = 2


def codify(text: Any) -> Markup:
    """Escape `text`, then turn `x` spans into <code>x</code> and newlines into <br>."""
    escaped = str(escape("" if text is None else str(text)))
    escaped = _BACKTICKS.sub(r"<code>\1</code>", escaped)
    return Markup(escaped.replace("\n", "<br>\n"))


@cache
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["codify"] = codify
    env.filters["points"] = fmt_points
    return env


def _png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def picture_list(result: SubmissionResult, lang: str = DEFAULT_LANG) -> list[dict[str, str]]:
    """[{test, check, kind, caption, src}] for the pictures: per test, the localization case
    first, then the failed checks' pictures, at most MAX_PICTURES_PER_TEST."""
    out: list[dict[str, str]] = []
    for test_id, by_check in (result.pictures or {}).items():
        outcome = result.outcomes.get(test_id)
        failed = {r.name for r in outcome.results if not r.passed} if outcome else set()
        shown = 0
        # the localization case first (a readable image with a known answer, not noise), then
        # the failed checks' pictures
        order = sorted(by_check, key=lambda c: (not c.endswith("_localization"), c not in failed))
        for check in order:
            if shown >= MAX_PICTURES_PER_TEST:
                break
            try:
                pic = _render(by_check[check], lang)
            except Exception as exc:  # noqa: BLE001 - a broken picture never breaks the report
                print(f"feedback.html: picture {test_id}/{check} left out: {exc}", file=sys.stderr)
                continue
            if pic is not None:
                caption, png = pic
                out.append({"test": test_id, "check": check, "kind": by_check[check].kind,
                            "caption": caption, "src": _png_uri(png)})
                shown += 1
    return out


def _render(picture: Picture, lang: str) -> tuple[str, bytes] | None:
    """(caption, PNG bytes) of one picture; None when it has nothing to show."""
    from autograder.report import pictures

    if picture.kind == "png" and picture.png:
        return msg(CATALOG, "picture_generic", lang), bytes(picture.png)
    if picture.kind == "heatmap" and picture.heatmap is not None:
        titles = msg(CATALOG, "picture_panels", lang).split("|")
        png = pictures.heatmap_overlay_png(picture.image, picture.heatmap,
                                           reference_heatmap=picture.reference, titles=titles)
        return msg(CATALOG, "picture_heatmap", lang), png
    if picture.kind == "augmentation" and picture.images is not None:
        return (msg(CATALOG, "picture_augmentation", lang),
                pictures.augmentation_grid_png(picture.images))
    return None


def feedback_context(result: SubmissionResult, *, lang: str = DEFAULT_LANG,
                     title: str | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain values."""
    def t(key: str, **values: Any) -> str:
        return msg(CATALOG, key, lang, **values)

    pasos: dict[str, dict[str, Any]] = {}
    for o in result.outcomes.values():
        status = outcome_status(o)
        group = pasos.setdefault(o.paso or "—", {"paso": o.paso or "—", "tests": [],
                                                 "score": 0.0, "points": 0.0,
                                                 "bonus_score": 0.0, "bonus_points": 0.0})
        group["tests"].append({
            "id": o.id, "score": o.score, "points": o.points, "bonus": o.bonus,
            "status": status, "status_label": status_label(status, lang),
            "message": _test_message(o.message, result.error, lang) if not o.results else "",
            "failed": [r.to_dict() | {"status_label": status_label(r.status, lang)}
                       for r in merge_same_message([r for r in o.results if not r.passed])],
            "passed": [r.name for r in o.results if r.passed],
        })
        kind = "bonus_" if o.bonus else ""
        group[kind + "score"] += o.score
        group[kind + "points"] += o.points
    for group in pasos.values():
        group["subtotal"] = _subtotal(group, lang)
    max_score = float(result.max_score)
    return {
        "lang": lang, "t": t, "version": __version__,
        "title": title or result.assignment, "result": result,
        "notebook_name": Path(result.notebook).name if result.notebook else "",
        "score": result.base_score, "max_score": max_score,
        "extra_score": result.extra_score, "extra_max": result.extra_max,
        "percent": max(0.0, min(100.0, 100.0 * result.base_score / max_score)) if max_score else 0.0,
        "pasos": list(pasos.values()),
        "details": [test for g in pasos.values() for test in g["tests"]
                    if test["status"] != "passed"],
        "pictures": picture_list(result, lang),
        "lint": lint_rows(result.lint),
        "cell_errors": cell_error_lines(result, lang),
        "skipped_cells": shown_cells(result.skipped_cells),
        "executed": result.error is None,
        "isolation": isolation_text(result.isolation, lang),
    }


def _test_message(message: str, error: str | None, lang: str) -> str:
    """A test's own message, or a short "could not run" when it only repeats the
    notebook-level error already shown once at the top."""
    if error and message and error in message:
        return msg(CATALOG, "test_not_run_short", lang)
    return message


def _subtotal(group: dict[str, Any], lang: str) -> str:
    """"score / points" for regular tests, "+score extra (máx. points)" for bonus tests."""
    parts = []
    if group["points"] or not group["bonus_points"]:
        parts.append(f"{fmt_points(group['score'])} / {fmt_points(group['points'])}")
    if group["bonus_points"]:
        parts.append(msg(CATALOG, "subtotal_bonus", lang, score=fmt_points(group["bonus_score"]),
                         max=fmt_points(group["bonus_points"])))
    return " · ".join(parts)


def render_feedback(result: SubmissionResult, *, lang: str = DEFAULT_LANG, title: str | None = None) -> str:
    """The feedback page as an HTML string."""
    return _env().get_template(TEMPLATE).render(**feedback_context(result, lang=lang, title=title))


def write_feedback(result: SubmissionResult, path: str | Path, **kw: Any) -> Path:
    """Write feedback.html atomically; return its path."""
    return write_text_atomic(path, render_feedback(result, **kw))
