# The two commands of the README quickstart are `make demo` and `make test`; both create or
# refresh .venv first. `make venv` is that shared step.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NATIVE_SRC := $(wildcard native/*.pyx native/*.pxd native/*.h)

.PHONY: venv native demo test bench bench-pytest lint clean

venv: $(VENV)/.installed $(VENV)/.native

$(VENV)/.installed: pyproject.toml setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { \
	  echo "pyrtc: '$(PYTHON) -m venv' failed; on Debian: apt-get install python3-venv" >&2; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

# Rebuild the Cython extensions in place when their sources change (flock: parallel makes).
$(VENV)/.native: $(NATIVE_SRC) setup.py $(VENV)/.installed
	flock .build.lock $(PY) setup.py -q build_ext --inplace
	@touch $@

native: venv

demo: venv
	$(VENV)/bin/pyrtc demo

test: venv
	$(PY) -m pytest -q

bench: venv
	$(VENV)/bin/pyrtc bench

bench-pytest: venv
	$(PY) -m pytest benchmarks --benchmark-only -q

lint: venv
	$(VENV)/bin/ruff check pyrtc tests benchmarks
	$(VENV)/bin/ruff format --check pyrtc tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf build $(VENV) .build.lock pyrtc/_native/*.so native/*.c
