"""Checks for Grad-CAM and Grad-CAM++ that a wrong heatmap cannot pass (Integrated Gradients:
`checks/integrated_gradients.py`).

Student contracts (DESIGN.md section 4): `make_gradcam_heatmap(img_array, model,
last_conv_layer_name, pred_index=None)` and `make_gradcam_plus_plus_heatmap(...)` ->
np.ndarray [h, w] in [0, 1], at the conv map's resolution or resized to the input's.

Heatmap checks (prefix `gradcam_` or `gradcampp_`): `contract`, `top_class`, `localization`
(known-answer quadrant model), `reference` (Spearman with the reference
`solutions/_reference/explain.py` on random conv nets), `randomization` (Adebayo et al. 2018), `nested` (layer inside a backbone
sub-model); Grad-CAM++ adds `gradcampp_vs_gradcam`.
Maps returned at input resolution are block-averaged down to the conv resolution before any
comparison. `seed` picks the random conv nets; the known-answer cases are fixed and calibrated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.checks import _explain_models as km
from autograder.checks import references
from autograder.checks.base import (
    call_student,
    skipped_after,
    substance_required,
)
from autograder.checks.memo import per_run
from autograder.exchange import to_numpy
from autograder.messages import DEFAULT_LANG, msg
from autograder.model import CheckResult, Picture

ref = references.lazy("explain")  # solutions/_reference/explain.py: not shipped to students

CAT = "explain"
MASS_MIN = 0.75          # share of the map's mass in the evidence quadrant (reference: >= 0.87)
MAX_CONV = 0.98          # normalized max at conv resolution
MAX_INPUT = 0.7          # bilinear upsampling never samples the peak exactly
TOP_CLASS_TOL = 0.05
SPEARMAN_MIN = {"gradcam": 0.75, "gradcampp": 0.75}  # 40 nets: correct (even resized) >= 0.85; wrong: some net of 3 <= 0.64
RANDOMIZATION_MAX_CORR = 0.6  # reference: about -0.01 for both methods at seed 6
RANDOMIZATION_SEED = 6
PP_BLOB_MIN = 0.5        # reference: 1.0; plain Grad-CAM: 0.0
NUM_REFERENCE_NETS = 3


@dataclass(frozen=True)
class _Method:
    prefix: str
    func: str
    plus_plus: bool


GRADCAM = _Method("gradcam", "make_gradcam_heatmap", False)
GRADCAM_PP = _Method("gradcampp", "make_gradcam_plus_plus_heatmap", True)


# Properties a noise map or a class-independent map satisfies earn credit only next to a
# localisation / reference / nested / Grad-CAM++ property (base.substance_required).
@per_run  # one evidence for the `_basics` test and its hidden twin (checks.memo)
@substance_required("gradcam_contract", "gradcam_top_class", "gradcam_randomization")
def check_gradcam(fn: Callable[..., Any] | None, *, lang: str = DEFAULT_LANG, seed: int = 0,
                  backbone_name: str = "backbone", **_: Any) -> list[CheckResult]:
    """All Grad-CAM checks on `make_gradcam_heatmap`.

    `backbone_name`: name of the nested check's backbone sub-model; set it to the assignment's
    real backbone ("resnet50", "efficientnetb0") so students who look it up by name pass too.
    """
    return _check_cam(fn, GRADCAM, lang, seed, backbone_name)


# "highlights the blob Grad-CAM misses" holds for any map bright over the image's blobs (the
# mean of the image channels): it refines a class-activation map, so it counts like the form
@substance_required("gradcampp_contract", "gradcampp_top_class", "gradcampp_randomization",
                    "gradcampp_vs_gradcam")
def check_gradcam_plus_plus(fn: Callable[..., Any] | None, *, lang: str = DEFAULT_LANG, seed: int = 0,
                            backbone_name: str = "backbone", **_: Any) -> list[CheckResult]:
    """All Grad-CAM++ checks on `make_gradcam_plus_plus_heatmap` (Grad-CAM's plus `vs_gradcam`)."""
    return _check_cam(fn, GRADCAM_PP, lang, seed, backbone_name)


# ------------------------------------------------------------------------------ heatmaps


def _check_cam(fn: Callable[..., Any] | None, method: _Method, lang: str, seed: int,
               backbone_name: str = "backbone") -> list[CheckResult]:
    p = method.prefix
    fn = _memoized(fn)
    case = km.quadrant_case()
    raw, fail = _heatmap_raw(fn, method, f"{p}_contract", lang, case, None)
    if fail is not None and fail.details.get("repairable"):
        # only the range/normalisation is off (e.g. no ReLU): that costs the contract check;
        # the others judge the clipped, normalised map, so one slip costs one check (12.6)
        fail.picture = _raw_picture(fn, case, method)
        fn = _repaired(fn)
        repaired, _ = _heatmap_raw(fn, method, f"{p}_contract", lang, case, None)
        if repaired is not None:
            fail.details.pop("repairable")
            return [fail, *_dependent_checks(fn, method, case, repaired, lang, seed,
                                             backbone_name)]
    if fail is not None:
        names = [f"{p}_{n}" for n in ("top_class", "localization", "reference", "randomization",
                                      "nested")]
        if method.plus_plus:
            names.append("gradcampp_vs_gradcam")
        return [fail, *(skipped_after(n, fail) for n in names)]
    return [_contract_ok(f"{p}_contract", raw, case, lang),
            *_dependent_checks(fn, method, case, raw, lang, seed, backbone_name)]


def _dependent_checks(fn, method: _Method, case: km.Case, raw: np.ndarray, lang: str,
                      seed: int, backbone_name: str) -> list[CheckResult]:
    first = _to_conv_res(raw, case)
    results = [_top_class(fn, method, case, first, lang), _localization(fn, method, case, lang),
               _reference(fn, method, lang, seed), _randomization(fn, method, case, first, lang),
               _nested(fn, method, lang, backbone_name)]
    if method.plus_plus:
        results.append(_plus_plus_differs(fn, lang))
    return results


def _raw_picture(fn: Callable[..., Any], case: km.Case, method: _Method) -> Picture | None:
    """The map exactly as returned on the localization case, beside the reference: what the
    feedback page shows for a failed contract (e.g. no ReLU)."""
    try:
        raw = np.asarray(to_numpy(fn(case.image.copy(), case.model, case.layer_name)), "float64")
    except Exception:  # noqa: BLE001 - the contract result already says what went wrong
        return None
    return _picture(case, raw, method, None) if raw.ndim == 2 else None


def _repaired(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` whose finite 2-D maps are clipped at 0 and divided by their maximum."""
    def call(*args: Any) -> Any:
        value = fn(*args)
        try:
            arr = np.asarray(to_numpy(value), dtype="float64")
        except (TypeError, ValueError):
            return value
        if arr.ndim != 2 or not np.isfinite(arr).all():
            return value
        arr = np.maximum(arr, 0.0)
        return arr / arr.max() if arr.max() > 0 else arr

    return call


def _memoized(fn: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """`fn` with repeated calls on the same model object and arguments answered from a cache.

    Saves sandbox round trips (each call ships the model as a .keras file). Cached models are
    kept alive so their ids cannot be reused by a later model.
    """
    if fn is None:
        return None
    cache: dict[tuple[Any, ...], tuple[bool, Any, Any]] = {}

    def call(img_array: Any, model: Any, layer: str, *rest: Any) -> Any:
        key = (id(model), layer, rest, np.asarray(img_array).tobytes())
        if key not in cache:
            try:
                cache[key] = (True, fn(img_array, model, layer, *rest), model)
            except Exception as exc:  # noqa: BLE001 - replayed to call_student below
                cache[key] = (False, exc, model)
        ok, value, _ = cache[key]
        if not ok:
            raise value
        return value

    return call


def _heatmap(fn: Callable[..., Any] | None, method: _Method, check: str, lang: str,
             case: km.Case, pred_index: int | None) -> tuple[np.ndarray | None, CheckResult | None]:
    """Call the student on `case`; return (map at conv resolution, None) or (None, failure)."""
    raw, fail = _heatmap_raw(fn, method, check, lang, case, pred_index)
    return (None, fail) if fail is not None else (_to_conv_res(raw, case), None)


def _heatmap_raw(fn: Callable[..., Any] | None, method: _Method, check: str, lang: str,
                 case: km.Case, pred_index: int | None) -> tuple[Any, CheckResult | None]:
    """Call the student on `case`; return (validated map as returned, None) or (None, failure)."""
    args: tuple[Any, ...] = (case.image.copy(), case.model, case.layer_name)
    if pred_index is not None:
        args = (*args, pred_index)
    value, fail = call_student(fn, method.func, check, lang, *args)
    if fail is not None:
        return None, fail
    problem = _contract_problem(value, case, method.func, lang)
    if problem is not None:
        return None, CheckResult.fail(check, problem[0], msg(CAT, "hint_contract", lang),
                                      **problem[1])
    return np.asarray(to_numpy(value), dtype="float64"), None


def _contract_problem(value: Any, case: km.Case, func: str,
                      lang: str) -> tuple[str, dict[str, Any]] | None:
    """(message, details) describing why `value` breaks the heatmap contract, or None."""
    try:
        arr = np.asarray(to_numpy(value), dtype="float64")
    except (TypeError, ValueError):
        found = type(value).__name__
        return msg(CAT, "cam_not_array", lang, func=func, found=found), {"found": found}
    if arr.ndim != 2:
        return msg(CAT, "cam_not_2d", lang, found=arr.shape), {"shape": arr.shape}
    bad = int((~np.isfinite(arr)).sum())
    if bad:
        return msg(CAT, "cam_not_finite", lang, found=bad), {"non_finite": bad}
    if arr.shape not in (case.conv_shape, case.input_shape):
        return (msg(CAT, "cam_bad_shape", lang, conv=case.conv_shape, input=case.input_shape,
                    found=arr.shape), {"shape": arr.shape})
    lo, hi = float(arr.min()), float(arr.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        return (msg(CAT, "cam_out_of_range", lang, lo=lo, hi=hi),
                {"min": lo, "max": hi, "repairable": True})
    if hi - lo < 1e-6:
        return msg(CAT, "cam_constant", lang, found=hi), {"value": hi}
    at_conv = arr.shape == case.conv_shape
    need = MAX_CONV if at_conv else MAX_INPUT
    if hi < need:
        res = msg(CAT, "res_conv" if at_conv else "res_input", lang)
        return (msg(CAT, "cam_not_normalized", lang, need=need, res=res, found=hi),
                {"max": hi, "repairable": True})
    return None


def _contract_ok(check: str, raw: np.ndarray, case: km.Case, lang: str) -> CheckResult:
    """Passing contract result that says which resolution the student returned."""
    which = "conv" if raw.shape == case.conv_shape else "input"
    return CheckResult.ok(check, msg(CAT, "cam_contract_ok", lang, found=raw.shape,
                                     hi=float(raw.max()), which=msg(CAT, f"res_{which}", lang)),
                          shape=raw.shape, resolution=which)


def _to_conv_res(arr: np.ndarray, case: km.Case) -> np.ndarray:
    """Block-average an input-resolution map down to the conv map's resolution."""
    if arr.shape == case.conv_shape:
        return arr
    fh, fw = arr.shape[0] // case.conv_shape[0], arr.shape[1] // case.conv_shape[1]
    return arr.reshape(case.conv_shape[0], fh, case.conv_shape[1], fw).mean(axis=(1, 3))


def _top_class(fn, method: _Method, case: km.Case, none_map: np.ndarray,
               lang: str) -> CheckResult:
    check = f"{method.prefix}_top_class"
    top = int(np.argmax(to_numpy(case.model(case.image, training=False))[0]))
    explicit, fail = _heatmap(fn, method, check, lang, case, top)
    if fail is not None:
        return fail
    diff = float(np.abs(explicit - none_map).max())
    if diff > TOP_CLASS_TOL:
        return CheckResult.fail(check, msg(CAT, "cam_top_class", lang, top=top, found=diff),
                                msg(CAT, "hint_top_class", lang), top=top, max_diff=diff)
    return CheckResult.ok(check, msg(CAT, "cam_top_class_ok", lang, top=top), top=top)


def _localization(fn, method: _Method, case: km.Case, lang: str) -> CheckResult:
    check = f"{method.prefix}_localization"
    masses: dict[int, float] = {}
    picture: Picture | None = None
    for cls in range(km.NUM_QUADRANT_CLASSES):
        cam, fail = _heatmap(fn, method, check, lang, case, cls)
        if fail is not None:
            return fail
        region = case.regions[cls]
        peak_in = bool(region.flat[int(np.argmax(cam))])
        mass = float(cam[region].sum() / max(cam.sum(), 1e-12))
        masses[cls] = mass
        if cls == km.BLOB_INTENSITY.index(max(km.BLOB_INTENSITY)):
            picture = _picture(case, cam, method, cls)
        if not peak_in or mass < MASS_MIN:
            quadrant = msg(CAT, f"quadrant_{km.QUADRANT_OF_CLASS[cls]}", lang)
            res = CheckResult.fail(
                check, msg(CAT, "cam_localization", lang, cls=cls, quadrant=quadrant,
                           need=MASS_MIN, peak_in=peak_in, mass=mass),
                msg(CAT, "hint_localization", lang), target=cls, peak_in=peak_in, mass=mass)
            res.picture = _picture(case, cam, method, cls)
            return res
    res = CheckResult.ok(check, msg(CAT, "cam_localization_ok", lang, n=len(masses),
                                    mass=min(masses.values())), masses=masses)
    res.picture = picture
    return res


def _picture(case: km.Case, cam: np.ndarray, method: _Method, cls: int | None) -> Picture:
    """The feedback picture: display image, student map, reference map."""
    reference = ref.gradcam(case.image, case.model, case.layer_name, cls,
                            plus_plus=method.plus_plus)
    image = case.image[0]
    if image.shape[-1] not in (1, 3):
        image = image.sum(axis=-1)
    return Picture("heatmap", image=image, heatmap=cam.astype("float32"), reference=reference)


def _reference(fn, method: _Method, lang: str, seed: int) -> CheckResult:
    from scipy.stats import spearmanr

    check = f"{method.prefix}_reference"
    need = SPEARMAN_MIN[method.prefix]
    rhos: list[float] = []
    picture: Picture | None = None
    for net, case, expected in _reference_nets(method, seed):
        cam, fail = _heatmap(fn, method, check, lang, case, None)
        if fail is not None:
            return fail
        rho = float(spearmanr(cam.ravel(), expected.ravel())[0])
        rho = -1.0 if not np.isfinite(rho) else rho
        rhos.append(rho)
        if net == 0:
            picture = Picture("heatmap", image=case.image[0], heatmap=cam.astype("float32"),
                              reference=expected)
        if rho < need:
            hint = msg(CAT, "hint_reference_pp" if method.plus_plus else "hint_reference", lang)
            res = CheckResult.fail(check, msg(CAT, "cam_reference", lang, net=net, need=need,
                                              rho=rho), hint, net=net, spearman=rho)
            res.picture = Picture("heatmap", image=case.image[0], heatmap=cam.astype("float32"),
                                  reference=expected)
            return res
    res = CheckResult.ok(check, msg(CAT, "cam_reference_ok", lang, n=len(rhos), rho=min(rhos)),
                         spearman=rhos)
    res.picture = picture
    return res


def _reference_nets(method: _Method, seed: int):
    """Yield (index, case, reference map) for NUM_REFERENCE_NETS random nets with a non-zero map."""
    found, net_seed = 0, seed * 10
    while found < NUM_REFERENCE_NETS and net_seed < seed * 10 + 10:
        case = km.random_convnet(net_seed)
        net_seed += 1
        expected = ref.gradcam(case.image, case.model, case.layer_name,
                               plus_plus=method.plus_plus)
        if expected.max() > 0:
            yield found, case, expected
            found += 1


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() < 1e-12 or b.std() < 1e-12:
        return 1.0 if np.allclose(a, b) else 0.0
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def _randomization(fn, method: _Method, case: km.Case, first: np.ndarray,
                   lang: str) -> CheckResult:
    check = f"{method.prefix}_randomization"
    cls = int(np.argmax(to_numpy(case.model(case.image, training=False))[0]))
    original, fail = _heatmap(fn, method, check, lang, case, cls)
    if fail is not None:
        return fail
    rand_case = km.randomized_top(case, RANDOMIZATION_SEED)
    randomized, fail = _heatmap(fn, method, check, lang, rand_case, cls)
    if fail is not None:
        return fail
    found = _corr(original, randomized)
    ref_corr = _corr(ref.gradcam(case.image, case.model, case.layer_name, cls,
                                 plus_plus=method.plus_plus),
                     ref.gradcam(case.image, rand_case.model, case.layer_name, cls,
                                 plus_plus=method.plus_plus))
    if found >= RANDOMIZATION_MAX_CORR:
        return CheckResult.fail(
            check, msg(CAT, "cam_randomization", lang, need=RANDOMIZATION_MAX_CORR, ref=ref_corr,
                       found=found), msg(CAT, "hint_randomization", lang),
            correlation=found, reference_correlation=ref_corr)
    return CheckResult.ok(check, msg(CAT, "cam_randomization_ok", lang, found=found),
                          correlation=found, reference_correlation=ref_corr)


def _nested(fn, method: _Method, lang: str, backbone_name: str) -> CheckResult:
    check = f"{method.prefix}_nested"
    case = km.quadrant_case(nested=True, backbone_name=backbone_name)
    hint = msg(CAT, "hint_nested", lang)
    top = int(np.argmax(to_numpy(case.model(case.image, training=False))[0]))
    for cls in (None, (top + 1) % km.NUM_QUADRANT_CLASSES):
        cam, fail = _heatmap(fn, method, check, lang, case, cls)
        if fail is not None:
            reason = fail.message
            return CheckResult(check, False, 0.0, 1.0,
                               msg(CAT, "cam_nested", lang, layer=case.layer_name, reason=reason),
                               hint, {"class": cls}, fail.status)
        region = case.regions[top if cls is None else cls]
        mass = float(cam[region].sum() / max(cam.sum(), 1e-12))
        peak_in = bool(region.flat[int(np.argmax(cam))])
        if not peak_in or mass < MASS_MIN:
            quadrant = msg(CAT, f"quadrant_{km.QUADRANT_OF_CLASS[top if cls is None else cls]}",
                           lang)
            reason = msg(CAT, "cam_localization", lang, cls=top if cls is None else cls,
                         quadrant=quadrant, need=MASS_MIN, peak_in=peak_in, mass=mass)
            return CheckResult.fail(check, msg(CAT, "cam_nested", lang, layer=case.layer_name,
                                               reason=reason), hint, mass=mass, peak_in=peak_in)
    return CheckResult.ok(check, msg(CAT, "cam_nested_ok", lang, layer=case.layer_name))


def _plus_plus_differs(fn, lang: str) -> CheckResult:
    check = "gradcampp_vs_gradcam"
    case = km.plus_plus_case()
    cam, fail = _heatmap(fn, GRADCAM_PP, check, lang, case, 0)
    if fail is not None:
        return fail
    found = float(cam[case.regions[0]].mean())
    expected = ref.gradcam(case.image, case.model, case.layer_name, 0, plus_plus=True)
    ref_value = float(expected[case.regions[0]].mean())
    where = msg(CAT, "left_blob", lang)
    if found < PP_BLOB_MIN:
        res = CheckResult.fail(check, msg(CAT, "pp_vs_gradcam", lang, where=where,
                                          need=PP_BLOB_MIN, found=found, ref=ref_value),
                               msg(CAT, "hint_pp_vs_gradcam", lang), blob_mean=found,
                               reference_blob_mean=ref_value)
        res.picture = Picture("heatmap", image=case.image[0].sum(axis=-1),
                              heatmap=cam.astype("float32"), reference=expected)
        return res
    return CheckResult.ok(check, msg(CAT, "pp_vs_gradcam_ok", lang, found=found),
                          blob_mean=found, reference_blob_mean=ref_value)


# ------------------------------------------------------------------------------ IG
