"""Which assignment a student notebook belongs to, for `check` and `lint` without -a.

`find_bundle` looks for the student bundle that `autograder generate` writes next to the
template (`<release folder>/autograder_check/assignment.toml`: visible tests only), so students can
check without the solutions; `infer_assignment` falls back to the names under solutions/.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autograder import assignment as assignment_mod
from autograder.authoring.bundle import BUNDLE_DIR
from autograder.errors import AutograderError
from autograder.messages import DEFAULT_LANG, msg


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
    raise AutograderError(msg("report", "check_cannot_infer", DEFAULT_LANG, notebook=notebook,
                              names=", ".join(names) or "-"))


def find_bundle(notebook: Path, nb: Mapping[str, Any] | None = None) -> Path | None:
    """The student bundle folder for `notebook`: `<notebook dir>/autograder_check/` or one level up,
    holding an `assignment.toml`; a bundle for another assignment than the one the notebook's
    metadata names is ignored. None when there is none."""
    meta = (nb or {}).get("metadata") or {}
    wanted = (meta.get("autograder") or {}).get("assignment") if isinstance(meta, Mapping) else None
    here = Path(notebook).resolve().parent
    for folder in (here, here.parent):
        toml_path = folder / BUNDLE_DIR / "assignment.toml"
        if not toml_path.is_file():
            continue
        if isinstance(wanted, str) and wanted:
            try:
                name = tomllib.loads(toml_path.read_text(encoding="utf-8"))["assignment"]["name"]
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError):
                continue
            if name != wanted:
                continue
        return toml_path.parent
    return None
