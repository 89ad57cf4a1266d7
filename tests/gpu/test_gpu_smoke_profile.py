"""CPU-side checks of the `gpu-smoke` profile (no `gpu` marker): it is well-formed in every
bundled assignment, its `DATA="synthetic"` mode loads offline and is learnable, and the CLI
takes profile names from assignment.toml."""

from __future__ import annotations

import numpy as np
import pytest

from autograder import profiles
from autograder.assignment import all_names, load
from autograder.cli import main
from autograder.data import caches
from autograder.data.modes import PALETTE, enter_data_mode

PROFILE = "gpu-smoke"


@pytest.mark.parametrize("name", all_names())
def test_gpu_smoke_profile_is_well_formed(name):
    a = load(name)
    values = profiles.profile_values(a, PROFILE)
    full = profiles.profile_values(a, "full")
    assert values["DATA"] == "synthetic" and values["WEIGHTS"] is None  # offline, no download
    assert values["IMAGE_SIZE"] == full["IMAGE_SIZE"] == (224, 224)  # the real input size
    assert set(full) <= set(values), "every parameter of `full` is set"
    assert 2 <= values["SYNTHETIC_CLASSES"] <= len(PALETTE)
    steps = values["MOCK_EXAMPLES"] // values["BATCH_SIZE"] * values["EPOCHS"]
    assert 1 <= steps <= 20, "a few steps, not a training run"
    _, weights = caches.required(a)
    assert weights, "the assignment names its real backbone"


def _split(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    import tensorflow_datasets as tfds

    ds = tfds.load(name, split=split, as_supervised=True)
    colours, labels = [], []
    for image, label in ds:
        assert image.dtype == "uint8" and image.shape[-1] == 3
        colours.append(np.asarray(image, dtype=float).mean(axis=(0, 1)))
        labels.append(int(label))
    return np.array(colours), np.array(labels)


@pytest.mark.parametrize("dataset", sorted(caches.DATASETS))
def test_synthetic_data_loads_offline_and_is_learnable(dataset):
    """A nearest-class-mean classifier fit on train scores ~1 on test: the labels are in the
    images; the splits hold different pixels (not one memorised set)."""
    with enter_data_mode({"DATA": "synthetic", "MOCK_EXAMPLES": 24, "SYNTHETIC_CLASSES": 4}):
        x_train, y_train = _split(dataset, "train")
        x_test, y_test = _split(dataset, "test")
    assert len(y_train) == len(y_test) == 24 and set(y_train) == set(y_test) == {0, 1, 2, 3}
    assert not np.allclose(x_train, x_test)
    means = np.stack([x_train[y_train == k].mean(axis=0) for k in range(4)])
    predicted = np.argmin(((x_test[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    assert (predicted == y_test).mean() >= 0.95


def test_mock_data_stays_unlearnable_noise():
    """`mock` (the ci profile) is unchanged: random labels over the dataset's real range."""
    with enter_data_mode({"DATA": "mock", "MOCK_EXAMPLES": 24}):
        _, labels = _split("oxford_flowers102", "train")
    assert labels.max() > 8


def test_synthetic_classes_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match="SYNTHETIC_CLASSES must be 2..8"):
        enter_data_mode({"DATA": "synthetic", "SYNTHETIC_CLASSES": 50})


@pytest.mark.parametrize("command", ["grade", "validate"])
def test_unknown_profile_names_the_assignments_profiles(capsys, command):
    argv = (["grade", "x.ipynb", "-a", "ut3_10_flowers"] if command == "grade"
            else ["validate", "ut3_10_flowers"])
    assert main(argv + ["--profile", "fast"]) == 2
    err = capsys.readouterr().err
    assert "unknown profile 'fast'" in err and "ci, full, gpu-smoke" in err
