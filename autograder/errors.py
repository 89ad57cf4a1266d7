"""Exceptions that cross module boundaries, with structured kinds (never parsed from text)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class AutograderError(Exception):
    """Bad input or configuration: the CLI prints one line and exits 2."""


class BadInput(StrEnum):
    """Why a file is not a gradable notebook; the value is the `grader` message key."""

    MISSING = "bad_input_missing"
    DIRECTORY = "bad_input_directory"
    EMPTY = "bad_input_empty"
    BINARY = "bad_input_binary"
    NOT_UTF8 = "bad_input_not_utf8"
    INVALID_JSON = "bad_input_invalid_json"
    NOT_NOTEBOOK = "bad_input_not_notebook"
    OLD_FORMAT = "bad_input_old_format"
    INVALID = "bad_input_invalid"
    TOO_LARGE = "bad_input_too_large"
    TOO_MANY_CELLS = "bad_input_too_many_cells"


class NotebookError(AutograderError):
    """A file that is not a readable v4 notebook. `str()` is one English line for the CLI;
    `kind` and `values` (e.g. line/column of invalid JSON) let reports explain it in the
    student's language."""

    def __init__(self, text: str, kind: BadInput, **values: Any) -> None:
        super().__init__(text)
        self.kind = kind
        self.values = values


class StudentErrorKind(StrEnum):
    """How a call into student code failed."""

    NOT_IMPLEMENTED = "not_implemented"
    MISSING = "missing"
    TIMEOUT = "timeout"
    DEADLINE = "deadline"  # the submission's whole time budget is used up
    CRASHED = "crashed"
    RAISED = "raised"
    BAD_RETURN = "bad_return"
    OVER_BUDGET = "over_budget"  # a well-formed return past the grader's byte/model bounds


class StudentCodeError(Exception):
    """A call into student code failed in a way the checks must report, not crash on.

    kind: a `StudentErrorKind` (its string value compares equal to the plain string);
    func: the contract function involved; detail: short English/Spanish-neutral text.
    """

    def __init__(self, kind: StudentErrorKind | str, func: str, detail: str = "",
                 exc_type: str = "") -> None:
        kind = StudentErrorKind(kind)
        super().__init__(f"{func}: {kind.value}: {detail}")
        self.kind = kind
        self.func = func
        self.detail = detail
        self.exc_type = exc_type
