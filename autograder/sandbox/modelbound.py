"""Rebuild a student's Keras model in the grader only after bounding it statically.

A returned model crosses the sandbox as its Keras config (JSON) plus raw weight arrays
(`autograder.sandbox.wire`). Before anything is allocated here, `load_bounded`:

1. walks the config: every object must be a public Keras class from an allowlisted module
   (`ALLOWED_MODULES`), never one of `BLOCKED` (Lambda and wrappers that run foreign code), no
   custom registered names; at most `MAX_CONFIG_NODES` objects;
2. deserialises a copy whose input shapes are grown to at least `Bounds.probe_dim` in every
   spatial axis, inside a Keras `StatelessScope` that defers every variable: shapes are
   inferred, no weight is allocated;
3. counts parameters, the largest layer output (values per sample) and an estimate of the
   multiply-adds per sample (`_layer_cost`), against `Bounds`;
4. only then deserialises the real model (`safe_mode=True`) and sets the sent weights (shapes
   must match the config exactly); batch workers reuse an idle model rebuilt earlier from the
   same config text, reset to a fresh rebuild's state (`model_pool`).

Past a bound it raises `wire.OverBudget` with a short English reason (the check's message comes
from the `common.over_budget` catalog entry). A model that passes is as cheap to call as its
bounds allow, on inputs no larger than `probe_dim` (the checks' probe images are smaller).

The static bound is not the only limit: a rebuilt model runs only in the limited evaluator
(`grading.evaluator`), and under `check_clock(seconds)` (one hidden test) student models may
run `seconds` in total: past that a call raises `CheckTimeUp` (a `StudentCodeError`
"over_budget") between two Keras layer calls (SIGALRM, eager mode), and every later call in
that test fails at once. Running out of memory inside a call (the
evaluator's RLIMIT_AS) fails the same way.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import json
import math
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from autograder.errors import StudentCodeError
from autograder.sandbox import model_pool
from autograder.sandbox.wire import MAX_DEPTH, BadReturn, OverBudget

ALLOWED_MODULES = ("keras", "keras.layers", "keras.models", "keras.initializers",
                   "keras.regularizers", "keras.constraints", "keras.optimizers",
                   "keras.optimizers.schedules", "keras.losses", "keras.metrics",
                   "keras.activations", "keras.src.models.functional",
                   "keras.src.models.sequential")
BLOCKED = frozenset({"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"})
FUNCTION_MODULES = ("keras.activations", "keras.losses", "keras.metrics")
SPECIAL = frozenset({"__tuple__", "__tensor__", "__keras_tensor__", "__numpy__", "__bytes__", "__ellipsis__",
                     "__slice__", "__typespec__"})
MAX_CONFIG_NODES = 50_000
SHAPE_KEYS = ("batch_shape", "batch_input_shape", "build_input_shape", "input_shape")


@dataclass(frozen=True)
class Bounds:
    """Static limits on a returned model (per sample at `probe_dim` for unknown dimensions)."""

    max_params: int = 60_000_000  # ResNet50: 25.6 M
    max_activation: int = 8_000_000  # values in one layer's output per sample
    max_flops: float = 8e9  # multiply-adds per sample (ResNet50 at 224 px: ~4.1e9)
    probe_dim: int = 224


DEFAULT_BOUNDS = Bounds()


@dataclass(frozen=True)
class ModelCost:
    """What `measure` found: parameters, largest layer output, multiply-adds per sample."""

    params: int
    max_activation: int
    flops: float
    widest: str  # name of the layer with the largest output
    inputs: tuple[tuple[int, ...], ...] = ()  # the input shapes measured (batch dim 1)


_TRANSFER_S = [0.0]  # seconds spent moving models across the sandbox in this process


def add_transfer_time(seconds: float) -> None:
    """Count `seconds` of model transfer (serialising a checker's model, rebuilding one)."""
    _TRANSFER_S[0] += seconds


def transfer_time() -> float:
    """Seconds of model transfer so far in this process (a monotonic counter: take deltas)."""
    return _TRANSFER_S[0]


def load_bounded(config_json: str, weights: list[Any], bounds: Bounds = DEFAULT_BOUNDS) -> Any:
    """A keras.Model rebuilt from an untrusted config + weights, or BadReturn/OverBudget."""
    t0 = time.monotonic()
    try:
        return _load_bounded(config_json, weights, bounds)
    finally:
        add_transfer_time(time.monotonic() - t0)


def _load_bounded(config_json: str, weights: list[Any], bounds: Bounds) -> Any:
    import keras

    try:
        config = json.loads(config_json)
    except (ValueError, RecursionError) as exc:
        raise BadReturn("model configuration is not JSON") from exc
    check_config(config)
    cost = _measured(config_json, config, bounds)
    check_cost(cost, bounds)
    def deserialize() -> Any:
        try:
            with _zero_random_init():  # every weight is overwritten below (shapes checked)
                model = keras.saving.deserialize_keras_object(config, safe_mode=True)
        except Exception as exc:  # noqa: BLE001 - anything Keras refuses
            raise BadReturn(f"model cannot be rebuilt safely: {_first_line(exc)}") from exc
        if not isinstance(model, keras.Model):
            raise BadReturn("expected a keras model, the configuration holds "
                            f"{type(model).__name__}")
        return model

    def set_weights(model: Any) -> None:
        expected = [tuple(w.shape) for w in model.weights]
        if [tuple(w.shape) for w in weights] != expected:
            raise BadReturn("the sent weights do not match the model's configuration")
        if weights:
            model.set_weights(weights)

    model = model_pool.obtain(config_json, deserialize, set_weights)
    return _guarded(model, cost.inputs)


_MEASURED: dict[tuple[str, Bounds], ModelCost | BaseException] = {}
MEASURE_CACHE = 64  # configs remembered per grader process (the same build_model each student)


def _measured(config_json: str, config: dict[str, Any], bounds: Bounds) -> ModelCost:
    """`measure(config, bounds)`, memoised by the exact config text and bounds (the cost
    depends on nothing else): a batch measures each distinct architecture once per worker."""
    key = (config_json, bounds)
    hit = _MEASURED.get(key)
    if hit is None:
        try:
            hit = measure(config, bounds)
        except (OverBudget, BadReturn) as exc:
            hit = exc
        if len(_MEASURED) >= MEASURE_CACHE:
            _MEASURED.pop(next(iter(_MEASURED)))
        _MEASURED[key] = hit
    if isinstance(hit, BaseException):
        raise type(hit)(*hit.args)
    return hit


def clear_cache() -> None:
    """Forget every memoised measurement (tests: the plain path)."""
    _MEASURED.clear()


@contextlib.contextmanager
def _zero_random_init() -> Iterator[None]:
    """While rebuilding a returned model, random initializers with an integer seed (every seed
    Keras draws itself) fill zeros instead of drawing numbers: the sent weights replace them
    all, and such a draw changes no generator state, so the model is the same, built about
    twice as fast (ResNet50: 5-6 s -> 2.5 s under load). Seed-generator seeds draw as usual."""
    from keras.src.backend import floatx
    from keras.src.initializers.random_initializers import RandomInitializer
    from keras.src.ops import zeros

    def patched(original: Any) -> Any:
        def call(self: Any, shape: Any, dtype: Any = None) -> Any:
            if isinstance(self.seed, int) and not isinstance(self.seed, bool):
                return zeros(shape, dtype=dtype or floatx())
            return original(self, shape, dtype)
        return call

    classes, stack = [], [RandomInitializer]
    while stack:
        cls = stack.pop()
        classes.append(cls)
        stack.extend(cls.__subclasses__())
    saved = {cls: cls.__dict__["__call__"] for cls in classes if "__call__" in cls.__dict__}
    try:
        for cls, original in saved.items():
            cls.__call__ = patched(original)
        yield
    finally:
        for cls, original in saved.items():
            cls.__call__ = original


def _guarded(model: Any, limits: tuple[tuple[int, ...], ...]) -> Any:
    """The model, with calls (and `predict`) on inputs larger than the measured ones refused
    (ValueError): its bounds hold only up to those sizes; both run under `check_clock`."""
    cls = type(model)
    if cls in _GUARDED.values():  # a pooled model handed out again (`model_pool`)
        object.__setattr__(model, "_ag_input_limits", limits)
        return model
    if cls not in _GUARDED:
        _GUARDED[cls] = type(cls.__name__, (cls,), {"__call__": _bounded_call,
                                                    "predict": _bounded_predict,
                                                    "__module__": cls.__module__})
    model.__class__ = _GUARDED[cls]
    object.__setattr__(model, "_ag_input_limits", limits)
    return model


_GUARDED: dict[type, type] = {}


def tag(value: Any, func: str) -> Any:
    """Name the student function that returned `value` on the models in it (for messages)."""
    items = value.values() if isinstance(value, dict) else (
        value if isinstance(value, (list, tuple)) else [value])
    for item in items:
        if type(item) in _GUARDED.values():
            object.__setattr__(item, "_ag_func", func)
    return value


class CheckTimeUp(StudentCodeError):
    """A student model ran past the time of the hidden test calling it."""

    def __init__(self, func: str, seconds: float) -> None:
        super().__init__("over_budget", func, f"more than {seconds:g} s of model calls in one "
                                              "check", exc_type="TimeLimit")


class _Clock:
    """The running hidden test's model time (one per process: checks run one at a time)."""

    seconds: float | None = None  # limit of the running test (None: no test, or no limit)
    spent = 0.0  # seconds student models have run in it
    inside: str | None = None  # the student function whose model is running now
    alarm = False  # SIGALRM handler installed (main thread)


_CLOCK = _Clock()


def _alarm(signum: int, frame: Any) -> None:
    if _CLOCK.inside is not None and _CLOCK.seconds is not None:
        _CLOCK.spent = _CLOCK.seconds
        raise CheckTimeUp(_CLOCK.inside, _CLOCK.seconds)


@contextlib.contextmanager
def check_clock(seconds: float | None) -> Iterator[None]:
    """Bound the time student models may run, in total, during the block (one hidden test).
    In the main thread a SIGALRM interrupts a model between layer calls; elsewhere the limit is
    checked when a model call starts. None or 0: no limit."""
    if not seconds:
        yield
        return
    _CLOCK.seconds, _CLOCK.spent = seconds, 0.0
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGALRM, _alarm) if main else None
    _CLOCK.alarm = main
    try:
        yield
    finally:
        if main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        _CLOCK.seconds, _CLOCK.inside, _CLOCK.alarm = None, None, False


def _bounded_call(self: Any, *args: Any, **kwargs: Any) -> Any:
    _check_inputs(self, args[0] if args else kwargs.get("inputs"))
    return _timed(self, super(type(self), self).__call__, *args, **kwargs)


def _bounded_predict(self: Any, *args: Any, **kwargs: Any) -> Any:
    _check_inputs(self, args[0] if args else kwargs.get("x"))
    return _timed(self, super(type(self), self).predict, *args, **kwargs)


def _check_inputs(model: Any, inputs: Any) -> None:
    import keras

    limits = getattr(model, "_ag_input_limits", ())
    flat = keras.tree.flatten(inputs)
    for i, x in enumerate(flat):
        shape = tuple(getattr(x, "shape", ()) or ())
        limit = limits[min(i, len(limits) - 1)] if limits else ()
        if limit and (len(shape) != len(limit) or any(
                d is not None and d > m for d, m in zip(shape[1:], limit[1:], strict=False))):
            raise ValueError(f"input of shape {shape} is larger than the {tuple(limit[1:])} "
                             "this model was checked for")


def _timed(model: Any, call: Any, *args: Any, **kwargs: Any) -> Any:
    """`call(*args, **kwargs)` under the running test's clock; out of memory -> over_budget."""
    func = getattr(model, "_ag_func", None) or getattr(model, "name", "model")
    outer, limit = _CLOCK.inside, _CLOCK.seconds
    timing = limit is not None and outer is None  # the outermost model call of a test times
    if timing:
        left = limit - _CLOCK.spent
        if left <= 0:
            raise CheckTimeUp(func, limit)
        if _CLOCK.alarm:
            signal.setitimer(signal.ITIMER_REAL, left)
    _CLOCK.inside = func
    t0 = time.monotonic()
    try:
        return call(*args, **kwargs)
    except Exception as exc:
        if _out_of_memory(exc):
            raise StudentCodeError("over_budget", func, "the grader's memory limit",
                                   exc_type="MemoryError") from None
        if timing and _CLOCK.spent >= limit:  # the alarm's exception, maybe re-wrapped by Keras
            raise CheckTimeUp(func, limit) from None
        raise
    finally:
        if timing:
            if _CLOCK.alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if _CLOCK.spent < limit:  # (the alarm set it to the limit)
                _CLOCK.spent += time.monotonic() - t0
        _CLOCK.inside = outer


def _out_of_memory(exc: BaseException | None) -> bool:
    """MemoryError or TF's ResourceExhaustedError, also when Keras re-raised it as another
    exception (its cause/context chain, or TF's "OOM when allocating" text)."""
    for _ in range(8):
        if exc is None:
            return False
        if isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError" \
                or "OOM when allocating" in str(exc)[:2000]:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def check_config(config: Any) -> None:
    """Every object in the config is an allowlisted public Keras class (BadReturn otherwise)."""
    count = 0
    stack: list[tuple[Any, int]] = [(config, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_CONFIG_NODES or depth > 4 * MAX_DEPTH:
            raise OverBudget("model configuration too large or too deep")
        if isinstance(node, list):
            stack.extend((x, depth + 1) for x in node)
        elif isinstance(node, dict):
            if "class_name" in node:
                _check_object(node)
            stack.extend((x, depth + 1) for x in node.values())


def _check_object(node: dict[str, Any]) -> None:
    name, module = node.get("class_name"), node.get("module")
    registered = node.get("registered_name")
    if not isinstance(name, str):
        raise BadReturn("malformed model configuration")
    if name in SPECIAL and module is None:
        return
    if name in BLOCKED:
        raise BadReturn(f"layer {name} is not allowed (it runs arbitrary code)")
    if module not in ALLOWED_MODULES:
        raise BadReturn(f"{name!s:.60} from module {module!s:.60} is not a standard Keras object")
    if name == "function":
        target = node.get("config")
        if module not in FUNCTION_MODULES or not isinstance(target, str) or not callable(
                getattr(importlib.import_module(module), target, None)):
            raise BadReturn(f"function {target!s:.60} is not a standard Keras function")
        return
    if registered not in (None, name) or not isinstance(
            getattr(importlib.import_module(module), name, None), type):
        raise BadReturn(f"{name!s:.60} is not a standard Keras class")


def measure(config: dict[str, Any], bounds: Bounds = DEFAULT_BOUNDS) -> ModelCost:
    """Parameters and per-sample sizes of the model, inferred without allocating a weight: at
    inputs grown to `probe_dim` when the layers accept that, else at the declared sizes (e.g.
    Flatten + Dense). `load_bounded` refuses calls with inputs larger than what was measured."""
    try:
        return _measure_at(_concrete(config, bounds.probe_dim, grow=True), bounds)
    except OverBudget:
        raise
    except Exception:  # noqa: BLE001 - fixed-size layers: measure as declared
        pass
    try:
        return _measure_at(_concrete(config, bounds.probe_dim, grow=False), bounds)
    except OverBudget:
        raise
    except Exception as exc:  # noqa: BLE001 - Keras refused the config or the shapes
        raise BadReturn(f"model shapes cannot be inferred: {_first_line(exc)}") from exc


def _measure_at(probe: dict[str, Any], bounds: Bounds) -> ModelCost:
    import keras
    from keras.src.backend.common.stateless_scope import StatelessScope

    with StatelessScope(initialize_variables=False):
        model = keras.saving.deserialize_keras_object(probe, safe_mode=True)
        if isinstance(model, keras.Model) and not model.built:
            model.build((None, bounds.probe_dim, bounds.probe_dim, 3))
        params = sum(math.prod(_dims(w.shape)) for w in model.weights)
        if params > bounds.max_params:  # before walking a huge graph
            return ModelCost(params, 0, 0.0, "")
        cost = _walk(model)
        inputs = tuple(tuple(_dims(t.shape)) for t in getattr(model, "inputs", None) or [])
        return ModelCost(cost.params, cost.max_activation, cost.flops, cost.widest, inputs)


def check_cost(cost: ModelCost, bounds: Bounds = DEFAULT_BOUNDS) -> None:
    if cost.params > bounds.max_params:
        raise OverBudget(f"{cost.params:,} parameters > {bounds.max_params:,}")
    if cost.max_activation > bounds.max_activation:
        raise OverBudget(f"layer {cost.widest!s:.60} outputs {cost.max_activation:,} values per "
                         f"image > {bounds.max_activation:,}")
    if cost.flops > bounds.max_flops:
        raise OverBudget(f"about {cost.flops:.2g} operations per image > {bounds.max_flops:.2g}")


def _walk(model: Any) -> ModelCost:
    params, widest, name, flops = 0, 0, "", 0.0
    stack = [model]
    seen: set[int] = set()
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        subs = list(getattr(layer, "layers", []) or [])
        if subs:
            stack.extend(subs)
            continue
        own = sum(math.prod(_dims(w.shape)) for w in layer.weights)
        params += own
        for node in getattr(layer, "_inbound_nodes", []):
            outs = [math.prod(_dims(t.shape[1:])) for t in node.output_tensors]
            ins = [math.prod(_dims(t.shape[1:])) for t in node.input_tensors]
            last = max((_dims(t.shape)[-1] for t in node.output_tensors if t.shape), default=1)
            flops += _layer_cost(type(layer).__name__, own, sum(outs), sum(ins), last)
            if outs and max(outs) > widest:
                widest, name = max(outs), layer.name
    return ModelCost(params, widest, flops, name)


def _layer_cost(kind: str, params: int, out: int, inp: int, channels: int) -> float:
    """Multiply-adds of one call per sample: each output value reads `params / channels`
    weights (exact for Dense and convolutions, an upper bound elsewhere) plus one pass over
    inputs and outputs. Lookups (Embedding) read one row."""
    if kind == "Embedding":
        return float(out + inp)
    return out * (params / max(channels, 1)) + out + inp


def _concrete(config: dict[str, Any], dim: int, grow: bool) -> dict[str, Any]:
    """A copy without compile config whose unknown input dimensions are `dim` and, with
    `grow`, every spatial axis (all but batch and channels) at least `dim`: the checks call
    models on inputs no larger than that, and a model declared for 1x1 images must not be
    measured at 1x1 and then called at 32x32."""
    probe = copy.deepcopy(config)
    probe.pop("compile_config", None)
    stack: list[Any] = [probe]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in SHAPE_KEYS and _is_shape(value) and len(value) > 1:
                    inner = [(_grow(v, dim) if grow else (dim if v is None else v))
                             for v in value[1:-1]]
                    node[key] = [value[0], *inner, dim if value[-1] is None else value[-1]]
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return probe


def _is_shape(value: Any) -> bool:
    return isinstance(value, list) and all(v is None or type(v) is int for v in value)


def _grow(v: int | None, dim: int) -> int:
    return dim if v is None else max(v, dim)


def _dims(shape: Any) -> list[int]:
    return [1 if d is None else int(d) for d in shape]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
