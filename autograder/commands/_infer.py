"""Which assignment a student notebook belongs to, for `check` and `lint` without -a."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autograder import assignment as assignment_mod
from autograder.errors import AutograderError
from autograder.messages import msg


def infer_assignment(notebook: Path, nb: Mapping[str, Any] | None = None) -> str:
    """Assignment name from `metadata.autograder.assignment` of `nb` (the notebook already
    read and validated; read here when None), else the longest known assignment name that
    the file name starts with; AutograderError when neither works."""
    if nb is None:
        from autograder.notebook_io import read_notebook

        nb = read_notebook(notebook)  # bad input: its own clear error, not "cannot infer"
    meta = nb.get("metadata") or {}
    name = (meta.get("autograder") or {}).get("assignment") if isinstance(meta, Mapping) else None
    if isinstance(name, str) and name:
        return name
    names = assignment_mod.all_names()
    stem = Path(notebook).stem.lower()
    matches = sorted((n for n in names if stem.startswith(n.lower())), key=len, reverse=True)
    if matches:
        return matches[0]
    raise AutograderError(msg("report", "check_cannot_infer", "es", notebook=notebook,
                              names=", ".join(names) or "-"))
