"""The `student` object hidden tests call: attribute access returns a contract function or None.

`NamespaceStudent` wraps a live namespace (nbgrader cells, in-process runs). The sandboxed
grader provides another implementation with the same interface (`autograder.sandbox`).
A missing function is None, so checks report "missing function" instead of crashing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol


class Student(Protocol):
    def __getattr__(self, name: str) -> Callable[..., Any] | None: ...


class NamespaceStudent:
    """Student functions looked up in a dict-like namespace (e.g. a kernel's globals())."""

    def __init__(self, namespace: Mapping[str, Any]) -> None:
        self._ns = namespace

    def __getattr__(self, name: str) -> Callable[..., Any] | None:
        if name.startswith("_"):
            raise AttributeError(name)
        value = self._ns.get(name)
        return value if callable(value) else None

    def global_value(self, name: str) -> Any:
        return self._ns.get(name)
