"""Time all explanation checks (Grad-CAM, Grad-CAM++, Integrated Gradients) for one student.

Target (issue 4): under 10 s on the course CPU. Runs in-process with student-style correct
implementations from tests/corpus/explain (the sandbox adds a .keras save/load per model call;
`--through-files` simulates that cost for every call; `--sandbox` runs the same functions in a
real sandboxed student process via `autograder.sandbox`). Prints the wall time per check and the
total.

    .venv/bin/python benchmarks/explain_speed.py [--through-files | --sandbox]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus" / "explain"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", CORPUS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _through_files(fn):
    import keras

    def proxy(*args, **kwargs):
        with tempfile.TemporaryDirectory() as tmp:
            moved = []
            for i, arg in enumerate(args):
                if isinstance(arg, keras.Model):
                    path = Path(tmp) / f"m{i}.keras"
                    arg.save(path)
                    arg = keras.saving.load_model(path, safe_mode=True)
                moved.append(arg)
            return fn(*moved, **kwargs)

    return proxy


def _sandbox_student():
    """A sandboxed student process whose notebook defines the corpus' correct functions."""
    import nbformat

    from autograder.sandbox.host import StudentProcess
    from autograder.sandbox.proxy import SandboxStudent
    from autograder.sandbox.zygote import get_zygote

    t = time.perf_counter()
    cells = [nbformat.v4.new_code_cell((CORPUS / f"{n}.py").read_text())
             for n in ("gradcam_correct", "ig_variants")]
    nb = nbformat.v4.new_notebook(cells=cells)
    proc = StudentProcess(get_zygote())
    report = proc.run_notebook(nbformat.writes(nb))
    if report.cell_errors or report.setup_error:
        raise SystemExit(f"sandbox notebook failed: {report}")
    return proc, SandboxStudent(proc), time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--through-files", action="store_true",
                        help="pass every model through a .keras file, like the sandbox proxy")
    parser.add_argument("--sandbox", action="store_true",
                        help="call the functions in a real sandboxed student process")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    from autograder.checks import explain, integrated_gradients

    correct, ig = _load("gradcam_correct"), _load("ig_variants")
    import_s = time.perf_counter() - t0
    wrap = _through_files if args.through_files else (lambda f: f)
    jobs = [
        ("check_gradcam", explain.check_gradcam, correct.gradcam_submodel_loop),
        ("check_gradcam_plus_plus", explain.check_gradcam_plus_plus,
         correct.gradcampp_standard),
        ("check_integrated_gradients", integrated_gradients.check_integrated_gradients,
         ig.ig_tutorial_trapezoid_batched),
    ]
    print(f"imports (TF, Keras, checks): {import_s:.2f} s (not counted)")
    proc = None
    if args.sandbox:
        proc, student, setup_s = _sandbox_student()
        print(f"sandbox start + notebook: {setup_s:.2f} s (not counted; isolation "
              f"{proc.zygote.isolation})")
        jobs = [(name, check, getattr(student, fn.__name__)) for name, check, fn in jobs]
    total = 0.0
    for name, check, fn in jobs:
        t = time.perf_counter()
        results = check(wrap(fn), lang="en")
        dt = time.perf_counter() - t
        total += dt
        ok = sum(r.passed for r in results)
        print(f"{name:28s} {dt:6.2f} s  ({ok}/{len(results)} passed)")
    if proc is not None:
        proc.close()
    mode = ("real sandbox" if args.sandbox else
            "models through .keras files" if args.through_files else "in-process")
    print(f"TOTAL explain checks for one student ({mode}): {total:.2f} s (target < 10 s)")
    return 0 if total < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
