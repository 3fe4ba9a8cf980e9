# psm-bot: `make run` runs the bot (the sandbox without a token), `make test` runs the whole test suite.
# Both create .venv with Python 3.11 and install the project the first time.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint check-config clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# With PSM_BOT_TOKEN (environment or .env) the real bot; without it the sandbox (it says so).
run: $(STAMP)
	$(BIN)/psm-bot run --or-sandbox

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	@failed=0; for f in bench/bench_*.py; do [ -e "$$f" ] || continue; echo "== $$f"; $(BIN)/python "$$f" || failed=1; done; exit $$failed

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

check-config: $(STAMP)
	$(BIN)/psm-bot check-config

clean:
	rm -rf $(VENV) *.egg-info .mypy_cache .ruff_cache .pytest_cache
