# Two commands on a fresh machine: `make site` and `make test`. Both set up .venv/ first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: site test serve bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

site: $(STAMP)
	$(PY) build.py

test: $(STAMP)
	$(PY) -m pytest

serve: $(STAMP)
	$(PY) build.py serve

bench: $(STAMP)
	$(PY) bench/build.py 1000 10000
	$(PY) bench/live.py 1000 10000

clean:
	rm -rf site .site.staging .site.old .site.journal
