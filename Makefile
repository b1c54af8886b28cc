# The two commands: `make demo` runs the main job, `make test` runs the tests.
# Both create the virtualenv in .venv and install the project into it first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_STATE := .state/demo

.PHONY: install demo test bench lint clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: install
	$(BIN)/ai-services ingest examples/documents/* --state-dir $(DEMO_STATE) \
		--source local --tenant-id demo-local --tenant-name "Demo (local run)"
	$(BIN)/ai-services ingest examples/documents/* --state-dir $(DEMO_STATE) \
		--source drata_webapp_prod --tenant-id demo-prod --tenant-name "Demo (production run)"
	@echo
	@echo "Both runs are stored in $(DEMO_STATE). To browse them in the Temporal UI, run"
	@echo "  $(BIN)/ai-services dev --state-dir $(DEMO_STATE)"
	@echo "and open the 'Temporal UI' address it prints: Workflows lists every run."

test: install
	$(BIN)/pytest

# Benchmarks, apart from the tests: several minutes on 2 cores.
bench: install
	$(BIN)/ai-services bench --output docs/benchmarks.md --notes docs/benchmark-notes.md

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .state
