"""`autograder doctor`: what a grading host has (TF build, GPUs, isolation, caches)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from autograder import gpu
from autograder.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_doctor_help_does_not_import_tensorflow():
    code = ("import sys\nfrom autograder.cli import main\n"
            "try:\n    main(['doctor', '--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'tensorflow' not in sys.modules, 'doctor --help imported TF'\n"
            "assert 'nbformat' not in sys.modules\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "--json" in proc.stdout and "--no-tensorflow" in proc.stdout


def test_doctor_fast_json_reports_gpu_probe_and_isolation(capsys, monkeypatch):
    from autograder.sandbox import isolation

    monkeypatch.setattr(isolation, "bwrap_path", lambda: None)
    monkeypatch.setenv("AUTOGRADER_ISOLATION", "none")
    assert main(["doctor", "--json", "--no-tensorflow"]) == 0
    report = json.loads(capsys.readouterr().out)
    probe = gpu.probe()
    assert report["gpu_probe"]["tensorflow"] == probe.tensorflow
    assert report["gpu_ready"] is probe.usable
    assert report["tensorflow"] is None and report["assignments"] == []
    assert report["bwrap"] is None and report["isolation"].startswith("no bwrap")
    assert "AUTOGRADER_ISOLATION=none" in report["isolation"]
    monkeypatch.setattr(isolation, "bwrap_path", lambda: "/opt/bin/bwrap")
    assert main(["doctor", "--no-tensorflow"]) == 0
    assert "isolation    bubblewrap (/opt/bin/bwrap)" in capsys.readouterr().out


def test_doctor_text_names_the_fix_when_gpu_is_not_usable(capsys, monkeypatch):
    monkeypatch.setattr(gpu, "probe", lambda: gpu.GpuProbe((), "tensorflow-cpu 2.21.0",
                                                            ("CPU-only build; " + gpu.INSTALL_FIX,)))
    assert main(["doctor", "--no-tensorflow"]) == 0
    out = capsys.readouterr().out
    assert "--gpu        NOT usable" in out and "constraints-gpu.txt" in out
    assert "GPUs (host)  none" in out and "isolation" in out


def test_doctor_with_tensorflow_reports_build_and_caches(capsys):
    """Imports TensorFlow (seconds): version, CUDA build or not, the GPUs TF sees, caches."""
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    tf = report["tensorflow"]
    assert tf["version"] == "2.21.0" and tf["error"] is None
    if report["gpu_probe"]["tensorflow"].startswith("tensorflow-cpu"):
        assert tf["cuda_build"] is False and tf["gpus"] == [] and report["gpu_ready"] is False
    else:
        assert tf["cuda_build"] is True and tf["cuda_version"]
    assert set(report["caches"]) == {"TFDS_DATA_DIR", "keras models"}
    names = {e["assignment"] for e in report["assignments"]}
    assert {"ut3_10_flowers", "p10x_pets"} <= names
    kinds = {(c["kind"], c["name"]) for e in report["assignments"] for c in e.get("caches", [])}
    assert ("tfds", "oxford_flowers102") in kinds and ("weights", "resnet50") in kinds
