# Two commands do all set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch 2.13.0; pinned here so a plain `torch` does not pull a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/mnist_mlp.py

test: $(STAMP)
	$(PY) -m pytest -q tests src

bench: $(STAMP)
	$(PY) benchmarks/fit_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
