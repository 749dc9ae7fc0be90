# Two commands on a fresh machine: `make site` and `make test`. Both set up .venv/ first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: site test test-lowest serve bench screenshots clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lint]'
	@touch $(STAMP)

site: $(STAMP)
	$(PY) build.py

# The test tools from npm (axe-core, vnu-jar): installed from package-lock.json when npm is
# here; without npm the tests that need them are skipped and say why.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --ignore-scripts --no-audit --no-fund && touch $(NODE_STAMP); \
	else echo "npm not found: the accessibility (axe-core) and HTML validity (vnu-jar) tests will be skipped"; fi

# The suite's test files spread over the cores (pytest-xdist): a file's tests run together, in
# one worker, so its fixtures are made once; `pytest` alone, as a developer runs one test, is serial.
PYTEST_PARALLEL := -n auto --dist loadfile

# Lint, format and types first: each stops the run with its own findings (settings in pyproject.toml).
test: $(STAMP) $(NODE_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest $(PYTEST_PARALLEL)

# The declared minimum versions, kept true: a second venv with the lowest release that
# pyproject.toml allows of every dependency (uv's lowest-direct resolution; what those pull
# in comes at its newest), and the suite run there. CI runs it after `make test`.
LOWEST := .venv-lowest
UV := $(VENV)/bin/uv

$(UV): $(STAMP)
	$(PY) -m pip install --quiet uv
	@touch $(UV)

test-lowest: $(UV) $(NODE_STAMP)
	rm -rf $(LOWEST)
	$(UV) venv --quiet --python $(PY) $(LOWEST)
	$(UV) pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[test]'
	$(LOWEST)/bin/python -m pytest $(PYTEST_PARALLEL)

serve: $(STAMP)
	$(PY) build.py serve

# Issue 19's figures at 1,000 and 10,000 articles (an hour or so; bench/README.md says what each
# prints): cold build, no-change build and peak memory; Broadsheet against Hugo (hugo on PATH,
# compare.py says how to install it when missing) and Pelican (in a venv of its own, never in
# .venv); the serve figures. TWIR=path/to/this-week-in-rust adds bench/twir.py on that checkout.
PELICAN_VENV := .venv-pelican
PELICAN := $(PELICAN_VENV)/bin/pelican

$(PELICAN):
	$(PYTHON) -m venv $(PELICAN_VENV)
	$(PELICAN_VENV)/bin/pip install --quiet pelican markdown pelican-webassets libsass cssmin

bench: $(STAMP) $(PELICAN)
	$(PY) bench/build.py 1000 10000
	$(PY) bench/compare.py 1000 10000 --pelican $(PELICAN)
	$(PY) bench/live.py 1000 10000
	$(if $(TWIR),$(PY) bench/twir.py $(TWIR) --pelican $(PELICAN))

# The README's pictures (docs/screenshots/): the demo built in a temporary folder and looked at
# in headless Chromium. The tests take none, so they never write into the repository.
screenshots: $(STAMP)
	$(PY) docs/screenshots.py

clean:
	rm -rf site .site.trees .site.lock .site.switch $(LOWEST)
