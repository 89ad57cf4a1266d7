"""Atomic file writes for reports (a killed batch never leaves a half-written file)."""

from __future__ import annotations

from pathlib import Path

from autograder.notebook_io import write_text_atomic


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically (`notebook_io.write_text_atomic`); return it."""
    write_text_atomic(path, text)
    return Path(path)
