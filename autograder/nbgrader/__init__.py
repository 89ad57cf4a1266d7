"""nbgrader integration: `preprocessors` (ClearBlanks for release, TrustedExecute for
autograde; the generated `nbgrader_config.py` imports them from here) and `cell` (the `grade()`
helper that hidden test cells of nbgrader source notebooks call)."""

from autograder.nbgrader.preprocessors import (
    ClearBlanks,
    TrustedExecute,
    autograde_preprocessors,
    generate_assignment_preprocessors,
)

__all__ = ["ClearBlanks", "TrustedExecute", "autograde_preprocessors",
           "generate_assignment_preprocessors"]
