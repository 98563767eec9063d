# The developer interface: demo, test, lint, image, bench.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
IMAGE ?= clarify-analyzer:latest
PYTEST_ARGS ?=

.PHONY: venv data demo test test-fast lint image bench clean

# Two layers in one venv: the runtime (what `analyzer` and `make demo` need), then the test extra.
$(VENV)/.runtime: pyproject.toml scripts/install_venv.py
	$(PYTHON) scripts/install_venv.py --venv $(VENV)
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements-ref.txt
	$(PYTHON) scripts/install_venv.py --venv $(VENV) --extra test
	$(PY) -m pip install -q -r requirements-ref.txt
	# smclarify is a test oracle only; its declared deps never resolve (see requirements-ref.txt).
	$(PY) -m pip install -q --no-deps smclarify==0.5
	touch $@

venv: $(VENV)/.installed

data: $(VENV)/.runtime
	$(PY) scripts/fetch_datasets.py

## Run the bundled example: Adult, pre- and post-training bias, no AWS account needed.
## Installs only the runtime dependencies (no test tools).
## It fetches the one dataset it needs (Adult) itself; `make data` fetches them all.
demo: $(VENV)/.runtime
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

## Build the image (IMAGE=clarify-analyzer:latest); starts Docker and an offline base image when needed
## (that part needs root or sudo: it installs docker.io / mmdebstrap with apt-get).
image:
	IMAGE=$(IMAGE) scripts/build-image.sh

bench: venv data
	$(PY) bench/bias.py
	$(PY) bench/predict.py
	$(PY) bench/shap.py

clean:
	rm -rf $(VENV) .pytest_cache demo-output
