"""Check for the `load_data(split, image_size, limit)` contract function.

Runs in the data mode of the grading profile (tfds mock data under `ci`), so it needs no download.
Verifies: a dataset of (image, label) pairs, unbatched images of shape (*image_size, 3), dtype
uint8/float, values in 0..255 and not rescaled to [0, 1], integer scalar labels in [0, K), and
`limit` honoured exactly for two different limits (a hard-coded take(n) fails).

Counts come from the elements actually materialised (never from a cardinality the student
process reports). A dataset of constant images (zeros, one grey level) is not a set of photos:
its range cannot be assessed, and the form checks (pairs, shape, labels, limit) earn no credit
(`base.require_substance`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder import exchange
from autograder.checks.base import (
    call_student,
    finite,
    not_assessed,
    require_substance,
    skipped_after,
)
from autograder.messages import DEFAULT_LANG, msg
from autograder.model import CheckResult

CHECKS = ("load_data_pairs", "load_data_shape", "load_data_range", "load_data_labels",
          "load_data_limit")


def _count(sample: exchange.DatasetSample) -> int:
    """Number of elements actually materialised (never the cardinality the dataset claims).

    Limits stay below the sandbox's materialisation cap (4 elements), so limit + 1 elements are
    always visible when the limit is ignored.
    """
    return len(sample.batches)


# ~80 lines: one linear story (load each split, then judge shape, range, labels, limit on
# the same materialised elements); split, the shared state would travel in six arguments.
def check_load_data(load_data: Any, *, num_classes: int = 102, image_size=(64, 64),
                    limits=(3, 2), splits=("train", "test"), lang: str = DEFAULT_LANG, seed: int = 0,
                    **_: Any) -> list[CheckResult]:
    """Call `load_data(split, image_size=..., limit=n)` for each (split, n) and check the elements."""
    image_size = tuple(int(v) for v in image_size)
    samples = []
    for split, limit in zip(splits, limits, strict=False):
        value, failed = call_student(load_data, "load_data", "load_data_pairs", lang, split,
                                     image_size=image_size, limit=limit)
        if failed is None:
            try:
                sample = exchange.sample_dataset(value, max_batches=limit + 1)
            except TypeError:
                failed = CheckResult.fail("load_data_pairs", msg(
                    "data", "not_dataset", lang, found=type(value).__name__))
        if failed is not None:
            return [failed] + [skipped_after(c, failed) for c in CHECKS[1:]]
        samples.append((split, limit, sample))

    results: list[CheckResult] = []
    elements = [e for _, _, s in samples for e in s.batches]
    sizes = sorted({len(e) for e in elements})
    if not elements:
        split, limit, _ = samples[0]
        failed = CheckResult.fail("load_data_pairs", msg("data", "empty", lang, split=split,
                                                         limit=limit))
        return [failed] + [skipped_after(c, failed) for c in CHECKS[1:]]
    if sizes != [2]:
        failed = CheckResult.fail("load_data_pairs", msg("data", "not_pairs", lang, found=sizes),
                                  msg("data", "pairs_hint", lang), found=sizes)
        return [failed] + [skipped_after(c, failed) for c in CHECKS[1:]]
    results.append(CheckResult.ok("load_data_pairs"))

    expected = (*image_size, 3)
    shapes = sorted({tuple(np.shape(img)) for img, _ in elements})
    if shapes != [expected]:
        results.append(CheckResult.fail("load_data_shape", msg(
            "data", "shape", lang, expected=expected, found=shapes[:3]),
            msg("data", "shape_hint", lang), expected=expected, found=shapes[:3]))
    else:
        results.append(CheckResult.ok("load_data_shape"))

    images = [np.asarray(img) for img, _ in elements]
    kinds = sorted({img.dtype.name for img in images})
    if not all(img.dtype == np.uint8 or np.issubdtype(img.dtype, np.floating) for img in images):
        results.append(CheckResult.fail("load_data_range", msg("data", "dtype", lang, found=kinds),
                                        msg("data", "range_hint", lang), found=kinds))
    elif not all(finite(img) for img in images):
        results.append(CheckResult.fail("load_data_range", msg("common", "not_finite", lang,
                                                               func="load_data")))
    elif all(float(img.max()) - float(img.min()) <= 1e-6 for img in images):
        results.append(not_assessed("data", "load_data_range", lang, "constant_images",
                                      value=float(images[0].flat[0])))
    else:
        lo = float(min(img.min() for img in images))
        hi = float(max(img.max() for img in images))
        ok = lo >= -1e-3 and hi <= 255.0 + 1e-3 and hi > 1.5
        results.append(CheckResult.ok("load_data_range", min=lo, max=hi) if ok else
                       CheckResult.fail("load_data_range", msg("data", "range", lang, lo=lo, hi=hi),
                                        msg("data", "range_hint", lang), min=lo, max=hi))

    labels = [np.asarray(lab) for _, lab in elements]
    bad = [lab for lab in labels if lab.ndim != 0 or not np.issubdtype(lab.dtype, np.integer)
           or not 0 <= int(lab) < num_classes]
    if bad:
        found = f"dtype={bad[0].dtype.name}, shape={bad[0].shape}, valor={bad[0].tolist()}"
        results.append(CheckResult.fail("load_data_labels", msg(
            "data", "labels", lang, num_classes=num_classes, found=found),
            msg("data", "labels_hint", lang)))
    else:
        results.append(CheckResult.ok("load_data_labels"))

    wrong = [(split, limit, _count(s)) for split, limit, s in samples
             if _count(s) != limit]
    if wrong:
        split, limit, found = wrong[0]
        results.append(CheckResult.fail("load_data_limit", msg(
            "data", "limit", lang, split=split, limit=limit, found=found),
            msg("data", "limit_hint", lang), found=found, expected=limit))
    else:
        results.append(CheckResult.ok("load_data_limit"))
    if all(float(img.max()) - float(img.min()) <= 1e-6 for img in images):
        return require_substance(results, CHECKS, lang)  # no photo: nothing counts
    return results
