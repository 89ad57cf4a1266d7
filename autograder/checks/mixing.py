"""Mixup and CutMix checks: recover, for every output sample, where its pixels came from.

Inputs are chosen so provenance is unambiguous:

- Mixup: B random images (continuous values in 0..255) that are linearly independent, and B
  distinct one-hot classes. Solving `out = W @ inputs` (least squares, exact for a true Mixup)
  gives, per output sample i, its own weight lambda_i = W[i, i] and its partner j (the other
  non-zero entry). Labels must equal `W @ labels` (same lambda and partner).
- CutMix: random float images, so every pixel value identifies its source sample. Each output
  pixel is traced back to the input sample holding that exact value at the same position.

The Mixup lambda distribution test is a Kolmogorov-Smirnov test of the folded lambdas
min(l, 1-l) against the folded Beta(alpha, alpha) law (so both `l` and `max(l, 1-l)` styles
pass), conditioned on min(l, 1-l) >= 1e-4 because a sample mixed with itself (which
`keras.layers.MixUp` allows) is indistinguishable from l = 1. Draws are de-duplicated per call
(one value per batch for per-batch lambda). It rejects when p < 1e-4: under a correct sampler
the p-value is uniform, so the false-rejection rate is at most 1e-4 per run (and runs are
seeded, so a given student always gets the same verdict).

No credit for doing nothing (issue 17): a sample is "really mixed" only when both of its sources
contribute (Mixup: min(lambda, 1 - lambda) > MIXED_MIN; CutMix: 0 < pasted area < 1), so the
identity (lambda = 1) or a permutation of the batch (lambda = 0, area = 1) mixes nothing. Image
and label consistency earn credit only when some sample was really mixed (else not assessable);
the seed check only when the output depends on the seed; `*_returns` and `*_seed` only next to
a property of substance (`base.substance_required`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from autograder.checks.base import (
    call_student,
    failed,
    not_assessed,
    passed,
    skipped,
    skipped_after,
    substance_required,
)
from autograder.checks.memo import per_run
from autograder.exchange import to_numpy
from autograder.messages import DEFAULT_LANG
from autograder.model import CheckResult

CAT = "mixing"
MIXUP_CHECKS = ["mixup_returns", "mixup_images", "mixup_labels", "mixup_mixes",
                "mixup_distribution", "mixup_seed"]
LAMBDA_SCOPES = ("sample", "batch")  # [[tests]] config `lambda_per`: one lambda per sample/batch
CUTMIX_CHECKS = ["cutmix_returns", "cutmix_images", "cutmix_labels", "cutmix_mixes",
                 "cutmix_distribution", "cutmix_seed"]
P_REJECT = 1e-4          # KS rejection level = documented false-rejection rate
EPS_FOLD = 1e-4          # folded lambdas below this are treated as "not mixed"
W_TOL = 2e-3             # tolerance on recovered Mixup weights
LABEL_TOL = 5e-3         # tolerance on label entries
MIXED_MIN = 1e-3         # both sources of a really mixed sample weigh more than this
PIXEL_TOL = 1e-3         # CutMix: a pixel "comes from" sample k if all channels match this close
CENTRE_Z = 4.5           # CutMix: mean box centre this many standard errors off the image's centre
CENTRE_MIN_BOXES = 30    # ... judged only over at least this many really mixed samples
INSIDE_MIN = 3           # CutMix: boxes clear of every border among those (paper: ~1 in 6)
SHAPE_BAD_MAX = 0.1      # ... of which at most this share with height/H != width/W (> 1.5 px)


def _inputs(seed: int, batch: int, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.uniform(0.0, 255.0, (batch, *shape)).astype(np.float32)
    labels = np.eye(batch, dtype=np.float32)[rng.permutation(batch)]
    return images, labels


def _call(fn: Callable | None, func: str, check: str, lang: str, images: np.ndarray,
          labels: np.ndarray, alpha: float, seed: int) -> tuple[Any, CheckResult | None]:
    """Call the student's mix function; return ((images, labels) as numpy, None) or a failure."""
    value, bad = call_student(fn, func, check, lang, images.copy(), labels.copy(),
                              alpha=alpha, seed=seed)
    if bad is not None:
        return None, bad
    if isinstance(value, dict) and {"images", "labels"} <= set(value):
        value = (value["images"], value["labels"])
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None, failed(CAT, check, lang, "bad_return", func=func,
                            found=type(value).__name__)
    x, y = (np.asarray(to_numpy(v)) for v in value)
    problem = None
    if x.shape != images.shape or y.shape != labels.shape:
        problem = f"images {x.shape}, labels {y.shape}"
    elif not (np.issubdtype(x.dtype, np.floating) and np.issubdtype(y.dtype, np.floating)):
        problem = f"dtypes {x.dtype}, {y.dtype}"
    elif not (np.isfinite(x).all() and np.isfinite(y).all()):
        problem = "NaN/inf"
    if problem:
        return None, failed(CAT, check, lang, "bad_shape", func=func, found=problem,
                            images=str(images.shape), labels=str(labels.shape))
    return (x.astype(np.float64), y.astype(np.float64)), None


# --------------------------------------------------------------------------- Mixup

@dataclass
class _MixupDraws:
    own: list[np.ndarray] = field(default_factory=list)      # lambda_i per sample, per call
    mixed: list[np.ndarray] = field(default_factory=list)    # really mixed with another sample
    checked_mixed: int = 0    # really mixed samples whose images and labels were consistent
    image_bad: tuple | None = None
    label_bad: tuple | None = None


def _mixup_analyse(out_x, out_y, images, labels, inv, draws: _MixupDraws) -> None:
    b = images.shape[0]
    flat = images.reshape(b, -1).astype(np.float64)
    o = out_x.reshape(b, -1)
    w = o @ inv
    resid = np.abs(o - w @ flat).max(axis=1)
    own = np.diag(w).copy()
    off = w.copy()
    np.fill_diagonal(off, 0.0)
    partner = np.abs(off).argmax(axis=1)
    pw = off[np.arange(b), partner]
    off[np.arange(b), partner] = 0.0
    others = np.abs(off).max(axis=1)
    ok = ((resid <= 1.0) & (others <= W_TOL) & (own >= -W_TOL) & (own <= 1 + W_TOL)
          & (np.abs(own + pw - 1.0) <= W_TOL))
    if draws.image_bad is None and not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        draws.image_bad = (i, float(own[i]), float(pw[i]), float(others[i]), float(resid[i]))
    expected = own[:, None] * labels + (1.0 - own)[:, None] * labels[partner]
    cls = labels.argmax(1)
    lab_ok = ((np.abs(out_y - expected).max(axis=1) <= LABEL_TOL)
              & (np.abs(out_y.sum(axis=1) - 1.0) <= LABEL_TOL))
    if draws.label_bad is None and not lab_ok.all():
        i = int(np.flatnonzero(~lab_ok)[0])
        draws.label_bad = (i, float(own[i]), float(out_y[i, cls[i]]), float(out_y[i].sum()))
    draws.own.append(np.clip(own, 0.0, 1.0))
    mixed = (partner != np.arange(b)) & (np.minimum(own, pw) > MIXED_MIN)
    draws.mixed.append(mixed)
    draws.checked_mixed += int((mixed & ok & lab_ok).sum())


def _folded_cdf(alpha: float) -> Callable[[np.ndarray], np.ndarray]:
    from scipy import stats

    dist = stats.beta(alpha, alpha)
    lo = 2.0 * dist.cdf(EPS_FOLD)
    return lambda m: np.clip((2.0 * dist.cdf(np.asarray(m)) - lo) / (1.0 - lo), 0.0, 1.0)


def _unique_folded(own_per_call: list[np.ndarray]) -> np.ndarray:
    values: list[float] = []
    for own in own_per_call:
        m = np.minimum(own, 1.0 - own)
        m = m[m >= EPS_FOLD]
        values.extend(np.unique(np.round(m, 6)).tolist())
    return np.asarray(values)


@per_run  # one evidence for the `_basics` test and its hidden twin (checks.memo)
@substance_required("mixup_returns", "mixup_seed", "mixup_contract")
def check_mixup(mixup: Callable | None, *, alpha: float = 0.2, lang: str = DEFAULT_LANG, seed: int = 0,
                batch_size: int = 24, image_shape: tuple[int, int, int] = (8, 8, 3),
                calls: int = 12, min_draws: int = 40, max_calls: int = 64,
                func: str = "mixup", lambda_per: str = "sample", **_: Any) -> list[CheckResult]:
    """Check `mixup(images, labels, alpha, seed) -> (images, labels)`; see module docstring.

    Results, in order: mixup_returns, mixup_images, mixup_labels, mixup_mixes,
    mixup_distribution, mixup_seed, then mixup_lambda_scope (one lambda per sample or per
    batch, as `lambda_per` says) and mixup_contract (dtype kept, caller's arrays untouched).
    """
    images, labels = _inputs(seed, batch_size, tuple(image_shape))
    inv = np.linalg.pinv(images.reshape(batch_size, -1).astype(np.float64))
    first, bad = _call(mixup, func, "mixup_returns", lang, images, labels, alpha, seed * 1000)
    if bad is not None:
        return [bad, *skipped(MIXUP_CHECKS[1:], bad)]
    results = [passed(CAT, "mixup_returns", lang)]
    draws = _MixupDraws()
    _mixup_analyse(*first, images, labels, inv, draws)
    k = 1
    while k < max_calls and (k < calls or len(_unique_folded(draws.own)) < min_draws):
        if draws.image_bad:  # wrong labels still give valid lambdas: keep sampling (issue 12.5)
            break
        out, bad = _call(mixup, func, "mixup_images", lang, images, labels, alpha, seed * 1000 + k)
        if bad is not None:
            return [*results, bad, *skipped(MIXUP_CHECKS[2:], bad)]
        _mixup_analyse(*out, images, labels, inv, draws)
        k += 1
    nothing_mixed = not any(m.any() for m in draws.mixed)
    if draws.image_bad:
        i, own, pw, others, resid = draws.image_bad
        results.append(failed(CAT, "mixup_images", lang, i=i, own=own, partner=pw,
                              others=others, resid=resid))
    elif nothing_mixed:
        results.append(not_assessed(CAT, "mixup_images", lang, "nothing_mixed", calls=k))
    else:
        results.append(passed(CAT, "mixup_images", lang, calls=k))
    if draws.label_bad:
        i, own, lab, total = draws.label_bad
        results.append(failed(CAT, "mixup_labels", lang, i=i, own=own, found=lab, total=total,
                              lambda_per=lambda_per))
    elif draws.checked_mixed == 0:
        results.append(not_assessed(CAT, "mixup_labels", lang, "nothing_mixed", calls=k))
    else:
        results.append(passed(CAT, "mixup_labels", lang))
    if draws.image_bad:
        results.extend(skipped(["mixup_mixes", "mixup_distribution"], results[1]))
    else:
        results.extend(_mixup_mixes(draws, alpha, batch_size, lang))
        results.append(_mixup_distribution(draws, alpha, lang) if k >= calls else
                       not_assessed(CAT, "mixup_distribution", lang, "too_few_calls", calls=k,
                                    need=calls))
    results.append(_seed_check(mixup, func, "mixup_seed", lang, images, labels, alpha,
                               seed * 1000 + 999))
    results.append(_lambda_scope(draws, lambda_per, lang) if not draws.image_bad else
                   skipped_after("mixup_lambda_scope", results[1]))
    results.append(_contract_check(mixup, func, "mixup_contract", lang, images, labels, alpha,
                                   seed * 1000 + 998))
    return results


def _lambda_scope(draws: _MixupDraws, lambda_per: str, lang: str) -> CheckResult:
    """One lambda per sample: the mixed samples of a call carry several distinct lambdas;
    per batch: all of a call's samples carry the same one (folded: l and 1-l alike)."""
    if lambda_per not in LAMBDA_SCOPES:
        raise ValueError(f"lambda_per must be one of {LAMBDA_SCOPES}, not {lambda_per!r}")
    distinct = []
    for own, mixed in zip(draws.own, draws.mixed, strict=True):
        folded = np.minimum(own, 1.0 - own)[mixed]
        if folded.size >= 2:
            distinct.append(len(np.unique(np.round(folded, 4))))
    if not distinct:
        return not_assessed(CAT, "mixup_lambda_scope", lang, "lambda_scope_no_evidence")
    per_sample = float(np.mean([d > 1 for d in distinct]))
    ok = per_sample >= 0.5 if lambda_per == "sample" else per_sample == 0.0
    key = "mixup_lambda_scope" if ok else f"mixup_lambda_scope_{lambda_per}"
    return (passed(CAT, "mixup_lambda_scope", lang, lambda_per=lambda_per) if ok else
            failed(CAT, "mixup_lambda_scope", lang, key, share=per_sample))


def _contract_check(fn, func, check, lang, images, labels, alpha, seed) -> CheckResult:
    """The docstring's promises beyond the maths: float32 in -> float32 out (images and
    labels), and the caller's arrays are left as they were (observable when the function runs
    in this process; through the sandbox the student only ever sees copies)."""
    x_in, y_in = images.copy(), labels.copy()
    value, bad = call_student(fn, func, check, lang, x_in, y_in, alpha=alpha, seed=seed)
    if bad is not None:
        return bad
    if isinstance(value, dict) and {"images", "labels"} <= set(value):
        value = (value["images"], value["labels"])
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return failed(CAT, check, lang, "bad_return", func=func, found=type(value).__name__)
    dtypes = [str(np.asarray(to_numpy(v)).dtype) for v in value]
    if dtypes != ["float32", "float32"]:
        return failed(CAT, check, lang, "contract_dtype", func=func, found=", ".join(dtypes))
    if not (np.array_equal(x_in, images) and np.array_equal(y_in, labels)):
        return failed(CAT, check, lang, "contract_in_place", func=func)
    return passed(CAT, check, lang)


def _mixup_mixes(draws: _MixupDraws, alpha: float, batch: int, lang: str) -> list[CheckResult]:
    from scipy import stats

    share = float(np.concatenate(draws.mixed).mean())
    p_mixed = 1.0 - 2.0 * stats.beta(alpha, alpha).cdf(1e-3)
    need = 0.5 * p_mixed * (1.0 - 1.0 / batch)
    if share < need:
        return [failed(CAT, "mixup_mixes", lang, share=share, need=need)]
    return [passed(CAT, "mixup_mixes", lang, share=share)]


def _mixup_distribution(draws: _MixupDraws, alpha: float, lang: str) -> CheckResult:
    from scipy import stats

    values = _unique_folded(draws.own)
    if len(values) < 20:
        return failed(CAT, "mixup_distribution", lang, "mixup_distribution_const", n=len(values),
                      example=float(np.concatenate(draws.own)[0]))
    res = stats.kstest(values, _folded_cdf(alpha))
    p = float(res.pvalue)
    if p < P_REJECT:
        return failed(CAT, "mixup_distribution", lang, alpha=alpha, p=p, n=len(values),
                      mean=float(values.mean()), median=float(np.median(values)),
                      ks=float(res.statistic))
    return passed(CAT, "mixup_distribution", lang, p=p, n=len(values))


def _seed_check(fn, func, check, lang, images, labels, alpha, seed) -> CheckResult:
    """Same seed -> same output; assessable only when another seed gives another output."""
    outs = []
    for s in (seed, seed, seed + 1):
        out, bad = _call(fn, func, check, lang, images, labels, alpha, s)
        if bad is not None:
            return bad
        outs.append(out)

    def same(a, b) -> bool:
        return bool(np.allclose(a[0], b[0], atol=1e-4) and np.allclose(a[1], b[1], atol=1e-5))

    if not same(outs[0], outs[1]):
        return failed(CAT, check, lang, "seed", func=func, seed=seed)
    if same(outs[0], outs[2]):
        return not_assessed(CAT, check, lang, "seed_degenerate", func=func, seed=seed)
    return passed(CAT, check, lang)


# --------------------------------------------------------------------------- CutMix

@dataclass
class _CutmixDraws:
    areas: list[float] = field(default_factory=list)
    centres: list[tuple[float, float]] = field(default_factory=list)  # (y, x) / (H, W), mixed only
    inside: list[tuple[float, float]] = field(default_factory=list)  # (rows/H, cols/W), clear boxes
    checked_mixed: int = 0    # samples with 0 < area < 1 whose labels were consistent
    image_bad: tuple | None = None
    label_bad: tuple | None = None


def _trace(out_o: np.ndarray, images: np.ndarray) -> np.ndarray:
    """Source sample index of every pixel of `out_o` (-1 where no input has that value)."""
    match = np.all(np.abs(images - out_o[None]) <= PIXEL_TOL, axis=-1)
    return np.where(match.any(axis=0), match.argmax(axis=0), -1)


def _cutmix_sample(o: int, src: np.ndarray) -> tuple[str, float, int, dict]:
    """Classify one traced output: ('ok'|'unmatched'|'partners'|'rectangle', area, j, info)."""
    h, w = src.shape
    unmatched = int((src < 0).sum())
    if unmatched:
        return "unmatched", 0.0, -1, {"n": unmatched}
    foreign = src != o
    if not foreign.any():
        return "ok", 0.0, o, {}
    sources = np.unique(src[foreign])
    if len(sources) > 1:
        return "partners", 0.0, -1, {"n": len(sources)}
    rows = np.flatnonzero(foreign.any(axis=1))
    cols = np.flatnonzero(foreign.any(axis=0))
    box = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)
    count = int(foreign.sum())
    if box != count:
        return "rectangle", count / (h * w), int(sources[0]), {"box": int(box), "count": count}
    centre = ((rows[0] + rows[-1] + 1) / (2 * h), (cols[0] + cols[-1] + 1) / (2 * w))
    clear = rows[0] > 0 and cols[0] > 0 and rows[-1] < h - 1 and cols[-1] < w - 1
    sides = ((rows[-1] - rows[0] + 1) / h, (cols[-1] - cols[0] + 1) / w) if clear else None
    return "ok", count / (h * w), int(sources[0]), {"centre": centre, "sides": sides}


def _cutmix_analyse(out_x, out_y, images, labels, draws: _CutmixDraws, tol: float) -> None:
    cls = labels.argmax(1)
    for o in range(images.shape[0]):
        kind, area, j, info = _cutmix_sample(o, _trace(out_x[o], images))
        if kind != "ok":
            if draws.image_bad is None:
                draws.image_bad = (kind, o, info)
            continue
        draws.areas.append(area)
        if 0.0 < area < 1.0:
            draws.centres.append(info["centre"])
            if info["sides"] is not None:
                draws.inside.append(info["sides"])
        y = out_y[o]
        expected = (1.0 - area) * labels[o] + area * labels[j]
        err = np.abs(y - expected)
        bad = (err[[cls[o], cls[j]]].max() > tol or np.delete(err, [cls[o], cls[j]]).max(
            initial=0.0) > LABEL_TOL or abs(y.sum() - 1.0) > LABEL_TOL)
        if bad and draws.label_bad is None:
            draws.label_bad = (o, area, float(y[cls[j]]) if j != o else 0.0, float(y.sum()))
        draws.checked_mixed += int(not bad and 0.0 < area < 1.0)


@cache
def _reference_area_means(alpha: float, h: int, w: int) -> tuple[float, float]:
    """Mean pasted-area fraction of the paper's CutMix (centre uniform, clipped box) and of
    keras.layers.CutMix (box inside the image), by a seeded Monte Carlo."""
    rng = np.random.default_rng(12345)
    n = 4000
    lam = rng.beta(alpha, alpha, n)
    r = np.sqrt(1.0 - lam)
    cw, ch = (w * r).astype(int), (h * r).astype(int)
    cx, cy = rng.integers(0, w, n), rng.integers(0, h, n)
    x0, x1 = np.clip(cx - cw // 2, 0, w), np.clip(cx + cw // 2, 0, w)
    y0, y1 = np.clip(cy - ch // 2, 0, h), np.clip(cy + ch // 2, 0, h)
    paper = float(((x1 - x0) * (y1 - y0)).mean() / (h * w))
    keras_like = float((r * r).mean())
    return min(paper, keras_like), max(paper, keras_like)


def box_centre_offset(centres: list[tuple[float, float]], h: int, w: int) -> tuple[float, float]:
    """(z, offset): the larger, over both axes, of |mean box centre - 1/2| (as a fraction of the
    side, less half a pixel of rounding) in standard errors, and that axis's offset. A box
    centred on a uniform point (the paper) or placed uniformly inside the image
    (`keras.layers.CutMix`) is symmetric: its mean centre is the image's centre."""
    best = (0.0, 0.0)
    for axis, side in ((0, h), (1, w)):
        c = np.asarray([p[axis] for p in centres], dtype=float)
        offset = float(c.mean() - 0.5)
        se = float(c.std()) / np.sqrt(len(c))
        excess = max(0.0, abs(offset) - 0.5 / side)
        z = excess / se if se > 0 else (np.inf if excess > 0 else 0.0)
        best = max(best, (z, offset))
    return best


def box_shape_problem(draws: _CutmixDraws, h: int, w: int) -> dict[str, int] | None:
    """{inside, bad} when the boxes are not the paper's (sides sqrt(1 - lambda) * H and
    sqrt(1 - lambda) * W, clipped): too few clear of every border (a side of H or more always
    reaches both edges; the paper leaves ~1 box in 6 clear) or, among the clear ones, more than
    SHAPE_BAD_MAX whose height/H and width/W differ by more than 1.5 pixels. None when they
    are, or when there are too few mixed samples to judge."""
    if len(draws.centres) < CENTRE_MIN_BOXES:
        return None
    tol = 1.5 / min(h, w)
    bad = sum(abs(fh - fw) > tol for fh, fw in draws.inside)
    if len(draws.inside) < INSIDE_MIN or bad > SHAPE_BAD_MAX * len(draws.inside):
        return {"inside": len(draws.inside), "bad": int(bad)}
    return None


# ~60 lines: the twin of check_mixup (sampling loop + one result per property).
@per_run  # one evidence for the `_basics` test and its hidden twin (checks.memo)
@substance_required("cutmix_returns", "cutmix_seed", "cutmix_contract")
def check_cutmix(cutmix: Callable | None, *, alpha: float = 1.0, lang: str = DEFAULT_LANG, seed: int = 0,
                 batch_size: int = 16, image_shape: tuple[int, int, int] = (32, 32, 3),
                 calls: int = 8, func: str = "cutmix", **_: Any) -> list[CheckResult]:
    """Check `cutmix(images, labels, alpha, seed) -> (images, labels)`; see module docstring.

    Results: cutmix_returns, cutmix_images, cutmix_labels, cutmix_mixes, cutmix_distribution,
    cutmix_seed, cutmix_contract. Label weights may differ from the pasted pixel fraction by (H+W+1)/(H*W), the
    grid rounding `keras.layers.CutMix` has (it weights labels by the continuous box).
    cutmix_distribution also fails (key cutmix_position) when the boxes' mean centre is more
    than CENTRE_Z standard errors off the image's centre (corners computed wrong: a box
    anchored to a border or shifted off its centre).
    """
    h, w = image_shape[:2]
    tol = (h + w + 1) / (h * w) + 1e-3
    images, labels = _inputs(seed + 7, batch_size, tuple(image_shape))
    first, bad = _call(cutmix, func, "cutmix_returns", lang, images, labels, alpha, seed * 1000)
    if bad is not None:
        return [bad, *skipped(CUTMIX_CHECKS[1:], bad)]
    results = [passed(CAT, "cutmix_returns", lang)]
    draws = _CutmixDraws()
    _cutmix_analyse(*first, images, labels, draws, tol)
    for k in range(1, calls):
        if draws.image_bad:  # wrong labels still give valid areas: keep sampling (issue 12.5)
            break
        out, bad = _call(cutmix, func, "cutmix_images", lang, images, labels, alpha,
                         seed * 1000 + k)
        if bad is not None:
            return [*results, bad, *skipped(CUTMIX_CHECKS[2:], bad)]
        _cutmix_analyse(*out, images, labels, draws, tol)
    really_mixed = [a for a in draws.areas if 0.0 < a < 1.0]
    if draws.image_bad:
        kind, o, info = draws.image_bad
        results.append(failed(CAT, "cutmix_images", lang, f"cutmix_{kind}", i=o, **info))
    elif not really_mixed:
        results.append(not_assessed(CAT, "cutmix_images", lang, "nothing_mixed", calls=calls))
    else:
        results.append(passed(CAT, "cutmix_images", lang))
    if draws.label_bad:
        o, area, found, total = draws.label_bad
        results.append(failed(CAT, "cutmix_labels", lang, i=o, area=area, found=found,
                              total=total, tol=tol))
    elif draws.checked_mixed == 0:
        results.append(not_assessed(CAT, "cutmix_labels", lang, "nothing_mixed", calls=calls))
    else:
        results.append(passed(CAT, "cutmix_labels", lang))
    if draws.image_bad:
        results.extend(skipped(["cutmix_mixes", "cutmix_distribution"], results[1]))
    else:
        areas = np.asarray(draws.areas)
        share = float(((areas > 0) & (areas < 1)).mean())
        results.append(failed(CAT, "cutmix_mixes", lang, share=share, need=0.3)
                       if share < 0.3 else passed(CAT, "cutmix_mixes", lang, share=share))
        lo, hi = _reference_area_means(float(alpha), h, w)
        mean, distinct = float(areas.mean()), len(np.unique(areas))
        ok = lo - 0.12 <= mean <= hi + 0.12 and distinct >= 5
        z, offset = (box_centre_offset(draws.centres, h, w)
                     if len(draws.centres) >= CENTRE_MIN_BOXES else (0.0, 0.0))
        if not ok:
            results.append(failed(CAT, "cutmix_distribution", lang, mean=mean,
                                  distinct=distinct, lo=lo - 0.12, hi=hi + 0.12, alpha=alpha))
        elif z > CENTRE_Z:
            results.append(failed(CAT, "cutmix_distribution", lang, "cutmix_position",
                                  offset=offset, z=z, boxes=len(draws.centres)))
        elif (bad_shape := box_shape_problem(draws, h, w)) is not None:
            results.append(failed(CAT, "cutmix_distribution", lang, "cutmix_box_shape",
                                  boxes=len(draws.centres), **bad_shape))
        else:
            results.append(passed(CAT, "cutmix_distribution", lang, mean=mean,
                                  distinct=distinct))
    results.append(_seed_check(cutmix, func, "cutmix_seed", lang, images, labels, alpha,
                               seed * 1000 + 999))
    results.append(_contract_check(cutmix, func, "cutmix_contract", lang, images, labels, alpha,
                                   seed * 1000 + 998))
    return results
