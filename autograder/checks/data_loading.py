"""Check for the `load_data(split, image_size, limit)` contract function.

Runs in the data mode of the grading profile (tfds mock data under `ci`), so it needs no download.
Verifies: a dataset of (image, label) pairs, unbatched images of shape (*image_size, 3), dtype
uint8/float, values in 0..255 and not rescaled to [0, 1], integer scalar labels in [0, K), and
`limit` honoured exactly for two different limits (a hard-coded take(n) fails).

Counts come from the elements actually materialised (never from a cardinality the student
process reports). A dataset of constant images (zeros, one grey level) is not a set of photos:
its range cannot be assessed, and the form checks (pairs, shape, labels, limit) earn no credit
(`base.require_substance`).

`load_data_content` compares with the split as the GRADER loads it (`dataset_reference`, same
data mode as the student's run): element i must be the split's i-th example (any usual resize)
with its label. When neither an image nor the label sequence comes from the dataset (random or
made-up data of the right form), the form checks earn nothing either. When the grader cannot load
the split itself, `load_data_content` is not scored (0 of 0 points) and says why.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder import exchange
from autograder.checks.base import (
    call_student,
    failed,
    finite,
    not_assessed,
    passed,
    require_substance,
    skipped_after,
)
from autograder.messages import DEFAULT_LANG, msg
from autograder.model import CheckResult

CHECKS = ("load_data_pairs", "load_data_shape", "load_data_range", "load_data_labels",
          "load_data_limit", "load_data_content")
FORM = CHECKS[:5]


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
                    dataset: str | None = None, data: dict[str, Any] | None = None,
                    **_: Any) -> list[CheckResult]:
    """Call `load_data(split, image_size=..., limit=n)` for each (split, n) and check the elements
    (against `dataset` loaded here under the data mode `data` when `dataset` is given)."""
    image_size = tuple(int(v) for v in image_size)
    names = CHECKS if dataset is not None else FORM
    samples = []
    for split, limit in zip(splits, limits, strict=False):
        value, broken = call_student(load_data, "load_data", "load_data_pairs", lang, split,
                                     image_size=image_size, limit=limit)
        if broken is None:
            try:
                sample = exchange.sample_dataset(value, max_batches=limit + 1)
            except TypeError:
                broken = CheckResult.fail("load_data_pairs", msg(
                    "data", "not_dataset", lang, found=type(value).__name__))
        if broken is not None:
            return [broken] + [skipped_after(c, broken) for c in names[1:]]
        samples.append((split, limit, sample))

    results: list[CheckResult] = []
    elements = [e for _, _, s in samples for e in s.batches]
    sizes = sorted({len(e) for e in elements})
    if not elements:
        split, limit, _ = samples[0]
        broken = CheckResult.fail("load_data_pairs", msg("data", "empty", lang, split=split,
                                                         limit=limit))
        return [broken] + [skipped_after(c, broken) for c in names[1:]]
    if sizes != [2]:
        broken = CheckResult.fail("load_data_pairs", msg("data", "not_pairs", lang, found=sizes),
                                  msg("data", "pairs_hint", lang), found=sizes)
        return [broken] + [skipped_after(c, broken) for c in names[1:]]
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
    from_dataset = True
    if dataset is not None:
        shape = next(r for r in results if r.name == "load_data_shape")
        content, from_dataset = _content(samples, dataset, data, lang,
                                         shape_failure=None if shape.passed else shape)
        results.append(content)
    if all(float(img.max()) - float(img.min()) <= 1e-6 for img in images):
        return require_substance(results, names, lang)  # no photo: nothing counts
    if not from_dataset:  # no image and no label sequence of the split: form alone earns nothing
        return require_substance(results, FORM, lang)
    return results


def _content(samples: list[tuple[str, int, exchange.DatasetSample]], dataset: str,
             data: dict[str, Any] | None, lang: str,
             shape_failure: CheckResult | None = None) -> tuple[CheckResult, bool]:
    """(`load_data_content` result, whether anything the student returned comes from `dataset`).

    Element i of `load_data(split, limit=n)` must be example i of the split as loaded here.
    Evidence of the dataset: any image matching any of the split's first examples, or the label
    sequence equal to the split's. Unavailable reference data: 0 of 0 points, (result, True).
    Images of the wrong shape (`shape_failure`) are not compared: only the labels are evidence.
    """
    from autograder.checks import dataset_reference as ref

    name = "load_data_content"
    from_dataset = False
    problem: CheckResult | None = None
    for split, limit, sample in samples:
        try:
            examples = ref.examples(dataset, split, ref.data_values(data))
        except ref.ReferenceDataUnavailable as exc:
            result = not_assessed("data", name, lang, "content_unavailable", detail=str(exc))
            result.max_score = 0.0
            return result, True
        elements = sample.batches[:limit]
        labels = [_label(lab) for _, lab in elements]
        if labels and labels == [lab for _, lab in examples[:len(labels)]]:
            from_dataset = True
        if shape_failure is not None:
            continue
        for i, (img, _) in enumerate(elements):
            m = ref.match(np.asarray(img), examples, prefer=i)
            from_dataset = from_dataset or m.index is not None
            if problem is not None:
                continue
            if m.index is None:
                problem = failed("data", name, lang, "content_image", split=split, index=i,
                                 dataset=dataset, corr=round(m.correlation, 2))
            elif m.index != i:
                problem = failed("data", name, lang, "content_order", split=split, index=i,
                                 found=m.index, limit=limit)
            elif labels[i] != examples[i][1]:
                problem = failed("data", name, lang, "content_label", split=split, index=i,
                                 found=labels[i], expected=examples[i][1])
    if shape_failure is not None:
        return skipped_after(name, shape_failure), from_dataset
    if problem is None:
        return passed("data", name, lang), from_dataset
    if not from_dataset:
        problem = failed("data", name, lang, "content_foreign", dataset=dataset,
                         split=samples[0][0])
    return problem, from_dataset


def _label(value: Any) -> int | None:
    arr = np.asarray(value)
    if arr.ndim != 0 or not np.issubdtype(arr.dtype, np.integer):
        return None
    return int(arr)
