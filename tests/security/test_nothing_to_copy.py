"""Nothing to copy (issue 11, item 7): the package students install and the bundle they get
carry no reference implementation, no hidden checks' answers and not the grader's probe seed;
student code in the sandbox cannot read the references either."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from autograder.assignment import REPO_ROOT, load, solutions_dir
from autograder.authoring.bundle import bundle_files
from autograder.checks import references

PACKAGE = REPO_ROOT / "autograder"
REFERENCE_FUNCS = {"gradcam", "integrated_gradients", "plus_plus_weights", "conv_and_predictions"}


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_installed_package_defines_no_reference_implementation():
    found = {str(p.relative_to(REPO_ROOT)): _defined(p) & REFERENCE_FUNCS
             for p in PACKAGE.rglob("*.py")}
    assert {k: v for k, v in found.items() if v} == {}
    assert _defined(REPO_ROOT / references.FOLDER / "explain.py") >= REFERENCE_FUNCS


def test_wheel_ships_only_the_package():
    cfg = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert cfg["tool"]["setuptools"]["packages"]["find"]["include"] == ["autograder*"]
    from setuptools import find_packages

    shipped = find_packages(str(REPO_ROOT), include=["autograder*"])
    assert shipped and all(p.startswith("autograder") for p in shipped)
    assert not (PACKAGE / "checks" / "reference_explain.py").exists()


def test_kit_without_references_refuses_clearly(monkeypatch, tmp_path):
    """A student's copy of the kit (no solutions/_reference): explain references do not load."""
    monkeypatch.setattr(references, "search_path", lambda: [tmp_path])
    monkeypatch.delitem(__import__("sys").modules, "autograder_reference_missing_one",
                        raising=False)
    with pytest.raises(references.ReferenceUnavailable, match="run only where the solutions"):
        references.load("missing_one")
    with pytest.raises(references.ReferenceUnavailable):
        references.lazy("missing_one").gradcam  # noqa: B018 - attribute access loads


@pytest.mark.parametrize("name", ["p10x_pets", "ut3_10_flowers"])
def test_student_bundle_has_no_reference_hidden_tests_or_seed(name):
    if not (solutions_dir() / name).is_dir():
        pytest.skip(f"solutions/{name} not here")
    assignment = load(name)
    files = bundle_files(assignment)
    text = "\n".join(files.values())
    for func in REFERENCE_FUNCS:
        assert f"def {func}(" not in text
    raw = tomllib.loads(next(t for p, t in files.items() if p.name == "assignment.toml"))
    assert "seed" not in raw["assignment"]
    hidden = {t.id for t in assignment.tests if not t.visible}
    suite = next(t for p, t in files.items() if p.suffix == ".py")
    assert not any(f"def test_{i}(" in suite for i in hidden)
