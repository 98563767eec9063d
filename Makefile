# The developer interface: demo, test, lint, image, bench.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
IMAGE ?= clarify-analyzer:latest
PYTEST_ARGS ?=

.PHONY: venv data demo test test-fast lint image bench clean

$(VENV)/.installed: pyproject.toml requirements-ref.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]' -r requirements-ref.txt
	# smclarify is a test oracle only; its declared deps never resolve (see requirements-ref.txt).
	$(PY) -m pip install -q --no-deps smclarify==0.5
	touch $@

venv: $(VENV)/.installed

data: venv
	$(PY) scripts/fetch_datasets.py

## Run the bundled example: Adult, pre- and post-training bias, no AWS account needed.
demo: venv data
	$(PY) examples/run_demo.py

## Run the whole test suite (CI runs exactly this).
test: venv data
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: venv
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

## Static checks: ruff (style, bugs) and mypy (types) on analyzer/; CI runs this before the tests.
lint: venv
	$(PY) -m ruff check analyzer
	$(PY) -m mypy analyzer

## Build the image (IMAGE=clarify-analyzer:latest); starts Docker and an offline base image when needed.
image:
	IMAGE=$(IMAGE) scripts/build-image.sh

bench: venv data
	$(PY) bench/bias.py
	$(PY) bench/predict.py
	$(PY) bench/shap.py

clean:
	rm -rf $(VENV) .pytest_cache demo-output
