"""What crosses the sandbox boundary: keras models both ways, datasets, tensors, callbacks into
the trusted process, and refusal of anything unsafe (StudentProcess / SandboxStudent level)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder import exchange
from autograder.errors import StudentCodeError
from autograder.sandbox.host import StudentProcess
from autograder.sandbox.proxy import SandboxStudent
from autograder.sandbox.zygote import get_zygote

pytestmark = pytest.mark.slow

CODE = r'''
import numpy as np
import tensorflow as tf
import keras

data_augmentation = keras.Sequential([keras.layers.RandomFlip("horizontal")])
THRESHOLD = 0.5

def make_model():
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="categorical_crossentropy")
    return m

def model_sum(model, x):
    return float(np.sum(model(x).numpy()))

def model_identity(model):
    return id(model)

def pipe(ds, batch_size=4, training=False):
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32) * 2.0, y)).batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE)

def pipe_autograph(ds):
    def f(x, y):
        if tf.reduce_sum(tf.cast(x, tf.float32)) > 0:  # needs AutoGraph (source must be readable)
            x = tf.cast(x, tf.float32) * 2.0
        else:
            x = tf.cast(x, tf.float32) * 0.0
        return x, y
    return ds.map(f).batch(2)

def own_source():
    import inspect
    return inspect.getsource(own_source).splitlines()[0]

def pickles_itself():
    import pickle, __main__
    return len(pickle.dumps(pickles_itself)) > 0 and __main__.THRESHOLD == 0.5

def as_tensor():
    return tf.constant([[1.0, 2.0]])

def sweep(learning_rates, train_fn):
    return {lr: train_fn(lr) for lr in learning_rates}

def sweep_history(learning_rates, train_fn):
    return {lr: max(train_fn(lr).history["val_accuracy"]) for lr in learning_rates}

def mixed():
    return {"a": (np.float32(1.5), [1, "x", None]), 3: np.arange(3)}

def bad_object():
    return object()

def bad_generator():
    return (i for i in range(3))

def unsafe_model():
    return keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2)])

def huge():
    return np.zeros(2_000_000)

def needs_seed(x, seed=None):
    return x * 0 + (seed or 0)
'''


@pytest.fixture(scope="module")
def student():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CODE)]
    proc = StudentProcess(get_zygote(), timeout=60, call_timeout=30,
                                  max_bytes=4 * 1024 * 1024)
    report = proc.run_notebook(nbformat.writes(nb))
    assert report.cell_errors == [] and report.state == "alive"
    yield SandboxStudent(proc)
    proc.close()


def test_returned_model_is_loaded_safely(student):
    import keras

    model = student.make_model()
    assert isinstance(model, keras.Model)
    assert model.output_shape == (None, 3) and model.loss == "categorical_crossentropy"


def test_model_argument_is_sent_once_and_resent_when_weights_change(student):
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    x = np.ones((2, 4), "float32")
    assert student.model_sum(model, x) == pytest.approx(float(model(x).numpy().sum()), rel=1e-5)
    first, again = student.model_identity(model), student.model_identity(model)
    assert first == again  # cached in the student process
    model.set_weights([w * 0 + 1 for w in model.get_weights()])
    assert student.model_identity(model) != first
    assert student.model_sum(model, x) == pytest.approx(2 * 3 * 5.0)


def test_dataset_goes_in_as_arrays_and_comes_back_as_sample(student):
    images = np.arange(10 * 2 * 2 * 3, dtype="uint8").reshape(10, 2, 2, 3)
    labels = np.arange(10)
    sample = student.pipe(exchange.array_dataset(images, labels), batch_size=4)
    assert isinstance(sample, exchange.DatasetSample)
    assert sample.has_op("Prefetch") and sample.has_op("Batch") and sample.has_op("Map")
    x0, y0 = sample.batches[0]
    assert x0.dtype == np.float32 and x0.shape == (4, 2, 2, 3)
    np.testing.assert_array_equal(x0, images[:4] * 2.0)
    np.testing.assert_array_equal(y0, labels[:4])
    assert len(sample.batches) == 3 and sample.cardinality == 3


def test_cell_source_is_available_to_autograph_and_inspect(student):
    images = np.ones((4, 2, 2, 3), "uint8")
    sample = student.pipe_autograph(exchange.array_dataset(images, np.arange(4)))
    np.testing.assert_array_equal(sample.batches[0][0], np.full((2, 2, 2, 3), 2.0))
    assert student.own_source() == "def own_source():"
    assert student.pickles_itself() is True  # notebook code lives in a real __main__


def test_tensors_containers_and_scalars(student):
    np.testing.assert_array_equal(student.as_tensor(), [[1.0, 2.0]])
    value = student.mixed()
    assert set(value) == {"a", 3}
    scalar, items = value["a"]
    assert isinstance(scalar, np.float32) and scalar == 1.5 and items == [1, "x", None]
    np.testing.assert_array_equal(value[3], [0, 1, 2])
    assert student.needs_seed(np.ones(2), seed=4).tolist() == [4.0, 4.0]


def test_callables_run_in_the_trusted_process(student):
    seen = []

    def train_fn(lr):
        seen.append(lr)
        return 1.0 - lr

    assert student.sweep([0.1, 0.01], train_fn) == {0.1: 0.9, 0.01: 0.99}
    assert seen == [0.1, 0.01]
    from autograder.checks.lr_sweep import expected_sweep, fake_train_fn

    assert student.sweep_history([1e-3, 1e-4], fake_train_fn) == expected_sweep([1e-3, 1e-4])


@pytest.mark.parametrize("func", ["bad_object", "bad_generator", "unsafe_model"])
def test_unsafe_or_unsupported_returns_are_refused(student, func):
    with pytest.raises(StudentCodeError) as info:
        getattr(student, func)()
    assert info.value.kind == "bad_return"


def test_missing_functions_and_globals(student):
    assert student.not_there is None
    assert student.THRESHOLD is None  # not callable
    assert student.global_value("THRESHOLD") == 0.5
    import keras

    assert isinstance(student.global_value("data_augmentation"), keras.Sequential)


def test_oversized_reply_kills_the_process_and_later_calls_fail():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CODE)]
    proc = StudentProcess(get_zygote(), timeout=60, call_timeout=30,
                                  max_bytes=1024 * 1024)
    try:
        proc.run_notebook(nbformat.writes(nb))
        student = SandboxStudent(proc)
        with pytest.raises(StudentCodeError) as info:
            student.huge()
        assert info.value.kind == "over_budget" and "MiB" in info.value.detail
        with pytest.raises(StudentCodeError) as info:
            student.as_tensor()
        assert info.value.kind == "crashed"
    finally:
        proc.close()


def test_wire_rejects_malformed_trees():
    from autograder.sandbox import wire

    for tree in ({"__ag__": "pickle"}, {"__ag__": "array", "k": "nope"}, {"x": 1},
                 {"__ag__": "model", "k": "m0"}, {"__ag__": "dict", "items": [[1]]}):
        with pytest.raises(wire.BadReturn):
            wire.decode_return(tree, {})
    # object arrays never cross: the dtype is not on the allowlist
    with pytest.raises(wire.BadReturn):
        wire.decode_return({"__ag__": "array", "k": "a0", "dtype": "|O", "shape": [1]},
                           {"a0": bytearray(8)})
    assert json.loads(json.dumps(wire.encode_return((1, [2.5]))[0]))


def test_two_live_students_of_one_zygote_are_isolated_and_killed_separately(student):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os\ndef where():\n    return os.getcwd()\n")]
    other = StudentProcess(get_zygote(), timeout=30, call_timeout=10)
    other.run_notebook(nbformat.writes(nb))
    assert other.root is not None and other.root != student._proc.root
    here = SandboxStudent(other).where()
    other.close()  # kills only `other`
    assert student.as_tensor().shape == (1, 2)  # the first student still answers
    assert "student-" in here  # its own private working directory


def test_students_get_the_python_environment_as_installed(student):
    """`autograder/__init__.py` blocks `rfc3987_syntax` (a 2 s import jsonschema pulls in) in
    the kit's own processes only: in a student's interpreter it imports as installed."""
    import sys

    import nbformat

    assert sys.modules.get("rfc3987_syntax", None) is None  # this (the kit's) process
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import sys\ndef blocked():\n    return sys.modules.get('rfc3987_syntax', 0) is None\n")]
    other = StudentProcess(get_zygote(), timeout=30, call_timeout=10)
    try:
        other.run_notebook(nbformat.writes(nb))
        assert SandboxStudent(other).blocked() is False
    finally:
        other.close()
