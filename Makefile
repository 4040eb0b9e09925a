# Two commands do all set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

# torch is pinned to the 2.13.0 CPU build first, so resolving `torch>=2.4` later installs nothing
# more (a plain `torch` would pull a CUDA build of several GB).
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/mnist_mlp.py

test: $(STAMP)
	@sh tools/test_system_deps.sh
	$(PY) -m pytest -q tests src

bench: $(STAMP)
	$(PY) benchmarks/fit_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
