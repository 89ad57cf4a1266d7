"""Plain-data forms of what crosses between checks and (possibly sandboxed) student code.

Checks may receive either live objects (in-process: nbgrader cells) or their plain-data forms
(sandboxed grading). The normalisers here accept both, so a check is written once:

- `array_dataset(images, labels)`: the tf.data.Dataset checks pass to student pipelines; it
  remembers its source arrays so a sandbox proxy can rebuild it in the student process.
- `sample_dataset(ds_or_sample, max_batches)`: -> `DatasetSample` (the first batches of two
  successive iterations, i.e. two epochs, plus the chain of tf.data transformations, outermost
  first, e.g. ["Prefetch", "Map", "Batch", ...]).
- `as_model(obj)`: keras.Model passthrough, or load a `.keras` path with safe_mode=True.
- `to_numpy(x)`: tensors / arrays / nested tuples -> numpy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SOURCE_ATTR = "_autograder_source"


@dataclass
class DatasetSample:
    """Materialised first batches of a dataset (`batches`: first iteration, `second`: a second
    iteration of the same dataset object, i.e. the next epoch) and its transformation chain.

    `ops`, `element_spec` and `cardinality` are computed by whoever sampled the dataset (in
    sandboxed grading: the student process, which can patch the code that computes them). They
    are for display only: checks score on the materialised batches, never on these claims.
    """

    batches: list[tuple[np.ndarray, ...]]
    ops: list[str] = field(default_factory=list)
    element_spec: str = ""
    cardinality: int = -2
    second: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def has_op(self, name: str) -> bool:
        return any(op.lower() == name.lower() for op in self.ops)


def array_dataset(*arrays: np.ndarray) -> Any:
    """tf.data.Dataset.from_tensor_slices(arrays) that remembers `arrays` for the sandbox proxy."""
    import tensorflow as tf

    arrays = tuple(np.asarray(a) for a in arrays)
    ds = tf.data.Dataset.from_tensor_slices(arrays if len(arrays) > 1 else arrays[0])
    object.__setattr__(ds, SOURCE_ATTR, arrays)
    return ds


def dataset_source(ds: Any) -> tuple[np.ndarray, ...] | None:
    """Source arrays of a dataset made by `array_dataset`, else None."""
    return getattr(ds, SOURCE_ATTR, None)


def dataset_ops(ds: Any) -> list[str]:
    """Transformation chain of a tf.data pipeline, outermost first, without the 'Dataset' suffix."""
    ops: list[str] = []
    seen = 0
    node = ds
    while node is not None and seen < 64:
        name = type(node).__name__.lstrip("_")
        for suffix in ("DatasetV2", "DatasetV1", "Dataset"):
            if name.endswith(suffix) and name != suffix:
                name = name[: -len(suffix)]
                break
        ops.append(name)
        inputs = []
        try:
            inputs = list(node._inputs())  # noqa: SLF001 - tf.data has no public graph walk
        except Exception:  # noqa: BLE001
            inputs = []
        node = inputs[0] if inputs else getattr(node, "_input_dataset", None)
        seen += 1
    return ops


def sample_dataset(obj: Any, max_batches: int = 2) -> DatasetSample:
    """Materialise up to `max_batches` elements of two iterations of a dataset (or pass a
    DatasetSample through)."""
    if isinstance(obj, DatasetSample):
        return DatasetSample(obj.batches[:max_batches], obj.ops, obj.element_spec, obj.cardinality,
                             obj.second[:max_batches])
    import tensorflow as tf

    if not isinstance(obj, tf.data.Dataset):
        raise TypeError(f"expected a tf.data.Dataset, got {type(obj).__name__}")
    epochs: list[list[tuple[Any, ...]]] = [[], []]
    for batches in epochs:  # each `take` iterates afresh: a reshuffling dataset reshuffles
        for element in obj.take(max_batches):
            batches.append(tuple(to_numpy(t) for t in _flatten(element)))
    batches, second = epochs
    try:
        card = int(obj.cardinality().numpy())
    except Exception:  # noqa: BLE001
        card = -2
    return DatasetSample(batches, dataset_ops(obj), str(obj.element_spec), card, second)


def _flatten(element: Any) -> tuple[Any, ...]:
    if isinstance(element, (tuple, list)):
        out: list[Any] = []
        for e in element:
            out.extend(_flatten(e))
        return tuple(out)
    if isinstance(element, dict):
        return tuple(element[k] for k in sorted(element))
    return (element,)


def to_numpy(x: Any) -> Any:
    """Tensors and array-likes -> np.ndarray; tuples/lists/dicts recursively; scalars kept."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (tuple, list)):
        return type(x)(to_numpy(v) for v in x)
    if isinstance(x, dict):
        return {k: to_numpy(v) for k, v in x.items()}
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    if isinstance(x, (int, float, bool, str)) or x is None:
        return x
    return np.asarray(x)


def as_model(obj: Any) -> Any:
    """A keras.Model from a live model or a `.keras` file path (safe_mode=True: no lambdas)."""
    import keras

    if isinstance(obj, keras.Model):
        return obj
    if isinstance(obj, (str, os.PathLike)) and str(obj).endswith(".keras"):
        return keras.saving.load_model(obj, safe_mode=True, compile=True)
    raise TypeError(f"expected a keras.Model, got {type(obj).__name__}")
