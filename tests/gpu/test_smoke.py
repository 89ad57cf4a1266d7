"""GPU smoke (`gpu` marker, run with `make test-gpu` on a GPU host): the whole
`autograder grade --gpu --run-all --profile gpu-smoke` path on each reference, offline (random
weights, generated learnable data), and the sandboxed student process really computes on the GPU.
Skips elsewhere with the reason and the command that runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import gpu
from autograder.assignment import all_names, load

ROOT = Path(__file__).resolve().parents[2]
PROFILE = "gpu-smoke"
RUN = "make test-gpu (on a GPU host; it builds .venv-gpu with tensorflow[and-cuda])"


def smoke_skip_reason() -> str | None:
    found = gpu.probe()
    if not found.usable:
        return f"no usable GPU: {found.problems[0][:160]} -- run: {RUN}"
    return None


def smoke_assignments() -> list[str]:
    return [n for n in all_names() if PROFILE in load(n).profiles]


@pytest.mark.gpu
@pytest.mark.parametrize("name", smoke_assignments())
def test_gpu_smoke_grades_the_reference_with_every_cell(name, tmp_path):
    reason = smoke_skip_reason()
    if reason:
        pytest.skip(reason)
    a = load(name)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(a.notebook), "-a", name,
         "--profile", PROFILE, "--gpu", "--run-all", "--json", "--timeout", "1200"],
        capture_output=True, text=True, cwd=ROOT, timeout=1800,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    seconds = time.monotonic() - started
    print(f"{name}: gpu-smoke --gpu --run-all in {seconds:.0f} s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    tests = {t["extra_data"]["test_id"]: t for t in result["tests"]}
    assert set(tests) == {t.id for t in a.tests}, "every test ran, the gpu ones included"
    for spec in a.tests:
        out = tests[spec.id]
        if spec.gpu:  # a finite metric the notebook computed on the GPU, against the threshold
            assert out["extra_data"]["result"] in ("passed", "wrong"), out
        else:
            assert out["score"] == pytest.approx(out["max_score"]), out


@pytest.mark.gpu
def test_sandboxed_student_process_computes_on_the_gpu():
    reason = smoke_skip_reason()
    if reason:
        pytest.skip(reason)
    import nbformat

    from autograder.grading.pipeline import GradingOptions
    from autograder.grading.runners import RunJob, SandboxRunner

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import tensorflow as tf\n"
        "GPUS = [d.name for d in tf.config.list_physical_devices('GPU')]\n"
        "x = tf.random.normal([512, 512])\n"
        "DEVICE = (x @ x).device\n"
        "BUILD = dict(tf.sysconfig.get_build_info())\n"
        "CUDA = str(BUILD.get('cuda_version'))\n")])
    runner = SandboxRunner()
    job = RunJob(nbformat.writes(nb), {}, GradingOptions(gpu=True, timeout=300), "probe.ipynb")
    try:
        student, report = runner.start(job)
        assert not report.cell_errors, report.cell_errors
        gpus, device = student.global_value("GPUS"), student.global_value("DEVICE")
        print(f"sandbox ({runner.isolation}): GPUs {gpus}, matmul on {device}, "
              f"CUDA {student.global_value('CUDA')}")
    finally:
        runner.close()
    assert gpus, "TensorFlow inside the sandbox sees no GPU"
    assert "GPU" in device
