"""Plain-text views of a SubmissionResult shared by every report (results.json, HTML, `check`).

`outcome_status(o)` classifies one hidden test for students: passed / partial / wrong /
not_implemented / error / skipped, from its TestOutcome and its CheckResults (a test whose failed
checks are all "not implemented" is "not_implemented", never "wrong").
"""

from __future__ import annotations

from dataclasses import replace

from autograder.messages import msg
from autograder.model import (
    CheckResult,
    Isolation,
    IsolationFeature,
    IsolationMode,
    SubmissionResult,
    TestOutcome,
)

CATALOG = "report"
# protections a report names when they were missing for student code
IMPORTANT = (IsolationFeature.USER_NAMESPACE, IsolationFeature.SECCOMP,
             IsolationFeature.NO_NETWORK, IsolationFeature.CGROUP)


def fmt_points(value: float) -> str:
    """2 -> "2", 1.5 -> "1.5", 0.3333 -> "0.33"."""
    return f"{round(float(value), 2):g}"


def outcome_status(o: TestOutcome) -> str:
    """Student-facing status of one test (see module docstring)."""
    if o.status == "skipped":
        return "skipped"
    if o.status == "passed":
        return "passed"
    failed = [r for r in o.results if not r.passed]
    if o.status == "error" and not failed:
        return "error"
    if failed and all(r.status == "not_implemented" for r in failed):
        return "not_implemented"
    if failed and any(r.status == "error" for r in failed) and not any(
            r.status == "wrong" for r in failed):
        return "error"
    if o.score > 0:
        return "partial"
    return "wrong"


def status_label(status: str, lang: str) -> str:
    return msg(CATALOG, f"status_{status}", lang)


def check_line(r: CheckResult, lang: str) -> str:
    """One line per check: mark, name, and for failures the message and the hint."""
    if r.passed:
        return f"✔ {r.name}"
    line = f"✘ {r.name}: {r.message}".rstrip(": ")
    if r.hint:
        line += f"\n    {msg(CATALOG, 'hint', lang)}: {r.hint}"
    return line


def outcome_text(o: TestOutcome, lang: str) -> str:
    """Multi-line feedback for one test: failed checks first (message + hint), then passed."""
    lines = [check_line(r, lang) for r in sorted(o.results, key=lambda r: r.passed)]
    if not o.results and o.status != "passed" and o.message:
        lines.append(o.message)  # no structured checks recorded: pytest's own message
    if not lines and o.status == "passed":
        lines.append(msg(CATALOG, "all_passed", lang))
    return "\n".join(lines)


def lint_rows(lint: list[dict]) -> list[dict[str, str]]:
    """Lint findings with every field present ("–" for an unknown cell or line)."""
    def known(value: object) -> str:
        return "–" if value is None or value == "" else str(value)

    return [{"cell": known(shown_cell(f.get("cell"))), "line": known(f.get("line")),
             "func": f.get("func") or "", "message": f.get("message") or f.get("kind", "")}
            for f in lint]


def lint_lines(lint: list[dict]) -> list[str]:
    """One line per finding: autograder.lint messages already name the cell, line and fix."""
    return [row["message"] for row in lint_rows(lint)]


_SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")


def shown_cell(index: object) -> object:
    """Cells are stored by nbformat index (0-based); students read them numbered from 1."""
    return index + 1 if isinstance(index, int) and not isinstance(index, bool) else index


def shown_cells(indices: list[int]) -> str:
    return ", ".join(str(shown_cell(c)) for c in indices)


def cell_error_lines(result: SubmissionResult, lang: str) -> list[str]:
    """One line per notebook cell that raised while the grader executed it (cells from 1)."""
    return [msg(CATALOG, "cell_error_line", lang, cell=shown_cell(e.get("cell", "?")),
                line=e.get("line") or "", exc_type=e.get("exc_type", "Error"),
                message=str(e.get("message", ""))[:300],
                functions=", ".join(f"`{f}`" for f in e.get("functions") or []),
                syntax=e.get("exc_type") in _SYNTAX_ERRORS)
            for e in getattr(result, "cell_errors", None) or []]


def isolation_text(isolation: Isolation, lang: str) -> str:
    """The isolation a submission ran under, in the report's language: the mode, the
    protections in place and, for student code, the important ones that were missing."""
    parts = [msg(CATALOG, f"isolation_mode_{isolation.mode.value}", lang)]
    features = [msg(CATALOG, f"isolation_{f.value}", lang, max=isolation.pids_max or "")
                for f in isolation.features]
    if features:
        parts.append(", ".join(features))
    if isolation.mode in (IsolationMode.SANDBOX, IsolationMode.NONE):
        missing = [msg(CATALOG, f"isolation_{f.value}", lang, max="") for f in IMPORTANT
                   if not isolation.has(f)]
        if missing:
            parts.append(msg(CATALOG, "isolation_missing", lang, features=", ".join(missing)))
    return "; ".join(parts)


def merge_same_message(results: list[CheckResult]) -> list[CheckResult]:
    """Failed checks with the same message and hint as one entry naming all of them (a missing
    function fails every check of a test with one identical message)."""
    merged: dict[tuple[str, str], CheckResult] = {}
    for r in results:
        key = (r.message, r.hint)
        if key in merged:
            merged[key] = replace(merged[key], name=f"{merged[key].name}, {r.name}")
        else:
            merged[key] = r
    return list(merged.values())
