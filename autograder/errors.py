"""Exceptions that cross module boundaries."""

from __future__ import annotations


class AutograderError(Exception):
    """Bad input or configuration: the CLI prints one line and exits 2."""


class StudentCodeError(Exception):
    """A call into student code failed in a way the checks must report, not crash on.

    kind: "not_implemented" | "missing" | "timeout" | "crashed" | "raised" | "bad_return"
    func: the contract function involved; detail: short English/Spanish-neutral text.
    """

    def __init__(self, kind: str, func: str, detail: str = "", exc_type: str = "") -> None:
        super().__init__(f"{func}: {kind}: {detail}")
        self.kind = kind
        self.func = func
        self.detail = detail
        self.exc_type = exc_type
