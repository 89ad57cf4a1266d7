"""Augmentation check: `make_augmentation() -> keras.Sequential` of preprocessing layers.

Proves: identity at inference (`training=False`), stochastic in training, shape/dtype and the
0..255 value range kept, and the required transform kinds present with a non-zero strength
(a `RandomRotation(0.0)` does nothing, so it does not count). When the test's config gives
`max_factors` ({kind: largest factor the statement allows}) or `value_range` (the images'
range, which RandomBrightness/RandomContrast must be told), `augment_factors` checks the
layers' configs against them (a rotation factor doubled still rotates, only too far).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from autograder.checks.base import (
    call_student,
    failed,
    finite,
    passed,
    require_substance,
    skipped,
    substance_required,
)
from autograder.exchange import as_model, to_numpy
from autograder.messages import DEFAULT_LANG
from autograder.model import CheckResult, Picture

CAT = "augment"
CHECKS = ["augment_returns", "augment_kinds", "augment_inference", "augment_training",
          "augment_range", "augment_factors"]
KINDS = {
    "flip": ("RandomFlip", ("mode",)),
    "rotation": ("RandomRotation", ("factor",)),
    "zoom": ("RandomZoom", ("height_factor", "width_factor")),
    "translation": ("RandomTranslation", ("height_factor", "width_factor")),
    "brightness": ("RandomBrightness", ("factor",)),
    "contrast": ("RandomContrast", ("factor",)),
}


def iter_layers(model: Any) -> Iterator[Any]:
    """All layers of a (possibly nested) keras model, depth first."""
    for layer in getattr(model, "layers", []):
        yield layer
        if hasattr(layer, "layers"):
            yield from iter_layers(layer)


def _strength(layer: Any, attrs: tuple[str, ...]) -> bool:
    """True when a preprocessing layer actually transforms (non-zero factor / a flip mode)."""
    config = layer.get_config()
    for attr in attrs:
        value = config.get(attr)
        if isinstance(value, str):
            return value in ("horizontal", "vertical", "horizontal_and_vertical")
        if value is None:
            continue
        values = value if isinstance(value, (tuple, list)) else [value]
        if any(abs(float(v)) > 0 for v in values if v is not None):
            return True
    return False


def _largest(layer: Any, attrs: tuple[str, ...]) -> float | None:
    """The largest |factor| of a preprocessing layer over `attrs` (None when it has none)."""
    config = layer.get_config()
    values: list[float] = []
    for attr in attrs:
        value = config.get(attr)
        if value is None or isinstance(value, str):
            continue
        values += [abs(float(v)) for v in (value if isinstance(value, (tuple, list)) else [value])
                   if v is not None]
    return max(values) if values else None


def factor_problems(model: Any, max_factors: dict[str, float],
                    value_range: tuple[float, float] | None) -> list[str]:
    """Layers whose factor exceeds `max_factors[kind]` or whose `value_range` is not
    `value_range`, as short texts ("RandomRotation: 0.1 > 0.05")."""
    problems = []
    for layer in iter_layers(model):
        name = type(layer).__name__
        for kind, (cls, attrs) in KINDS.items():
            limit = max_factors.get(kind)
            largest = _largest(layer, attrs) if name == cls and limit is not None else None
            if largest is not None and largest > float(limit) + 1e-6:
                problems.append(f"{cls}: {largest:g} > {float(limit):g}")
        configured = layer.get_config().get("value_range")
        if (value_range is not None and name in ("RandomBrightness", "RandomContrast")
                and configured is not None
                and [float(v) for v in configured] != [float(v) for v in value_range]):
            problems.append(f"{name}: value_range={tuple(configured)} "
                            f"!= {tuple(value_range)}")
    return problems


def kinds_present(model: Any) -> dict[str, bool]:
    """{kind: present with non-zero strength} for every known kind."""
    found = dict.fromkeys(KINDS, False)
    for layer in iter_layers(model):
        for kind, (cls, attrs) in KINDS.items():
            if type(layer).__name__ == cls and _strength(layer, attrs):
                found[kind] = True
    return found


def _images(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.uniform(0, 255, (16, 8, 8, 3))
    big = np.repeat(np.repeat(base, 4, axis=1), 4, axis=2)  # blocky images: flips are visible
    return big.astype(np.float32)


def _preview_image(size: int = 48) -> np.ndarray:
    """An asymmetric picture (an "F" on a colour gradient) whose flips/rotations are obvious."""
    ramp = np.linspace(40, 215, size, dtype=np.float32)
    img = np.stack([np.tile(ramp, (size, 1)), np.tile(ramp[:, None], (1, size)),
                    np.full((size, size), 90, np.float32)], axis=-1)
    s = size // 8
    img[s:7 * s, 2 * s:3 * s] = 250  # stem
    img[s:2 * s, 2 * s:6 * s] = 250  # top bar
    img[3 * s:4 * s, 2 * s:5 * s] = 250  # middle bar
    return img


def _preview(model: Any, n: int = 7) -> np.ndarray | None:
    """Original + `n` training-mode augmentations of the preview picture (for the feedback)."""
    try:
        x = _preview_image()[None]
        outs = [np.asarray(to_numpy(model(x, training=True)))[0] for _ in range(n)]
        return np.clip(np.stack([x[0], *outs]), 0, 255) / 255.0
    except Exception:  # noqa: BLE001 - a picture is a bonus, never a failure
        return None


# identity at inference and the 0..255 range hold for an empty Sequential: they count only next
# to the layer kinds or the randomness in training (base.substance_required)
# augment_factors too: an empty Sequential has no factor too large. A model that cannot be
# called (an error, past the grader's time or memory budget) earns nothing for its layer list.
@substance_required("augment_returns", "augment_inference", "augment_range", "augment_factors")
def check_augmentation(make_augmentation: Callable | None, *,
                       required: tuple[str, ...] | list[str] = ("flip", "rotation", "zoom"),
                       max_factors: dict[str, float] | None = None,
                       value_range: tuple[float, float] | list[float] | None = None,
                       lang: str = DEFAULT_LANG, seed: int = 0, func: str = "make_augmentation",
                       **_: Any) -> list[CheckResult]:
    """Check `make_augmentation()`; results: augment_returns, augment_kinds, augment_inference,
    augment_training, augment_range, and augment_factors when `max_factors` or `value_range`
    is given."""
    limits = dict(max_factors or {})
    unknown = sorted(set(limits) - set(KINDS))
    if unknown:  # the assignment's config, not the student: fail loudly for the instructor
        raise ValueError(f"max_factors: unknown kinds {unknown} (known: {sorted(KINDS)})")
    names = CHECKS if limits or value_range is not None else CHECKS[:-1]
    value, bad = call_student(make_augmentation, func, "augment_returns", lang)
    if bad is None:
        try:
            model = as_model(value)
        except Exception:  # noqa: BLE001 - not a model, or a file that does not load
            bad = failed(CAT, "augment_returns", lang, found=type(value).__name__)
    if bad is not None:
        return [bad, *skipped(names[1:], bad)]
    results = [passed(CAT, "augment_returns", lang)]
    present = kinds_present(model)
    missing = [k for k in required if not present.get(k, False)]
    found = [k for k, v in present.items() if v]
    results.append(failed(CAT, "augment_kinds", lang, missing=missing, found=found)
                   if missing else passed(CAT, "augment_kinds", lang, found=found))
    x = _images(seed)
    outs = []
    for training in (False, True, True, True):
        out, bad = call_student(model, func, "augment_inference", lang, x.copy(),
                                training=training)
        if bad is not None:  # an augmentation that cannot run: its layer list earns nothing
            return require_substance([*results, bad, *skipped(names[3:], bad)], names, lang)
        outs.append(np.asarray(to_numpy(out)))
    inf, train = outs[0], outs[1:]
    shapes_ok = all(o.shape == x.shape for o in outs)
    diff = float(np.abs(inf - x).max()) if inf.shape == x.shape else float("inf")
    results.append(passed(CAT, "augment_inference", lang) if diff <= 1e-2 else
                   failed(CAT, "augment_inference", lang, diff=diff))
    changed = shapes_ok and any(not np.allclose(train[0], t, atol=1e-3) for t in train[1:])
    changed = changed and any(not np.allclose(t, x, atol=1e-3) for t in train)
    changed = changed and finite(*outs)  # NaN differs from everything: it is not randomness
    results.append(passed(CAT, "augment_training", lang) if changed else
                   failed(CAT, "augment_training", lang))
    preview = _preview(model) if shapes_ok else None
    if preview is not None:
        results[-1].picture = Picture("augmentation", images=preview)
    lo = min(float(o.min()) for o in outs)
    hi = min(float(o.max()) for o in outs)  # the darkest call must still reach mid-range
    dtypes = sorted({str(o.dtype) for o in outs})
    ok = (shapes_ok and lo >= -1.0 and max(float(o.max()) for o in outs) <= 256.0
          and hi >= 128.0
          and all(np.issubdtype(o.dtype, np.floating) for o in outs))
    results.append(passed(CAT, "augment_range", lang, lo=lo, hi=hi) if ok else
                   failed(CAT, "augment_range", lang, lo=lo, hi=hi, dtypes=dtypes,
                          shapes=sorted({str(o.shape) for o in outs}), shape=str(x.shape)))
    if len(names) == len(CHECKS):
        problems = factor_problems(model, limits,
                                   None if value_range is None else tuple(value_range))
        allowed = [f"{KINDS[k][0]} <= {float(v):g}" for k, v in limits.items()]
        if value_range is not None:
            allowed.append(f"value_range={tuple(value_range)}")
        results.append(failed(CAT, "augment_factors", lang, problems=problems, allowed=allowed)
                       if problems else passed(CAT, "augment_factors", lang))
    return results
