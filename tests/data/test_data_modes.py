"""autograder.data: mock data mode for both datasets, cache detection, offline `data fetch`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from autograder.assignment import load
from autograder.data import caches as data
from autograder.data import modes
from autograder.errors import AutograderError


@pytest.mark.parametrize("name", sorted(data.DATASETS))
def test_mock_mode_serves_unchanged_tfds_code_offline(name):
    import tensorflow_datasets as tfds

    with modes.enter_data_mode({"DATA": "mock", "MOCK_EXAMPLES": 7}):
        ds, info = tfds.load(name, split="train", as_supervised=True, with_info=True)
        elements = list(ds)
        test_count = sum(1 for _ in tfds.load(name, split="test", as_supervised=True))
    assert len(elements) == 7 and test_count == 7
    assert info.features["label"].num_classes == data.DATASETS[name]
    for image, label in elements:
        assert image.dtype.name == "uint8" and image.shape[-1] == 3
        assert 0 <= int(label) < data.DATASETS[name]


def test_real_mode_patches_nothing_and_unknown_mode_fails():
    import tensorflow_datasets as tfds

    before = tfds.load
    with modes.enter_data_mode({"DATA": "tfds"}):
        assert tfds.load is before
    with pytest.raises(ValueError, match="unknown DATA mode 'bogus'"):
        modes.enter_data_mode({"DATA": "bogus"})


def test_cache_status_reports_missing_with_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    status = data.tfds_cache_status("oxford_flowers102")
    assert not status.ok and str(tmp_path) in status.path
    assert "autograder data fetch" in status.message
    weights = data.keras_weights_cached("resnet50")
    assert not weights.ok and "autograder data fetch" in weights.message
    # a present weights file is detected
    target = tmp_path / "keras" / "models" / data.WEIGHT_FILES["resnet50"][0]
    target.parent.mkdir(parents=True)
    target.write_bytes(b"h5")
    assert data.keras_weights_cached("resnet50").ok and data.keras_weights_cached("resnet50")
    assert not data.keras_weights_cached("efficientnetb0")
    with pytest.raises(ValueError, match="unknown backbone"):
        data.keras_weights_cached("vgg16")
    report = data.cache_report(load("ut3_10_flowers"))
    assert [(s.kind, s.name, s.ok) for s in report] == [
        ("tfds", "oxford_flowers102", False), ("weights", "resnet50", True)]


def test_fetch_offline_fails_fast_with_instructions(tmp_path, monkeypatch):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "DOWNLOAD_HOSTS", (("127.0.0.1", 9),))  # closed port
    started = time.monotonic()
    with pytest.raises(AutograderError) as info:
        data.fetch(load("ut3_10_flowers"), timeout=2.0, log=lambda m: None)
    assert time.monotonic() - started < 10
    text = str(info.value)
    assert "no internet access" in text and "autograder data fetch ut3_10_flowers" in text
    assert "tfds:oxford_flowers102" in text and "weights:resnet50" in text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs root and unshare -n for a network-less process")
def test_cli_data_fetch_without_network_exits_2(tmp_path):
    env = dict(os.environ, TFDS_DATA_DIR=str(tmp_path / "tfds"), KERAS_HOME=str(tmp_path / "k"),
               TF_CPP_MIN_LOG_LEVEL="3")
    started = time.monotonic()
    proc = subprocess.run(["unshare", "-n", sys.executable, "-m", "autograder", "data", "fetch",
                           "ut3_10_flowers", "--timeout", "3"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert time.monotonic() - started < 60
    assert "no internet access" in proc.stderr and "on a machine with internet" in proc.stderr


def test_grading_full_profile_without_caches_fails_fast_before_any_student(tmp_path, monkeypatch):
    from autograder.grading.batch import grade_batch
    from autograder.grading.pipeline import grade_notebook

    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    a = load("ut3_10_flowers")
    started = time.monotonic()
    with pytest.raises(AutograderError, match="autograder data fetch ut3_10_flowers"):
        grade_notebook(a.notebook, a, profile="full")
    with pytest.raises(AutograderError, match="tfds:oxford_flowers102"):
        grade_batch([a.notebook], a, tmp_path / "out", profile="full", progress=False)
    assert time.monotonic() - started < 10
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
