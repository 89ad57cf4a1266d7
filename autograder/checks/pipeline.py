"""Pipeline check: `make_pipeline(ds, batch_size, training, ...) -> tf.data.Dataset`.

The input dataset holds random 0..255 images with known labels. The evaluation output is
compared with every candidate preprocessing (none / EfficientNet pass-through, ResNet50 caffe,
"tf" [-1, 1], "torch", /255, and every composition of two) applied to the known input, which
identifies the preprocessing actually applied and, by nearest match, the order of the samples.
Covers UT3-10 (`make_baseline_pipeline`, `make_augmented_pipeline`: sparse labels, ResNet50) and
Práctica 10x (`make_pipeline(..., num_classes, mix)`: one-hot labels, EfficientNetB0).

Facts come from behaviour only (never from the op chain, element_spec or cardinality the
student process reports about itself): training shuffles when two successive iterations
(epochs) of the same training dataset hold the same examples in different orders, examples
recognised by their preprocessed image or, when augmentation hides it, by their label.
Prefetching cannot be observed in the batches, so it is not scored.

No credit for doing nothing (issue 17): what `ds.batch(batch_size)` already satisfies (a
dataset of batches, the evaluation order, sparse labels, the "none" preprocessing of
EfficientNet) counts only next to a property that takes work (`base.require_substance`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.backbones import BACKBONES
from autograder.checks.base import (
    call_student,
    failed,
    finite,
    not_assessed,
    passed,
    require_substance,
    skipped,
)
from autograder.exchange import array_dataset, sample_dataset
from autograder.messages import DEFAULT_LANG
from autograder.model import CheckResult

CAT = "pipeline"
CHECKS = ["pipeline_returns", "pipeline_batch", "pipeline_labels", "pipeline_preprocessing",
          "pipeline_order", "pipeline_train_shuffle"]
EXPECTED = {b.name: b.preprocessing for b in BACKBONES.values()}
_CAFFE_MEAN = np.array([103.939, 116.779, 123.68])
_TORCH_MEAN, _TORCH_STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
SINGLE = {
    "caffe": lambda x: x[..., ::-1] - _CAFFE_MEAN,
    "tf": lambda x: x / 127.5 - 1.0,
    "torch": lambda x: (x / 255.0 - _TORCH_MEAN) / _TORCH_STD,
    "scale01": lambda x: x / 255.0,
}


NAMES = ("none", *(n for a in SINGLE for n in (a, *(f"{a}+{b}" for b in SINGLE))))


def candidate(x: np.ndarray, name: str) -> np.ndarray:
    """Candidate preprocessing `name` ("none", "caffe", "tf+scale01", ...) applied to `x`."""
    out = x
    for part in name.split("+"):
        if part != "none":
            out = SINGLE[part](out)
    return out


def candidates(x: np.ndarray) -> dict[str, np.ndarray]:
    """Every candidate preprocessing applied to `x` (float64, 0..255 RGB): none, one, or two."""
    return {name: candidate(x, name) for name in NAMES}


REL_TOL = 1e-3  # match tolerance, relative to the candidate's largest magnitude


def identify(images: np.ndarray, source: np.ndarray) -> tuple[str | None, np.ndarray | None]:
    """(name of the preprocessing, index of each output's source sample) or (None, None)."""
    n = len(images)
    flat = images.reshape(n, -1).astype(np.float64)
    x = source.astype(np.float64)
    for name in NAMES:  # in order, each computed only when the ones before did not match
        c = candidate(x, name).reshape(len(x), -1)
        if c.shape[1] != flat.shape[1]:
            return None, None
        tol = REL_TOL * float(np.abs(c).max())
        if n <= len(c) and np.abs(flat - c[:n]).max() <= tol:
            return name, np.arange(n)
        err = np.stack([np.abs(flat - row).max(axis=1) for row in c], axis=1)  # (n, N)
        if (err.min(axis=1) <= tol).all():
            return name, err.argmin(axis=1)
    return None, None


def _matches(images: np.ndarray, source: np.ndarray, name: str) -> np.ndarray:
    """Per output image: index of the identical preprocessed source image, or -1."""
    cand = candidate(source.astype(np.float64), name).reshape(len(source), -1)
    tol = REL_TOL * float(np.abs(cand).max())
    flat = images.reshape(len(images), -1).astype(np.float64)
    err = np.stack([np.abs(flat - row).max(axis=1) for row in cand], axis=1)
    return np.where(err.min(axis=1) <= tol, err.argmin(axis=1), -1)


def _run(fn, func, check, lang, ds, n_batches, **kwargs):
    value, bad = call_student(fn, func, check, lang, ds, **kwargs)
    if bad is not None:
        return None, bad
    try:
        sample = sample_dataset(value, max_batches=n_batches)
    except Exception as exc:  # noqa: BLE001 - wrong type or a failing map in student code
        return None, failed(CAT, check, lang, "pipeline_returns", found=f"{type(exc).__name__}: "
                            f"{str(exc)[:200]}")
    if not sample.batches or any(len(b) < 2 for b in sample.batches):
        return None, failed(CAT, check, lang, "pipeline_returns",
                            found="no (images, labels) batches")
    return sample, None


def _concat(sample, i: int) -> np.ndarray:
    return np.concatenate([np.asarray(b[i]) for b in sample.batches])


# ~70 lines: the checks share the batches of two training and one evaluation pass; kept in
# one function so every property is judged on the same materialised data.
def check_pipeline(make_pipeline: Callable | None, *, backbone: str = "resnet50",
                   label_encoding: str = "sparse", num_classes: int = 4,
                   image_size: tuple[int, int] = (64, 64), batch_size: int = 8,
                   mix: str | None = None, augmented: bool = False,
                   pass_num_classes: bool | None = None,
                   pipeline_kwargs: dict[str, Any] | None = None, lang: str = DEFAULT_LANG,
                   seed: int = 0, func: str = "make_pipeline",
                   mix_modes: tuple[str, ...] = (), mixup_alpha: float = 0.2,
                   cutmix_alpha: float = 1.0, **_: Any) -> list[CheckResult]:
    """Check a training/evaluation pipeline. Results: pipeline_returns, pipeline_batch,
    pipeline_labels, pipeline_preprocessing, pipeline_order, pipeline_train_shuffle, plus
    pipeline_augment when `augmented` and pipeline_mix when `mix`.

    `num_classes=` is passed to the student when `pass_num_classes` (default: one-hot
    encoding, the Práctica 10x signature); `mix` is passed only for the training call.
    `mix_modes` (e.g. ("mixup", "cutmix", "both")): pipeline_mix also runs each mode on its own
    probe (`check_mix_modes`).
    """
    backbone = backbone.lower()
    names = CHECKS + (["pipeline_augment"] if augmented else []) + (
        ["pipeline_mix"] if mix else [])
    h, w = image_size
    n_batches = 3
    n = n_batches * batch_size
    rng = np.random.default_rng(seed)
    source = rng.integers(0, 256, (n, h, w, 3)).astype(np.float32)
    labels = rng.permutation(np.arange(n) % num_classes).astype(np.int64)
    kw = dict(pipeline_kwargs or {})
    kw["batch_size"] = batch_size
    if pass_num_classes if pass_num_classes is not None else label_encoding == "onehot":
        kw["num_classes"] = num_classes
    train_kw = dict(kw, training=True, **({"mix": mix} if mix else {}))
    calls = [dict(kw, training=False), dict(kw, training=False), train_kw]
    if mix:  # mixed labels hide which example is where: observe the order without mixing
        calls.append(dict(kw, training=True))
    samples = []
    for kwargs in calls:
        s, bad = _run(make_pipeline, func, "pipeline_returns", lang,
                      array_dataset(source, labels), n_batches, **kwargs)
        if bad is not None:
            return [bad, *skipped(names[1:], bad)]
        samples.append(s)
    ev, ev2, tr = samples[:3]
    plain_tr = samples[-1]
    results = [passed(CAT, "pipeline_returns", lang)]
    x_ev, y_ev, x_tr, y_tr = _concat(ev, 0), _concat(ev, 1), _concat(tr, 0), _concat(tr, 1)

    # batch shape / dtype
    shapes = sorted({str(np.asarray(b[0]).shape) for b in ev.batches + tr.batches})
    want = str((batch_size, h, w, 3))
    ok = shapes == [want] and np.issubdtype(x_ev.dtype, np.floating)
    results.append(passed(CAT, "pipeline_batch", lang) if ok else failed(
        CAT, "pipeline_batch", lang, found=shapes, dtype=str(x_ev.dtype), expected=want))

    # preprocessing + order (evaluation)
    name, order = identify(x_ev, source) if ok else (None, None)
    expected = EXPECTED.get(backbone, "none")
    results.extend(_evaluation(x_ev, _concat(ev2, 0), name, order, backbone, expected, lang))

    # labels (encoding, and that they travel with their images); shuffle in training
    tr_match = _matches(x_tr, source, name) if name and ok else None
    known = tr_match[tr_match >= 0] if tr_match is not None else np.zeros(0, int)
    repeated = len(np.unique(known)) < len(known)  # an example twice in the first epoch
    results.insert(2, _labels(y_ev, y_tr, labels, order, label_encoding, num_classes, tr_match,
                              bool(mix) or repeated, lang))
    results.append(_shuffle(plain_tr, source, labels, name if ok else None, lang))

    if augmented:  # judged without mixing: a MixUp/CutMix map alone also changes the images
        results.append(_augment(x_ev, _concat(plain_tr, 0), source, name, ok, lang))
    if mix:
        mixed = _mix(y_ev, y_tr, num_classes, lang)
        if mixed.passed and mix_modes:
            mixed = check_mix_modes(make_pipeline, tuple(mix_modes), kw, mixup_alpha=mixup_alpha,
                                    cutmix_alpha=cutmix_alpha, lang=lang, seed=seed, func=func)
        results.append(mixed)
    form = {"pipeline_returns", "pipeline_batch", "pipeline_order"}
    form |= {"pipeline_labels"} if label_encoding != "onehot" else set()
    form |= {"pipeline_preprocessing"} if expected == "none" else set()
    return require_substance(results, form, lang)


def _evaluation(x_ev, x_ev2, name, order, backbone, expected, lang) -> list[CheckResult]:
    """pipeline_preprocessing (the identified preprocessing is the backbone's) and
    pipeline_order (evaluation keeps the source order and is deterministic)."""
    if name is None:
        prep = failed(CAT, "pipeline_preprocessing", lang, "preprocessing_unknown",
                      backbone=backbone, expected=expected)
    elif name != expected:
        key = ("preprocessing_twice" if "+" in name else
               "preprocessing_none" if name == "none" else "preprocessing_wrong")
        prep = failed(CAT, "pipeline_preprocessing", lang, key, backbone=backbone,
                      found=name, expected=expected)
    else:
        prep = passed(CAT, "pipeline_preprocessing", lang, found=name)
    same_twice = len(x_ev) == len(x_ev2) and np.allclose(x_ev, x_ev2)
    if order is not None and same_twice and (order == np.arange(len(order))).all():
        return [prep, passed(CAT, "pipeline_order", lang)]
    if order is None and same_twice:
        return [prep, skipped(["pipeline_order"], prep)[0]]
    return [prep, failed(CAT, "pipeline_order", lang)]


def _order_keys(batches, source: np.ndarray, labels: np.ndarray,
                name: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(key of each position of one iteration, the keys in source order): the source index when
    every preprocessed image is recognised, else the hard label (augmentation hides the image);
    None when neither can tell (soft labels, a single class, non-finite values)."""
    if not batches or any(len(b) < 2 for b in batches):
        return None
    x = np.concatenate([np.asarray(b[0]) for b in batches])
    y = np.concatenate([np.asarray(b[1]) for b in batches]).astype(np.float64)
    if not (finite(x) and finite(y)):
        return None
    if name is not None and x.shape[1:] == source.shape[1:]:
        ids = _matches(x, source, name)
        if (ids >= 0).all():
            return ids, np.arange(len(source))
    if len(np.unique(labels)) < 2:
        return None
    if y.ndim == 2 and y.shape[1] > 1:
        if not np.allclose(y.max(1), 1.0, atol=1e-6):  # soft labels: mixed examples
            return None
        y = y.argmax(1)
    return y.reshape(-1).astype(np.int64), labels.astype(np.int64)


def _shuffle(sample, source, labels, name, lang) -> CheckResult:
    """Shuffled in training: two iterations (epochs) of the same training dataset hold the same
    examples in different orders. Examples are told apart by image or by label; with repeated
    labels two real shuffles give the same label sequence with negligible probability
    (24 examples in 4 classes: 1 in 10^12)."""
    first = _order_keys(sample.batches, source, labels, name)
    second = _order_keys(sample.second, source, labels, name)
    if first is None or second is None:
        return not_assessed(CAT, "pipeline_train_shuffle", lang, "shuffle_unknown")
    (a, ref), (b, _) = first, second
    if not (np.array_equal(np.sort(a), np.sort(ref)) and np.array_equal(np.sort(b), np.sort(ref))):
        return not_assessed(CAT, "pipeline_train_shuffle", lang, "shuffle_unknown")
    if np.array_equal(a, b):
        key = "pipeline_train_shuffle" if np.array_equal(a, ref) else "shuffle_once"
        return failed(CAT, "pipeline_train_shuffle", lang, key)
    return passed(CAT, "pipeline_train_shuffle", lang)


def _labels(y_ev, y_tr, labels, order, encoding, k, tr_match, mix, lang) -> CheckResult:
    """Encoding matches the loss; evaluation labels follow their images; training labels are
    the same multiset (and, where images are recognisable, follow them). `mix` (or a repeat)
    disables the training comparisons."""
    y_ev = np.asarray(y_ev)
    if encoding == "onehot":
        ok = y_ev.ndim == 2 and y_ev.shape[1] == k
        if not ok:
            return failed(CAT, "pipeline_labels", lang, "labels_encoding", expected="onehot",
                          found=str(y_ev.shape), k=k)
        ev_cls = y_ev.argmax(1)
        if not np.allclose(y_ev, np.eye(k)[ev_cls], atol=1e-6):
            return failed(CAT, "pipeline_labels", lang, "labels_encoding", expected="onehot",
                          found="not one-hot", k=k)
        tr_cls = np.asarray(y_tr).argmax(1) if np.ndim(y_tr) == 2 else None
    else:
        ok = y_ev.ndim == 1 or (y_ev.ndim == 2 and y_ev.shape[1] == 1)
        if not ok:
            return failed(CAT, "pipeline_labels", lang, "labels_encoding", expected="sparse",
                          found=str(y_ev.shape), k=k)
        ev_cls = y_ev.reshape(-1)
        tr_cls = np.asarray(y_tr).reshape(-1) if np.ndim(y_tr) <= 2 else None
    if order is not None and not np.array_equal(ev_cls.astype(np.int64), labels[order]):
        return failed(CAT, "pipeline_labels", lang, "labels_mismatch", where="eval")
    if not mix and tr_cls is not None and len(tr_cls) == len(labels) and not np.array_equal(
            np.sort(tr_cls.astype(np.int64)), np.sort(labels)):
        return failed(CAT, "pipeline_labels", lang, "labels_mismatch", where="train")
    if tr_match is not None and not mix and tr_cls is not None and len(tr_cls) == len(tr_match):
        known = tr_match >= 0
        if not np.array_equal(tr_cls[known].astype(np.int64), labels[tr_match[known]]):
            return failed(CAT, "pipeline_labels", lang, "labels_mismatch", where="train")
    return passed(CAT, "pipeline_labels", lang, encoding=encoding)


def _augment(x_ev, x_tr, source, name, ok, lang) -> CheckResult:
    if not ok or name is None:
        return failed(CAT, "pipeline_augment", lang, "augment_eval")
    if not finite(x_tr) or (_matches(x_tr, source, name) >= 0).all():
        return failed(CAT, "pipeline_augment", lang, "augment_train")
    return passed(CAT, "pipeline_augment", lang)


def _mix(y_ev, y_tr, k, lang) -> CheckResult:
    y_tr = np.asarray(y_tr, dtype=np.float64)
    if y_tr.ndim != 2 or not np.allclose(y_tr.sum(1), 1.0, atol=1e-3):
        return failed(CAT, "pipeline_mix", lang, found=str(y_tr.shape))
    soft = ~np.isclose(y_tr.max(1), 1.0, atol=1e-4)
    if not soft.any():
        return failed(CAT, "pipeline_mix", lang, "mix_missing")
    return passed(CAT, "pipeline_mix", lang, soft_share=float(soft.mean()))


# -- each `mix` mode on its own probe ----------------------------------------------------------
MIX_HW = 16          # probe images: one constant colour each, which augmentation keeps constant,
MIX_CLASSES = 64     # so a blended (MixUp) image stays constant and a pasted (CutMix) one is not
MIX_BATCH = 96       # batch size of the probe calls (the sandbox returns 4 batches x 2 epochs)
BOTH_CALLS = 3       # "both" probes: up to 24 distinct batches (fewer when the stream repeats)
MIN_BOTH_BATCHES = 21  # distinct batches before "both" must show each kind: a fair per-batch
                       # coin gives one kind only with probability 2 * 2**-21 (1e-6)
MIX_P_REJECT = 1e-7  # false-rejection rate of each distribution test below
CUT_SMALL = 0.2      # CutMix: folded pasted area min(a, 1 - a) under this ...
CUT_SMALL_SHARE = 0.75  # ... has probability >= 0.75 x that of the unclipped box, 2 cdf(0.2)
                        # (alpha = 1: 0.3; measured keras.layers.CutMix 0.4, the paper's
                        # clipped box 0.37 on 16 x 16 images; alpha = 0 instead: 0.09)
GRID = (2 * MIX_HW + 1) / MIX_HW**2 + 1e-3  # CutMix grid rounding of a label weight (mixing)
FLAT_TOL = 1e-2      # a pixel-value spread (std) above this: the image holds two colours
PIXEL_TOL = 1e-3     # two pixels within this (every channel) have the same colour


def _mix_probe(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """4 batches of MIX_BATCH constant-colour images (distinct colours), labels i % MIX_CLASSES."""
    n = 4 * MIX_BATCH
    rng = np.random.default_rng(seed + 31)
    colours = rng.uniform(0.0, 255.0, (n, 3)).astype(np.float32)
    images = np.broadcast_to(colours[:, None, None, :], (n, MIX_HW, MIX_HW, 3)).copy()
    return images, (np.arange(n) % MIX_CLASSES).astype(np.int64)


def _mix_kinds(batches: list[tuple[np.ndarray, ...]]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(folded label weights of the blended samples, folded pasted areas of the pasted
    samples), one array per batch. Blended: a constant image with a mixed label (MixUp), its
    weight the label's second largest entry, min(lambda, 1 - lambda); pasted: an image of two
    colours (CutMix), its area min(a, 1 - a) read from the pixels (so a label slip of the
    student's own `cutmix`, which its test judges, does not count here twice)."""
    from autograder.checks.mixing import EPS_FOLD

    blended, pasted = [], []
    for b in batches:
        x = np.asarray(b[0], dtype=np.float64)
        y = np.asarray(b[1], dtype=np.float64)
        if x.ndim != 4 or y.ndim != 2 or y.shape[1] < 2 or len(x) != len(y):
            raise ValueError(f"batch shapes {x.shape}, {y.shape}")
        pixels = x.reshape(len(x), -1, x.shape[-1])
        flat = pixels.std(axis=1).max(axis=1) <= FLAT_TOL
        second = np.sort(y, axis=1)[:, -2]
        blended.append(second[flat & (second >= EPS_FOLD)])
        first = np.abs(pixels - pixels[:, :1]).max(axis=2) <= PIXEL_TOL  # first pixel's colour
        share = first.mean(axis=1)[~flat]
        pasted.append(np.minimum(share, 1.0 - share))
    return blended, pasted


def _mixup_p(blended: list[np.ndarray], alpha: float) -> tuple[float, int]:
    """(KS p-value of the blended samples' folded lambdas against folded Beta(alpha, alpha),
    number of values); per batch de-duplicated (a per-batch lambda gives one value)."""
    from scipy import stats

    from autograder.checks.mixing import EPS_FOLD, _folded_cdf

    values = np.concatenate([np.unique(np.round(v[v >= EPS_FOLD], 6)) for v in blended])
    if len(values) < 20:
        return 1.0, len(values)
    return float(stats.kstest(values, _folded_cdf(alpha)).pvalue), len(values)


def _cutmix_p(pasted: list[np.ndarray], alpha: float) -> tuple[float, int, float]:
    """(one-sided binomial p-value of so few small folded pasted areas, number of pasted
    samples, their share under CUT_SMALL); the null share is CUT_SMALL_SHARE x 2 cdf(CUT_SMALL)
    of Beta(alpha, alpha), the share of an unclipped box's area 1 - lambda."""
    from scipy import stats

    values = np.concatenate(pasted) if pasted else np.zeros(0)
    values = values[values > 1e-3]
    if len(values) < 20:
        return 1.0, len(values), float("nan")
    p0 = CUT_SMALL_SHARE * 2.0 * float(stats.beta(alpha, alpha).cdf(CUT_SMALL))
    k = int((values < CUT_SMALL).sum())
    return float(stats.binom.cdf(k, len(values), p0)), len(values), k / len(values)


def _distinct(batches: list[tuple[np.ndarray, ...]], seen: set[bytes]
              ) -> list[tuple[np.ndarray, ...]]:
    """The batches whose label weights were not seen before (added to `seen`). A notebook that
    fixes TensorFlow's global seed (`keras.utils.set_random_seed`, as the course notebooks do)
    makes every call of its pipeline replay the same random stream (the 50 % coin, the lambdas,
    the boxes): a replayed batch is no new evidence, so it is counted once."""
    out = []
    for b in batches:
        y = np.asarray(b[1], dtype=np.float64)
        if y.ndim != 2 or y.shape[1] < 2:
            out.append(b)  # judged (and refused) by `_mix_kinds`
            continue
        key = np.sort(np.round(np.sort(y, axis=1)[:, -2], 5)).tobytes()
        if key not in seen:
            seen.add(key)
            out.append(b)
    return out


def check_mix_modes(make_pipeline: Callable | None, modes: tuple[str, ...], kw: dict[str, Any],
                    *, mixup_alpha: float = 0.2, cutmix_alpha: float = 1.0,
                    lang: str = DEFAULT_LANG, seed: int = 0,
                    func: str = "make_pipeline") -> CheckResult:
    """pipeline_mix per mode, on constant-colour probes: "mixup" only blends, "cutmix" only
    pastes, "both" does each (a fair choice per batch or per sample; judged on at least
    MIN_BOTH_BATCHES distinct batches); the blended samples' lambdas follow Beta(mixup_alpha)
    (KS) and the pasted ones have the small label weights of Beta(cutmix_alpha) boxes
    (binomial), each rejected at MIX_P_REJECT. Batches a seeded stream replays count once
    (`_distinct`)."""
    images, labels = _mix_probe(seed)
    call_kw = dict(kw, batch_size=MIX_BATCH, training=True)
    if "num_classes" in call_kw:
        call_kw["num_classes"] = MIX_CLASSES
    for mode in modes:
        blended: list[np.ndarray] = []
        pasted: list[np.ndarray] = []
        seen: set[bytes] = set()
        for _ in range(BOTH_CALLS if mode == "both" else 1):
            sample, bad = _run(make_pipeline, func, "pipeline_mix", lang,
                               array_dataset(images, labels), 4, **dict(call_kw, mix=mode))
            if bad is not None:
                return failed(CAT, "pipeline_mix", lang, "mix_mode_error", mode=mode,
                              detail=bad.message)
            try:
                b, p = _mix_kinds(_distinct(sample.batches + sample.second, seen))
            except ValueError as exc:
                return failed(CAT, "pipeline_mix", lang, "mix_mode_error", mode=mode,
                              detail=str(exc))
            blended += b
            pasted += p
        # keras.layers.CutMix weighs labels by the continuous box: a box that rounds to no
        # pixel leaves a constant image with a label weight up to GRID (not a MixUp)
        n_blend = sum(int((v > GRID).sum()) for v in blended)
        n_paste = sum(len(v) for v in pasted)
        want_blend, want_paste = mode in ("mixup", "both"), mode in ("cutmix", "both")
        missing = (want_blend and not n_blend) or (want_paste and not n_paste)
        if mode == "both" and len(seen) < MIN_BOTH_BATCHES:
            missing = False  # too few distinct coin tosses to tell a fair coin from none
        if missing or (mode == "mixup" and n_paste) or (mode == "cutmix" and n_blend):
            return failed(CAT, "pipeline_mix", lang, "mix_mode_kind", mode=mode,
                          blended=n_blend, pasted=n_paste)
        if want_blend:
            p, n = _mixup_p(blended, mixup_alpha)
            if p < MIX_P_REJECT:
                return failed(CAT, "pipeline_mix", lang, "mix_mode_mixup_alpha", mode=mode,
                              alpha=mixup_alpha, p=p, n=n)
        if want_paste:
            p, n, share = _cutmix_p(pasted, cutmix_alpha)
            if p < MIX_P_REJECT:
                return failed(CAT, "pipeline_mix", lang, "mix_mode_cutmix_alpha", mode=mode,
                              alpha=cutmix_alpha, p=p, n=n, share=share)
    return passed(CAT, "pipeline_mix", lang, modes=", ".join(modes))
