"""Find submissions and student ids for `autograder grade PATH...` (the one id sanitiser).

A PATH is a notebook file, a folder of notebooks, or an nbgrader `submitted/` tree
(`submitted/<student>/<assignment>/<notebook>.ipynb`, the student id taken from the path and the
submission time from nbgrader's `timestamp.txt`). In a plain folder, a notebook directly inside
is identified by its file stem, a notebook in a sub-folder by that sub-folder's name (one folder
per student, as LMS exports do) unless that sub-folder is named like the assignment.
Checkpoints and hidden folders are ignored.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import AutograderError

_UNSAFE = re.compile(r"[^\w.@+-]+")


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path
    timestamp: str = ""


def safe_id(text: str) -> str:
    """A student id usable as a folder name ("../x" -> "x", spaces -> "_")."""
    cleaned = _UNSAFE.sub("_", text).strip("._") or "student"
    return cleaned[:100]


def _timestamp(folder: Path) -> str:
    ts = folder / "timestamp.txt"
    try:
        return ts.read_text(encoding="utf-8").strip() if ts.is_file() else ""
    except OSError:
        return ""


def _notebooks(folder: Path) -> list[Path]:
    found = []
    for nb in sorted(folder.rglob("*.ipynb")):
        rel = nb.relative_to(folder)
        if any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
            continue
        if nb.is_file():
            found.append(nb)
    return found


def _from_file(path: Path, assignment: str) -> Submission:
    if path.parent.name == assignment and path.parent.parent.name:
        # <student>/<assignment>/<nb>.ipynb (one notebook out of an nbgrader tree)
        return Submission(safe_id(path.parent.parent.name), path, _timestamp(path.parent))
    return Submission(safe_id(path.stem), path)


def _from_folder(folder: Path, assignment: str) -> list[Submission]:
    notebooks = _notebooks(folder)
    nbgrader = [nb for nb in notebooks
                if len(nb.relative_to(folder).parts) >= 3 and nb.parent.name == assignment]
    if nbgrader:  # nbgrader tree: only this assignment's notebooks count
        return [Submission(safe_id(nb.parent.parent.name), nb, _timestamp(nb.parent))
                for nb in nbgrader]
    subs = []
    for nb in notebooks:
        rel = nb.relative_to(folder)
        top_is_student = len(rel.parts) > 1 and rel.parts[0] != assignment
        student = rel.parts[0] if top_is_student else rel.stem
        subs.append(Submission(safe_id(student), nb))
    return subs


def discover(paths: list[str | Path], assignment: str, notebook_name: str = "") -> list[Submission]:
    """All submissions under `paths`, one per student, sorted by student id.

    When a student has several notebooks, the one named like the assignment's notebook
    (`notebook_name`) wins, else the first by path; the others are reported on stderr.
    Raises AutograderError for a missing path or when nothing is found.
    """
    found: list[Submission] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise AutograderError(f"{path}: no such file or folder")
        found += [_from_file(path, assignment)] if path.is_file() else _from_folder(path, assignment)
    if not found:
        raise AutograderError(f"no notebooks (*.ipynb) found in {', '.join(map(str, paths))}")
    by_student: dict[str, list[Submission]] = {}
    for sub in found:
        by_student.setdefault(sub.student, []).append(sub)
    chosen = []
    for student, subs in sorted(by_student.items()):
        subs = sorted(subs, key=lambda s: (s.path.name != notebook_name, str(s.path)))
        if len(subs) > 1:
            ignored = ", ".join(str(s.path) for s in subs[1:])
            print(f"autograder grade: {student}: grading {subs[0].path}; ignoring {ignored}",
                  file=sys.stderr)
        chosen.append(subs[0])
    return chosen
