"""Authoring markers: turn reference-solution cells into student-template cells.

Rules (also in docs/authoring.md):

* Block solution (code): a line that is exactly ``### BEGIN SOLUTION`` (any indentation) up to the
  matching ``### END SOLUTION`` line is replaced by two lines at the BEGIN line's indentation:
  ``# TU CÓDIGO AQUÍ`` (``# YOUR CODE HERE`` in English) and ``raise NotImplementedError()``
  (what nbgrader writes with the generated config's ``ClearSolutions.code_stub``).
* Block solution (markdown): the region is replaced by ``ESCRIBE TU RESPUESTA AQUÍ`` (Spanish) or
  ``YOUR ANSWER HERE`` (English); such a cell is a reflection/answer cell.
* Hidden tests: ``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS`` (markers included) are removed.
* Inline blank: a code line whose comment STARTS with ``# BLANK: <text>`` has the first occurrence
  of ``<text>`` in its code part (the part before the comment) replaced by ``___`` and the comment
  removed (trailing spaces stripped). The occurrence must cover whole Python tokens, so ``1`` does
  not match inside ``10`` and text inside a string literal is refused unless the blank is the whole
  literal (``"relu"  # BLANK: "relu"``). Several blanks on one line: ``# BLANK: a | BLANK: b``;
  they are applied left to right, each searched after the previous replacement.
* IPython magics: lines starting with ``%`` or ``!`` (and a ``%%`` cell-magic line) are opaque:
  copied verbatim, never tokenized; a BLANK marker on such a line is an error.
* Line endings: CRLF/CR are normalised to LF.

Marker errors (unbalanced or nested BEGIN/END, BLANK text not found, blank inside a string,
BLANK on a magic line, untokenizable cell with BLANK markers) raise `MarkerError`, whose message
names the notebook, the cell index and the line (1-based).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from autograder.errors import AutograderError
from autograder.messages import DEFAULT_LANG

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
BLANK = "___"
CODE_STUB = {"es": ("# TU CÓDIGO AQUÍ", "raise NotImplementedError()"),
             "en": ("# YOUR CODE HERE", "raise NotImplementedError()")}  # nbgrader's, per language
ANSWER_STUB = {"es": "ESCRIBE TU RESPUESTA AQUÍ", "en": "YOUR ANSWER HERE"}

_BLANK_COMMENT = re.compile(r"^#\s*BLANK:\s*(?P<rest>.*?)\s*$")
_BLANK_SEP = re.compile(r"\s*\|\s*BLANK:\s*")
_MARKERS = {BEGIN_SOLUTION: "solution", END_SOLUTION: "solution",
            BEGIN_HIDDEN: "hidden", END_HIDDEN: "hidden"}


class MarkerError(AutograderError):
    """A malformed authoring marker; the message says notebook, cell and line."""


@dataclass(frozen=True)
class Where:
    """Location used in error messages."""

    notebook: str = "<notebook>"
    cell: int = 0

    def at(self, line: int, text: str) -> MarkerError:
        return MarkerError(f"{self.notebook}: cell {self.cell}, line {line}: {text}")


def normalize_newlines(source: str) -> str:
    return source.replace("\r\n", "\n").replace("\r", "\n")


def marker_of(line: str) -> str | None:
    """The BEGIN/END marker on `line` (whole line, any indentation), else None."""
    stripped = line.strip()
    return stripped if stripped in _MARKERS else None


def has_markers(source: str) -> dict[str, bool]:
    """Which marker kinds a cell source contains: solution, hidden, blank."""
    lines = normalize_newlines(source).split("\n")
    return {
        "solution": any(marker_of(x) == BEGIN_SOLUTION for x in lines),
        "hidden": any(marker_of(x) == BEGIN_HIDDEN for x in lines),
        "blank": any("# BLANK:" in x or "#BLANK:" in x for x in lines),
    }


def _regions(lines: list[str], where: Where) -> list[tuple[str, int, int]]:
    """(kind, begin_index, end_index) of every BEGIN/END region; checks balance and nesting."""
    regions: list[tuple[str, int, int]] = []
    open_kind: str | None = None
    open_at = -1
    for i, line in enumerate(lines):
        marker = marker_of(line)
        if marker is None:
            continue
        kind = _MARKERS[marker]
        if marker.startswith("### BEGIN"):
            if open_kind is not None:
                raise where.at(i + 1, f"'{marker}' nested inside the region opened at line "
                                      f"{open_at + 1}; close it first with '### END "
                                      f"{'SOLUTION' if open_kind == 'solution' else 'HIDDEN TESTS'}'")
            open_kind, open_at = kind, i
        else:
            if open_kind != kind:
                raise where.at(i + 1, f"'{marker}' without a matching '### BEGIN "
                                      f"{'SOLUTION' if kind == 'solution' else 'HIDDEN TESTS'}'")
            regions.append((kind, open_at, i))
            open_kind = None
    if open_kind is not None:
        raise where.at(open_at + 1, f"'{lines[open_at].strip()}' is never closed")
    return regions


def is_magic(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("%", "!"))


def _tokens(lines: list[str], where: Where) -> list[tokenize.TokenInfo] | None:
    """Tokens of the cell with magic lines masked; None if it cannot be tokenized.

    A magic line's leading % or ! becomes #: outside strings the line is then an opaque comment,
    inside a multi-line string it stays string text (closing quotes are kept).
    """
    masked = [x.replace(x.lstrip()[:1], "#", 1) if is_magic(x) else x for x in lines]
    text = "\n".join(masked) + "\n"
    try:
        return list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None


def _apply_blanks(lines: list[str], where: Where) -> list[str]:
    """Apply every inline `# BLANK:` marker (see module docstring)."""
    if not any("BLANK:" in x for x in lines):
        return lines
    for i, line in enumerate(lines):
        if is_magic(line) and re.search(r"#\s*BLANK:", line):
            raise where.at(i + 1, "BLANK markers are not supported on IPython magic lines "
                                  "(lines starting with % or !)")
    toks = _tokens(lines, where)
    if toks is None:
        for i, line in enumerate(lines):
            if re.search(r"#\s*BLANK:", line):
                raise where.at(i + 1, "cannot tokenize this cell as Python, so its BLANK marker "
                                      "cannot be applied safely")
        return lines
    by_line: dict[int, list[tokenize.TokenInfo]] = {}
    for tok in toks:
        by_line.setdefault(tok.start[0], []).append(tok)
    out = list(lines)
    for row, row_toks in by_line.items():
        comments = [t for t in row_toks if t.type == tokenize.COMMENT]
        if not comments:
            continue
        comment = comments[-1]
        m = _BLANK_COMMENT.match(comment.string)
        if not m:
            continue
        line = lines[row - 1]
        code_end = comment.start[1]
        texts = _BLANK_SEP.split(m.group("rest"))
        if not all(texts):
            raise where.at(row, "empty BLANK marker: write '# BLANK: <text to hide>'")
        # token boundaries on this physical line, in the code part only
        starts, ends, strings = set(), set(), []
        for t in toks:
            if t.type in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT,
                          tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            s = t.start[1] if t.start[0] == row else (0 if t.start[0] < row <= t.end[0] else None)
            e = t.end[1] if t.end[0] == row else (len(line) if t.start[0] <= row < t.end[0] else None)
            if s is None or e is None:
                continue
            if t.start[0] == row:
                starts.add(s)
            if t.end[0] == row:
                ends.add(e)
            if t.type == tokenize.STRING:
                strings.append((s, e))
        code = line[:code_end].rstrip()
        spans, pos = [], 0
        for text in texts:
            i, j = _find_one(code, text, pos, starts, ends, strings, where, row)
            spans.append((i, j))
            pos = j
        for i, j in reversed(spans):
            code = code[:i] + BLANK + code[j:]
        out[row - 1] = code
    return out


def _find_one(code: str, text: str, pos: int, starts: set[int], ends: set[int],
              strings: list[tuple[int, int]], where: Where, row: int) -> tuple[int, int]:
    """Span of the first whole-token occurrence of `text` in `code` at or after `pos`."""
    i = code.find(text, pos)
    in_string = partial = False
    while i != -1:
        j = i + len(text)
        if i in starts and j in ends:
            return i, j
        if any(s <= i and j <= e for s, e in strings):
            in_string = True
        else:
            partial = True
        i = code.find(text, i + 1)
    if in_string and not partial:
        raise where.at(row, f"BLANK text {text!r} only occurs inside a string literal; blanking it "
                            "would change the string. Blank the whole literal (with its quotes) "
                            "instead")
    if partial or in_string:
        raise where.at(row, f"BLANK text {text!r} does not cover whole Python tokens on this line "
                            "(e.g. '1' inside '10'); write the complete token(s)")
    raise where.at(row, f"BLANK text {text!r} not found in the code part of this line")


def template_code(source: str, where: Where = Where(), lang: str = DEFAULT_LANG) -> str:
    """Student-template version of a code cell (solutions stubbed in `lang`, blanks, hidden
    tests removed)."""
    lines = normalize_newlines(source).split("\n")
    regions = _regions(lines, where)
    lines = _apply_blanks(lines, where)
    out: list[str] = []
    i = 0
    starts = {b: (kind, e) for kind, b, e in regions}
    while i < len(lines):
        if i in starts:
            kind, end = starts[i]
            if kind == "solution":
                indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
                out.extend(indent + s for s in CODE_STUB.get(lang, CODE_STUB[DEFAULT_LANG]))
            i = end + 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def template_markdown(source: str, where: Where = Where(), lang: str = DEFAULT_LANG) -> str:
    """Student-template version of a markdown cell (answer regions -> answer placeholder)."""
    lines = normalize_newlines(source).split("\n")
    regions = _regions(lines, where)
    out: list[str] = []
    starts = {b: (kind, e) for kind, b, e in regions}
    i = 0
    while i < len(lines):
        if i in starts:
            kind, end = starts[i]
            if kind == "solution":
                out.append(ANSWER_STUB.get(lang, ANSWER_STUB[DEFAULT_LANG]))
            i = end + 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def apply_blanks(source: str, where: Where = Where()) -> str:
    """Only the inline `# BLANK:` markers applied (BEGIN/END regions untouched)."""
    lines = normalize_newlines(source).split("\n")
    return "\n".join(_apply_blanks(lines, where))


def validate_cell(source: str, cell_type: str, where: Where = Where()) -> None:
    """Raise MarkerError if the cell's markers are malformed."""
    if cell_type == "code":
        template_code(source, where)
    elif cell_type == "markdown":
        template_markdown(source, where)


def python_source(source: str) -> str:
    """Cell source with IPython magic lines turned into comments, for ast/tokenize."""
    lines = normalize_newlines(source).split("\n")
    return "\n".join("#" + x.lstrip()[1:] if is_magic(x) else x for x in lines)
