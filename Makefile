# paiwei: every target creates the virtual environment it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell $(PYTHON) -c "import hashlib,sys;print(hashlib.sha256(open('pyproject.toml','rb').read()).hexdigest()[:12])")

# System packages the reports need: Pango for WeasyPrint, HarfBuzz's subsetter (fast font
# subsetting), the Noto CJK fonts embedded in every PDF, poppler-utils for the PDF tests.
# `dpkg -s` answers in milliseconds when they are present; apt-get runs only when one is missing.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-slow check lint types vectors bench clean chromium system-packages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

system-packages:
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $(SYSTEM_PACKAGES); }

## The main job end to end on the embedded default (SQLite under ./var/).
demo: $(STAMP) system-packages
	$(VENV)/bin/paiwei demo

CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
BROWSER_PACKAGES := chromium fonts-wqy-microhei

## Debian's Chromium and a Chinese font for the browser tests (tests/e2e). Quick when both are
## there; otherwise apt-get as root; where that fails the browser tests skip and say why.
chromium:
	@if [ -x $(CHROMIUM) ] && [ -e $(CJK_FONT) ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES) >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES) >/dev/null; } \
	  || echo "chromium: apt-get could not install $(BROWSER_PACKAGES); the browser tests will skip"; \
	else echo "chromium: no apt-get as root here; the browser tests will skip"; fi

## The test suite, with the spec's test vectors regenerated and diffed first: in parallel
## (pytest-xdist, one file per worker at a time so that module fixtures run once, the files
## sharing the demo on one worker and the longest files first: tests/scheduling.py;
## TEST_WORKERS=0 for one process), without the tests marked slow. A crashed worker is not
## replaced: its file fails and the run goes on (a replacement could leave the scheduler waiting).
TEST_WORKERS ?= auto
test: $(STAMP) chromium system-packages
	$(PY) scripts/make_vectors.py --check
	$(PY) -m pytest -q -m "not slow" -n $(TEST_WORKERS) --dist loadfile --max-worker-restart 0

## The long statistical tests (CI runs them after `make test`).
test-slow: $(STAMP) chromium system-packages
	$(PY) -m pytest -q -m slow -n $(TEST_WORKERS) --dist loadfile --max-worker-restart 0

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
