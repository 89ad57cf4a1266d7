"""A copy of the toy assignment in a temp project: `solutions/` and `assignments/` via env."""

import shutil
from pathlib import Path

import pytest

TOY = Path(__file__).resolve().parent.parent / "fixtures" / "toy_assignment"
TOY_NAME = "toy_assignment"


@pytest.fixture
def toy_project(tmp_path, monkeypatch):
    """(solutions dir, assignments dir) with the toy assignment copied in and the kit pointed there."""
    sols = tmp_path / "solutions"
    shutil.copytree(TOY, sols / TOY_NAME)
    out = tmp_path / "assignments"
    monkeypatch.setenv("AUTOGRADER_SOLUTIONS", str(sols))
    monkeypatch.setenv("AUTOGRADER_ASSIGNMENTS", str(out))
    return sols, out
