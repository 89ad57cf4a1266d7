"""Guest-side data modes: what `tfds.load` returns inside the student process.

The `DATA` parameter of a profile:
- ``"tfds"`` (default, `full` profile): the student's `tfds.load(...)` reads the real dataset from
  the TFDS cache (``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``); nothing is patched.
- ``"mock"`` (`ci` profile): `tfds.testing.mock_data(num_examples=MOCK_EXAMPLES)` is entered, so the
  student's unchanged `tfds.load` code returns small random images (uint8, variable size) with
  labels in the dataset's real range, offline, for every split. `MOCK_EXAMPLES` defaults to 64.
- ``"synthetic"`` (`gpu-smoke` profile): the same mock, but LEARNABLE: example i of a split has
  label ``i % SYNTHETIC_CLASSES`` (default 4, at most 8) and an image of that class's colour
  (70 %) plus split-dependent noise (30 %), so a model can fit train and be scored on test.

Imported inside the sandbox: standard library only at import time.
"""

from __future__ import annotations

import contextlib
from typing import Any

# the profile parameters that decide what `tfds.load` returns
MODE_KEYS = ("DATA", "MOCK_EXAMPLES", "SYNTHETIC_CLASSES")
DEFAULT_MOCK_EXAMPLES = 64
DEFAULT_SYNTHETIC_CLASSES = 4
# one RGB colour per synthetic class (0..255), far apart
PALETTE = ((230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
           (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230))


def enter_data_mode(values: dict[str, Any]) -> contextlib.ExitStack:
    """Enter the data mode named by `values["DATA"]` for as long as the returned stack is open.

    The sandboxed student process calls it once and never closes it (process lifetime);
    in-process callers use it as a context manager. Unknown modes raise ValueError.
    """
    stack = contextlib.ExitStack()
    mode = str(values.get("DATA") or "tfds").lower()
    n = int(values.get("MOCK_EXAMPLES") or DEFAULT_MOCK_EXAMPLES)
    if mode in ("mock", "synthetic"):
        import tensorflow_datasets as tfds

        classes = int(values.get("SYNTHETIC_CLASSES") or DEFAULT_SYNTHETIC_CLASSES)
        if mode == "synthetic" and not 2 <= classes <= len(PALETTE):
            stack.close()
            raise ValueError(f"SYNTHETIC_CLASSES must be 2..{len(PALETTE)}, not {classes}")
        stack.enter_context(tfds.testing.mock_data(num_examples=n))
        if mode == "synthetic":
            stack.enter_context(_learnable_mock(classes))
    elif mode not in ("tfds", "real"):
        stack.close()
        raise ValueError(f"unknown DATA mode {mode!r} (expected 'mock', 'synthetic' or 'tfds')")
    return stack


def _learnable_mock(classes: int) -> contextlib.AbstractContextManager[Any]:
    """Patch the (already mocked) tfds reader so each split's examples become learnable: wraps
    `FileReaderBuilder._as_dataset`, i.e. the decoded feature dicts before `as_supervised`."""
    import zlib
    from unittest import mock

    import tensorflow as tf
    from tensorflow_datasets.core import dataset_builder

    mocked = dataset_builder.FileReaderBuilder._as_dataset
    palette = tf.constant(PALETTE[:classes], tf.float32)

    def as_dataset(self: Any, split: Any, *args: Any, **kwargs: Any) -> Any:
        ds = mocked(self, split, *args, **kwargs)
        split_seed = zlib.crc32(str(split).encode()) & 0x7FFFFFFF

        def learnable(i: Any, ex: Any) -> Any:
            if not isinstance(ex, dict) or "image" not in ex or "label" not in ex:
                return ex
            label = tf.cast(i % classes, tf.int32)
            noise = tf.random.stateless_uniform(
                tf.shape(ex["image"]), seed=tf.stack([tf.constant(split_seed, tf.int64), i]))
            image = 0.7 * tf.gather(palette, label) + 0.3 * 255.0 * noise
            return {**ex, "image": tf.cast(image, ex["image"].dtype),
                    "label": tf.cast(label, ex["label"].dtype)}

        return ds.enumerate().map(learnable)

    return mock.patch.object(dataset_builder.FileReaderBuilder, "_as_dataset", as_dataset)


def open_data_mode(values: dict[str, Any] | None) -> tuple[contextlib.ExitStack, str | None]:
    """`enter_data_mode` that never raises: (stack to close when done, setup error or None)."""
    try:
        return enter_data_mode(values or {}), None
    except Exception as exc:  # noqa: BLE001 - reported as the notebook's setup error
        return contextlib.ExitStack(), f"data mode: {type(exc).__name__}: {exc}"[:500]
