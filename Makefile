# dde-ci: everything sets itself up on a fresh machine (Python 3.11+, git, make).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: demo test lint typecheck unit bench schemas clean

UV := $(BIN)/uv
# the pip wheel that comes with Python (ensurepip's), run as it is: no pip to install first
PIP_WHEEL = $$($(BIN)/python -c 'import ensurepip, pathlib; print(next(pathlib.Path(ensurepip.__file__).parent.glob("_bundled/pip-*.whl"), ""))')
PIP_QUIET := --disable-pip-version-check --progress-bar off --quiet

$(BIN)/python:
	@echo "== creating $(VENV) (a virtual environment for $(PYTHON))"
	$(PYTHON) -m venv --without-pip $(VENV)

# uv installs the project in seconds where pip takes minutes; it is itself a pip package
$(UV): | $(BIN)/python
	@echo "== installing uv into $(VENV) with the pip that comes with Python"
	@wheel="$(PIP_WHEEL)"; \
	if [ -n "$$wheel" ]; then $(BIN)/python "$$wheel/pip" install $(PIP_QUIET) uv; \
	else $(BIN)/python -m ensurepip --default-pip && $(BIN)/python -m pip install $(PIP_QUIET) uv; fi

$(STAMP): pyproject.toml | $(UV)
	@echo "== installing dde-ci (editable), its test tools and pip into $(VENV) with uv"
	$(UV) pip install --python $(BIN)/python -e '.[test]' pip
	$(BIN)/python -m compileall -q dde_ci  # bytecode, as an installed package has it
	touch $(STAMP)

## demo: run the example manifest (examples/shop) end to end on this machine
demo: $(STAMP)
	bash examples/shop/demo.sh

## test: ruff, the import contracts, mypy --strict and the test suite
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check dde_ci tests benchmarks
	$(BIN)/ruff format --check dde_ci tests benchmarks
	$(BIN)/lint-imports --no-logo --no-cache  # the layers of docs/design.md ([tool.importlinter])

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n auto

## bench: run every benchmark (not part of make test)
bench: $(STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## schemas: regenerate the committed JSON Schemas in schemas/
schemas: $(STAMP)
	$(BIN)/dde-ci schema --write schemas

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
