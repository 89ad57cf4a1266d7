"""Reference solution notebook -> student template + nbgrader source notebook (+ config, README).

`build(assignment)` returns {path: text} for:

- `assignments/<name>/<name>.ipynb`: student template (markers applied, see `autograder.blanks`);
- `assignments/<name>/source/<name>.ipynb`: nbgrader source notebook (schema_version 3 cell
  metadata: solution cells for cells with markers, manually graded answer cells for markdown
  answers, one locked grade cell per `[[tests]]` entry that only calls
  `autograder.nbgrader_cell.grade`, locked cells for the rest);
- `assignments/<name>/nbgrader_config.py` and `assignments/<name>/README.md` (Jinja2 templates);
- `assignments/<name>/autograder/`: the student bundle for `autograder check` (visible tests
  only, nothing from the reference notebook; see `autograder.bundle`).

Output is deterministic: outputs and execution counts cleared, cell ids derived from the
assignment name + cell role + index, volatile metadata dropped, kernel metadata and tags kept,
nbformat.writes (sorted keys, indent 1) plus a trailing newline. `write(files)` is atomic per file;
`stale(files)` lists files whose committed text differs.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import nbformat
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from nbformat import NotebookNode

from autograder.assignment import Assignment
from autograder.authoring import markers
from autograder.authoring.bundle import bundle_files, missing_test_functions
from autograder.errors import AutograderError
from autograder.messages import DEFAULT_LANG
from autograder.notebook_io import dumps, read_notebook, write_text_atomic

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"  # package data
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "papermill", "scrolled", "collapsed",
                          "nbgrader", "id")
DEFAULT_ANSWER_POINTS = 1.0
CELL_TIMEOUT_S = 600
NOTEBOOK_TIMEOUT_S = 1800
CALL_TIMEOUT_S = 300


def cell_id(name: str, role: str, index: int) -> str:
    """Stable nbformat cell id (never random)."""
    return hashlib.sha1(f"{name}/{role}/{index}".encode()).hexdigest()[:16]


def defined_functions(source: str) -> dict[str, ast.FunctionDef]:
    """Top-level functions a code cell defines (empty if it does not parse)."""
    try:
        tree = ast.parse(markers.python_source(source))
    except SyntaxError:
        return {}
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def signature_and_doc(fn: ast.FunctionDef) -> tuple[str, str | None]:
    return ast.unparse(fn.args), ast.get_docstring(fn, clean=False)


def _clean_cell(cell: NotebookNode, name: str, role: str, index: int) -> NotebookNode:
    new = copy.deepcopy(cell)
    new.source = markers.normalize_newlines(new.source)
    for key in VOLATILE_CELL_METADATA:
        new.metadata.pop(key, None)
    if new.cell_type == "code":
        new.outputs = []
        new.execution_count = None
    if "attachments" in new and not new["attachments"]:
        del new["attachments"]
    new.id = cell_id(name, role, index)
    return new


def _nbgrader_meta(grade_id: str, *, grade: bool = False, solution: bool = False,
                   locked: bool = False, points: float | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked,
                            "schema_version": 3, "solution": solution, "task": False}
    if grade:
        meta["points"] = points if points is not None else 0
    return meta


def _answer_points(cell: NotebookNode) -> float:
    pts = cell.metadata.get("autograder", {}).get("points", DEFAULT_ANSWER_POINTS)
    return float(pts)


def grade_cell_source(assignment: str, test_id: str) -> str:
    return (f"{markers.BEGIN_HIDDEN}\nfrom autograder.nbgrader_cell import grade\n"
            f"grade({json.dumps(assignment)}, {json.dumps(test_id)})\n{markers.END_HIDDEN}")


def build(assignment: Assignment) -> dict[Path, str]:
    """All generated files of one assignment as {path: text}; raises AutograderError/MarkerError."""
    ref_path = assignment.notebook
    ref = read_notebook(ref_path)
    root = assignment.directory.parent.parent
    label = str(ref_path.relative_to(root)) if ref_path.is_relative_to(root) else str(ref_path)
    name = assignment.name

    # where each contract function is defined in the reference
    defined_in: dict[str, int] = {}
    ref_defs: dict[str, ast.FunctionDef] = {}
    for i, cell in enumerate(ref.cells):
        if cell.cell_type == "code":
            for fname, node in defined_functions(cell.source).items():
                defined_in[fname] = i
                ref_defs[fname] = node
    missing = [f for f in assignment.functions if f not in defined_in]
    if missing:
        raise AutograderError(f"{label}: contract functions not defined in the reference "
                              f"notebook: {', '.join(missing)}")

    absent = missing_test_functions(assignment)
    if absent:
        suite = assignment.tests_dir / f"test_{name}.py"
        raise AutograderError(f"{suite}: no function {', '.join(absent)} for the [[tests]] of "
                              f"{assignment.directory / 'assignment.toml'}")
    template = _build_template(assignment, ref, label)
    _verify_template(assignment, ref, template, ref_defs, label)
    source = _build_source(assignment, ref, defined_in, label)

    out = assignment.output_dir
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), undefined=StrictUndefined,
                      keep_trailing_newline=True, autoescape=False)
    ctx = {"assignment": assignment, "name": name,
           "answer_stub": markers.ANSWER_STUB.get(assignment.language, markers.ANSWER_STUB[DEFAULT_LANG]),
           "code_stub": "\n".join(markers.CODE_STUB.get(assignment.language, markers.CODE_STUB[DEFAULT_LANG])),
           "cell_timeout": CELL_TIMEOUT_S,
           "notebook_timeout": NOTEBOOK_TIMEOUT_S, "call_timeout": CALL_TIMEOUT_S,
           "tests": [t for t in assignment.tests],
           "max_score": assignment.max_score(), "max_score_gpu": assignment.max_score(gpu=True)}
    files = {
        out / f"{name}.ipynb": dumps(template),
        out / "source" / f"{name}.ipynb": dumps(source),
        out / "nbgrader_config.py": env.get_template("nbgrader_config.py.j2").render(**ctx),
        out / "README.md": env.get_template("release_README.md.j2").render(**ctx),
    }
    files.update(bundle_files(assignment))
    return files


def reference_warnings(assignment: Assignment) -> list[str]:
    """Problems that do not stop generation but change grading: a reference without a cell
    tagged `parameters` (profiles would then be injected at the top and the notebook's own
    values would silently overwrite them)."""
    ref = read_notebook(assignment.notebook)
    tagged = any("parameters" in (c.get("metadata", {}).get("tags") or []) for c in ref.cells)
    if tagged or not assignment.profiles:
        return []
    return [f"{assignment.notebook}: no cell is tagged `parameters`: the profile values "
            f"({', '.join(sorted({k for p in assignment.profiles.values() for k in p}))}) are "
            "injected at the top and the notebook's own assignments overwrite them. Tag the "
            "cell that defines them `parameters` (Jupyter: View > Cell toolbar > Tags)."]


def _new_notebook(ref: NotebookNode, name: str) -> NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = copy.deepcopy(ref.metadata)
    nb.metadata.pop("nbgrader", None)
    nb.metadata.pop("papermill", None)
    nb.metadata.setdefault("autograder", {})["assignment"] = name
    nb.nbformat, nb.nbformat_minor = 4, max(int(ref.get("nbformat_minor", 5)), 5)
    return nb


def _build_template(assignment: Assignment, ref: NotebookNode, label: str) -> NotebookNode:
    nb = _new_notebook(ref, assignment.name)
    for i, cell in enumerate(ref.cells):
        where = markers.Where(label, i)
        new = _clean_cell(cell, assignment.name, "template", i)
        if cell.cell_type == "code":
            new.source = markers.template_code(cell.source, where, assignment.language)
            marks = markers.has_markers(cell.source)
            if marks["hidden"] and not new.source.strip():
                continue  # a cell that only held hidden tests disappears from the template
        elif cell.cell_type == "markdown":
            new.source = markers.template_markdown(cell.source, where, assignment.language)
        nb.cells.append(new)
    return nb


def _verify_template(assignment: Assignment, ref: NotebookNode, nb: NotebookNode,
                     ref_defs: dict[str, ast.FunctionDef], label: str) -> None:
    """Template invariants: parses, keeps signatures/docstrings, leaks no solution lines."""
    found: dict[str, ast.FunctionDef] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            ast.parse(markers.python_source(cell.source))
        except SyntaxError as exc:
            raise AutograderError(f"{label}: generated template cell {i} does not parse (line "
                                  f"{exc.lineno}: {exc.msg}); check the markers in that cell") from exc
        found.update(defined_functions(cell.source))
    for fname in assignment.functions:
        if fname not in found:
            raise AutograderError(f"{label}: the template lost the `def {fname}` line: keep the "
                                  "def line outside ### BEGIN/END SOLUTION")
        if signature_and_doc(found[fname]) != signature_and_doc(ref_defs[fname]):
            raise AutograderError(f"{label}: the template changed the signature or docstring of "
                                  f"`{fname}`: keep them outside ### BEGIN/END SOLUTION")
    leaked = solution_leaks(ref, nb)
    if leaked:
        raise AutograderError(f"{label}: solution text leaked into the template: {leaked[0]!r}")


def solution_leaks(ref: NotebookNode, template: NotebookNode) -> list[str]:
    """Solution-only lines of the reference (inside BEGIN/END SOLUTION, not found elsewhere in the
    reference) that appear in the template."""
    inside: set[str] = set()
    outside: set[str] = set()
    for cell in ref.cells:
        lines = markers.normalize_newlines(cell.source).split("\n")
        depth = False
        for line in lines:
            m = markers.marker_of(line)
            if m == markers.BEGIN_SOLUTION:
                depth = True
            elif m == markers.END_SOLUTION:
                depth = False
            elif line.strip():
                (inside if depth else outside).add(line.strip())
    secret = {x for x in inside - outside if len(x) > 3 and not x.startswith("#")}
    leaks = []
    for cell in template.cells:
        for line in cell.source.split("\n"):
            if line.strip() in secret:
                leaks.append(line.strip())
    return leaks


def _build_source(assignment: Assignment, ref: NotebookNode, defined_in: dict[str, int],
                  label: str) -> NotebookNode:
    nb = _new_notebook(ref, assignment.name)
    after: dict[int, list[Any]] = {}
    last = len(ref.cells) - 1
    for t in assignment.tests:
        cells = [defined_in[f] for f in t.functions if f in defined_in]
        after.setdefault(max(cells) if cells else last, []).append(t)
    grade_ids: set[str] = set()
    for i, cell in enumerate(ref.cells):
        where = markers.Where(label, i)
        markers.validate_cell(cell.source, cell.cell_type, where)
        new = _clean_cell(cell, assignment.name, "source", i)
        marks = markers.has_markers(cell.source)
        if cell.cell_type == "code" and marks["solution"]:
            meta = _nbgrader_meta(f"solution_{i:03d}", solution=True)
        elif cell.cell_type == "code" and marks["blank"]:
            # nbgrader would replace a marker-less solution cell entirely: inline-blank cells are
            # plain editable cells (ClearBlanks blanks them at release time)
            new.metadata.setdefault("autograder", {})["role"] = "blanks"
            nb.cells.append(new)
            _append_tests(nb, assignment, after.get(i, []), grade_ids, label, i)
            continue
        elif cell.cell_type == "markdown" and marks["solution"]:
            meta = _nbgrader_meta(f"answer_{i:03d}", grade=True, solution=True,
                                  points=_answer_points(cell))
        else:
            meta = _nbgrader_meta(f"cell_{i:03d}", locked=True)
        new.metadata["nbgrader"] = meta
        grade_ids.add(meta["grade_id"])
        nb.cells.append(new)
        _append_tests(nb, assignment, after.get(i, []), grade_ids, label, i)
    return nb


def _append_tests(nb: NotebookNode, assignment: Assignment, tests: list[Any],
                  grade_ids: set[str], label: str, i: int) -> None:
    for t in tests:
        gid = f"test_{t.id}"
        if gid in grade_ids:
            raise AutograderError(f"{label}: duplicate grade id {gid!r}")
        grade_ids.add(gid)
        test = nbformat.v4.new_code_cell(grade_cell_source(assignment.name, t.id))
        test.id = cell_id(assignment.name, f"test/{t.id}", i)
        test.metadata = {"nbgrader": _nbgrader_meta(gid, grade=True, locked=True,
                                                    points=t.points),
                         "tags": ["autograder-test"]}
        nb.cells.append(test)


def stale(files: dict[Path, str]) -> list[Path]:
    """Files whose content on disk differs from `files` (or that are missing)."""
    out = []
    for path, text in files.items():
        try:
            if path.read_text(encoding="utf-8") != text:
                out.append(path)
        except (FileNotFoundError, UnicodeDecodeError):
            out.append(path)
    return out


def write(files: dict[Path, str]) -> list[Path]:
    """Write changed files atomically; return the paths written."""
    changed = stale(files)
    for path in changed:
        write_text_atomic(path, files[path])
    return changed
