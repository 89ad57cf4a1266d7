"""Reproducible assignment kit and sandboxed autograder for deep-learning notebooks."""

from __future__ import annotations

import sys
from typing import Any

# jsonschema (imported by nbformat) registers its "iri" format checkers only if `rfc3987_syntax`
# imports, and that module compiles a Lark grammar at import time: 2 s in every process that
# reads a notebook. No notebook schema uses an "iri" format, so the kit's own processes skip it
# (a process that imported jsonschema before the kit keeps what it has).
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

__version__ = "0.1.0"
__all__ = ["CheckResult", "__version__"]


def __getattr__(name: str) -> Any:
    # lazy: the sandboxed guest imports this package and must not load the result model
    if name == "CheckResult":
        from autograder.model import CheckResult

        return CheckResult
    raise AttributeError(name)
