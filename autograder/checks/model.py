"""Model check: `build_model(num_classes, image_size, weights=None, ...) -> compiled keras.Model`.

Always builds with `weights=None` (no downloads). Finds the backbone (nested or inlined) by its
layer names, then checks frozen/trainable, the head (GAP, dropout rate, Dense K + softmax), the
compiled loss against the label encoding, optimizer and learning rate, and the parameter count
(which does not depend on the image size for these backbones: 23,796,710 for ResNet50 + GAP +
Dense(102) at 64 px and at 224 px alike).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.backbones import BACKBONES
from autograder.checks.augment import iter_layers
from autograder.checks.base import call_student, failed, passed, require_substance, skipped
from autograder.checks.memo import per_run
from autograder.exchange import as_model
from autograder.messages import DEFAULT_LANG
from autograder.model import CheckResult

CAT = "model"
CHECKS = ["model_returns", "model_backbone", "model_frozen", "model_head", "model_compile",
          "model_params"]
LOSSES = {"sparse": "sparse_categorical_crossentropy", "onehot": "categorical_crossentropy"}
BACKBONE_OUT = {b.name: b.features_layer for b in BACKBONES.values()}


def backbone_kind(names: set[str]) -> str | None:
    """'resnet50' / 'efficientnetb0' / other known family name / None, from layer names."""
    if "conv5_block3_out" in names:
        if "post_relu" in names or "conv5_block3_preact_bn" in names:
            return "resnet50v2"
        return "resnet50" if "conv4_block7_out" not in names else "resnet101+"
    if "top_conv" in names and "block7a_project_conv" in names:
        if "block7b_project_conv" in names or "block6e_project_conv" in names:
            return "efficientnet_b1+"
        return "efficientnetb0"
    return None


def split(model: Any) -> tuple[Any | None, list[Any], list[Any]]:
    """(nested backbone layer or None, backbone layers, head layers after the backbone)."""
    top = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    for i, layer in enumerate(top):
        if hasattr(layer, "layers") and backbone_kind({sub.name for sub in iter_layers(layer)}):
            return layer, list(iter_layers(layer)), top[i + 1:]
    names = [layer.name for layer in top]
    for out in BACKBONE_OUT.values():
        if out in names:
            i = names.index(out)
            return None, top[: i + 1], top[i + 1:]
    return None, top, []


def loss_info(loss: Any) -> tuple[str, bool]:
    """(canonical loss name, from_logits) of a compiled loss (string, function or Loss)."""
    if isinstance(loss, str):
        return loss.lower(), False
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    try:
        from_logits = bool(loss.get_config().get("from_logits", False))
    except Exception:  # noqa: BLE001 - plain functions have no config
        from_logits = False
    return str(name).lower(), from_logits


@per_run  # one evidence for the `_basics` test and its hidden twin (checks.memo)
def check_model(build_model: Callable | None, *, backbone: str = "resnet50",
                num_classes: int = 4, image_size: tuple[int, int] = (64, 64),
                dropout: float | None = None, trainable_base: bool | None = False,
                loss: str = "sparse", optimizer: str = "adam", learning_rate: float = 1e-3,
                expected_params: int | None = None, pass_dropout: bool | None = None,
                pass_trainable_base: bool | None = None, lang: str = DEFAULT_LANG,
                func: str = "build_model", **_: Any) -> list[CheckResult]:
    """Check the compiled model. `loss` is the label encoding ("sparse"/"onehot") or a loss
    name. `dropout=` / `trainable_base=` are passed to the student when given (override with
    `pass_dropout` / `pass_trainable_base`)."""
    kwargs: dict[str, Any] = {"num_classes": num_classes, "image_size": tuple(image_size),
                              "weights": None}
    if pass_dropout if pass_dropout is not None else dropout is not None:
        kwargs["dropout"] = dropout
    if pass_trainable_base if pass_trainable_base is not None else bool(trainable_base):
        kwargs["trainable_base"] = trainable_base
    value, bad = call_student(build_model, func, "model_returns", lang, **kwargs)
    model = None
    if bad is None:
        try:
            model = as_model(value)
        except Exception:  # noqa: BLE001 - not a model, or a file that does not load
            bad = failed(CAT, "model_returns", lang, found=type(value).__name__)
    if bad is None and (getattr(model, "optimizer", None) is None
                        or getattr(model, "loss", None) is None):
        bad = failed(CAT, "model_returns", lang, "model_not_compiled")
    if bad is not None:
        return [bad, *skipped(CHECKS[1:], bad)]
    results = [passed(CAT, "model_returns", lang)]
    nested, base_layers, head = split(model)
    kind = backbone_kind({layer.name for layer in base_layers})
    results.append(passed(CAT, "model_backbone", lang, found=kind) if kind == backbone.lower()
                   else failed(CAT, "model_backbone", lang, found=kind or "?", expected=backbone))
    results.append(_frozen(nested, base_layers, head, trainable_base, lang))
    results.append(_head(model, nested, head, num_classes, dropout, image_size, lang))
    results.append(_compile(model, loss, optimizer, learning_rate, lang))
    count = int(model.count_params())
    if expected_params is None or count == int(expected_params):
        results.append(passed(CAT, "model_params", lang, found=count))
    else:
        results.append(failed(CAT, "model_params", lang, found=count, expected=expected_params))
    if kind is None and not results[-1].passed:
        # no backbone at all (Flatten + Dense, a head on the raw image, a model ignoring its
        # input): a trainable head, a compile call or the right head are the form of a model,
        # not the assignment's; they count only next to a recognised backbone
        return require_substance(results, CHECKS, lang)
    return results


def _n_trainable(layers: list[Any]) -> int:
    seen: set[int] = set()
    total = 0
    for layer in layers:
        for w in layer.trainable_weights:
            if id(w) not in seen:
                seen.add(id(w))
                total += int(np.prod(w.shape))
    return total


def _frozen(nested, base_layers, head, trainable_base, lang) -> CheckResult:
    base = _n_trainable([nested] if nested is not None else base_layers)
    top = _n_trainable(head)
    if trainable_base is None:
        ok = top > 0
    else:
        ok = top > 0 and ((base > 0) if trainable_base else base == 0)
    if ok:
        return passed(CAT, "model_frozen", lang, base_trainable=base, head_trainable=top)
    return failed(CAT, "model_frozen", lang, base=base, head=top,
                  want_trainable=bool(trainable_base))


def _head(model, nested, head, k, dropout, image_size, lang) -> CheckResult:
    types = [type(layer).__name__ for layer in head]
    pooled = "GlobalAveragePooling2D" in types or (
        nested is not None and len(nested.output.shape) == 2
        and any(type(sub).__name__ == "GlobalAveragePooling2D" for sub in nested.layers[-2:]))
    dense = [layer for layer in head if type(layer).__name__ == "Dense"]
    last = dense[-1] if dense else None
    act = getattr(getattr(last, "activation", None), "__name__", "") if last else ""
    tail = types[types.index("Dense") + 1:] if "Dense" in types else []
    softmax = act == "softmax" or (act == "linear" and "Softmax" in tail) or any(
        type(layer).__name__ == "Activation" and getattr(layer.activation, "__name__", "")
        == "softmax" for layer in head[-1:])
    rates = [float(layer.rate) for layer in head if type(layer).__name__ == "Dropout"]
    units = int(last.units) if last is not None else None
    problems = []
    if not pooled:
        problems.append("gap")
    if units != k:
        problems.append("units")
    if not softmax:
        problems.append("softmax")
    if dropout is not None and not (rates and abs(rates[-1] - dropout) < 1e-6) and not (
            dropout == 0 and not rates):
        problems.append("dropout")
    if not problems:
        try:
            probe = np.asarray(model(np.zeros((1, *image_size, 3), "float32"), training=False))
        except Exception:  # noqa: BLE001 - a student layer may fail on the forward pass
            probe = np.zeros(0)
        if probe.shape != (1, k) or not np.isfinite(probe).all() or abs(
                float(probe.sum()) - 1.0) > 1e-3:
            problems.append("softmax")
    if problems:
        return failed(CAT, "model_head", lang, problems=problems, layers=types, units=units,
                      k=k, rates=rates, dropout=dropout, activation=act)
    return passed(CAT, "model_head", lang, layers=types)


def _compile(model, loss, optimizer, lr, lang) -> CheckResult:
    want = LOSSES.get(loss, loss)
    found, from_logits = loss_info(model.loss)
    opt = type(model.optimizer).__name__
    rate = model.optimizer.learning_rate
    try:
        rate = float(rate(0) if callable(rate) else np.asarray(rate))
    except Exception:  # noqa: BLE001
        rate = float("nan")
    problems = []
    if found != want or from_logits:
        problems.append("loss")
    if opt.lower() != optimizer.lower():
        problems.append("optimizer")
    if not np.isclose(rate, lr, rtol=1e-4):
        problems.append("lr")
    if problems:
        return failed(CAT, "model_compile", lang, problems=problems, loss=found, want=want,
                      from_logits=from_logits, optimizer=opt, want_optimizer=optimizer,
                      lr=rate, want_lr=lr)
    return passed(CAT, "model_compile", lang, loss=found, optimizer=opt, lr=rate)
