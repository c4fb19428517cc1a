# The quick start: `make demo` and `make test` on a fresh machine with Python >= 3.10.
# Each target makes a virtual environment in .venv (once) and installs what it needs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# One BLAS/OpenMP thread: on a busy 2-core machine, two ran several times slower.
THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# torch first, pinned: on the project's machines this is a local CPU build, while an
# unpinned torch would download a CUDA build of several GB. Override as you need.
TORCH ?= torch==2.13.0

# The OpenBLAS kernels this CPU runs: Sandybridge needs avx, Haswell avx2, SkylakeX
# avx512f. The exactness tests run again under each (make test-kernels).
KERNELS := $(shell grep -qw avx /proc/cpuinfo 2>/dev/null && echo Sandybridge) \
	$(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo Haswell) \
	$(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo SkylakeX)
EXACT_TESTS := tests/test_numerics.py tests/samplers tests/cluster tests/kernels tests/backends tests/utils tests/neighbors

.PHONY: demo test test-kernels test-sklearn17 lint docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

demo: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[matplotlib]"
	$(BIN)/skactive demo

test: $(BIN)/python
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[tests]" $(PINS)
	$(THREADS) $(BIN)/python -m pytest

# The brute-force and exactness tests under every OpenBLAS kernel of this CPU: a pick
# that depends on the kernel's float32 rounding fails here. Run after make test.
test-kernels: $(BIN)/python
	@for k in $(KERNELS); do \
		echo "== OPENBLAS_CORETYPE=$$k"; \
		OPENBLAS_CORETYPE=$$k $(THREADS) $(BIN)/python -m pytest -q -p no:cacheprovider \
			$(EXACT_TESTS) || exit 1; \
	done

# The suite on scikit-learn 1.7, where modAL 0.4.2.1 runs without skactive's patch.
test-sklearn17:
	$(MAKE) test VENV=.venv-sklearn17 PINS="scikit-learn==1.7.2"

lint: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[lint]"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The documentation, examples run by sphinx-gallery; any warning fails the build.
docs: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	rm -rf docs/_build docs/generated docs/auto_examples
	$(THREADS) MPLBACKEND=Agg $(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[benchmark]"
	$(THREADS) $(BIN)/python -m pytest benchmarks --benchmark-only \
		--benchmark-columns=min,median,max,rounds --benchmark-sort=name

clean:
	rm -rf $(VENV) .venv-sklearn17 docs/_build docs/generated docs/auto_examples build dist *.egg-info .pytest_cache .benchmarks
