"""Reproducible assignment kit and sandboxed autograder for deep-learning notebooks."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["CheckResult", "__version__"]


def __getattr__(name: str) -> Any:
    # lazy: the sandboxed guest imports this package and must not load the result model
    if name == "CheckResult":
        from autograder.model import CheckResult

        return CheckResult
    raise AttributeError(name)
