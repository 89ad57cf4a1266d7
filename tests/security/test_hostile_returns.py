"""Hostile return values (issue 11, item 4): the grader cannot be crashed, stalled or made to
allocate by what a student sends back, tried for real through the sandbox.

The attacks forge the student process's replies the way a notebook can: by replacing the
guest's `autograder.sandbox.wire.encode_return` / `send_msg` (both live in the sandboxed
process) or by returning hostile Keras models. Grading runs in a child with RLIMIT_AS
(`tests/security/limited.py`): if a defence fails, only that child dies. Each attack scores no
more than the untouched template, and an honest notebook graded after the attacks in the same
batch gets the score it gets alone.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from tests.security.limited import grade_limited
from tests.support import toy_notebooks as T

pytestmark = pytest.mark.slow

MODEL_TOY = Path(__file__).resolve().parents[1] / "fixtures" / "model_toy"
OPTIONS = {"timeout": 60, "call_timeout": 30}
BUDGET_TEXT = "supera los límites del corrector"

# --- forged replies on the sandbox toy (function `add`, 2 of 5 points) ------------------------
FORGE = r'''
import json, struct, sys, zipfile, io
_w = sys.modules["autograder.sandbox.wire"]
_encode, _send = _w.encode_return, _w.send_msg

class _Evil:
    pass

def _install(forged_tree, forged_blobs=None, raw=None):
    def encode(value):
        if isinstance(value, _Evil):
            return forged_tree, forged_blobs or {}
        return _encode(value)
    def send(sock, header, blobs=None):
        if raw is not None and header.get("ok") and header.get("value") == "EVIL":
            sock.sendall(raw)
            return
        _send(sock, header, blobs)
    _w.encode_return, _w.send_msg = encode, send

def _deflate_bomb(n_bytes):
    """A .npz whose one member inflates to `n_bytes` (compressed ~1000x)."""
    import numpy as np
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("a0.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(
                fh, {"descr": "|u1", "fortran_order": False, "shape": (n_bytes,)})
            chunk = bytes(1 << 20)
            for _ in range(n_bytes >> 20):
                fh.write(chunk)
    return buf.getvalue()

def add(a, b):
    return _Evil()
'''

WIRE_ATTACKS = {
    # the npz bomb of the red-team report: the old wire inflated every member in the grader
    "deflate_bomb_npz": 'bomb = _deflate_bomb(256 << 20)\n'
                        '_install({"__ag__": "array", "k": "arrays.npz"}, {"arrays.npz": bomb})',
    "deflate_bomb_as_raw_array": 'bomb = _deflate_bomb(256 << 20)\n_install({"__ag__": "array", '
                                 '"k": "a0", "dtype": "|u1", "shape": [256 << 20]}, {"a0": bomb})',
    "lying_shape_header": '_install({"__ag__": "array", "k": "a0", "dtype": "<f8", '
                          '"shape": [10**6, 10**6]}, {"a0": bytes(8)})',
    "object_dtype": '_install({"__ag__": "array", "k": "a0", "dtype": "|O", "shape": [1]}, '
                    '{"a0": bytes(8)})',
    "declared_100gb_blob": 'head = json.dumps({"ok": True, "value": None, "blobs": '
                           '[["a0", 10**11]]}).encode()\n'
                           'def add(a, b):\n    return "EVIL"\n'
                           '_install(None, raw=struct.pack("!I", len(head)) + head)',
    "json_nesting_bomb": 'head = b"[" * 3_000_000\n'
                         'def add(a, b):\n    return "EVIL"\n'
                         '_install(None, raw=struct.pack("!I", len(head)) + head)',
    "model_config_runs_os_system": '_install({"__ag__": "model", "config": json.dumps({"module": '
                                   '"os", "class_name": "system", "config": "touch /tmp/pwned", '
                                   '"registered_name": None}), "weights": []})',
    "model_weights_lie": 'import keras\n'
                         'cfg = keras.saving.serialize_keras_object(keras.Sequential('
                         '[keras.Input((4,)), keras.layers.Dense(3)]))\n'
                         '_install({"__ag__": "model", "config": json.dumps(cfg), "weights": '
                         '[{"__ag__": "array", "k": "a0", "dtype": "<f4", "shape": [1]}]}, '
                         '{"a0": bytes(4)})',
}

# --- hostile models on the model toy (make_augmentation: 2 of 3 points) ------------------------
AUG = ("keras.layers.RandomFlip('horizontal'), keras.layers.RandomRotation(0.1), "
       "keras.layers.RandomZoom(0.1)")
HONEST_MODEL = f'''
import keras
import numpy as np

def make_augmentation():
    return keras.Sequential([{AUG}])

def scale(x):
    return 2 * x
'''
EMPTY_MODEL = '''
import keras
import numpy as np

def make_augmentation():
    # YOUR CODE HERE
    raise NotImplementedError()

def scale(x):
    # YOUR CODE HERE
    raise NotImplementedError()
'''
MODEL_ATTACKS = {
    # the report's OOM: UpSampling2D(64) + 1x1 convolutions, safe-mode clean
    "upsampling_oom": f"keras.Sequential([{AUG}, keras.layers.UpSampling2D(64), "
                      "keras.layers.Conv2D(64, 1), keras.layers.Conv2D(3, 1)])",
    # declared for 1x1 images, called by the check on 32x32 ones
    "upsampling_small_declared_input": f"keras.Sequential([keras.Input((1, 1, 3)), {AUG}, "
                                       "keras.layers.UpSampling2D(64), keras.layers.Conv2D(64, 1),"
                                       " keras.layers.Conv2D(3, 1)])",
    # the report's stall: 13 wide convolutions (187 s inside the grader)
    "thirteen_convs": f"keras.Sequential([keras.Input((None, None, 3)), {AUG}] + "
                      "[keras.layers.Conv2D(256, 3, padding='same') for _ in range(13)] + "
                      "[keras.layers.Conv2D(3, 1)])",
}
# within bounds as declared (8x8) but fixed-size (Flatten + Dense): measured as declared, and
# the grader refuses to call it on anything larger (at 32x32: 1 GB of activations per call)
FIXED_SIZE = (f"keras.Sequential([keras.Input((8, 8, 3)), {AUG}, keras.layers.UpSampling2D(16),"
              " keras.layers.Conv2D(64, 1), keras.layers.Flatten(), keras.layers.Dense(2)])")


def _model_notebook(path: Path, expr: str) -> Path:
    return T.write(path, EMPTY_MODEL.replace(
        "def make_augmentation():\n    # YOUR CODE HERE\n    raise NotImplementedError()",
        f"def make_augmentation():\n    return {expr}"))


@pytest.fixture(scope="module")
def wire_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wire")
    batch = [(case, str(T.write(tmp / f"{case}.ipynb", T.EMPTY, FORGE, code)))
             for case, code in WIRE_ATTACKS.items()]
    honest = str(T.write(tmp / "honest.ipynb", T.REFERENCE))
    template = str(T.write(tmp / "template.ipynb", T.EMPTY))
    job = {"assignment": str(T.TOY), "outdir": str(tmp / "out"), "options": OPTIONS,
           "batch": [*batch, ("zz_honest", honest)],
           "alone": [("honest", honest), ("template", template)]}
    return grade_limited(job, tmp)


@pytest.fixture(scope="module")
def model_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("models")
    batch = [(case, str(_model_notebook(tmp / f"{case}.ipynb", expr)))
             for case, expr in [*MODEL_ATTACKS.items(), ("fixed_size", FIXED_SIZE)]]
    honest = str(T.write(tmp / "honest.ipynb", HONEST_MODEL))
    template = str(T.write(tmp / "template.ipynb", EMPTY_MODEL))
    job = {"assignment": str(MODEL_TOY), "outdir": str(tmp / "out"), "options": OPTIONS,
           "batch": [*batch, ("zz_honest", honest)],
           "alone": [("honest", honest), ("template", template)]}
    return grade_limited(job, tmp)


@pytest.mark.parametrize("case", sorted(WIRE_ATTACKS))
def test_forged_reply_scores_nothing(wire_run, case):
    got = wire_run["batch"][case]
    assert got["score"] <= wire_run["alone"]["template"]["score"] == 0.0, got
    score, message = got["tests"]["add"]
    assert score == 0.0 and "add" in message, message
    assert not Path("/tmp/pwned").exists()


def test_wire_attacks_leave_the_batch_and_the_grader_intact(wire_run):
    assert wire_run["alone"]["honest"]["score"] == 5.0
    assert wire_run["batch"]["zz_honest"]["score"] == 5.0
    assert wire_run["maxrss_mb"] < 2500  # nothing inflated, nothing allocated from a header


@pytest.mark.parametrize("case", sorted(MODEL_ATTACKS))
def test_hostile_model_fails_its_check_with_the_budget_message(model_run, case):
    got = model_run["batch"][case]
    assert got["score"] <= model_run["alone"]["template"]["score"] == 0.0, got
    score, message = got["tests"]["augment"]
    assert score == 0.0 and BUDGET_TEXT in message, message


def test_fixed_size_model_is_not_called_on_larger_inputs(model_run):
    got = model_run["batch"]["fixed_size"]
    score, message = got["tests"]["augment"]
    assert "larger than the (8, 8, 3) this model was checked for" in message, message
    assert score < 2.0


def test_model_attacks_leave_the_batch_and_the_grader_intact(model_run):
    assert model_run["alone"]["honest"]["score"] == 3.0, model_run["alone"]["honest"]
    assert model_run["batch"]["zz_honest"]["score"] == 3.0
    assert model_run["maxrss_mb"] < 3000


def test_per_student_budget_spans_replies(tmp_path):
    """Replies each under the per-message cap stop once the student's total budget is spent."""
    from autograder.errors import StudentCodeError
    from autograder.sandbox import wire
    from autograder.sandbox.host import StudentProcess
    from autograder.sandbox.proxy import SandboxStudent
    from autograder.sandbox.zygote import get_zygote

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import numpy as np\ndef chunk():\n    return np.ones(1 << 19)  # 4 MiB\n")]
    proc = StudentProcess(get_zygote(), timeout=60, call_timeout=30, max_bytes=6 << 20,
                          byte_budget=wire.ByteBudget(10 << 20))
    try:
        proc.run_notebook(nbformat.writes(nb))
        student = SandboxStudent(proc)
        assert student.chunk().shape == (1 << 19,)
        assert student.chunk().sum() == 1 << 19
        with pytest.raises(StudentCodeError) as info:
            student.chunk()
        assert info.value.kind == "over_budget"
    finally:
        proc.close()


def test_arrays_arrive_writable_and_exact():
    """Raw buffers round-trip every allowed dtype, stay writable and are not copied twice."""
    from autograder.sandbox import wire

    values = [np.arange(6).astype(d).reshape(2, 3) for d in
              ("bool", "int8", "uint8", "int16", "int32", "int64", "float16", "float32",
               "float64")] + [np.array(["ab", "c"]), np.float32(1.5), np.arange(3).astype(">i4")]
    tree, blobs = wire.encode_return(values)
    got = wire.decode_return(tree, {k: bytearray(v) for k, v in blobs.items()})
    for a, b in zip(values, got, strict=True):
        np.testing.assert_array_equal(a, b)
    assert isinstance(got[-2], np.float32)
    got[0][0, 0] = True  # writable


def test_student_function_sees_a_cell_like_caller():
    """A graded call looks like a call from the student's own cells: the caller's frame is
    module-level code of a `<cell N>` whose globals AND locals are the notebook's namespace (no
    grader names in it), and the process facts a function can read (argv, cwd, environment,
    threads, open descriptors, main thread) are the same as during the notebook's own run."""
    from autograder.sandbox.host import StudentProcess
    from autograder.sandbox.proxy import SandboxStudent
    from autograder.sandbox.zygote import get_zygote

    code = '''import os, sys, threading
def spy():
    f = sys._getframe(1)
    return [f.f_code.co_filename, f.f_code.co_name, f.f_globals is globals(),
            f.f_locals is f.f_globals, sorted(k for k in f.f_locals if k.startswith("__ag")),
            {"argv": list(sys.argv), "cwd": os.getcwd(), "env": sorted(os.environ),
             "threads": sorted(t.name for t in threading.enumerate()),
             "main": threading.current_thread() is threading.main_thread(),
             "fds": sorted(os.listdir("/proc/self/fd"))}]
from_cell = spy()
'''
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    proc = StudentProcess(get_zygote(), timeout=60, call_timeout=30)
    try:
        proc.run_notebook(nbformat.writes(nb))
        student = SandboxStudent(proc)
        filename, name, same_globals, locals_are_globals, grader_names, facts = student.spy()
        assert filename.startswith("<cell ") and name == "<module>" and same_globals is True
        assert locals_are_globals is True and grader_names == []
        cell = student.global_value("from_cell")
        assert cell[:5] == ["<cell 0>", "<module>", True, True, []]
        assert facts == cell[5]  # nothing of the process differs from the notebook's own run
    finally:
        proc.close()


STACK_SPY = '''import inspect, signal, sys, traceback
def spy():
    """Every frame above the caller's (the cell's) frame, two ways, and the caller itself."""
    outer = [(f.function, f.filename, f.lineno) for f in inspect.stack()[2:]]
    extracted = [(f.name, f.filename, f.lineno) for f in traceback.extract_stack()[:-2]]
    cell = inspect.stack()[1]
    return [outer, extracted, [cell.function, cell.filename, cell.code_context is not None],
            [sys._getframe(k).f_code.co_name for k in range(2, 6)],
            sys.modules["__main__"].__dict__ is globals(),
            signal.getitimer(signal.ITIMER_REAL)[0] > 0, sys.argv[:]]
'''


def test_graded_call_sees_the_notebook_stack():
    """Issue 11 point 7: a graded call runs through the same cell loop as the notebook's cells,
    so every frame above the calling cell (function, file, line; `inspect.stack()` and
    `traceback.extract_stack()` alike) is the one a call from a notebook cell sees; the caller
    is a `<cell N>` of its own (not one of the notebook's) whose source is registered like
    theirs, the alarm is armed as during a cell and argv is the same."""
    from autograder.sandbox.host import StudentProcess
    from autograder.sandbox.proxy import SandboxStudent
    from autograder.sandbox.zygote import get_zygote

    nb = T.notebook(STACK_SPY, "from_cell = spy()", "def nested():\n    return spy()\n")
    proc = StudentProcess(get_zygote(), timeout=60, call_timeout=30)
    try:
        report = proc.run_notebook(nbformat.writes(nb))
        assert report.cell_errors == [] and report.executed == [1, 2, 3, 4]
        student = SandboxStudent(proc)
        cell = student.global_value("from_cell")
        graded, again = student.spy(), student.spy()
        assert cell[0] and cell[0] == cell[1][::-1]  # both views list the same frames
        assert cell[2] == ["<module>", "<cell 3>", True]
        for call in (graded, again):
            assert call[0] == cell[0] and call[1] == cell[1], (call[:2], cell[:2])
            assert call[3:] == cell[3:]
            name, filename, has_source = call[2]
            assert name == "<module>" and has_source is True
            assert filename.startswith("<cell ") and filename not in {
                f"<cell {i}>" for i in range(len(nb.cells))}
        assert graded[2][1] != again[2][1]  # each call is a cell of its own
        nested = student.nested()  # spy's caller is now `nested`; above it, the cell, the same
        assert nested[2][0] == "nested" and nested[0][0][0] == "<module>"
        assert nested[0][1:] == cell[0]
    finally:
        proc.close()


STACK_CHEATER = '''import inspect
_SEEN = []
def add(a, b):
    """Right only when its callers differ from those seen from a notebook cell (graded)."""
    outer = [(f.function, f.filename, f.lineno) for f in inspect.stack()[2:]]
    if not _SEEN:
        _SEEN.append(outer)
    return a + b if outer != _SEEN[0] else a - b
add(0, 0)
'''


def test_stack_cheater_scores_as_the_template(tmp_path):
    """A function that answers right only when its outer frames differ from those a notebook
    cell saw cannot tell that it is graded: it scores what the untouched template scores."""
    from autograder.grading.pipeline import grade_notebook

    cheater = grade_notebook(T.write(tmp_path / "cheater.ipynb", T.EMPTY, STACK_CHEATER),
                             str(T.TOY), **OPTIONS)
    assert cheater.outcomes["add"].score == 0.0, cheater.outcomes["add"].message
    empty = grade_notebook(T.write(tmp_path / "empty.ipynb", T.EMPTY), str(T.TOY), **OPTIONS)
    assert cheater.score == empty.score == 0.0


def test_model_argument_leaves_no_file_in_the_students_folder():
    """A checker's model crosses as a `.keras` file the guest reads and removes at once: the
    student's working folder lists what it listed during the notebook's run."""
    import keras

    from autograder.sandbox.host import StudentProcess
    from autograder.sandbox.zygote import get_zygote

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import os\ndef ls(model=None):\n    return sorted(os.listdir('.'))\nfrom_cell = ls()\n")]
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    proc = StudentProcess(get_zygote(), timeout=60, call_timeout=30)
    try:
        proc.run_notebook(nbformat.writes(nb))
        assert proc.call("ls", (model,), {}) == proc.get("from_cell")
        assert proc.call("ls", (model,), {}) == proc.get("from_cell")  # the cached model too
    finally:
        proc.close()
