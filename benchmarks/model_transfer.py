"""Time a returned model crossing from the student process to the grader, before and after
issue 11 (both halves in this process, no socket: serialisation + checks + rebuild only).

Usage: .venv/bin/python benchmarks/model_transfer.py [--repeat N]
- `keras zip`: `model.save(.keras)` in the child, `keras.saving.load_model(safe_mode=True)` in the
  grader (the old wire);
- `config + raw weights`: `wire.encode_return` in the child, `wire.decode_return` in the grader
  (allowlist walk, shape inference without weights (`modelbound.measure`), deserialisation,
  `set_weights` from the raw buffers), with the `measure` share shown separately.
Models: the seeds' ResNet50 and EfficientNetB0 transfer models (weights=None, 64 px), compiled.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _model(backbone: str):
    import keras

    base = getattr(keras.applications, backbone)(weights=None, include_top=False,
                                                 input_shape=(64, 64, 3))
    base.trainable = False
    x = keras.Input((64, 64, 3))
    y = keras.layers.GlobalAveragePooling2D()(base(x, training=False))
    y = keras.layers.Dense(4, activation="softmax")(keras.layers.Dropout(0.2)(y))
    model = keras.Model(x, y)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _old(model, tmp: str) -> float:
    import keras

    t0 = time.perf_counter()
    path = os.path.join(tmp, "m.keras")
    model.save(path)
    with open(path, "rb") as fh:
        data = fh.read()
    path2 = os.path.join(tmp, "back.keras")
    with open(path2, "wb") as fh:
        fh.write(data)
    keras.saving.load_model(path2, safe_mode=True, compile=True)
    return time.perf_counter() - t0


def _new(model) -> tuple[float, float, int]:
    from autograder.sandbox import modelbound, wire

    t0 = time.perf_counter()
    tree, blobs = wire.encode_return(model)
    got = {k: bytearray(v) for k, v in blobs.items()}
    t1 = time.perf_counter()
    modelbound.measure(json.loads(tree["config"]))
    t_measure = time.perf_counter() - t1
    wire.decode_return(tree, got)  # measures again inside: the total excludes the call above
    return time.perf_counter() - t0 - t_measure, t_measure, sum(len(b) for b in blobs.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| model | MB | keras zip (s) | config + raw weights (s) | of which measure (s) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for backbone in ("ResNet50", "EfficientNetB0"):
            model = _model(backbone)
            old = min(_old(model, tmp) for _ in range(args.repeat))
            runs = [_new(model) for _ in range(args.repeat)]
            new, measure, size = min(runs)
            print(f"| {backbone} | {size / 1e6:.0f} | {old:.2f} | {new:.2f} | {measure:.2f} |")


if __name__ == "__main__":
    main()
