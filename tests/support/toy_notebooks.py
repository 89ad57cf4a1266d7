"""Notebook builders for the sandbox toy assignment (shared by tests/grading and tests/security)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import psutil

TOY = Path(__file__).resolve().parent.parent / "fixtures" / "sandbox_toy"

PARAMS = "SCALE = 1  # parameters cell: the ci profile injects SCALE = 2"
REFERENCE = '''
import numpy as np

def add(a, b):
    return a + b

def normalize(x):
    return (x - x.mean()) / x.std()

def scaled(x):
    return x * SCALE
'''
EMPTY = '''
import numpy as np

def add(a, b):
    # YOUR CODE HERE
    raise NotImplementedError()

def normalize(x):
    # YOUR CODE HERE
    raise NotImplementedError()

def scaled(x):
    # YOUR CODE HERE
    raise NotImplementedError()
'''


def notebook(*cells: str | tuple[str, list[str]], params: bool = True) -> nbformat.NotebookNode:
    """A v4 notebook: a `parameters` cell, then one code cell per source ((source, tags) too)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Tarea de juguete"))
    if params:
        c = nbformat.v4.new_code_cell(PARAMS)
        c.metadata["tags"] = ["parameters"]
        nb.cells.append(c)
    for cell in cells:
        src, tags = (cell, []) if isinstance(cell, str) else cell
        c = nbformat.v4.new_code_cell(src)
        if tags:
            c.metadata["tags"] = list(tags)
        nb.cells.append(c)
    return nb


def write(path: Path, *cells: str | tuple[str, list[str]], params: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(*cells, params=params), str(path))
    return path


def stray_processes() -> list[psutil.Process]:
    """Processes under this test process that are not sandbox infrastructure (zygotes) nor an
    evaluator parked by an earlier test with what runs under it (`executors.local.keep_warm`;
    tests/security parks none, so what is left under an evaluator is counted there)."""
    from autograder.grading.executors.local import PARKED
    from autograder.sandbox import zygote

    keep: set[int] = set()
    for z in zygote._ZYGOTES.values():  # noqa: SLF001 - test introspection
        keep |= z.protected
    for pid in PARKED.pids():
        try:
            keep |= {pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))}
        except psutil.Error:
            continue
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(p.cmdline())
        except psutil.Error:
            continue
        if p.pid in keep or "multiprocessing" in cmd or "concurrent" in cmd:
            continue
        out.append(p)
    return out


def processes_with(marker: str) -> list[psutil.Process]:
    """Any process on the machine whose command line contains `marker`."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if marker in " ".join(p.info["cmdline"] or []):
                found.append(p)
        except psutil.Error:
            continue
    return found
