"""Reference implementations the checks compare against, kept OUT of the installed package.

A reference computation (e.g. the explain checks' Grad-CAM) is an answer key: pasting it into a
notebook scores points. So references live with the solutions, in `solutions/_reference/<name>.py`
of the course project (or `$AUTOGRADER_REFERENCES`), which the wheel does not ship (pyproject
packages only `autograder*`), the student bundle does not carry and the sandbox does not mount.
A student who pip-installs the kit for `autograder check` gets the checks but no reference; the
checks that need one only run in the grader.

`lazy(name)` returns a module proxy that loads on first use and raises `ReferenceUnavailable`
(an `AutograderError`, exit 2) saying where it looked when the file is not there.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder.errors import AutograderError

FOLDER = Path("solutions") / "_reference"


class ReferenceUnavailable(AutograderError):
    """The reference module is not installed here (e.g. a student's copy of the kit)."""


def search_path() -> list[Path]:
    """Folders searched, in order: $AUTOGRADER_REFERENCES, <project>/solutions/_reference,
    the kit checkout's solutions/_reference."""
    from autograder.assignment import REPO_ROOT, project_root

    env = os.environ.get("AUTOGRADER_REFERENCES")
    out = [Path(env)] if env else []
    for root in (project_root(), REPO_ROOT):
        if root / FOLDER not in out:
            out.append(root / FOLDER)
    return out


def load(name: str) -> ModuleType:
    """The reference module `name` (cached), or ReferenceUnavailable."""
    key = f"autograder_reference_{name}"
    if key in sys.modules:
        return sys.modules[key]
    for folder in search_path():
        path = folder / f"{name}.py"
        if path.is_file():
            spec = importlib.util.spec_from_file_location(key, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[key] = module
            spec.loader.exec_module(module)
            return module
    looked = ", ".join(str(f) for f in search_path())
    raise ReferenceUnavailable(f"reference '{name}' not found (looked in {looked}); these checks "
                               "run only where the solutions are (the grader)")


class _Lazy:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(load(self._name), attr)


def lazy(name: str) -> Any:
    """A stand-in for the reference module `name`, loaded on first attribute access."""
    return _Lazy(name)
