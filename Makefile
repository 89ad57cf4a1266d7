# Two commands do everything on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# the GPU environment: tensorflow[and-cuda] instead of tensorflow-cpu (never both in one venv)
VENV_GPU  ?= .venv-gpu
PY_GPU    := $(VENV_GPU)/bin/python
STAMP_GPU := $(VENV_GPU)/.installed

.PHONY: demo test test-fast test-gpu gpu-deps install lint generate validate clean bench

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { echo "need Python 3.11 (python3.11 on PATH, or: make PYTHON=/path/to/python3.11)"; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[cpu,dev,cluster]'
	touch $(STAMP)

$(STAMP_GPU): pyproject.toml constraints.txt constraints-gpu.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { echo "need Python 3.11 (python3.11 on PATH, or: make PYTHON=/path/to/python3.11)"; exit 2; }
	test -x $(PY_GPU) || $(PYTHON) -m venv $(VENV_GPU)
	$(PY_GPU) -m pip install -q --upgrade pip
	$(PY_GPU) -m pip install -q -c constraints-gpu.txt -e '.[gpu,dev]'
	touch $(STAMP_GPU)

install: $(STAMP)

## test: install into .venv, then run the whole suite (pytest exit 5 = no tests = failure)
test: $(STAMP)
	$(PY) -m ruff check autograder tests benchmarks solutions
	$(PY) -m autograder generate --all --check
	$(PY) -m pytest -q -m "not gpu" ; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

## test-fast: the edit loop: lint + the suite without slow (sandbox / whole-notebook) tests
test-fast: $(STAMP)
	$(PY) -m ruff check autograder tests benchmarks solutions
	$(PY) -m pytest -q -m "not gpu and not slow"

## test-gpu: builds .venv-gpu (tensorflow[and-cuda], ~3 GB of CUDA wheels), prints the host
## (autograder doctor), then the gpu tests: the gpu-smoke profile (minutes, offline) and the
## accuracy thresholds (real data + ImageNet weights: `autograder data fetch --all` first)
test-gpu: $(STAMP_GPU)
	$(PY_GPU) -m autograder doctor
	$(PY_GPU) -m pytest -q -m gpu -rs

## gpu-deps: prove `.[gpu,dev]` resolves against constraints-gpu.txt without downloading the
## CUDA wheels (pip reads each wheel's METADATA with HTTP range requests)
gpu-deps: $(STAMP)
	$(PY) -m pip install --dry-run --ignore-installed --use-feature=fast-deps -c constraints-gpu.txt '.[gpu,dev]'

## demo: generate templates, validate references on CPU, grade the sample submissions into out/
demo: $(STAMP)
	$(PY) -m autograder generate --all
	$(PY) -m autograder validate --all
	$(PY) -m autograder grade tests/submissions/ut3_10_flowers --assignment ut3_10_flowers -o out/ut3_10_flowers
	$(PY) -m autograder grade tests/submissions/p10x_pets --assignment p10x_pets -o out/p10x_pets
	@echo "Reports: out/ut3_10_flowers/ and out/p10x_pets/ (index.html, grades.csv, grades.json, <student>/feedback.html)"

lint: $(STAMP)
	$(PY) -m ruff check autograder tests benchmarks solutions

generate: $(STAMP)
	$(PY) -m autograder generate --all

validate: $(STAMP)
	$(PY) -m autograder validate --all

## bench: issue 13's batch benchmark last (its last line: batch_speedup_vs_nbgrader=<ratio>)
bench: $(STAMP)
	$(PY) benchmarks/grade_speed.py
	$(PY) benchmarks/ray_overhead.py
	$(PY) benchmarks/batch_speed.py

clean:
	rm -rf out .pytest_cache build *.egg-info
