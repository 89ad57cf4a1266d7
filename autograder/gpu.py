"""What GPU a grading host offers: a fast probe that never imports TensorFlow (for `--gpu`'s
fail-fast) and TensorFlow's own view (for `autograder doctor`).

`probe()` decides in milliseconds on a CPU host, from facts outside TensorFlow:
1. `CUDA_VISIBLE_DEVICES` set to "" or to ids starting with "-1": CUDA hides every GPU;
2. no `/dev/nvidia<N>` device node: no NVIDIA driver or GPU in this host or container;
3. `nvidia-smi -L` (only when the nodes exist and it is on PATH): its `GPU <i>: ...` lines name
   the devices; no line means no usable GPU (the driver is there, the GPU is not);
4. the installed TensorFlow distribution (package metadata, not an import): `tensorflow-cpu`
   alone cannot use a GPU, whatever the host has; the fix is the `gpu` extra in its own venv.
TensorFlow can still fail later (CUDA libraries missing, driver too old): `doctor` imports it
and shows what it sees; the GPU tests skip with that reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from autograder.errors import AutograderError

INSTALL_FIX = ("install the GPU build in its own environment: `make test-gpu` builds .venv-gpu "
               "(python3.11 -m venv .venv-gpu && .venv-gpu/bin/pip install -c constraints-gpu.txt "
               "-e '.[gpu,dev]'), then run .venv-gpu/bin/python -m autograder ...")
HOST_FIX = ("run on a machine with an NVIDIA GPU and driver (`nvidia-smi -L` lists it), or grade "
            "without --gpu (the GPU tests are then left out); `autograder doctor` shows what this "
            "host has")
NVIDIA_SMI_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class GpuProbe:
    """The fast answer: device names seen outside TensorFlow, the TensorFlow distribution
    installed here, and why `--gpu` cannot work (empty when it can)."""

    devices: tuple[str, ...]
    tensorflow: str  # e.g. "tensorflow 2.21.0", "tensorflow-cpu 2.21.0", "none"
    problems: tuple[str, ...] = field(default=())

    @property
    def usable(self) -> bool:
        return not self.problems


def installed_tensorflow() -> str:
    """"<distribution> <version>" of the installed TensorFlow build, or "none" (no import)."""
    found = []
    for dist in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
        try:
            found.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            continue
    return " + ".join(found) or "none"


def _hidden_by_env() -> str | None:
    value = os.environ.get("CUDA_VISIBLE_DEVICES")
    if value is not None and (not value.strip() or value.strip().startswith("-1")):
        return f"CUDA_VISIBLE_DEVICES={value!r} hides every GPU (unset it)"
    return None


def device_nodes(dev: Path = Path("/dev")) -> list[str]:
    """The per-GPU NVIDIA device nodes (/dev/nvidia0, ...), sorted."""
    return sorted(str(p) for p in dev.glob("nvidia*") if re.fullmatch(r"nvidia\d+", p.name))


def nvidia_smi_gpus() -> list[str] | None:
    """`nvidia-smi -L` GPU lines; None when nvidia-smi is not on PATH or does not answer."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True,
                             timeout=NVIDIA_SMI_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return [line.strip() for line in out.stdout.splitlines() if line.startswith("GPU ")]


def probe(dev: Path = Path("/dev")) -> GpuProbe:
    """Visible GPUs and TensorFlow build, decided without importing TensorFlow."""
    problems: list[str] = []
    tensorflow = installed_tensorflow()
    devices: list[str] = []
    hidden = _hidden_by_env()
    nodes = device_nodes(dev)
    if hidden:
        problems.append(hidden + "; " + HOST_FIX)
    elif not nodes:
        problems.append("no NVIDIA GPU visible: no /dev/nvidia<N> device node (no driver, "
                        "or a container started without GPUs); " + HOST_FIX)
    else:
        listed = nvidia_smi_gpus()
        devices = listed if listed is not None else nodes
        if listed == []:
            problems.append("nvidia-smi -L lists no GPU; " + HOST_FIX)
    if tensorflow == "none":
        problems.append("TensorFlow is not installed here; " + INSTALL_FIX)
    elif not tensorflow.startswith("tensorflow ") or "+" in tensorflow:
        problems.append(f"this environment has {tensorflow}, a CPU-only build (or two builds "
                        "that overwrite each other); " + INSTALL_FIX)
    return GpuProbe(tuple(devices), tensorflow, tuple(problems))


def require_gpu(option: str = "--gpu") -> GpuProbe:
    """The probe when a GPU is usable; else AutograderError (exit 2) saying why and the fix."""
    found = probe()
    if not found.usable:
        raise AutograderError(f"{option}: no usable GPU here: " + " | ".join(found.problems))
    return found


@dataclass(frozen=True)
class TensorFlowInfo:
    """What TensorFlow reports about itself (imports it: seconds)."""

    version: str | None
    cuda_build: bool
    cuda_version: str | None
    cudnn_version: str | None
    gpus: tuple[str, ...]
    error: str | None = None


def tensorflow_info() -> TensorFlowInfo:
    """Import TensorFlow and read its build (tf.sysconfig.get_build_info()) and visible GPUs."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import tensorflow as tf
    except Exception as exc:  # noqa: BLE001 - not installed, broken CUDA libraries...
        return TensorFlowInfo(None, False, None, None, (), f"{type(exc).__name__}: {exc}"[:300])
    build = dict(tf.sysconfig.get_build_info())
    try:
        gpus = tuple(d.name for d in tf.config.list_physical_devices("GPU"))
        error = None
    except Exception as exc:  # noqa: BLE001
        gpus, error = (), f"{type(exc).__name__}: {exc}"[:300]
    return TensorFlowInfo(tf.__version__, bool(build.get("is_cuda_build")),
                          _str_or_none(build.get("cuda_version")),
                          _str_or_none(build.get("cudnn_version")), gpus, error)


def _str_or_none(value: object) -> str | None:
    return None if value in (None, "") else str(value)
