"""grade_batch: student ids, a local pool of 2 warm workers, per-student callbacks, executors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.errors import AutograderError
from autograder.grading.batch import grade_batch, student_ids
from autograder.grading.executors import make_executor
from autograder.grading.executors.local import LimitedPool, SerialExecutor
from tests.support import toy_notebooks as T


def test_student_ids_are_unique_and_directory_safe():
    pairs = student_ids([Path("a/alice.ipynb"), Path("b/alice.ipynb"), ("bob/../x", "c/z.ipynb"),
                         ("bob/../x", "d/z.ipynb")])
    assert [sid for sid, _ in pairs] == ["a_alice", "b_alice", "bob_.._x", "bob_.._x-2"]
    assert all("/" not in sid for sid, _ in pairs)


def test_executors():
    with pytest.raises(AutograderError, match="unknown executor backend 'nope'"):
        make_executor("nope", jobs=2)  # an unknown backend: a clear error naming the choices
    local = make_executor("local", jobs=1)  # one job too: a spawned, limited evaluator
    assert isinstance(local, LimitedPool) and local.jobs == 1
    local.close()
    out = list(SerialExecutor().map_unordered(lambda x: 10 // x, [5, 0]))
    assert out[0][1] == 2 and isinstance(out[1][2], ZeroDivisionError)


@pytest.mark.slow
def test_pool_of_two_workers_grades_and_writes_each_student(tmp_path, monkeypatch):
    # pure-numpy toy: light zygotes keep this test fast (workers inherit the variable)
    monkeypatch.setenv("AUTOGRADER_SANDBOX_PRELOAD", "numpy,autograder.sandbox.wire")
    subs = [("ana", T.write(tmp_path / "ana.ipynb", T.REFERENCE)),
            ("beto", T.write(tmp_path / "beto.ipynb", T.EMPTY)),
            ("caro", T.write(tmp_path / "caro.ipynb", T.EMPTY, "import os\nos._exit(1)"))]
    seen = []
    results = grade_batch(subs, str(T.TOY), tmp_path / "out", jobs=2, progress=False,
                          on_result=lambda r: seen.append(r.student), timeout=20)
    assert [(r.student, r.score) for r in results] == [("ana", 5.0), ("beto", 0.0), ("caro", 0.0)]
    assert sorted(seen) == ["ana", "beto", "caro"]
    stored = json.loads((tmp_path / "out" / "ana" / "record.json").read_text())
    assert stored["score"] == 5.0 and stored["isolation"] == results[0].isolation.to_dict()
    assert results[2].error and "inesperada" in results[2].error
