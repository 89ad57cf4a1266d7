"""Framing and value encoding between the trusted grader and the sandboxed student process.

Frame: 4-byte big-endian header length, JSON header (with ``"blobs": [[name, size], ...]``),
then the blobs' bytes in that order. Both directions use this framing.

- parent -> child (trusted -> untrusted): arguments are pickled (the child may unpickle them).
- child -> parent (untrusted -> trusted): a JSON tree + raw array buffers (dtype/shape in the
  tree, checked against each buffer's byte count); models as Keras config + raw weights, bounded
  by `autograder.sandbox.modelbound` before they exist. The parent never unpickles or
  decompresses child data and validates every tag, size and type on receipt (`decode_return`).
  `recv_msg(max_bytes=...)` refuses a message whose declared blobs exceed the budget before
  reading them; the host also charges every reply to a per-student `ByteBudget`.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

MAX_HEADER = 4 * 1024 * 1024
DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # one message
DEFAULT_STUDENT_BYTES = 2 * 1024 * 1024 * 1024  # everything one student sends
MAX_DEPTH = 24
MAX_STR = 1_000_000
MAX_ITEMS = 100_000
DATASET_BATCHES = 4
TAG = "__ag__"


class WireError(Exception):
    """Malformed, oversized or truncated message."""


class TooLarge(WireError):
    """A message whose declared blobs exceed the byte budget (refused before reading them)."""


class BadReturn(Exception):
    """A student return value that cannot cross the sandbox boundary."""


class OverBudget(BadReturn):
    """A well-formed value the grader refuses to hold or run: too many bytes, or a model past
    the static bounds (parameters, activation size, FLOPs)."""


class ByteBudget:
    """Bytes one student may still send the grader (shared by all its processes)."""

    def __init__(self, total: int = DEFAULT_STUDENT_BYTES) -> None:
        self.total, self.left = total, total

    def charge(self, blobs: dict[str, bytes]) -> None:
        self.left -= sum(len(b) for b in blobs.values())


# framing ----------------------------------------------------------------------------------
def send_msg(sock: socket.socket, header: dict[str, Any], blobs: dict[str, bytes] | None = None) -> None:
    blobs = blobs or {}
    header = dict(header, blobs=[[k, len(v)] for k, v in blobs.items()])
    head = json.dumps(header).encode()
    sock.sendall(struct.pack("!I", len(head)) + head)
    for v in blobs.values():
        sock.sendall(v)


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytearray:
    """Exactly `n` bytes (a writable buffer: arrays wrapped around it stay writable)."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("sandbox message timed out")
            sock.settimeout(left)
        else:
            sock.settimeout(None)
        try:
            k = sock.recv_into(view[got:], min(n - got, 1 << 22))
        except TimeoutError:
            raise
        except OSError as exc:
            raise EOFError(f"sandbox connection lost: {exc}") from exc
        if not k:
            raise EOFError("sandbox connection closed")
        got += k
    return buf


def recv_msg(sock: socket.socket, *, timeout: float | None = None,
             max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[dict[str, Any], dict[str, bytearray]]:
    """One framed message. TimeoutError past `timeout` s, EOFError when the peer is gone,
    WireError for anything malformed or larger than `max_bytes`."""
    deadline = None if timeout is None else time.monotonic() + timeout
    (n,) = struct.unpack("!I", _recv_exact(sock, 4, deadline))
    if n > MAX_HEADER:
        raise WireError(f"header too large ({n} bytes)")
    try:
        header = json.loads(_recv_exact(sock, n, deadline))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise WireError(f"header is not JSON: {str(exc)[:200]}") from exc
    if not isinstance(header, dict) or not isinstance(header.get("blobs", []), list):
        raise WireError("header is not an object")
    blobs: dict[str, bytearray] = {}
    total = 0
    for item in header.pop("blobs", []):
        if (not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str)
                or not isinstance(item[1], int) or item[1] < 0):
            raise WireError("bad blob entry")
        total += item[1]
        if total > max_bytes:
            raise TooLarge(f"message larger than {max_bytes} bytes")
        blobs[item[0]] = _recv_exact(sock, item[1], deadline)
    return header, blobs


# child -> parent values ---------------------------------------------------------------------
# Arrays cross as raw little-endian buffers, one blob each, with dtype and shape in the JSON tree;
# the parent checks dtype against an allowlist and prod(shape) * itemsize against the blob's byte
# count, then wraps the bytes it already holds (np.frombuffer): nothing is decompressed and
# nothing is allocated from a size the child declares. Models cross as their Keras config (JSON)
# plus raw weight arrays; `autograder.sandbox.modelbound` bounds the architecture before a single
# weight is allocated in the grader.
ARRAY_DTYPES = frozenset({"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8",
                          "<f2", "<f4", "<f8"})
MAX_NDIM = 32
MAX_TEXT_ITEMSIZE = 4096


def _wire_dtype(a: Any) -> str:
    """The array's dtype as sent: little-endian, numeric/bool, or bounded text (U/S)."""
    import numpy as np

    dt = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
    if dt.kind in "US" and dt.itemsize <= MAX_TEXT_ITEMSIZE:
        return dt.str
    if dt.str not in ARRAY_DTYPES:
        raise BadReturn(f"unsupported array dtype {a.dtype}")
    return np.dtype(dt).str


def _parse_dtype(text: Any) -> Any:
    import numpy as np

    if not isinstance(text, str):
        raise BadReturn("malformed array dtype")
    if text in ARRAY_DTYPES:
        return np.dtype(text)
    if len(text) > 2 and text[:2] in ("<U", "|S") and text[2:].isdigit():
        dt = np.dtype(text)
        if 0 < dt.itemsize <= MAX_TEXT_ITEMSIZE:
            return dt
    raise BadReturn(f"array dtype {text[:40]!r} is not allowed")


class _Encoder:
    """Child side: a return value -> JSON tree + blobs (one raw buffer per array)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def array(self, a: Any) -> dict[str, Any]:
        import numpy as np

        a = np.asarray(a)
        if a.dtype.hasobject:
            raise BadReturn(f"array of Python objects (dtype={a.dtype})")
        dtype = _wire_dtype(a)
        key = f"a{len(self.blobs)}"
        self.blobs[key] = np.ascontiguousarray(a, dtype=dtype).tobytes()
        return {TAG: "array", "k": key, "dtype": dtype, "shape": list(a.shape)}

    def model(self, m: Any, kind: str) -> dict[str, Any]:
        import keras

        try:
            config = json.dumps(keras.saving.serialize_keras_object(m))
        except Exception as exc:  # noqa: BLE001 - unserialisable custom pieces
            raise BadReturn(f"model cannot be serialised: {str(exc)[:200]}") from exc
        if len(config) > MAX_HEADER // 2:
            raise BadReturn("model configuration too large")
        return {TAG: kind, "config": config, "weights": [self.array(w) for w in m.get_weights()]}

    def encode(self, v: Any, depth: int = 0) -> Any:
        import sys

        import numpy as np

        if depth > MAX_DEPTH:
            raise BadReturn("value nested too deeply")
        if v is None or isinstance(v, (bool, int, float)):
            return v
        if isinstance(v, str):
            if len(v) > MAX_STR:
                raise BadReturn("string too long")
            return v
        if isinstance(v, (np.ndarray, np.generic)):
            return dict(self.array(v), scalar=isinstance(v, np.generic))
        if isinstance(v, (list, tuple)):
            if len(v) > MAX_ITEMS:
                raise BadReturn("container too long")
            items = [self.encode(x, depth + 1) for x in v]
            return items if isinstance(v, list) else {TAG: "tuple", "items": items}
        if isinstance(v, dict):
            if len(v) > MAX_ITEMS:
                raise BadReturn("container too long")
            return {TAG: "dict", "items": [[self.encode(k, depth + 1), self.encode(x, depth + 1)]
                                           for k, x in v.items()]}
        tf = sys.modules.get("tensorflow")
        keras = sys.modules.get("keras")
        if keras is not None and isinstance(v, keras.Model):
            return self.model(v, "model")
        if keras is not None and isinstance(v, keras.layers.Layer):
            return self.model(keras.Sequential([v]), "layer")
        if tf is not None and isinstance(v, tf.data.Dataset):
            from autograder.exchange import sample_dataset

            s = sample_dataset(v, DATASET_BATCHES)
            return {TAG: "dataset_sample", "ops": [str(o) for o in s.ops],
                    "element_spec": str(s.element_spec)[:10_000], "cardinality": int(s.cardinality),
                    "batches": [[self.array(x) for x in b] for b in s.batches],
                    "second": [[self.array(x) for x in b] for b in s.second]}
        if tf is not None and isinstance(v, (tf.Tensor, tf.Variable)):
            return dict(self.array(v.numpy()), scalar=False)
        raise BadReturn(f"unsupported return type {type(v).__module__}.{type(v).__qualname__}")


def encode_return(value: Any) -> tuple[Any, dict[str, bytes]]:
    """(JSON tree, blobs) for a student return value; BadReturn if it cannot cross."""
    enc = _Encoder()
    tree = enc.encode(value)
    return tree, enc.blobs


def _decode_array(v: dict[str, Any], blobs: dict[str, bytes], used: set[str]) -> Any:
    """Wrap a blob as an array after checking dtype, shape and byte count (no copy)."""
    import math

    import numpy as np

    key = v.get("k")
    if not isinstance(key, str) or key not in blobs or key in used:
        raise BadReturn("missing array")
    used.add(key)
    dtype = _parse_dtype(v.get("dtype"))
    shape = v.get("shape")
    if (not isinstance(shape, list) or len(shape) > MAX_NDIM
            or not all(type(d) is int and d >= 0 for d in shape)):
        raise BadReturn("malformed array shape")
    data = blobs[key]
    if math.prod(shape) * dtype.itemsize != len(data):
        raise BadReturn(f"array header says {shape} x {dtype.itemsize} bytes, "
                        f"{len(data)} bytes were sent")
    return np.frombuffer(data, dtype=dtype).reshape(shape)


def decode_return(tree: Any, blobs: dict[str, bytes]) -> Any:
    """Parent side: validate and rebuild a value sent by `encode_return` (never unpickles,
    never decompresses; models go through `modelbound.load_bounded` before any weight exists)."""
    import numpy as np

    used: set[str] = set()

    def dec(v: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise BadReturn("value nested too deeply")
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [dec(x, depth + 1) for x in v]
        if not isinstance(v, dict):
            raise BadReturn("malformed value")
        tag = v.get(TAG)
        if tag == "array":
            a = _decode_array(v, blobs, used)
            return a[()] if v.get("scalar") is True and a.ndim == 0 else a
        if tag == "tuple":
            return tuple(dec(x, depth + 1) for x in _list(v.get("items")))
        if tag == "dict":
            out = {}
            for pair in _list(v.get("items")):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise BadReturn("malformed dict")
                k = dec(pair[0], depth + 1)
                if isinstance(k, np.ndarray):
                    k = k.item() if k.ndim == 0 else tuple(k.tolist())
                out[k] = dec(pair[1], depth + 1)
            return out
        if tag in ("model", "layer"):
            from autograder.sandbox.modelbound import load_bounded

            config = v.get("config")
            weights = [_decode_array(w, blobs, used) if isinstance(w, dict) else None
                       for w in _list(v.get("weights"))]
            if not isinstance(config, str) or any(w is None for w in weights):
                raise BadReturn("malformed model")
            model = load_bounded(config, weights)
            return (model.layers[0] if model.layers else model) if tag == "layer" else model
        if tag == "dataset_sample":
            from autograder.exchange import DatasetSample

            batches, second = ([tuple(dec(x, depth + 1) for x in _list(b))
                                for b in _list(v.get(key, []))] for key in ("batches", "second"))
            if not all(isinstance(x, np.ndarray) for b in batches + second for x in b):
                raise BadReturn("malformed dataset sample")
            card = v.get("cardinality", -2)
            return DatasetSample(batches, [str(o)[:100] for o in _list(v.get("ops"))[:64]],
                                 str(v.get("element_spec", ""))[:10_000],
                                 card if type(card) is int else -2, second)
        raise BadReturn(f"unknown value tag {str(tag)[:40]!r}")

    return dec(tree)


def _list(v: Any) -> list[Any]:
    if not isinstance(v, list):
        raise BadReturn("malformed value")
    return v


class HistoryDict(dict):
    """What a `keras.callbacks.History`-like argument becomes in the student process: a dict of
    per-epoch lists that also answers `.history` (so `h["loss"]` and `h.history["loss"]` work)."""

    @property
    def history(self) -> HistoryDict:
        return self


# parent -> child arguments ------------------------------------------------------------------
def encode_args(value: Any, model_bytes: Any, callables: list[Any], depth: int = 0) -> Any:
    """Parent side: args/kwargs -> picklable tree. `model_bytes(model) -> (key, bytes|None)`
    serialises a keras model once per submission (None when the child already has it);
    callables are appended to `callables` and run in the parent when the student calls them."""
    import sys

    import numpy as np

    from autograder.exchange import dataset_source

    if depth > MAX_DEPTH:
        raise TypeError("argument nested too deeply for the sandbox")

    def rec(x: Any) -> Any:
        return encode_args(x, model_bytes, callables, depth + 1)

    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        return value
    if isinstance(value, list):
        return [rec(x) for x in value]
    if isinstance(value, tuple):
        return {TAG: "tuple", "items": [rec(x) for x in value]}
    if isinstance(value, dict):
        tag = "history" if hasattr(value, "history") else "dict"  # e.g. checks' FakeHistory
        return {TAG: tag, "items": [(rec(k), rec(x)) for k, x in value.items()]}
    history = getattr(value, "history", None)
    if isinstance(history, dict) and type(value).__name__ == "History":  # keras History
        return {TAG: "history", "items": [(rec(k), rec(x)) for k, x in history.items()]}
    tf = sys.modules.get("tensorflow")
    keras = sys.modules.get("keras")
    if tf is not None and isinstance(value, tf.data.Dataset):
        src = dataset_source(value)
        if src is None:
            raise TypeError("the sandbox can only send datasets made by exchange.array_dataset")
        return {TAG: "dataset", "arrays": list(src)}
    if keras is not None and isinstance(value, keras.Model):
        key, data = model_bytes(value)
        return {TAG: "model", "key": key, "data": data}
    if tf is not None and isinstance(value, (tf.Tensor, tf.Variable)):
        return {TAG: "tensor", "array": value.numpy()}
    if callable(value):
        callables.append(value)
        return {TAG: "parent_callable", "index": len(callables) - 1,
                "name": getattr(value, "__name__", "callback")}
    raise TypeError(f"the sandbox cannot send {type(value).__name__} to student code")


def decode_args(value: Any, load_model: Any, make_callback: Any = None) -> Any:
    """Child side: inverse of `encode_args`; `load_model(key, data)` caches models by key,
    `make_callback(spec)` turns a parent callable into a local function that calls back."""

    def rec(x: Any) -> Any:
        return decode_args(x, load_model, make_callback)

    if isinstance(value, list):
        return [rec(x) for x in value]
    if not isinstance(value, dict) or TAG not in value:
        return value
    tag = value[TAG]
    if tag == "tuple":
        return tuple(rec(x) for x in value["items"])
    if tag == "dict":
        return {rec(k): rec(x) for k, x in value["items"]}
    if tag == "history":
        return HistoryDict({rec(k): rec(x) for k, x in value["items"]})
    if tag == "dataset":
        from autograder.exchange import array_dataset

        return array_dataset(*value["arrays"])
    if tag == "model":
        return load_model(value["key"], value["data"])
    if tag == "tensor":
        import tensorflow as tf

        return tf.convert_to_tensor(value["array"])
    if tag == "parent_callable" and make_callback is not None:
        return make_callback(value)
    raise ValueError(f"unknown argument tag {tag!r}")
