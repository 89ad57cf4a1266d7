"""The one cell loop: execute a notebook's code cells into a namespace, report what happened.

Used inside the sandbox by `guest` (the student process: the notebook, then every graded call
as a one-cell run, so a student function called by the grader sees the frames a call from a
notebook cell sees) and in the trusted process by `autograder.grading.runners` (reference
notebooks), so both produce the same `RunReport`.
IPython magics and ``!`` lines become no-ops, cells tagged ``skip-when-grading`` are skipped
unless ``run_all``, a failing cell is recorded and execution continues, and a SIGALRM soft
timeout bounds the whole run. Standard library only at import time (imported in the sandbox).
"""

from __future__ import annotations

import json
import linecache
import signal
import sys
import time
import traceback
import types
from dataclasses import asdict, dataclass, field
from typing import Any

SKIP_TAG = "skip-when-grading"
MAX_ERRORS = 1000
MAX_INDICES = 10_000


@dataclass
class CellError:
    """A cell that raised: its index in the executed notebook, line, exception type, message."""

    cell: int
    exc_type: str
    message: str
    line: int | None = None


@dataclass
class RunReport:
    """What executing a notebook did. `state` is set by the host: "alive" | "timeout" |
    "crashed" (the process died or stopped answering before reporting)."""

    cell_errors: list[CellError] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    executed: list[int] = field(default_factory=list)
    timed_out: bool = False
    setup_error: str | None = None
    state: str = "alive"

    def __post_init__(self) -> None:
        # a graded call's outcome (`run_cells(..., call=True)`): not fields, never on the wire
        self.value: Any = None
        self.error: BaseException | None = None

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: Any) -> RunReport:
        """Rebuild from untrusted data: only well-typed, bounded fields are kept."""
        data = data if isinstance(data, dict) else {}

        def ints(v: Any) -> list[int]:
            return [x for x in v if type(x) is int][:MAX_INDICES] if isinstance(v, list) else []

        errors = []
        raw = data.get("cell_errors")
        for e in raw[:MAX_ERRORS] if isinstance(raw, list) else []:
            if isinstance(e, dict) and type(e.get("cell")) is int:
                line = e.get("line")
                errors.append(CellError(e["cell"], str(e.get("exc_type", ""))[:100],
                                        str(e.get("message", ""))[:300],
                                        line if type(line) is int else None))
        setup = data.get("setup_error")
        return cls(cell_errors=errors, skipped=ints(data.get("skipped")),
                   executed=ints(data.get("executed")), timed_out=data.get("timed_out") is True,
                   setup_error=str(setup)[:500] if setup else None)


class SoftTimeout(BaseException):  # noqa: N818 - BaseException so `except Exception` misses it
    """Raised in student code when its time budget is spent (the grader still enforces a hard one)."""


def on_alarm(signum: int, frame: Any) -> None:
    raise SoftTimeout()


class _Shell:
    """Stand-in for `get_ipython()`: magics and shell escapes do nothing when grading."""

    def __init__(self, ns: dict[str, Any]) -> None:
        self.user_ns = ns

    def run_line_magic(self, *args: Any, **kwargs: Any) -> None:
        return None

    run_cell_magic = magic = system = run_line_magic

    def getoutput(self, *args: Any, **kwargs: Any) -> list[str]:
        return []


def _display(*objs: Any, **kwargs: Any) -> None:
    for obj in objs:
        print(repr(obj)[:2000])


def run_cells(notebook: str | dict[str, Any], ns: dict[str, Any], *, run_all: bool = False,
              timeout: float = 60.0, first: int = 0, call: bool = False) -> RunReport:
    """Execute the code cells of `notebook` (JSON text or dict) into `ns` within `timeout`
    seconds; cell i is named `<cell first+i>`. The caller enters the profile's data mode
    (`autograder.data.modes`) around it. A cell may carry its own `code` (a code object named
    like the cell); with `call` (a graded call: one such cell) `ns` is left as it is and the
    report keeps the cell's value and exception (`value`, `error`)."""
    nb = json.loads(notebook) if isinstance(notebook, str) else notebook
    if not call:
        shell = _Shell(ns)
        ns.update({"get_ipython": lambda: shell, "display": _display})
    report = RunReport()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        _run(nb, ns, report, run_all, time.monotonic() + float(timeout), float(timeout), first)
    finally:
        signal.signal(signal.SIGALRM, previous)
    if not call:
        report.value = report.error = None  # no cell's objects outlive the run through it
    return report


def _run(nb: dict[str, Any], ns: dict[str, Any], report: RunReport, run_all: bool,
         deadline: float, budget: float, first: int) -> None:
    transform = _transformer()
    for index, cell in enumerate(nb.get("cells", []), first):
        if cell.get("cell_type") != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", []) or []
        if SKIP_TAG in tags and not run_all:
            report.skipped.append(index)
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            report.timed_out = True
            report.cell_errors.append(CellError(index, "Timeout", "not run: time budget spent"))
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            code = cell.get("code")
            text = source if isinstance(code, types.CodeType) else transform(source)
            name = f"<cell {index}>"
            # register the source so inspect/AutoGraph can read it (like IPython does)
            linecache.cache[name] = (len(text), None, text.splitlines(True), name)
            if not isinstance(code, types.CodeType):
                code = compile(text, name, "exec")
            signal.setitimer(signal.ITIMER_REAL, left)
            try:
                report.value = eval(code, ns)  # noqa: S307 - the whole point: run the cell
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            report.executed.append(index)
        except SoftTimeout as exc:
            report.timed_out, report.error = True, exc
            report.cell_errors.append(CellError(index, "Timeout",
                                                f"cell exceeded the {budget:.0f} s budget"))
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt included
            report.error = exc
            report.cell_errors.append(CellError(index, type(exc).__name__, short_message(exc),
                                                _cell_line(exc, index)))
        finally:
            flush_output()


def _transformer():
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        manager = TransformerManager()
        return manager.transform_cell
    except Exception:  # noqa: BLE001 - no IPython: drop magic lines
        return lambda src: "\n".join("pass" if ln.lstrip()[:1] in ("%", "!") else ln
                                     for ln in src.splitlines()) + "\n"


def _cell_line(exc: BaseException, index: int) -> int | None:
    if isinstance(exc, SyntaxError):
        return exc.lineno
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == f"<cell {index}>":
            line = lineno
    return line


def short_message(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError) and isinstance(exc.msg, str):
        return exc.msg[:300]  # str() adds "(<cell N>, line L)": a second, internal numbering
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - hostile __str__
        text = ""
    return text.strip().splitlines()[0][:300] if text.strip() else ""


def flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001
            pass
