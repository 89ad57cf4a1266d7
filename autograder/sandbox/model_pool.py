"""Per-worker pool of rebuilt student models, one per configuration text.

Rebuilding a returned model from its checked config (`modelbound.load_bounded`) costs about
1 s of Keras layer construction for ResNet50, twice per UT3-10 submission; the students of a
course mostly send the same configuration (same code, same layer names: every student's process
starts fresh). While the memo is on (`checks.memo`: batch workers), `obtain` rebuilds a config
once per worker and then hands the same instance out again, set to exactly the state a fresh
rebuild would have:

- the sent weights (`set_weights`, shapes checked as for a fresh model);
- Python's `random` advanced as a fresh rebuild advances it: Keras draws a default seed
  (`make_default_seed`) for every initializer and seed generator without one; the first build
  counts those draws, the reuse makes as many, and each seed generator gets the seed a fresh
  build would have drawn at its position (its state `[seed, 0]`);
- optimizer and metric variables, and every layer's `trainable` flag, as just built.

Only an idle instance is handed out again: nothing outside the pool holds it (its reference
count is the one it had when kept, after a garbage collection if needed), so no check still
using it can see the change; and only one that holds the very variables it was built with (one
on which a check built more, a compiled metric's or an optimizer's slots, is rebuilt). A configuration whose rebuild touches Python's `random` in any
other way, or holds a seed generator whose seed is not found among the draws, is not kept.
Off (every call rebuilds) while the memo is off: the plain path of
`tests/grading/test_fast_path_equivalence.py` rebuilds each time and must grade the same.
"""

from __future__ import annotations

import contextlib
import gc
import random
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_KEPT = 4  # configurations kept per worker (a ResNet50 holds ~100 MB)


@dataclass
class _Kept:
    model: Any
    draws: int  # default seeds a fresh rebuild draws
    seeds: list[tuple[Any, int]]  # (seed generator without a seed, index of its draw)
    fixed: list[tuple[Any, np.ndarray]]  # (seed generator with a seed, its initial state)
    extra: list[tuple[Any, np.ndarray]]  # optimizer and metric variables as built
    trainable: list[tuple[Any, bool]]
    optimizer: Any
    loss: Any
    variables: list[int]  # ids of every variable it held as built (none built since)
    refs: int = 0  # the model's reference count while only the pool holds it


@dataclass
class _Draws:
    values: list[int] = field(default_factory=list)  # default seeds drawn, in order
    replayable: bool = True  # False: Python's `random` moved in another way too


_POOL: OrderedDict[str, _Kept] = OrderedDict()


def obtain(config_json: str, deserialize: Callable[[], Any],
           set_weights: Callable[[Any], Any]) -> Any:
    """The model for `config_json`: a fresh `deserialize()`, or an idle kept instance reset
    to what a fresh one would be; `set_weights(model)` then loads the sent weights (it raises
    for weights that do not fit; such a model is not kept)."""
    from autograder.checks import memo

    if not memo.enabled():
        model = deserialize()
        set_weights(model)
        return model
    kept = _POOL.get(config_json)
    if kept is not None and _reusable(kept):
        _POOL.move_to_end(config_json)
        _reset(kept)
        set_weights(kept.model)
        return kept.model
    with _recording() as draws:
        model = deserialize()
    set_weights(model)
    kept = _kept(model, draws)
    if kept is None:
        _POOL.pop(config_json, None)
        return model
    _POOL[config_json] = kept
    _POOL.move_to_end(config_json)
    while len(_POOL) > MAX_KEPT:
        _POOL.popitem(last=False)
    kept.refs = _refcount(kept) - 1  # less this function's own `model`
    return model


def clear() -> None:
    """Forget every kept model (the next rebuild of each configuration is fresh)."""
    _POOL.clear()


def _refcount(kept: _Kept) -> int:
    return sys.getrefcount(kept.model)


def _compiled_variables(model: Any) -> list[Any]:
    """The optimizer's and the compiled metrics' variables (not in `model.variables`)."""
    return [*(getattr(getattr(model, "optimizer", None), "variables", None) or []),
            *(getattr(model, "metrics_variables", None) or [])]


def _variable_ids(model: Any) -> list[int]:
    return [id(v) for v in [*model.variables, *_compiled_variables(model)]]


def _reusable(kept: _Kept) -> bool:
    """Idle (only the pool holds it), still compiled with the same objects and holding the
    same variables (nothing was built lazily since: a compiled metric, an optimizer slot)."""
    if getattr(kept.model, "optimizer", None) is not kept.optimizer or \
            getattr(kept.model, "loss", None) is not kept.loss or \
            _variable_ids(kept.model) != kept.variables:
        return False
    if _refcount(kept) == kept.refs:
        return True
    gc.collect()  # a check's reference cycle (a traceback, a closure) may still hold it
    return _refcount(kept) == kept.refs


@contextlib.contextmanager
def _recording() -> Iterator[_Draws]:
    """Record Keras' default-seed draws during the block, and whether replaying that many
    draws from the same state moves Python's `random` exactly as the block did."""
    from keras.src.random import seed_generator

    draws = _Draws()
    before = random.getstate()

    class _Recorder:  # stands in for the `random` module inside keras' seed_generator
        @staticmethod
        def randint(a: int, b: int) -> int:
            value = random.randint(a, b)
            draws.values.append(value)
            return value

    original = seed_generator.python_random
    seed_generator.python_random = _Recorder()
    try:
        yield draws
    finally:
        seed_generator.python_random = original
    after = random.getstate()
    random.setstate(before)
    replay = [seed_generator.make_default_seed() for _ in draws.values]
    draws.replayable = replay == draws.values and random.getstate() == after
    random.setstate(after)


def _kept(model: Any, draws: _Draws) -> _Kept | None:
    """What `_reset` needs to make `model` a fresh rebuild again, or None if it cannot."""
    if not draws.replayable:
        return None
    layers = list(model._flatten_layers(include_self=True, recursive=True))
    seeds, fixed = [], []
    for gen in (g for layer in layers for g in getattr(layer, "_seed_generators", [])):
        state = np.array(gen.state.numpy())
        if gen._initial_seed is not None:
            fixed.append((gen, state))
            continue
        where = [i for i, d in enumerate(draws.values) if d == int(state[0])]
        if len(where) != 1 or int(state[1]) != 0:
            return None
        seeds.append((gen, where[0]))
    if len(model.variables) != len(model.weights) + len(seeds) + len(fixed):
        return None  # state this pool does not know how to reset
    extra = [(v, _compact(v.numpy())) for v in _compiled_variables(model)]
    return _Kept(model, len(draws.values), seeds, fixed, extra,
                 [(layer, bool(layer.trainable)) for layer in layers],
                 getattr(model, "optimizer", None), getattr(model, "loss", None),
                 _variable_ids(model))


def _compact(value: np.ndarray) -> np.ndarray:
    """The value, or one element of it when all are equal (optimizer slots start at 0)."""
    value = np.asarray(value)
    flat = value.reshape(-1)
    if flat.size > 1 and (flat == flat[0]).all():
        return np.array(flat[0], dtype=value.dtype)
    return value.copy()


def _reset(kept: _Kept) -> None:
    """Give `kept.model` the state a fresh rebuild would give it (all but the weights)."""
    from keras.src.random import seed_generator

    draws = [seed_generator.make_default_seed() for _ in range(kept.draws)]
    for gen, index in kept.seeds:
        gen.state.assign(np.array([draws[index], 0], dtype=gen.state.dtype))
    for gen, state in kept.fixed:
        gen.state.assign(state)
    for var, value in kept.extra:
        var.assign(np.broadcast_to(value, var.shape) if value.ndim == 0 else value)
    for layer, flag in kept.trainable:
        if layer.trainable != flag:
            layer.trainable = flag
