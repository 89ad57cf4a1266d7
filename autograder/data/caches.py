"""Host-side dataset and weight caches: detection, `data status`, `data fetch`.

An assignment names what it needs in `assignment.toml`:

    [data]
    datasets = ["oxford_flowers102"]     # TFDS names
    weights = ["resnet50"]               # keras.applications ImageNet weights (notop)

`autograder data fetch <assignment>` downloads both on a machine with internet; the GPU tests and
the `full` profile use `cache_report` to skip or fail with the command that fixes it.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.backbones import BACKBONES

# TFDS name -> number of classes (checked against tfds metadata in the tests)
DATASETS: dict[str, int] = {"oxford_flowers102": 102, "oxford_iiit_pet": 37}

# keras.applications constructor name -> (weights file without top, weights file with top)
WEIGHT_FILES: dict[str, tuple[str, str]] = {b.name: (b.weights_notop, b.weights_top)
                                            for b in BACKBONES.values()}
APPLICATIONS = {b.name: b.application for b in BACKBONES.values()}

DOWNLOAD_HOSTS = (("storage.googleapis.com", 443),)


def cache_env() -> dict[str, str]:
    """Environment variables that locate the caches (to keep in a scrubbed sandbox env)."""
    return {k: v for k in ("TFDS_DATA_DIR", "KERAS_HOME") if (v := os.environ.get(k))}


# cache detection ----------------------------------------------------------------------------
@dataclass
class CacheStatus:
    """Whether one dataset or weights file is available offline, and how to fix it if not."""

    kind: str  # "tfds" | "weights"
    name: str
    ok: bool
    path: str
    message: str

    def __bool__(self) -> bool:
        return self.ok


def tfds_data_dir() -> Path:
    return Path(os.environ.get("TFDS_DATA_DIR") or Path.home() / "tensorflow_datasets")


def tfds_cache_status(name: str, data_dir: str | os.PathLike | None = None,
                      assignment: str = "<assignment>") -> CacheStatus:
    """Is TFDS dataset `name` prepared in `data_dir` (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)?"""
    import tensorflow_datasets as tfds

    root = Path(data_dir) if data_dir else tfds_data_dir()
    try:
        builder = tfds.builder(name, data_dir=str(root))
        ok, path = bool(builder.is_prepared()), builder.data_dir
    except Exception as exc:  # noqa: BLE001 - unknown name, corrupt cache...
        return CacheStatus("tfds", name, False, str(root), f"{name}: {type(exc).__name__}: {exc}")
    message = (f"TFDS dataset {name} is prepared in {path}" if ok else
               f"TFDS dataset {name} is not in the cache ({path} missing); on a machine with "
               f"internet run: autograder data fetch {assignment} (or set TFDS_DATA_DIR)")
    return CacheStatus("tfds", name, ok, str(path), message)


def keras_models_dir() -> Path:
    """Where keras.utils.get_file caches weights: $KERAS_HOME/models (read now), else Keras' home."""
    home = os.environ.get("KERAS_HOME")
    if not home:
        from keras.src.backend.config import keras_home

        home = keras_home()
    return Path(os.path.expanduser(home)) / "models"


def keras_weights_cached(name: str, include_top: bool = False,
                         assignment: str = "<assignment>") -> CacheStatus:
    """Is the ImageNet weights file of keras.applications `name` (e.g. "resnet50") cached?"""
    key = name.lower()
    if key not in WEIGHT_FILES:
        raise ValueError(f"unknown backbone {name!r}; known: {sorted(WEIGHT_FILES)}")
    path = keras_models_dir() / WEIGHT_FILES[key][1 if include_top else 0]
    ok = path.is_file() and path.stat().st_size > 0
    message = (f"Keras ImageNet weights for {name} cached at {path}" if ok else
               f"Keras ImageNet weights for {name} are not cached ({path} missing); on a machine "
               f"with internet run: autograder data fetch {assignment} (or set KERAS_HOME)")
    return CacheStatus("weights", name, ok, str(path), message)


def required(assignment: Any) -> tuple[list[str], list[str]]:
    """(TFDS dataset names, backbone names) from the assignment's `[data]` table."""
    table = assignment.raw.get("data", {})
    return list(table.get("datasets", [])), list(table.get("weights", []))


def cache_report(assignment: Any) -> list[CacheStatus]:
    """Status of every dataset and weights file the assignment needs."""
    datasets, weights = required(assignment)
    return ([tfds_cache_status(d, assignment=assignment.name) for d in datasets] +
            [keras_weights_cached(w, assignment=assignment.name) for w in weights])


def require_caches(assignment: Any, profile: str) -> None:
    """AutograderError naming what is missing (and how to fetch it) when a real-data profile
    needs datasets or weights that are not cached: fail at once instead of letting the
    student's loading code retry downloads on an offline machine."""
    from autograder.errors import AutograderError

    missing = [s for s in cache_report(assignment) if not s.ok]
    if missing:
        names = ", ".join(f"{s.kind}:{s.name}" for s in missing)
        raise AutograderError(
            f"profile {profile!r} of {assignment.name} needs data that is not cached here "
            f"({names}); run `autograder data fetch {assignment.name}` on a machine with internet "
            f"and copy the caches (TFDS_DATA_DIR, KERAS_HOME), or grade with --profile ci")


# download -------------------------------------------------------------------------------------
def online(hosts: tuple[tuple[str, int], ...] | None = None, timeout: float = 5.0) -> str | None:
    """None if every host (default DOWNLOAD_HOSTS) accepts a TCP connection within `timeout`,
    else the failure text."""
    for host, port in hosts or DOWNLOAD_HOSTS:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                pass
        except OSError as exc:
            return f"{host}:{port}: {exc.__class__.__name__}: {exc}"
    return None


def fetch(assignment: Any, *, timeout: float = 5.0, log=print) -> list[CacheStatus]:
    """Download the assignment's TFDS datasets and ImageNet weights into the caches.

    Checks connectivity first (bounded by `timeout`), so an offline machine fails fast with
    AutograderError instead of hanging in a download retry loop.
    """
    from autograder.errors import AutograderError

    datasets, weights = required(assignment)
    todo = [s for s in cache_report(assignment) if not s.ok]
    if not todo:
        log("all caches present")
        return cache_report(assignment)
    problem = online(timeout=timeout)
    if problem is not None:
        missing = ", ".join(f"{s.kind}:{s.name}" for s in todo)
        raise AutograderError(
            f"cannot download {missing}: no internet access ({problem}). Run `autograder data "
            f"fetch {assignment.name}` on a machine with internet, then copy "
            f"{tfds_data_dir()} and {keras_models_dir()} here (or point TFDS_DATA_DIR and "
            f"KERAS_HOME at them)")
    for status in todo:
        log(f"downloading {status.kind}:{status.name} ...")
        if status.kind == "tfds":
            import tensorflow_datasets as tfds

            tfds.builder(status.name, data_dir=str(tfds_data_dir())).download_and_prepare()
        else:
            import keras

            getattr(keras.applications, APPLICATIONS[status.name.lower()])(
                weights="imagenet", include_top=False)
    return cache_report(assignment)
