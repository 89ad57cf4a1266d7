"""nbgrader integration: preprocessors the generated `nbgrader_config.py` installs.

- `ClearBlanks` (generate_assignment): applies inline `# BLANK:` markers in code cells right
  after nbgrader's ClearSolutions (block markers and hidden tests stay nbgrader's business).
- `TrustedExecute` (autograde, replaces nbgrader's Execute): student code never runs in a Jupyter
  kernel of the nbgrader user. The notebook (without the generated hidden-test cells) is run
  ONCE, in the sandbox, by `autograder.grading.batch.grade_notebook_isolated` (the same path
  as `autograder grade`: checks in a limited evaluator process, kept warm for the next notebook:
  `warm_evaluators`), and every code cell's outputs are filled from that run: an error output
  for cells that raised or were not executed, the verdict for each generated hidden-test cell
  (stdout summary when passed, `execute_result` with the points for partial credit, an error
  when failed). Instructor-written grade cells pass only if the sandboxed run executed them
  without an error. If the sandboxed run is unavailable, every graded cell gets an error (fail
  closed).
"""

from __future__ import annotations

import copy
import re
import tempfile
from pathlib import Path
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
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


class TrustedExecute(NbGraderPreprocessor):
    """Fill every code cell's outputs from one sandboxed run (no kernel is started)."""

    profile = Unicode("ci", help="Profile of the sandboxed run (assignment.toml).").tag(config=True)
    verdict_timeout = Integer(1800, help="Seconds for executing the notebook in the sandbox."
                              ).tag(config=True)
    call_timeout = Integer(120, help="Seconds per call into a student function (sandbox)."
                           ).tag(config=True)
    gpu = Bool(False, help="Run GPU tests in the sandboxed run.").tag(config=True)
    lang = Unicode("", help="Message language (default: the assignment's).").tag(config=True)
    grader = Unicode("autograder.grading.batch:grade_notebook_isolated",
                     help="module:function computing the trusted verdict").tag(config=True)
    warm_evaluators = Integer(1, help="Idle evaluator processes kept between the notebooks of "
                              "one autograde run (0: a fresh one per notebook).").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None):
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        self.apply_verdict(nb, resources or {})
        return nb, resources

    # trusted verdict ---------------------------------------------------------------------
    def apply_verdict(self, nb: NotebookNode, resources: dict[str, Any]) -> None:
        names = sorted({call[0] for c in nb.cells if (call := grade_call(c)) is not None})
        if not names:
            names = [str(resources.get("nbgrader", {}).get("assignment", "") or "")]
            names = [n for n in names if n]
        student = str(resources.get("nbgrader", {}).get("student", "") or "student")
        lang = self.lang or DEFAULT_LANG
        if not names:  # no assignment to grade against: graded cells cannot pass
            self._fail_graded(nb, lang, "no assignment name")
            return
        verdicts: dict[str, Any] = {}
        for name in names:
            try:
                verdicts[name] = self._trusted_result(nb, name, student)
            except Exception as exc:  # noqa: BLE001 - fail closed
                self.log.error("trusted grading of %s failed: %s: %s", name,
                               type(exc).__name__, exc)
                self._fail_graded(nb, lang, f"{type(exc).__name__}: {exc}"[:300])
                return
        self._fill_student_cells(nb, verdicts[names[0]], self.lang or _lang_of(names[0]))
        for cell in nb.cells:
            call = grade_call(cell) if _is_grade(cell) else None
            if call is not None:
                points = float(cell.metadata["nbgrader"].get("points", 0))
                cell.outputs = self._outputs_for(verdicts[call[0]], call[1], points,
                                                 self.lang or _lang_of(call[0]))

    def _fail_graded(self, nb: NotebookNode, lang: str, reason: str) -> None:
        for cell in nb.cells:
            if cell.cell_type == "code" and _is_grade(cell):
                test = (grade_call(cell) or ("", cell.metadata["nbgrader"].get("grade_id", "?")))[1]
                cell.outputs = [_error("AutograderUnavailable", msg(
                    "nbgrader", "trusted_unavailable", lang, test=test, reason=reason))]

    @staticmethod
    def _fill_student_cells(nb: NotebookNode, result: Any, lang: str) -> None:
        """Outputs of the non-test code cells from the sandboxed run (indices of the notebook
        the sandbox ran, i.e. without the generated test cells)."""
        kept = [i for i, c in enumerate(nb.cells) if grade_call(c) is None]
        errors = {e["cell"]: e for e in result.cell_errors}
        skipped = set(result.skipped_cells)
        for j, i in enumerate(kept):
            cell = nb.cells[i]
            if cell.cell_type != "code":
                continue
            if j in errors:
                e = errors[j]
                cell.outputs = [_error(str(e.get("exc_type", "Error")),
                                       str(e.get("message", ""))[:2000])]
            elif j in skipped:
                cell.outputs = [_stdout(msg("nbgrader", "cell_skipped", lang))]
                if _is_grade(cell):
                    cell.outputs = [_error("NotExecuted", msg("nbgrader", "cell_skipped", lang))]
            elif result.error and _is_grade(cell):  # the run stopped: this cell may not have run
                cell.outputs = [_error("NotExecuted", str(result.error)[:2000])]

    def _trusted_result(self, nb: NotebookNode, name: str, student: str) -> Any:
        import importlib

        from autograder.grading.executors.local import keep_warm

        module, _, func = self.grader.partition(":")
        grade_notebook = getattr(importlib.import_module(module), func)  # missing: fail closed
        keep_warm(self.warm_evaluators)

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
