"""Execution profiles: values injected into a notebook's `parameters` cell (papermill style).

An assignment's `assignment.toml` declares `[profiles.<name>]` tables (`ci`, `full`, ...) whose
keys are the notebook's parameters (`IMAGE_SIZE`, `LIMIT`, `EPOCHS`, `WEIGHTS`, `SEED`, `DATA`, ...).

Value conventions (TOML has no None and no tuple):
- the string ``"none"`` (any case) means Python ``None`` (e.g. ``WEIGHTS = "none"`` -> ``None``);
- arrays become tuples (``IMAGE_SIZE = [64, 64]`` -> ``(64, 64)``), so ``IMAGE_SIZE + (3,)`` works.

`inject(nb, values)` inserts a code cell tagged `injected-parameters` right after the first cell
tagged `parameters`; the student's cells are otherwise untouched. Without a `parameters` cell the
injected cell goes to the top and `nb.metadata["autograder"]["parameters_cell_missing"]` is set,
so reports can say so.
"""

from __future__ import annotations

import copy
from typing import Any

from autograder.assignment import Assignment
from autograder.assignment import load as load_assignment
from autograder.errors import AutograderError

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


def normalize(value: Any) -> Any:
    """TOML value -> Python value ("none" -> None, lists -> tuples, recursively)."""
    if isinstance(value, str) and value.lower() == "none":
        return None
    if isinstance(value, list):
        return tuple(normalize(v) for v in value)
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    return value


def profile_values(assignment: Assignment | str, name: str) -> dict[str, Any]:
    """Normalised parameter values of profile `name` (AutograderError if it does not exist)."""
    a = load_assignment(assignment) if isinstance(assignment, str) else assignment
    if name not in a.profiles:
        known = ", ".join(sorted(a.profiles)) or "none"
        raise AutograderError(f"{a.name}: unknown profile {name!r} (profiles: {known})")
    return {k: normalize(v) for k, v in a.profiles[name].items()}


def require_profile(assignment: Assignment, name: str) -> None:
    """AutograderError (exit 2) naming the assignment's profiles when `name` is not one of them
    (assignments without `[profiles.*]` accept any name: nothing is injected)."""
    if assignment.profiles:
        profile_values(assignment, name)


def render(values: dict[str, Any]) -> str:
    """Python source assigning each value (repr-based, deterministic order)."""
    lines = ["# Parameters injected by autograder (profile)"]
    for key, value in values.items():
        if not key.isidentifier():
            raise AutograderError(f"profile parameter {key!r} is not a valid Python name")
        lines.append(f"{key} = {value!r}")
    return "\n".join(lines) + "\n"


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def parameters_cell_index(nb: Any) -> int | None:
    """Index of the first code cell tagged `parameters`, else None."""
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code" and PARAMETERS_TAG in _tags(cell):
            return i
    return None


def inject(nb: Any, values: dict[str, Any]) -> Any:
    """Copy of `nb` with an `injected-parameters` cell after the `parameters` cell.

    Any previously injected cell is replaced (idempotent). Values must already be Python
    values (see `profile_values`).
    """
    import nbformat

    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if INJECTED_TAG not in _tags(c)]
    cell = nbformat.v4.new_code_cell(render(values))
    cell.metadata["tags"] = [INJECTED_TAG]
    cell.id = "injected-parameters"
    index = parameters_cell_index(out)
    if index is None:
        out.cells.insert(0, cell)
        out.metadata.setdefault("autograder", {})["parameters_cell_missing"] = True
    else:
        out.cells.insert(index + 1, cell)
    return out
