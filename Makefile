# Two commands for a fresh machine: `make demo` and `make test`. Both set up their own virtualenv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-oulad bench-scale clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Sweetspot needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(STAMP)
	$(BIN)/sweetspot demo --port $(PORT)

# The whole suite on SQLite; again on PostgreSQL when TEST_POSTGRES_URL names a server
# (each run makes and drops its own database there).
test: $(STAMP) lint
	$(BIN)/pytest
	@if [ -n "$(TEST_POSTGRES_URL)" ]; then \
		echo "--- again on PostgreSQL ($(TEST_POSTGRES_URL))"; \
		SWEETSPOT_TEST_DATABASE_URL="$(TEST_POSTGRES_URL)" $(BIN)/pytest; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Benchmarks and back-tests; their latest results are committed in benchmarks/results/.
bench: bench-oulad bench-scale

bench-oulad: $(STAMP)
	$(BIN)/python benchmarks/oulad_backtest.py --presentations $(OULAD_PRESENTATIONS)

OULAD_PRESENTATIONS ?= AAA-2013J,BBB-2013J,CCC-2014J,DDD-2013J,EEE-2013J,FFF-2013J,GGG-2013J

# The alignment engine at scale on PostgreSQL (makes and drops its own databases on the server).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/alignment_scale.py --server $(BENCH_POSTGRES_URL) --sizes $(SCALE_SIZES)

BENCH_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432
SCALE_SIZES ?= 10000:2000000,30000:6000000,100000:20000000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
