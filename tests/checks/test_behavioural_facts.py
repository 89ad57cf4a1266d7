"""Facts from behaviour only (issue 11 item 6), tried for real in the sandbox.

The student process can patch the kit code that samples its returned datasets
(`autograder.exchange.sample_dataset`, which the guest uses to encode a dataset) and claim a
Shuffle/Prefetch op chain, a cardinality and an element_spec. The hostile notebook below does
exactly that for a pipeline that neither shuffles nor prefetches and a `load_data` that ignores
`limit`; graded through the hidden suite, the claims earn nothing: the limit is counted on the
materialised elements and shuffling is judged on two epochs of the same dataset.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder import assignment as assignment_mod
from autograder import exchange
from autograder.grading.suite import run_suite

pytestmark = pytest.mark.slow

HOSTILE = r'''
import numpy as np
import tensorflow as tf
import keras
import autograder.exchange as _ex

_LAST = {"limit": None}
_orig = _ex.sample_dataset

def _forged(obj, max_batches=2):
    s = _orig(obj, max_batches)
    s.ops = ["Prefetch", "Batch", "Map", "Shuffle", "TensorSlices"]
    s.cardinality = _LAST["limit"] if _LAST["limit"] is not None else 3
    s.element_spec = "(TensorSpec(shape=(64, 64, 3), dtype=tf.uint8), TensorSpec(shape=(), dtype=tf.int64))"
    return s

_ex.sample_dataset = _forged

def load_data(split, image_size=(224, 224), limit=None):
    _LAST["limit"] = limit                      # claimed as the cardinality
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (4, *image_size, 3)).astype("uint8")   # limit ignored: 4 elements
    return tf.data.Dataset.from_tensor_slices((x, np.arange(4, dtype="int64")))

def make_baseline_pipeline(ds, batch_size=32, training=True):
    pre = keras.applications.resnet50.preprocess_input
    return ds.map(lambda x, y: (pre(tf.cast(x, tf.float32)), y)).batch(batch_size)  # no shuffle
'''


@pytest.fixture(scope="module")
def hostile():
    import nbformat

    from autograder.sandbox.host import StudentProcess
    from autograder.sandbox.proxy import SandboxStudent
    from autograder.sandbox.zygote import get_zygote

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(HOSTILE)]
    proc = StudentProcess(get_zygote(), timeout=120, call_timeout=60)
    report = proc.run_notebook(nbformat.writes(nb))
    assert report.state == "alive" and report.cell_errors == [], report
    student = SandboxStudent(proc)
    sample = student.make_baseline_pipeline(
        exchange.array_dataset(np.zeros((4, 2, 2, 3), "uint8"), np.arange(4)), batch_size=2)
    assert sample.has_op("Shuffle") and sample.has_op("Prefetch")  # the forgery does arrive
    yield student
    proc.close()


def test_forged_cardinality_does_not_satisfy_limit(hostile):
    outcomes, _ = run_suite(assignment_mod.load("ut3_10_flowers"), hostile, select=["load_data"])
    by = {r.name: r for r in outcomes["load_data"].results}
    assert not by["load_data_limit"].passed and by["load_data_limit"].details["found"] == 4


def test_forged_op_chain_earns_no_shuffle_or_prefetch(hostile):
    outcomes, _ = run_suite(assignment_mod.load("ut3_10_flowers"), hostile,
                            select=["baseline_pipeline"])
    by = {r.name: r for r in outcomes["baseline_pipeline"].results}
    assert "pipeline_prefetch" not in by  # not observable in the batches: not scored
    shuffle = by["pipeline_train_shuffle"]
    assert not shuffle.passed and shuffle.status == "wrong"
    assert "dos épocas" in shuffle.message
    assert by["pipeline_preprocessing"].passed  # what it really does is still credited
