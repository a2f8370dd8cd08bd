# paiwei: every target creates the virtual environment it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell $(PYTHON) -c "import hashlib,sys;print(hashlib.sha256(open('pyproject.toml','rb').read()).hexdigest()[:12])")

.PHONY: demo test check lint types vectors bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

## The main job end to end on the embedded default (SQLite under ./var/).
demo: $(STAMP)
	$(VENV)/bin/paiwei demo

## The test suite (what CI runs), with the spec's test vectors regenerated and diffed.
test: $(STAMP)
	$(PY) scripts/make_vectors.py --check
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check seeding lottery

types: $(STAMP)
	$(VENV)/bin/mypy

check: lint types

vectors: $(STAMP)
	$(PY) scripts/make_vectors.py

bench: $(STAMP)
	$(PY) -m pytest bench -q --benchmark-only --benchmark-columns=min,mean,max,rounds

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .benchmarks
