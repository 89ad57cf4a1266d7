"""Reading and writing notebooks with clear errors for every kind of bad input.

`read_notebook(path)` accepts nbformat v4 only (any 4.x minor is upgraded to the current one)
and raises `NotebookError` (an `AutograderError` with a `BadInput` kind) with one line saying
what is wrong: missing file, empty file, binary data, invalid JSON, JSON that is not a notebook,
nbformat v3 or older, invalid schema, larger than MAX_NOTEBOOK_BYTES, more than MAX_CELLS cells.
`write_notebook(nb, path)` writes deterministically (sorted keys, indent 1, trailing newline)
and atomically (temp file + os.replace), so a crash never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.errors import BadInput, NotebookError

if TYPE_CHECKING:  # nbformat costs seconds to import: bad input is rejected before it loads
    from nbformat import NotebookNode

NBFORMAT = 4
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024  # outputs and pictures included
MAX_CELLS = 2000  # the course notebooks have < 100


def read_notebook(path: str | os.PathLike[str]) -> NotebookNode:
    """Load a v4 notebook from `path` (see module docstring for the errors)."""
    p = Path(path)
    if not p.exists():
        raise NotebookError(f"{p}: file not found", BadInput.MISSING)
    if p.is_dir():
        raise NotebookError(f"{p}: is a directory, not a notebook", BadInput.DIRECTORY)
    return parse_notebook(read_bytes(p), str(p))


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes; `NotebookError(TOO_LARGE)` past MAX_NOTEBOOK_BYTES, without reading it."""
    p = Path(path)
    size = p.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise _too_large(str(p), size)
    with p.open("rb") as fh:  # the file may grow meanwhile: read at most one byte too many
        data = fh.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise _too_large(str(p), len(data))
    return data


def _too_large(name: str, size: int) -> NotebookError:
    mb, limit = f"{size / 2**20:.1f}", f"{MAX_NOTEBOOK_BYTES / 2**20:g}"
    return NotebookError(f"{name}: notebook too large ({mb} MB, limit {limit} MB)",
                         BadInput.TOO_LARGE, size_mb=mb, limit_mb=limit)


def parse_notebook(data: bytes | str, name: str = "<notebook>") -> NotebookNode:
    """Parse notebook bytes/text; same errors as `read_notebook`, plus TOO_MANY_CELLS."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise _too_large(name, len(data))
    if isinstance(data, bytes):
        if not data.strip():
            raise NotebookError(f"{name}: empty file, not a notebook", BadInput.EMPTY)
        if b"\x00" in data[:8192]:
            raise NotebookError(f"{name}: binary file, not a notebook (.ipynb is JSON text)",
                                BadInput.BINARY)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise NotebookError(f"{name}: not UTF-8 text, not a notebook ({exc.reason} at "
                                f"byte {exc.start})", BadInput.NOT_UTF8) from exc
    else:
        text = data
        if not text.strip():
            raise NotebookError(f"{name}: empty file, not a notebook", BadInput.EMPTY)
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: "
                            f"{exc.msg}", BadInput.INVALID_JSON, line=exc.lineno,
                            column=exc.colno) from exc
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        raise NotebookError(f"{name}: JSON but not a Jupyter notebook (no 'cells')",
                            BadInput.NOT_NOTEBOOK)
    major = raw.get("nbformat")
    if not isinstance(major, int):
        raise NotebookError(f"{name}: not a Jupyter notebook (no integer 'nbformat' field)",
                            BadInput.NOT_NOTEBOOK)
    if major != NBFORMAT:
        raise NotebookError(f"{name}: nbformat v{major} is not supported; save it as nbformat "
                            f"v4 (e.g. open and save it in Jupyter, or `jupyter nbconvert "
                            f"--to notebook`)", BadInput.OLD_FORMAT, major=major)
    cells = raw.get("cells")
    if isinstance(cells, list) and len(cells) > MAX_CELLS:  # before nbformat validates them all
        raise NotebookError(f"{name}: {len(cells)} cells, limit {MAX_CELLS}",
                            BadInput.TOO_MANY_CELLS, cells=len(cells), limit=MAX_CELLS)
    import nbformat

    try:
        nb = nbformat.reads(text, as_version=NBFORMAT)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many types
        raise NotebookError(f"{name}: unreadable notebook: {str(exc).splitlines()[0]}",
                            BadInput.INVALID, detail=str(exc).splitlines()[0][:160]) from exc
    if not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{name}: notebook 'cells' is not a list", BadInput.INVALID,
                            detail="'cells' is not a list")
    for i, cell in enumerate(nb.cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise NotebookError(f"{name}: cell {i} is not a valid notebook cell",
                                BadInput.INVALID, detail=f"cell {i} is not a valid notebook cell")
        if not isinstance(cell.get("source", ""), str):
            raise NotebookError(f"{name}: cell {i} has a non-text source", BadInput.INVALID,
                                detail=f"cell {i} has a non-text source")
    return nb


def dumps(nb: NotebookNode) -> str:
    """Deterministic text form (nbformat.writes: sorted keys, indent 1) with a trailing newline."""
    import nbformat

    text = nbformat.writes(nb, version=NBFORMAT)
    return text if text.endswith("\n") else text + "\n"


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` to `path` via a temp file in the same folder and os.replace; return it."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, p.stat().st_mode & 0o777 if p.exists() else _default_mode())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def _default_mode() -> int:
    """0o666 minus the process umask (what open() would give), not mkstemp's 0o600."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_notebook(nb: NotebookNode, path: str | os.PathLike[str]) -> None:
    write_text_atomic(path, dumps(nb))

