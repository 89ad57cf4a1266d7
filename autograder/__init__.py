"""Reproducible assignment kit and sandboxed autograder for deep-learning notebooks."""

from autograder.results import CheckResult

__version__ = "0.1.0"
__all__ = ["CheckResult", "__version__"]
