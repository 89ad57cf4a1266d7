"""`autograder generate` on the toy fixture: content, determinism, --check, bad input."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import nbformat
import pytest

from autograder.cli import main

NAME = "toy_assignment"


@pytest.fixture
def env(toy_project):
    sols, out = toy_project
    return {"sols": sols, "out": out, "ref": sols / NAME / f"{NAME}.ipynb",
            "template": out / NAME / f"{NAME}.ipynb",
            "source": out / NAME / "source" / f"{NAME}.ipynb"}


def _edit_ref(env, fn):
    nb = nbformat.read(env["ref"], as_version=4)
    fn(nb)
    nbformat.write(nb, env["ref"])


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_generates_template_and_source(env, capsys):
    assert main(["generate", NAME]) == 0
    tmpl = nbformat.read(env["template"], as_version=4)
    text = env["template"].read_text()
    # no solution text, blanks in place, answer placeholder
    assert "np.asarray(x) * factor" not in text and "0.0, 1.0" not in text
    assert "Porque las imágenes" not in text and "BLANK:" not in text
    assert "ESCRIBE TU RESPUESTA AQUÍ" in text
    # every contract function keeps def line and docstring; every code cell parses
    defs = {}
    for cell in tmpl.cells:
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            defs.update({n.name: ast.get_docstring(n) for n in tree.body
                         if isinstance(n, ast.FunctionDef)})
    assert defs == {"scale": "Devuelve `x` multiplicado por `factor` (mismo shape).",
                    "clip01": "Recorta `x` al intervalo [0, 1]."}
    tags = [t for c in tmpl.cells for t in c.metadata.get("tags", [])]
    assert {"parameters", "skip-when-grading", "reflection"} <= set(tags)
    assert tmpl.metadata.kernelspec.name == "python3"
    # the template has no test cells; the source has one per [[tests]] entry, after its function
    src = nbformat.read(env["source"], as_version=4)
    metas = [c.metadata.get("nbgrader") for c in src.cells]
    # inline-blank cells stay plain editable cells (nbgrader would replace a marker-less
    # solution cell entirely); every other cell carries schema_version 3 metadata
    plain = [c for c, m in zip(src.cells, metas, strict=True) if m is None]
    assert [c.metadata["autograder"]["role"] for c in plain] == ["blanks"]
    assert "# BLANK: 0.0 | BLANK: 1.0" in plain[0].source
    assert all(m["schema_version"] == 3 for m in metas if m)
    ids = [m["grade_id"] if m else None for m in metas]
    assert len([i for i in ids if i]) == len({i for i in ids if i})
    i_scale = next(i for i, c in enumerate(src.cells) if "def scale(" in c.source)
    assert src.cells[i_scale].metadata.nbgrader["solution"] is True
    assert ids[i_scale + 1] == "test_scale"
    test = src.cells[i_scale + 1]
    assert test.metadata.nbgrader == {"grade": True, "grade_id": "test_scale", "locked": True,
                                      "points": 2.0, "schema_version": 3, "solution": False,
                                      "task": False}
    assert test.source == ('### BEGIN HIDDEN TESTS\nfrom autograder.nbgrader_cell import grade\n'
                           'grade("toy_assignment", "scale")\n### END HIDDEN TESTS')
    i_clip = next(i for i, c in enumerate(src.cells) if "def clip01(" in c.source)
    assert ids[i_clip + 1] == "test_clip01"
    answer = next(c for c in src.cells if c.cell_type == "markdown" and "BEGIN SOLUTION" in c.source)
    assert answer.metadata.nbgrader["grade"] and answer.metadata.nbgrader["solution"]
    assert answer.metadata.nbgrader["points"] == 1.0
    locked = [c for c in src.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("cell_")]
    assert locked and all(c.metadata.nbgrader["locked"] for c in locked)
    cfg = (env["out"] / NAME / "nbgrader_config.py").read_text()
    compile(cfg, "nbgrader_config.py", "exec")
    assert "Execute.timeout = 600" in cfg and "TrustedExecute.verdict_timeout" in cfg
    assert "| `scale` | PASO 1 | 2.0 |" in (env["out"] / NAME / "README.md").read_text()


def test_regeneration_is_byte_identical_and_check(env, capsys):
    assert main(["generate", "--all"]) == 0
    first = _snapshot(env["out"])
    assert main(["generate", str(env["sols"] / NAME)]) == 0
    assert _snapshot(env["out"]) == first
    assert all(v.endswith(b"\n") for v in first.values())
    raw = json.loads(first[f"{NAME}/{NAME}.ipynb"])
    assert all(len(c["id"]) == 16 for c in raw["cells"])
    capsys.readouterr()
    assert main(["generate", "--all", "--check"]) == 0
    # a changed reference makes the committed files stale; --check writes nothing
    _edit_ref(env, lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell("Nueva celda")))
    assert main(["generate", "--all", "--check"]) == 1
    out = capsys.readouterr().out
    assert f"stale: {env['template']}" in out and f"stale: {env['source']}" in out
    assert _snapshot(env["out"]) == first


def test_reference_with_magics_and_crlf(env):
    def edit(nb):
        nb.cells.insert(1, nbformat.v4.new_code_cell("%matplotlib inline\r\n!pip install -q numpy"))
    _edit_ref(env, edit)
    assert main(["generate", NAME]) == 0
    tmpl = nbformat.read(env["template"], as_version=4)
    assert tmpl.cells[1].source == "%matplotlib inline\n!pip install -q numpy"


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_marker_error_exit_2_and_nothing_written(env, capsys):
    def edit(nb):
        nb.cells[6].source += "\n    ### END SOLUTION"
    _edit_ref(env, edit)
    assert main(["generate", NAME]) == 2
    err = _one_error_line(capsys)
    assert "toy_assignment.ipynb: cell 6, line 4" in err and "without a matching" in err
    assert not env["out"].exists()


@pytest.mark.parametrize("content,expected", [
    (b"{not json", "invalid JSON"),
    (b"", "empty file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary file"),
    (b'{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}', "nbformat v3"),
    (b'{"a": 1}', "not a Jupyter notebook"),
])
def test_bad_reference_notebook(env, capsys, content, expected):
    env["ref"].write_bytes(content)
    assert main(["generate", NAME]) == 2
    assert expected in _one_error_line(capsys)


def test_missing_solution_and_duplicate_test_ids(env, capsys):
    assert main(["generate", "no_such_assignment"]) == 2
    assert "no_such_assignment" in _one_error_line(capsys)
    toml = env["sols"] / NAME / "assignment.toml"
    toml.write_text(toml.read_text() + '\n[[tests]]\nid = "scale"\npoints = 1\n')
    assert main(["generate", NAME]) == 2
    assert "duplicate" in _one_error_line(capsys)


def test_contract_function_lost_or_missing(env, capsys):
    def wrap_def(nb):  # the whole function inside the solution block: def line would vanish
        nb.cells[6].source = ("### BEGIN SOLUTION\ndef clip01(x):\n    return np.clip(x, 0, 1)\n"
                              "### END SOLUTION")
    _edit_ref(env, wrap_def)
    assert main(["generate", NAME]) == 2
    assert "lost the `def clip01` line" in _one_error_line(capsys)

    def drop(nb):
        nb.cells[6].source = "x = 1"
    _edit_ref(env, drop)
    assert main(["generate", NAME]) == 2
    assert "not defined in the reference notebook: clip01" in _one_error_line(capsys)


def test_atomic_write_keeps_old_file_on_failure(env, monkeypatch):
    assert main(["generate", NAME]) == 0
    before = env["template"].read_bytes()
    _edit_ref(env, lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell("otra")))

    def boom(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    assert main(["generate", NAME]) == 3
    assert env["template"].read_bytes() == before
    assert not [p for p in env["out"].rglob(".*.tmp")]
