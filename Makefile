# Two commands for a newcomer: `make demo` and `make test`. Everything else is bootstrapped from
# the package registry into this checkout: uv into .tools/, the locked environment into .venv/.
# Its bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set, every process would
# otherwise compile Great Expectations and Airflow again (seconds per stage).
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export GX_ANALYTICS_ENABLED := false
export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: install demo test test-fast bench look messages clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python "$$(command -v $(PYTHON))"
	touch $@

install: $(VENV)/.synced

demo: install
	$(BIN)/compliance demo

test: install
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

bench: install
	$(BIN)/python -m benchmarks $(BENCH)

# Render the reports as a reader sees them (Chromium, pdftoppm) and check the layout; REPORTS=a
# report version folder, or empty to build a sample first. Images land in .compliance/look/images.
look: install
	$(BIN)/python tests/look.py --out .compliance/look $(if $(REPORTS),--reports $(REPORTS))

# Update the committee summary's translation catalogs (compliance/reports/locale/) from the text.
messages: install
	$(BIN)/python -m compliance.reports.messages

clean:
	rm -rf .tools $(VENV) .compliance .pytest_cache
