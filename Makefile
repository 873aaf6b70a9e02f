# Developer entry points; .ci/run calls the same targets.
PYTHON ?= .venv/bin/python
VENV := .venv

.PHONY: install demo run test test-fast lint docs dashboards generate bench clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

install: $(VENV)/bin/python
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'

demo: install  ## start the exporter on :9185 with the built-in demo data
	$(PYTHON) -m exporter --demo

run: install  ## start the exporter with CONFIG (default config.yml)
	$(PYTHON) -m exporter --config.file $(or $(CONFIG),config.yml)

test: install  ## every test (needs prometheus, promtool, amtool, kubectl for the integration ones)
	$(PYTHON) -m pytest -q

test-fast: install  ## the tests that need no external program (about 3 minutes on 2 cores)
	$(PYTHON) -m pytest -q -m "not integration"

lint: install
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m ruff check .
	$(PYTHON) -m mypy --strict
	$(PYTHON) -m pre_commit validate-config

docs: install  ## regenerate docs/metrics.md and the README's configuration reference
	$(PYTHON) -m exporter.docs > docs/metrics.md
	$(PYTHON) -m exporter.docs --readme README.md

dashboards: install  ## regenerate grafana/dashboards/*.json from the code in grafana/
	$(PYTHON) -m grafana.generate

generate: docs dashboards  ## rewrite every generated file (the tests fail when one is stale)
	$(PYTHON) deploy/generate.py

bench: install  ## one refresh and scrapes of 50,000 developers; BENCH_ARGS="--users 200000 --orgs 50 --teams 8000" for the largest
	$(PYTHON) benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
