"""Student-facing message catalogs (Spanish and English), rendered with Jinja2.

Each concern keeps its own catalog file `autograder/messages/<catalog>.toml`:

    [mixup_label_lambda]
    es = "La etiqueta de la muestra {{ i }} usa lambda={{ found|round(3) }} ..."
    en = "Label of sample {{ i }} uses lambda={{ found|round(3) }} ..."

`msg("mixing", "mixup_label_lambda", lang="es", i=3, found=0.4)` renders one entry.
Missing languages fall back to Spanish; missing keys raise KeyError (caught by tests).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined

LANGS = ("es", "en")
DEFAULT_LANG = "es"
_DIR = Path(__file__).parent
_ENV = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@cache
def catalog(name: str) -> dict[str, dict[str, str]]:
    """Load `<name>.toml` as {key: {lang: template}}."""
    with open(_DIR / f"{name}.toml", "rb") as fh:
        return tomllib.load(fh)


@cache
def _template(name: str, key: str, lang: str):
    entry = catalog(name)[key]
    return _ENV.from_string(entry.get(lang) or entry[DEFAULT_LANG])


def msg(name: str, key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """Render message `key` of catalog `name` in `lang` with `values`."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; use one of {LANGS}")
    return _template(name, key, lang).render(**values).strip()
