"""`autograder new NAME`: a new assignment folder that `generate` and `validate` accept as is.

`scaffold(name, root)` returns {path: text} for `solutions/NAME/NAME.ipynb` (title, imports, a
`parameters` cell, one PASO with a solution block), `assignment.toml` (every key, optional ones
commented; package-data templates `new_*.j2`) and `tests/test_NAME.py` (one test per entry).
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.errors import AutograderError

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"  # package data


def _notebook(name: str, title: str) -> str:
    import nbformat

    from autograder.notebook_io import dumps

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    params = nbformat.v4.new_code_cell("SEED = 42  # grading profiles override this cell")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\nCompleta las funciones marcadas. No cambies "
                                      "sus nombres ni sus firmas."),
        nbformat.v4.new_code_cell("import numpy as np"),
        params,
        nbformat.v4.new_markdown_cell("## PASO 1: normalizar"),
        nbformat.v4.new_code_cell(
            'def normalize(x):\n    """Devuelve `x` (valores 0..255) escalado a [0, 1], con la '
            'misma forma."""\n    ### BEGIN SOLUTION\n    return np.asarray(x, dtype="float32") '
            '/ 255.0\n    ### END SOLUTION'),
        nbformat.v4.new_code_cell("print(normalize(np.array([0, 255])))"),
    ]
    for i, cell in enumerate(nb.cells):
        cell.id = f"{name[:40]}-{i}"
    return dumps(nb)


def scaffold(name: str, root: Path, title: str = "") -> dict[Path, str]:
    """The new assignment's files under `root` (the solutions folder); AutograderError for a
    bad name or an existing folder."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    if not _NAME.match(name):
        raise AutograderError(f"{name!r}: use lowercase letters, digits and _ (a Python "
                              "identifier starting with a letter)")
    folder = root / name
    if folder.exists():
        raise AutograderError(f"{folder}: already exists (nothing written)")
    title = title or name.replace("_", " ").capitalize()
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), undefined=StrictUndefined,
                      keep_trailing_newline=True, autoescape=False)
    ctx = {"name": name, "title": title}
    return {
        folder / f"{name}.ipynb": _notebook(name, title),
        folder / "assignment.toml": env.get_template("new_assignment.toml.j2").render(**ctx),
        folder / "tests" / f"test_{name}.py": env.get_template("new_test_suite.py.j2").render(**ctx),
    }
