"""Guest-side data modes: what `tfds.load` returns inside the student process.

The `DATA` parameter of a profile:
- ``"tfds"`` (default, `full` profile): the student's `tfds.load(...)` reads the real dataset from
  the TFDS cache (``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``); nothing is patched.
- ``"mock"`` (`ci` profile): `tfds.testing.mock_data(num_examples=MOCK_EXAMPLES)` is entered, so the
  student's unchanged `tfds.load` code returns small random images (uint8, variable size) with
  labels in the dataset's real range, offline, for every split. `MOCK_EXAMPLES` defaults to 64.

Imported inside the sandbox: standard library only at import time.
"""

from __future__ import annotations

import contextlib
from typing import Any

DEFAULT_MOCK_EXAMPLES = 64


def enter_data_mode(values: dict[str, Any]) -> contextlib.ExitStack:
    """Enter the data mode named by `values["DATA"]` for as long as the returned stack is open.

    The sandboxed student process calls it once and never closes it (process lifetime);
    in-process callers use it as a context manager. Unknown modes raise ValueError.
    """
    stack = contextlib.ExitStack()
    mode = str(values.get("DATA") or "tfds").lower()
    if mode == "mock":
        import tensorflow_datasets as tfds

        n = int(values.get("MOCK_EXAMPLES") or DEFAULT_MOCK_EXAMPLES)
        stack.enter_context(tfds.testing.mock_data(num_examples=n))
    elif mode not in ("tfds", "real"):
        stack.close()
        raise ValueError(f"unknown DATA mode {mode!r} (expected 'mock' or 'tfds')")
    return stack


def open_data_mode(values: dict[str, Any] | None) -> tuple[contextlib.ExitStack, str | None]:
    """`enter_data_mode` that never raises: (stack to close when done, setup error or None)."""
    try:
        return enter_data_mode(values or {}), None
    except Exception as exc:  # noqa: BLE001 - reported as the notebook's setup error
        return contextlib.ExitStack(), f"data mode: {type(exc).__name__}: {exc}"[:500]
