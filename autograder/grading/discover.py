"""Find submissions and student ids for `autograder grade PATH...` (the one id sanitiser).

A PATH is a notebook file, a folder of notebooks, or an nbgrader `submitted/` tree
(`submitted/<student>/<assignment>/<notebook>.ipynb`, the student id taken from the path and the
submission time from nbgrader's `timestamp.txt`). In a plain folder, a notebook directly inside
is identified by its file stem, a notebook in a sub-folder by that sub-folder's name (one folder
per student, as LMS exports do) unless that sub-folder is named like the assignment; a folder
holding only sub-folders of notebooks is a container of student folders (`_student_folder`).
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
    origin: tuple[str, ...] = ()  # what identifies the student: root given + folder parts


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
        return Submission(safe_id(path.parent.parent.name), path, _timestamp(path.parent),
                          origin=(str(path.parent.parent.parent.resolve()), path.parent.parent.name))
    return Submission(safe_id(path.stem), path, origin=(str(path.parent.resolve()), path.stem))


def _student_folder(rel: Path, assignment: str, per_folder: dict[tuple[str, ...], set[str]]) -> tuple[str, ...]:
    """The student folder (relative parts) a notebook at `rel` belongs to; () = the notebook
    itself. A folder that holds no notebook directly and whose notebooks lie in several
    sub-folders is a container of students (an LMS export graded from the folder above)."""
    parts = rel.parts[:-1]
    if not parts or parts[0] == assignment:
        return ()
    depth = 1
    while depth < len(parts) and "" not in per_folder[parts[:depth]] and len(per_folder[parts[:depth]]) > 1:
        depth += 1
    return parts[:depth]


def _from_folder(folder: Path, assignment: str) -> list[Submission]:
    notebooks = _notebooks(folder)
    nbgrader = [nb for nb in notebooks
                if len(nb.relative_to(folder).parts) >= 3 and nb.parent.name == assignment]
    if nbgrader:  # nbgrader tree: only this assignment's notebooks count
        return [Submission(safe_id(nb.parent.parent.name), nb, _timestamp(nb.parent),
                           origin=(str(folder.resolve()), *nb.parent.parent.relative_to(folder).parts))
                for nb in nbgrader]
    # per_folder[parts] = names of the direct children of folder/parts leading to notebooks
    # ("" = a notebook directly inside)
    per_folder: dict[tuple[str, ...], set[str]] = {}
    for nb in notebooks:
        dirs = nb.relative_to(folder).parts[:-1]
        for depth in range(1, len(dirs) + 1):
            per_folder.setdefault(dirs[:depth], set()).add(dirs[depth] if depth < len(dirs) else "")
    subs = []
    for nb in notebooks:
        rel = nb.relative_to(folder)
        origin = _student_folder(rel, assignment, per_folder) or (*rel.parts[:-1], rel.stem)
        subs.append(Submission(safe_id(origin[-1]), nb, origin=(str(folder.resolve()), *origin)))
    return subs


def _unique_ids(found: list[Submission]) -> list[Submission]:
    """Give distinct origins distinct ids: the shortest unique path suffix ("sub/bob" -> "bob",
    two "bob"s in different folders -> "a_bob", "b_bob"); AutograderError (exit 2) naming the
    collision when no suffix separates them. A student is never dropped or merged."""
    origins = sorted({s.origin for s in found})
    depth = dict.fromkeys(origins, 1)
    while True:
        ids = {o: safe_id("_".join(o[-depth[o]:])) for o in origins}
        clash: dict[str, list[tuple[str, ...]]] = {}
        for o, i in ids.items():
            clash.setdefault(i, []).append(o)
        groups = [g for g in clash.values() if len(g) > 1]
        if not groups:
            break
        for group in groups:
            if any(depth[o] >= len(o) - 1 for o in group):  # o[0] is the root given
                paths = " and ".join(str(s.path) for s in found if s.origin in group)
                raise AutograderError(
                    f"student id {ids[group[0]]!r} names several submissions ({paths}); "
                    "rename one of them or grade the folders separately")
            for o in group:
                depth[o] += 1
    return [Submission(ids[s.origin], s.path, s.timestamp, s.origin) for s in found]


def discover(paths: list[str | Path], assignment: str, notebook_name: str = "") -> list[Submission]:
    """All submissions under `paths`, one per student, sorted by student id.

    Distinct student folders (or files) always get distinct ids (`_unique_ids`). When a student
    (one folder) has several notebooks, the one named like the assignment's notebook
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
    found = _unique_ids(found)
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
