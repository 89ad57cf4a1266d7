"""nbgrader integration: preprocessors the generated `nbgrader_config.py` installs.

- `ClearBlanks` (generate_assignment): applies inline `# BLANK:` markers in code cells right
  after nbgrader's ClearSolutions (block markers and hidden tests stay nbgrader's business).
- `TrustedExecute` (autograde, replaces nbgrader's Execute): runs the notebook like Execute
  (generated test cells are not run in the kernel unless `run_tests_in_kernel`), with a per-cell
  and a whole-notebook time limit, survives a dead or unresponsive kernel (remaining cells get an
  error output instead of aborting the student's autograde), then re-derives the verdict of every
  generated hidden-test cell OUTSIDE the student's kernel with
  `autograder.grading.pipeline.grade_notebook` and overwrites those cells' outputs: stdout summary
  when passed (stderr noise stripped), `execute_result` with the points for partial credit, an error
  output when failed. If the trusted verdict is unavailable the cells get an error (fail closed).
"""

from __future__ import annotations

import copy
import math
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from autograder.authoring import markers
from autograder.messages import DEFAULT_LANG, msg

GRADE_CALL = re.compile(r'^\s*grade\(\s*"(?P<assignment>[^"]+)"\s*,\s*"(?P<test>[^"]+)"\s*\)\s*$',
                        re.MULTILINE)
TOLERANCE = 1e-9


def grade_call(cell: NotebookNode) -> tuple[str, str] | None:
    """(assignment, test_id) of a generated hidden-test cell, else None."""
    if cell.get("cell_type") != "code":
        return None
    m = GRADE_CALL.search(cell.get("source", ""))
    return (m.group("assignment"), m.group("test")) if m else None


def _is_grade(cell: NotebookNode) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


class ClearBlanks(Preprocessor):
    """Apply inline `# BLANK:` markers to every code cell (nbgrader release)."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any], index: int):
        if cell.cell_type == "code" and "BLANK:" in cell.source:
            where = markers.Where(str(resources.get("unique_key", "<notebook>")), index)
            cell.source = markers.apply_blanks(cell.source, where)
        return cell, resources


def _error(ename: str, text: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=text, traceback=[f"{ename}: {text}"])


def _stdout(text: str) -> NotebookNode:
    return new_output("stream", name="stdout", text=text if text.endswith("\n") else text + "\n")


class TrustedExecute(Execute):
    """nbgrader's Execute with time limits, dead-kernel survival and the trusted verdict."""

    notebook_timeout = Integer(1800, help="Seconds for the whole notebook.").tag(config=True)
    profile = Unicode("ci", help="Profile of the trusted re-run (assignment.toml).").tag(config=True)
    verdict_timeout = Integer(1800, help="Seconds for the trusted re-run.").tag(config=True)
    call_timeout = Integer(120, help="Seconds per call into a student function (trusted re-run)."
                           ).tag(config=True)
    gpu = Bool(False, help="Run GPU tests in the trusted re-run.").tag(config=True)
    lang = Unicode("", help="Message language (default: the assignment's).").tag(config=True)
    run_tests_in_kernel = Bool(False, help=(
        "Also execute the generated hidden-test cells in the student's kernel. Off by default: "
        "their outputs are replaced by the trusted verdict anyway, so running them only costs "
        "time and gives student code a chance to interfere.")).tag(config=True)
    grader = Unicode("autograder.grading.pipeline:grade_notebook",
                     help="module:function computing the trusted verdict").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None):
        self._deadline = time.monotonic() + self.notebook_timeout
        self._cell_timeout = self.timeout
        self._dead: str | None = None
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except Exception as exc:  # noqa: BLE001 - kernel start/stop failures must not abort
            self.log.warning("execution aborted: %s: %s", type(exc).__name__, exc)
            self._dead = self._dead or f"{type(exc).__name__}: {exc}"
            for cell in nb.cells:
                if cell.cell_type == "code" and not cell.get("outputs"):
                    cell.outputs = [_error("KernelDied", self._dead)]
        finally:
            self.timeout = self._cell_timeout
        self.apply_verdict(nb, resources or {})
        return nb, resources

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.cell_type != "code":
            return cell, resources
        if not self.run_tests_in_kernel and _is_grade(cell) and grade_call(cell) is not None:
            cell.outputs = []  # the trusted verdict fills it in
            return cell, resources
        remaining = self._deadline - time.monotonic()
        if self._dead is not None:
            cell.outputs = [_error("KernelDied", msg("nbgrader", "kernel_died", self.lang or DEFAULT_LANG,
                                                     reason=self._dead))]
            return cell, resources
        if remaining <= 0:
            cell.outputs = [_error("NotebookTimeout", msg("nbgrader", "notebook_timeout", self.lang or DEFAULT_LANG,
                                                          seconds=self.notebook_timeout))]
            return cell, resources
        self.timeout = max(1, math.ceil(min(self._cell_timeout or remaining, remaining)))
        try:
            return super().preprocess_cell(cell, resources, index)
        except Exception as exc:  # noqa: BLE001 - DeadKernelError and friends
            self._dead = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            self.log.warning("kernel failure at cell %d: %s", index, self._dead)
            cell.outputs = list(cell.get("outputs", [])) + [_error(type(exc).__name__,
                                                                  self._dead)]
            return cell, resources

    # trusted verdict ---------------------------------------------------------------------
    def apply_verdict(self, nb: NotebookNode, resources: dict[str, Any]) -> None:
        cells = [(c, grade_call(c)) for c in nb.cells if _is_grade(c)]
        cells = [(c, call) for c, call in cells if call is not None]
        if not cells:
            return
        names = sorted({call[0] for _, call in cells})
        student = str(resources.get("nbgrader", {}).get("student", "") or "student")
        verdicts: dict[str, Any] = {}
        failures: dict[str, str] = {}
        for name in names:
            try:
                verdicts[name] = self._trusted_result(nb, name, student)
            except Exception as exc:  # noqa: BLE001 - fail closed
                self.log.error("trusted grading of %s failed: %s: %s", name,
                               type(exc).__name__, exc)
                failures[name] = f"{type(exc).__name__}: {exc}"
        for cell, (name, test_id) in cells:
            points = float(cell.metadata["nbgrader"].get("points", 0))
            lang = self.lang or DEFAULT_LANG
            if name in failures:
                cell.outputs = [_error("AutograderUnavailable", msg(
                    "nbgrader", "trusted_unavailable", lang, test=test_id,
                    reason=failures[name][:300]))]
                continue
            result = verdicts[name]
            lang = self.lang or _lang_of(name)
            cell.outputs = self._outputs_for(result, test_id, points, lang)

    def _trusted_result(self, nb: NotebookNode, name: str, student: str) -> Any:
        import importlib

        module, _, func = self.grader.partition(":")
        grade_notebook = getattr(importlib.import_module(module), func)  # missing: fail closed

        clean = copy.deepcopy(nb)
        clean.cells = [c for c in clean.cells if grade_call(c) is None]
        for c in clean.cells:
            if c.cell_type == "code":
                c.outputs, c.execution_count = [], None
        from autograder.notebook_io import write_notebook

        with tempfile.TemporaryDirectory(prefix="autograder-nbgrader-") as tmp:
            path = Path(tmp) / f"{name}.ipynb"
            write_notebook(clean, path)
            return grade_notebook(path, name, profile=self.profile, timeout=self.verdict_timeout,
                                  call_timeout=self.call_timeout, gpu=self.gpu,
                                  student_id=student)

    @staticmethod
    def _outputs_for(result: Any, test_id: str, points: float, lang: str) -> list[NotebookNode]:
        outcome = result.outcomes.get(test_id)
        if outcome is None:
            reason = result.error or "no result"
            return [_error("AssertionError", msg("nbgrader", "trusted_failed", lang, test=test_id,
                                                 score=0, points=round(points, 2),
                                                 detail=str(reason)[:500]))]
        score = max(0.0, min(points, float(outcome.score) * (points / outcome.points
                                                              if outcome.points else 0.0)))
        failed = [r for r in outcome.results if not r.passed]
        detail = "\n".join(f"{r.name}: {r.message}" for r in failed) or outcome.message or ""
        if outcome.status != "passed" and result.error:
            detail = (detail + "\n" + str(result.error)).strip()
        if outcome.status == "passed" and score >= points - TOLERANCE:
            return [_stdout(msg("nbgrader", "trusted_passed", lang, test=test_id,
                                score=round(points, 2), points=round(points, 2)))]
        text = msg("nbgrader", "trusted_failed", lang, test=test_id, score=round(score, 2),
                   points=round(points, 2), detail=detail[:2000])
        if score > TOLERANCE:
            return [_stdout(text), new_output("execute_result", data={"text/plain": repr(
                round(score, 4))}, execution_count=None)]
        return [_error("AssertionError", text)]


def _lang_of(name: str) -> str:
    try:
        from autograder.assignment import load

        return load(name).language
    except Exception:  # noqa: BLE001
        return DEFAULT_LANG


def generate_assignment_preprocessors() -> list[type]:
    """nbgrader's GenerateAssignment preprocessors with ClearBlanks after ClearSolutions."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions

    stock = list(GenerateAssignment.class_traits()["preprocessors"].default())
    at = stock.index(ClearSolutions) + 1
    return stock[:at] + [ClearBlanks] + stock[at:]


def autograde_preprocessors() -> list[type]:
    """nbgrader's autograde preprocessors with Execute replaced by TrustedExecute."""
    from nbgrader.converters import Autograde

    stock = list(Autograde.class_traits()["autograde_preprocessors"].default())
    return [TrustedExecute if p is Execute else p for p in stock]
