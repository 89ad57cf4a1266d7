"""`autograder doctor [--json]`: what this grading host has.

Python and the installed TensorFlow build, the GPUs seen without TensorFlow (`autograder.gpu`:
CUDA_VISIBLE_DEVICES, /dev/nvidia*, nvidia-smi -L) and by TensorFlow (its build: CUDA or not,
CUDA/cuDNN versions from tf.sysconfig.get_build_info(), visible GPUs), whether `--gpu` can run
here, the isolation the sandbox will use, and the dataset/weight caches of every assignment.
Imports TensorFlow (a few seconds); `--no-tensorflow` skips it and the cache lookups. Exit 0
(a report, whatever it says), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from autograder import gpu


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="show what this grading host has (TF, GPUs, caches)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.add_argument("--no-tensorflow", action="store_true",
                   help="fast: do not import TensorFlow or look up the caches")
    p.set_defaults(func=run)


@dataclass
class HostReport:
    """Everything `doctor` prints (`--json` is `asdict` of it)."""

    python: str
    venv: str
    gpu_probe: gpu.GpuProbe
    gpu_ready: bool
    isolation: str
    bwrap: str | None
    tensorflow: gpu.TensorFlowInfo | None = None
    caches: dict[str, str] = field(default_factory=dict)
    assignments: list[dict[str, Any]] = field(default_factory=list)


ISOLATION_ENV = ("AUTOGRADER_ISOLATION", "AUTOGRADER_NO_BWRAP", "AUTOGRADER_BWRAP")


def isolation() -> tuple[str, str | None]:
    """(description, bwrap path) of the sandbox's bubblewrap (`sandbox.isolation.bwrap_path`),
    with the isolation settings found in the environment."""
    from autograder.sandbox import isolation as iso

    path = iso.bwrap_path()
    text = f"bubblewrap ({path})" if path else "no bwrap: rlimits + private temp dir at most"
    knobs = [f"{k}={os.environ[k]}" for k in ISOLATION_ENV if k in os.environ]
    return text + (f" [{', '.join(knobs)}]" if knobs else ""), path


def cache_section(report: HostReport) -> None:
    """Cache folders and each assignment's datasets/weights (imports tfds and keras)."""
    from autograder.assignment import all_names
    from autograder.assignment import load as load_assignment
    from autograder.data import caches

    report.caches = {"TFDS_DATA_DIR": str(caches.tfds_data_dir()),
                     "keras models": str(caches.keras_models_dir())}
    for name in all_names():
        try:
            statuses = caches.cache_report(load_assignment(name))
        except Exception as exc:  # noqa: BLE001 - a broken assignment must not stop the report
            report.assignments.append({"assignment": name, "error": f"{type(exc).__name__}: {exc}"})
            continue
        report.assignments.append({"assignment": name, "caches": [
            {"kind": s.kind, "name": s.name, "ok": s.ok, "path": s.path} for s in statuses]})


def gather(with_tensorflow: bool = True) -> HostReport:
    found = gpu.probe()
    iso, bwrap = isolation()
    report = HostReport(python=f"{platform.python_version()} ({sys.executable})",
                        venv=sys.prefix, gpu_probe=found, gpu_ready=found.usable,
                        isolation=iso, bwrap=bwrap)
    if with_tensorflow:
        report.tensorflow = gpu.tensorflow_info()
        report.gpu_ready = found.usable and bool(report.tensorflow.gpus)
        cache_section(report)
    return report


def _tf_line(tf: gpu.TensorFlowInfo | None, installed: str) -> str:
    if tf is None:
        return f"{installed} (not imported: --no-tensorflow)"
    if tf.version is None:
        return f"{installed}: import failed: {tf.error}"
    build = (f"CUDA build (CUDA {tf.cuda_version or '?'}, cuDNN {tf.cudnn_version or '?'})"
             if tf.cuda_build else "CPU-only build")
    return f"{tf.version} [{installed}], {build}"


def text(report: HostReport) -> str:
    probe, tf = report.gpu_probe, report.tensorflow
    lines = [f"python       {report.python}",
             f"tensorflow   {_tf_line(tf, probe.tensorflow)}",
             f"GPUs (host)  {', '.join(probe.devices) or 'none'}"]
    if tf is not None:
        lines.append(f"GPUs (TF)    {', '.join(tf.gpus) or 'none'}"
                     + (f"  ({tf.error})" if tf.error and tf.version else ""))
    lines.append(f"--gpu        {'ready' if report.gpu_ready else 'NOT usable'}")
    lines += [f"  - {p}" for p in probe.problems]
    if probe.usable and tf is not None and not tf.gpus:
        lines.append("  - the host has a GPU but TensorFlow sees none (CUDA libraries or driver); "
                     "see docs/gpu.md")
    lines.append(f"isolation    {report.isolation}")
    for key, path in report.caches.items():
        lines.append(f"cache        {key}: {path}")
    for entry in report.assignments:
        if "error" in entry:
            lines.append(f"  {entry['assignment']}: {entry['error']}")
            continue
        for c in entry["caches"]:
            lines.append(f"  {'OK     ' if c['ok'] else 'MISSING'} {entry['assignment']}: "
                         f"{c['kind']} {c['name']} ({c['path']})")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    report = gather(with_tensorflow=not args.no_tensorflow)
    if args.json:
        sys.stdout.write(json.dumps(asdict(report), indent=2) + "\n")
    else:
        sys.stdout.write(text(report))
    return 0
