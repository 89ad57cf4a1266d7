"""benchmarks/grade_speed.py is not a timed test; this only proves it loads and builds its
course directory (the real run: `make bench`)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "grade_speed.py"


def _module():
    spec = importlib.util.spec_from_file_location("grade_speed", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_help_runs():
    proc = subprocess.run([sys.executable, str(BENCH), "--help"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "--students" in proc.stdout and "nbgrader autograde" in proc.stdout


def test_defaults_and_course_layout(tmp_path):
    bench = _module()
    args = bench.parse_args([])
    assert args.students == 20 and args.assignment == "ut3_10_flowers"
    files = {"source/x.ipynb": "{}", "nbgrader_config.py": "c = get_config()\n"}
    stock = bench.make_course(tmp_path, "x", files, stock=True)
    trusted = bench.make_course(tmp_path, "x", files, stock=False)
    assert (stock / "source" / "x" / "x.ipynb").read_text() == "{}"
    assert "autograde_preprocessors" in (stock / "nbgrader_config.py").read_text()
    assert "autograde_preprocessors" not in (trusted / "nbgrader_config.py").read_text()
    assert 'course_id = "bench"' in (trusted / "nbgrader_config.py").read_text()
