"""Static lint of a template or submission, before anything runs.

`lint_notebook(nb_or_path, assignment=None, lang=None) -> list[LintIssue]` reports, with cell
index (0-based, as in nbformat; messages show `shown_cell`, 1-based), line (1-based) and
enclosing function:

- `syntax_error`: a code cell that does not parse (IPython magic lines are ignored);
- `unfilled_blank`: every `___` Name node (found with `ast`, not text search);
- `not_implemented`: `raise NotImplementedError` still present, once per function;
  (findings within a cell are sorted by line)
- `missing_function` / `duplicate_function`: contract functions (needs the assignment);
  `missing_optional_function` for optional ones (`Assignment.optional_functions`), and
  `not_defined_syntax_error` when the `def` sits in a cell that does not parse;
- `missing_test_function`: a `[[tests]]` entry whose `test_<id>` the hidden suite lacks;
- `duplicate_cell_id`, `duplicate_grade_id`, `lost_nbgrader_metadata`: copied, deleted or
  recreated cells (issue 8), each with a fix in the message.
Bad input (see `notebook_io.read_notebook`) raises AutograderError.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from autograder.assignment import Assignment
from autograder.authoring.bundle import missing_test_functions
from autograder.authoring.markers import BLANK, python_source
from autograder.messages import DEFAULT_LANG, msg
from autograder.notebook_io import read_notebook

if TYPE_CHECKING:
    from nbformat import NotebookNode

REQUIRED_NBGRADER_KEYS = ("grade_id", "grade", "solution", "locked")
# findings about optional (extra-credit) functions: reported, never a reason to exit 1
OPTIONAL_KINDS = frozenset({"missing_optional_function", "optional_unfinished"})
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


def shown_cell(index: int | None) -> int | None:
    """The cell number a student reads (1-based, counting every cell as Jupyter's order does)
    for an nbformat index (0-based, what `LintIssue.cell` and `cell_errors` store)."""
    return None if index is None else index + 1


def cell_functions(cell: Any) -> list[str]:
    """Names after `def` in a code cell's text (found even when the cell does not parse)."""
    return _DEF.findall(python_source(cell.get("source", ""))) if cell.get("cell_type") == "code" else []


def broken_definitions(nb: NotebookNode) -> dict[str, tuple[int, int | None]]:
    """{function: (cell index, syntax error line)} for every `def` written in a code cell that
    does not parse: those functions are never defined when the notebook runs."""
    out: dict[str, tuple[int, int | None]] = {}
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        source = python_source(cell.get("source", ""))
        try:
            ast.parse(source)
        except SyntaxError as exc:
            for name in _DEF.findall(source):
                out.setdefault(name, (i, exc.lineno))
    return out


@dataclass
class LintIssue:
    cell: int | None
    line: int | None
    func: str | None
    kind: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Finder(ast.NodeVisitor):
    """Collect `___` names and `raise NotImplementedError` with their enclosing function."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.blanks: list[tuple[int, str | None]] = []
        self.raises: list[tuple[int, str | None]] = []

    def _func(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_FunctionDef = _func
    visit_AsyncFunctionDef = _func

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == BLANK:
            self.blanks.append((node.lineno, self.stack[0] if self.stack else None))

    def visit_Raise(self, node: ast.Raise) -> None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
            self.raises.append((node.lineno, self.stack[0] if self.stack else None))
        self.generic_visit(node)


def _load_assignment(assignment: Assignment | str | None, nb: NotebookNode) -> Assignment | None:
    from autograder.assignment import load

    if isinstance(assignment, Assignment):
        return assignment
    if isinstance(assignment, str):
        return load(assignment)
    name = nb.metadata.get("autograder", {}).get("assignment")
    if name:
        try:
            return load(name)
        except Exception:  # noqa: BLE001 - unknown assignment: lint without a contract
            return None
    return None


def lint_notebook(nb_or_path: NotebookNode | str | os.PathLike[str],
                  assignment: Assignment | str | None = None,
                  lang: str | None = None) -> list[LintIssue]:
    """Static findings for a notebook (see module docstring)."""
    nb = nb_or_path if isinstance(nb_or_path, dict) else read_notebook(nb_or_path)
    spec = _load_assignment(assignment, nb)
    lang = lang or (spec.language if spec else DEFAULT_LANG)
    optional = set(spec.optional_functions) if spec else set()
    issues: list[LintIssue] = []
    defined: dict[str, list[int]] = {}

    def add(kind: str, key: str, cell: int | None, line: int | None, func: str | None,
            **values: Any) -> None:
        issues.append(LintIssue(cell, line, func, kind, msg(
            "lint", key, lang, cell=shown_cell(cell), line=line, func=func, **values)))

    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(python_source(cell.get("source", "")))
        except SyntaxError as exc:
            add("syntax_error", "syntax_error", i, exc.lineno, None, detail=exc.msg)
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defined.setdefault(node.name, []).append(i)
        finder = _Finder()
        finder.visit(tree)
        found = [(line, "unfilled_blank", func) for line, func in finder.blanks]
        seen: set[str | None] = set()
        for line, func in sorted(finder.raises, key=lambda r: r[0]):
            if func is None or func not in seen:
                seen.add(func)
                found.append((line, "not_implemented", func))
        for line, kind, func in sorted(found, key=lambda f: (f[0], f[1])):
            if func in optional:
                if not any(x.kind == "optional_unfinished" and x.func == func for x in issues):
                    add("optional_unfinished", "optional_unfinished", i, line, func)
                continue
            add(kind, kind, i, line, func)

    if spec is not None:
        broken = broken_definitions(nb)
        for func in spec.functions:
            cells = defined.get(func)
            if not cells and func in broken:
                cell, line = broken[func]
                add("not_defined_syntax_error", "not_defined_syntax_error", cell, line, func)
            elif not cells:
                key = "missing_optional_function" if func in optional else "missing_function"
                add(key, key, None, None, func)
            elif len(cells) > 1:
                add("duplicate_function", "duplicate_function", cells[-1], None, func,
                    cells=", ".join(str(shown_cell(c)) for c in cells))
        for test_fn in missing_test_functions(spec):  # the instructor's suite, not the student
            add("missing_test_function", "missing_test_function", None, None, test_fn,
                suite=f"tests/test_{spec.name}.py")
    issues.extend(_cell_metadata_issues(nb, spec, defined, lang))
    return issues


def blocking(issues: list[LintIssue] | list[dict[str, Any]]) -> list:
    """The findings a student must fix (optional-function findings left out)."""
    def kind(i: Any) -> str:
        return i.get("kind", "") if isinstance(i, dict) else i.kind
    return [i for i in issues if kind(i) not in OPTIONAL_KINDS]


def _cell_metadata_issues(nb: NotebookNode, spec: Assignment | None,
                          defined: dict[str, list[int]], lang: str) -> list[LintIssue]:
    out: list[LintIssue] = []
    first_id: dict[str, int] = {}
    first_gid: dict[str, int] = {}
    graded = False
    for i, cell in enumerate(nb.cells):
        cid = cell.get("id")
        if cid is not None:
            if cid in first_id:
                out.append(LintIssue(i, None, None, "duplicate_cell_id", msg(
                    "lint", "duplicate_cell_id", lang, cell=i + 1, id=cid, first=first_id[cid] + 1)))
            else:
                first_id[cid] = i
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        graded = True
        missing = [k for k in REQUIRED_NBGRADER_KEYS if k not in meta]
        if missing:
            out.append(LintIssue(i, None, None, "lost_nbgrader_metadata", msg(
                "lint", "lost_metadata_cell", lang, cell=i + 1, keys=", ".join(missing))))
        gid = meta.get("grade_id")
        if gid is not None:
            if gid in first_gid:
                out.append(LintIssue(i, None, None, "duplicate_grade_id", msg(
                    "lint", "duplicate_grade_id", lang, cell=i + 1, id=gid, first=first_gid[gid] + 1)))
            else:
                first_gid[gid] = i
    if not graded:
        return out
    # an nbgrader notebook: contract functions must live in solution cells, test cells must exist
    for func, cells in defined.items():
        if spec is not None and func not in spec.functions:
            continue
        cell_i = cells[-1]
        cell_meta = nb.cells[cell_i].get("metadata", {})
        meta = cell_meta.get("nbgrader")
        if cell_meta.get("autograder", {}).get("role") == "blanks":
            continue  # inline-blank cells are plain editable cells by design
        if not meta or not meta.get("solution"):
            out.append(LintIssue(cell_i, None, func, "lost_nbgrader_metadata", msg(
                "lint", "lost_metadata_function", lang, cell=cell_i + 1, func=func)))
    if spec is not None:
        for t in spec.tests:
            gid = f"test_{t.id}"
            if gid not in first_gid:
                out.append(LintIssue(None, None, None, "lost_nbgrader_metadata", msg(
                    "lint", "lost_grade_cell", lang, id=gid)))
    return out
