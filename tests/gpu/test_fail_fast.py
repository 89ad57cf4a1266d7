"""`--gpu` without a usable GPU stops at once (exit 2, the reason and the fix), decided by
`autograder.gpu.probe` without importing TensorFlow. Runs on every host (no `gpu` marker)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import gpu
from autograder.errors import AutograderError

ROOT = Path(__file__).resolve().parents[2]


def _grade_gpu(env_extra: dict[str, str], assignment: str = "ut3_10_flowers"):
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    env.update(env_extra)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "no_such.ipynb",
                           "-a", assignment, "--gpu"], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    return proc, time.monotonic() - started


def test_gpu_flag_exits_2_in_under_2_s_when_no_gpu_is_visible():
    """CUDA_VISIBLE_DEVICES="" hides every GPU on any host, so this runs on GPU hosts too."""
    proc, seconds = _grade_gpu({"CUDA_VISIBLE_DEVICES": ""})
    assert proc.returncode == 2, proc.stderr
    assert "--gpu: no usable GPU" in proc.stderr and "CUDA_VISIBLE_DEVICES" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert seconds < 2.0, f"--gpu took {seconds:.2f} s to refuse (the whole process)"


def test_gpu_flag_is_checked_before_the_assignment_is_read():
    proc, _ = _grade_gpu({"CUDA_VISIBLE_DEVICES": "-1"}, assignment="no_such_assignment")
    assert proc.returncode == 2 and "no usable GPU" in proc.stderr


@pytest.mark.skipif(gpu.probe().usable, reason="this host has a usable GPU")
def test_gpu_flag_on_this_cpu_host_names_the_fix():
    proc, seconds = _grade_gpu({})
    assert proc.returncode == 2, proc.stderr
    assert "no usable GPU" in proc.stderr
    assert ("/dev/nvidia" in proc.stderr or "nvidia-smi" in proc.stderr
            or "constraints-gpu.txt" in proc.stderr)
    assert seconds < 2.0


def test_probe_without_device_nodes_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(gpu, "installed_tensorflow", lambda: "tensorflow 2.21.0")
    found = gpu.probe(tmp_path)
    assert not found.usable and found.devices == ()
    assert "/dev/nvidia<N>" in found.problems[0] and "without --gpu" in found.problems[0]


def test_probe_with_devices_and_the_cuda_build_is_usable(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    for name in ("nvidia0", "nvidiactl", "nvidia-uvm"):
        (tmp_path / name).touch()
    monkeypatch.setattr(gpu, "installed_tensorflow", lambda: "tensorflow 2.21.0")
    monkeypatch.setattr(gpu, "nvidia_smi_gpus", lambda: None)  # no nvidia-smi: the nodes count
    found = gpu.probe(tmp_path)
    assert found.usable and found.devices == (str(tmp_path / "nvidia0"),)
    monkeypatch.setattr(gpu, "nvidia_smi_gpus", lambda: ["GPU 0: NVIDIA H200 (UUID: GPU-x)"])
    assert gpu.probe(tmp_path).devices == ("GPU 0: NVIDIA H200 (UUID: GPU-x)",)
    monkeypatch.setattr(gpu, "nvidia_smi_gpus", lambda: [])
    assert "nvidia-smi -L lists no GPU" in gpu.probe(tmp_path).problems[0]


@pytest.mark.parametrize("dist", ["tensorflow-cpu 2.21.0", "tensorflow 2.21.0 + tensorflow-cpu 2.21.0",
                                  "none"])
def test_probe_refuses_an_environment_without_the_gpu_build(tmp_path, monkeypatch, dist):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    (tmp_path / "nvidia0").touch()
    monkeypatch.setattr(gpu, "nvidia_smi_gpus", lambda: ["GPU 0: NVIDIA H200"])
    monkeypatch.setattr(gpu, "installed_tensorflow", lambda: dist)
    found = gpu.probe(tmp_path)
    assert not found.usable and "constraints-gpu.txt" in found.problems[-1]


@pytest.mark.parametrize("value", ["", "-1", "-1,0"])
def test_cuda_visible_devices_that_hide_every_gpu(tmp_path, monkeypatch, value):
    (tmp_path / "nvidia0").touch()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", value)
    monkeypatch.setattr(gpu, "installed_tensorflow", lambda: "tensorflow 2.21.0")
    assert "hides every GPU" in gpu.probe(tmp_path).problems[0]
    monkeypatch.setattr(gpu, "probe", lambda: gpu.GpuProbe((), "tensorflow 2.21.0", ("x",)))
    with pytest.raises(AutograderError, match="--gpu: no usable GPU here: x"):
        gpu.require_gpu()
