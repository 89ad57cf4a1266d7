"""Hostile submissions (issue 7): each finishes within its limit, scores no more than the honest
empty template (0), leaves no process behind, cannot read other submissions or hidden tests,
cannot write a results file the grader trusts, and the batch continues."""

from __future__ import annotations

import json
import re
import time

import pytest

from autograder.grading.batch import grade_batch
from autograder.grading.pipeline import grade_notebook
from autograder.model import IsolationFeature
from autograder.sandbox.host import OUTPUT_TAIL
from autograder.sandbox.zygote import get_zygote
from tests.support import toy_notebooks as T

pytestmark = pytest.mark.slow

TIMEOUT, CALL_TIMEOUT = 3, 2
LIMIT_S = 30  # generous wall-clock bound per hostile notebook on a loaded 2-core machine


def _fn(name: str, body: str) -> str:
    """The empty template with one function's body replaced by `body` (indented)."""
    marker = f"def {name}("
    start = T.EMPTY.index(marker)
    end = T.EMPTY.index("raise NotImplementedError()", start) + len("raise NotImplementedError()")
    head = T.EMPTY[start:T.EMPTY.index(":\n", start) + 2]
    indented = "\n".join("    " + ln for ln in body.splitlines())
    return T.EMPTY[:start] + head + indented + T.EMPTY[end:]


OUTLIVE = r'''
import os, subprocess
subprocess.Popen(["sleep", "987.6"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        subprocess.Popen(["sh", "-c", "sleep 987.7"]).wait()
    os._exit(0)
'''

MONKEYPATCH_NUMPY = r'''
import numpy as np
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.ndarray.__eq__ = lambda *a, **k: True
'''

# breaks the student process's own plumbing: it can only hurt itself (crash -> 0)
MONKEYPATCH_BUILTINS = r'''
import builtins, json
builtins.isinstance = lambda *a, **k: True
builtins.print = lambda *a, **k: None
json.dumps = lambda *a, **k: '{"ok": true, "value": 1}'
'''

HARDCODED = '''
import numpy as np
def add(a, b):
    return np.zeros((4, 5), dtype="float32")
def normalize(x):
    return np.ones((4, 5), dtype="float32")
def scaled(x):
    return np.full((4, 5), 2.0, dtype="float32")
'''

# case -> (cells, regex that must match in the result: error, check messages or cell errors)
CASES = {
    "loop_top_level": ([T.EMPTY, "while True:\n    pass"], "superó el límite"),
    "loop_in_function": ([_fn("add", "while True:\n    pass")], "no terminó en 2 s"),
    "loop_that_swallows_timeouts": ([_fn("add", "while True:\n    try:\n        while True:\n"
                                                "            pass\n    except BaseException:\n"
                                                "        pass")], "no terminó en 2 s"),
    "alloc_30gb_top_level": ([T.EMPTY, "import numpy as np\nx = np.ones(30 * 1024**3 // 8)"],
                             "MemoryError"),
    "alloc_30gb_in_function": ([_fn("add", "return np.ones(30 * 1024**3 // 8)")], "MemoryError"),
    "sys_exit_top_level": ([T.EMPTY, "import sys\nsys.exit(0)"], "SystemExit"),
    "sys_exit_in_function": ([_fn("normalize", "import sys\nsys.exit(0)")], "SystemExit"),
    "os_exit_top_level": ([T.EMPTY, "import os\nos._exit(0)"], "terminó de forma inesperada"),
    "os_exit_in_function": ([_fn("add", "import os\nos._exit(0)")], "terminó mientras se corregía"),
    "kill_own_process": ([T.EMPTY, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"],
                         "terminó de forma inesperada"),
    # the seccomp filter refuses signals to the zygote (PermissionError in the cell)
    "kill_the_zygote": ([T.EMPTY, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"],
                        "terminó|no está implementada"),
    "monkeypatch_numpy": ([MONKEYPATCH_NUMPY, HARDCODED], "valor incorrecto"),
    "monkeypatch_builtins_json": ([HARDCODED, MONKEYPATCH_BUILTINS], "terminó"),
    "hard_coded_outputs": ([HARDCODED], "valor incorrecto"),
    "spawn_children_that_outlive_it": ([T.EMPTY, OUTLIVE], "no está implementada"),
    "print_50mb": ([T.EMPTY, "print('x' * 50_000_000)"], "no está implementada"),
    "print_50mb_in_function": ([_fn("add", "print('y' * 50_000_000)\nreturn a + b + 1")],
                               "valor incorrecto"),
}


@pytest.fixture(scope="module", autouse=True)
def warm_zygote():
    """Start the (shared) zygote first so the per-notebook time limits exclude its start-up."""
    get_zygote()


@pytest.fixture(autouse=True)
def short_grace(monkeypatch):
    from autograder.sandbox import host

    monkeypatch.setattr(host, "GRACE_S", 2.0)


def _grade(path, **kw):
    t0 = time.monotonic()
    r = grade_notebook(path, str(T.TOY), timeout=TIMEOUT, call_timeout=CALL_TIMEOUT, **kw)
    return r, time.monotonic() - t0


def _assert_contained(r, elapsed):
    assert elapsed < LIMIT_S
    assert r.score <= 0.0, {o.id: (o.score, o.message) for o in r.outcomes.values()}
    assert set(r.outcomes) == {"add", "normalize", "scaled"}
    assert T.stray_processes() == []
    assert len(r.stdout_tail) <= OUTPUT_TAIL + 200


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_notebook_is_contained(tmp_path, case):
    cells, expected = CASES[case]
    r, elapsed = _grade(T.write(tmp_path / f"{case}.ipynb", *cells))
    _assert_contained(r, elapsed)
    text = " ".join([r.error or ""] + [o.message for o in r.outcomes.values()]
                    + [e["exc_type"] for e in r.cell_errors])
    assert re.search(expected, text)


def test_endless_function_reports_timeout(tmp_path):
    r, _ = _grade(T.write(tmp_path / "loop.ipynb", _fn("add", "while True:\n    pass")))
    assert f"no terminó en {CALL_TIMEOUT} s" in r.outcomes["add"].message


def test_memory_bomb_is_a_clean_memory_error(tmp_path):
    r, _ = _grade(T.write(tmp_path / "mem.ipynb", T.EMPTY,
                          "import numpy as np\nx = np.ones(30 * 1024**3 // 8)"))
    assert r.cell_errors and r.cell_errors[0]["exc_type"] == "MemoryError"


def test_huge_output_is_truncated(tmp_path):
    r, _ = _grade(T.write(tmp_path / "out.ipynb", T.REFERENCE, "print('x' * 50_000_000)"))
    assert r.score == 5.0  # printing does not hurt an honest notebook either
    assert "bytes omitted" in r.stdout_tail and len(r.stdout_tail) < OUTPUT_TAIL + 200


def test_outliving_children_are_killed(tmp_path):
    r, _ = _grade(T.write(tmp_path / "fork.ipynb", T.EMPTY, OUTLIVE))
    assert r.cell_errors == []
    time.sleep(0.5)
    assert T.processes_with("987.6") == [] and T.processes_with("987.7") == []


def test_cannot_read_other_submissions_or_hidden_tests_or_write_results(tmp_path):
    other = T.write(tmp_path / "other_student.ipynb", T.REFERENCE)
    hidden = T.TOY / "tests" / "test_sandbox_toy.py"
    outdir = tmp_path / "out"
    spy = f'''
import os
for path in [{str(other)!r}, {str(hidden)!r}, "/etc/passwd"]:
    try:
        open(path).read()
        print("LEAK", path)
    except OSError:
        print("BLOCKED", path)
for module in ["autograder.checks.base", "autograder.checks.reference_explain", "autograder.grading.pipeline"]:
    try:
        __import__(module)
        print("LEAK", module)
    except ImportError:
        print("BLOCKED", module)
fake = '{{"score": 100, "tests": []}}'
for d in [".", "..", "/tmp", os.environ["HOME"], {str(tmp_path)!r}, {str(outdir / "spy")!r},
          {str(T.TOY)!r}, "/usr/lib"]:
    try:
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "results.json"), "w") as fh:
            fh.write(fake)
        print("WROTE", d)
    except OSError:
        print("NOWRITE", d)
'''
    [r] = grade_batch([("spy", T.write(tmp_path / "spy" / "spy.ipynb", T.EMPTY, spy))],
                      str(T.TOY), outdir, progress=False, timeout=TIMEOUT,
                      call_timeout=CALL_TIMEOUT)
    assert f"BLOCKED {other}" in r.stdout_tail and f"BLOCKED {hidden}" in r.stdout_tail
    # not even the checks library, reference code or the grader (/etc/passwd is a one-line stub)
    assert [ln for ln in r.stdout_tail.splitlines() if ln.startswith("LEAK")] == ["LEAK /etc/passwd"]
    # host folders outside /tmp do not even exist in the sandbox, and the root is read-only
    # (a checkout under /tmp, as in some CI clones, is shadowed by the private tmpfs instead)
    assert "NOWRITE /usr/lib" in r.stdout_tail
    if not str(T.TOY).startswith("/tmp/"):
        assert f"NOWRITE {T.TOY}" in r.stdout_tail
    # writes into /tmp-like paths land in the sandbox's private tmpfs, never on the host
    assert not (tmp_path / "results.json").exists() and not (T.TOY / "results.json").exists()
    stored = json.loads((outdir / "spy" / "record.json").read_text())
    assert stored["score"] == 0.0 and r.score == 0.0


MALFORMED = {
    "not_json": b"esto no es json {",
    "json_not_notebook": b'{"hello": [1, 2, 3]}',
    "nbformat_v3": json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [],
                               "metadata": {}}).encode(),
    "empty": b"",
    "binary": bytes(range(256)) * 8,
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_gets_a_clear_error_and_zero(tmp_path, case):
    path = tmp_path / f"{case}.ipynb"
    path.write_bytes(MALFORMED[case])
    r, elapsed = _grade(path)
    assert r.error and r.error.startswith("No se pudo leer la entrega")
    assert r.score == 0.0 and {o.status for o in r.outcomes.values()} == {"error"}
    assert elapsed < 5


def test_batch_continues_past_hostile_notebooks_and_resumes(tmp_path):
    subs = tmp_path / "subs"
    paths = [T.write(subs / "a_exit.ipynb", T.EMPTY, "import os\nos._exit(0)"),
             T.write(subs / "b_kill.ipynb", T.EMPTY, "import os\nos.kill(os.getpid(), 9)"),
             T.write(subs / "c_loop.ipynb", T.EMPTY, "while True:\n    pass"),
             subs / "d_binary.ipynb",
             T.write(subs / "e_honest.ipynb", T.REFERENCE)]
    paths[3].write_bytes(MALFORMED["binary"])
    out = tmp_path / "out"
    seen = []
    results = grade_batch(paths, str(T.TOY), out, progress=lambda d, n, r: seen.append((d, n)),
                          timeout=TIMEOUT, call_timeout=CALL_TIMEOUT)
    assert [r.student for r in results] == ["a_exit", "b_kill", "c_loop", "d_binary", "e_honest"]
    assert [r.score for r in results] == [0.0, 0.0, 0.0, 0.0, 5.0]
    assert seen[-1] == (5, 5)
    assert T.stray_processes() == []
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("*/record.json")}
    assert len(stamps) == 5
    # a re-run resumes: nothing is regraded
    t0 = time.monotonic()
    again = grade_batch(paths, str(T.TOY), out, progress=False)
    assert time.monotonic() - t0 < 3 and [r.score for r in again] == [0.0, 0.0, 0.0, 0.0, 5.0]
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/record.json")} == stamps
    # --force regrades (just the honest one, to stay fast)
    forced = grade_batch([paths[4]], str(T.TOY), out, progress=False, force=True)
    assert forced[0].score == 5.0
    assert (out / "e_honest" / "record.json").stat().st_mtime_ns != stamps[out / "e_honest" / "record.json"]


FORK_BOMB = '''
import os, time
n = 0
for _ in range(400):
    try:
        pid = os.fork()
    except OSError as e:
        print("LIMITED after", n, e)
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    n += 1
else:
    print("NOT LIMITED", n)
'''


def test_fork_bomb_is_bounded_and_cleaned_up(tmp_path, monkeypatch):
    # a light zygote with a low task cap keeps this fast (the cap is part of the zygote's key)
    monkeypatch.setenv("AUTOGRADER_SANDBOX_PRELOAD", "numpy,autograder.sandbox.wire")
    monkeypatch.setenv("AUTOGRADER_PIDS_MAX", "64")
    r, elapsed = _grade(T.write(tmp_path / "bomb.ipynb", T.EMPTY, FORK_BOMB))
    if not r.isolation.has(IsolationFeature.CGROUP):
        pytest.skip("no writable cgroup here: fork bombs are bounded only by RLIMIT_NPROC and "
                    "the deadline (run the grader as root, or with a delegated cgroup)")
    assert "LIMITED after" in r.stdout_tail and r.score == 0.0
    _assert_contained(r, elapsed)
