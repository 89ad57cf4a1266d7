"""The grader's own view of a dataset split, to tell the student's `load_data` output from noise.

Under the `ci` profile `tfds.load` returns `tfds.testing.mock_data` examples: random images, so
random images of the right shape are indistinguishable from them by form alone (issue 17). The
grader therefore loads the same split itself, in ITS process and under the SAME data mode as the
student's (`autograder.data.modes.enter_data_mode` with the profile's `DATA`, `MOCK_EXAMPLES`,
`SYNTHETIC_CLASSES`; mock data is deterministic across processes), and matches every student
image against those examples.

Matching is resize-agnostic and preprocessing-tolerant: both images are reduced to their channel
mean (a channel swap or a per-channel offset does not change it), the reference is resized to the
student's size with each usual method (bilinear, nearest, area, bicubic, central crop to the
aspect ratio, pad to it) and the Pearson correlation with the best one must reach
`MATCH_CORRELATION`. Unrelated images (another example, noise, a constant) correlate near 0.

Loaded examples are cached per process (one load per split per worker, not per student).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MATCH_CORRELATION = 0.9
POOL = 64  # examples of the split the student's may be matched against (any order)


class ReferenceDataUnavailable(RuntimeError):
    """The grader could not load the split itself (no dataset configured, no local copy)."""


@dataclass(frozen=True)
class Match:
    """Which reference example (index in the split, or None) a student image is, and how well."""

    index: int | None
    correlation: float


def data_values(values: dict[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    """The profile values that decide what `tfds.load` returns, as a hashable key."""
    from autograder.data.modes import MODE_KEYS

    values = values or {}
    return tuple((k, values[k]) for k in MODE_KEYS if values.get(k) is not None)


@functools.lru_cache(maxsize=8)
def examples(dataset: str, split: str, data: tuple[tuple[str, Any], ...],
             pool: int = POOL) -> tuple[tuple[np.ndarray, int], ...]:
    """The first `pool` (image uint8 HxWx3, label) examples of `dataset`/`split`, unshuffled,
    loaded here under the data mode `data`; ReferenceDataUnavailable when that fails."""
    from autograder.data.modes import enter_data_mode

    try:
        import tensorflow_datasets as tfds

        with enter_data_mode(dict(data)):
            ds = tfds.load(dataset, split=split, as_supervised=True, shuffle_files=False)
            out = tuple((np.asarray(image), int(label)) for image, label in
                        ds.take(pool).as_numpy_iterator())
    except Exception as exc:  # noqa: BLE001 - any failure means: no evidence here
        raise ReferenceDataUnavailable(f"{dataset}/{split}: {type(exc).__name__}: {exc}"[:300]) \
            from exc
    if not out:
        raise ReferenceDataUnavailable(f"{dataset}/{split}: no examples")
    return out


def _gray(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image, dtype=np.float64)
    return arr.mean(axis=-1) if arr.ndim == 3 else arr


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a = a.ravel() - a.mean()
    b = b.ravel() - b.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom > 1e-9 else 0.0


def _resized(image: np.ndarray, size: tuple[int, int]) -> list[np.ndarray]:
    """`image` brought to `size` by each method a student plausibly uses (channel means)."""
    import tensorflow as tf

    img = tf.convert_to_tensor(image, tf.float32)
    outs = [tf.image.resize(img, size, method=m) for m in ("bilinear", "nearest", "area",
                                                          "bicubic")]
    outs.append(tf.image.resize(img, size, antialias=True))
    h, w = int(img.shape[0]), int(img.shape[1])
    target = size[0] / size[1]
    if h and w and abs(h / w - target) > 1e-6:  # crop / pad to the aspect ratio, then resize
        ch, cw = (h, max(1, round(h / target))) if w * target > h else (max(1, round(w * target)), w)
        top, left = (h - ch) // 2, (w - cw) // 2
        outs.append(tf.image.resize(img[top:top + ch, left:left + cw], size))
        outs.append(tf.image.resize_with_pad(img, size[0], size[1]))
    return [_gray(o.numpy()) for o in outs]


def match(student: np.ndarray, reference: Sequence[tuple[np.ndarray, int]],
          prefer: int | None = None) -> Match:
    """The reference example `student` shows (best correlation over examples and resize methods),
    if it reaches MATCH_CORRELATION. `prefer` (the expected index) is tried first."""
    try:
        arr = np.asarray(student, dtype=np.float64)
    except (TypeError, ValueError):
        return Match(None, 0.0)
    if arr.ndim != 3 or arr.shape[-1] != 3 or min(arr.shape) < 1 or not np.isfinite(arr).all():
        return Match(None, 0.0)
    gray = _gray(arr)
    size = (int(arr.shape[0]), int(arr.shape[1]))
    order = list(range(len(reference)))
    if prefer is not None and 0 <= prefer < len(reference):
        order.remove(prefer)
        order.insert(0, prefer)
    best = Match(None, 0.0)
    for i in order:
        quick = _bilinear_corr(gray, reference[i][0], size)
        if quick < 0.5 and i != prefer:  # far from this example: skip the other methods
            best = best if best.correlation >= quick else Match(None, quick)
            continue
        c = max(_corr(gray, r) for r in _resized(reference[i][0], size))
        if c >= MATCH_CORRELATION:
            return Match(i, c)
        if c > best.correlation:
            best = Match(None, c)
    return best


def _bilinear_corr(gray: np.ndarray, ref: np.ndarray, size: tuple[int, int]) -> float:
    import tensorflow as tf

    return _corr(gray, _gray(tf.image.resize(tf.convert_to_tensor(ref, tf.float32),
                                             size).numpy()))
