# Set-up and entry points. Every target creates .venv on first use, so a fresh
# clone needs nothing but Python 3.11+ and network access to PyPI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-fast report lab benchmark refresh-notebooks clean

# One BLAS/OpenMP thread per process: the machines have 2 cores, and KMeans
# with the default thread count ran notebooks about 3x slower, same results.
export OMP_NUM_THREADS ?= 1

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name segmentation --display-name "Python (segmentation)"
	touch $(STAMP)

install: $(STAMP)

# The whole suite: package tests (slow ones included) and nbval over the
# notebooks, whose stored outputs must match a fresh run.
test: $(STAMP)
	$(BIN)/python -m pytest tests notebooks --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
		--nbval-kernel-name segmentation -p no:cacheprovider

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "not slow" -p no:cacheprovider

report: $(STAMP)
	$(BIN)/segmentation report sample --out reports/

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

# Speed and memory benchmarks; each script prints its own figures.
benchmark: $(STAMP)
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

# Re-execute the notebooks in place so their stored outputs match the code.
refresh-notebooks: $(STAMP)
	$(BIN)/python scripts/refresh_notebook_outputs.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
