# Two commands for a fresh machine: `make demo` and `make test`. Both set up their own virtualenv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-oulad bench-launch bench-ingest bench-scale translations clean

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
bench: bench-oulad bench-launch bench-ingest bench-scale

bench-oulad: $(STAMP)
	$(BIN)/python benchmarks/oulad_backtest.py --presentations $(OULAD_PRESENTATIONS)

# LTI launches against `sweetspot serve` and a minimal pylti1p3 tool; needs PostgreSQL (BENCH_POSTGRES_URL).
bench-launch: $(STAMP)
	$(BIN)/python benchmarks/lti_launch.py --database-url $(BENCH_POSTGRES_URL)

BENCH_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

# xAPI ingest on PostgreSQL against Ralph LRS; needs a PostgreSQL server (it makes and drops its own
# database) and Redis. Ralph is installed into its own virtualenv under ~/.cache on first use.
bench-ingest: $(STAMP)
	$(BIN)/python benchmarks/xapi_ingest.py $(INGEST_ARGS)

OULAD_PRESENTATIONS ?= AAA-2013J,BBB-2013J,CCC-2014J,DDD-2013J,EEE-2013J,FFF-2013J,GGG-2013J

# The pages' translations: extract every marked string, merge it into each language's catalog, compile.
# Both the .po catalogs and the compiled .mo files are committed, so a fresh clone needs no build step;
# a new language starts with `pybabel init -i .venv/messages.pot -d sweetspot/translations -l LANG`.
TRANSLATIONS := sweetspot/translations
translations: $(STAMP)
	$(BIN)/pybabel extract --mapping-file $(TRANSLATIONS)/babel.cfg --keywords "lazy_gettext N_plural:1,2" --no-location \
		--sort-output --project Sweetspot --output-file $(VENV)/messages.pot .
	$(BIN)/pybabel update --input-file $(VENV)/messages.pot --output-dir $(TRANSLATIONS) --no-fuzzy-matching \
		--ignore-obsolete
	$(BIN)/pybabel compile --directory $(TRANSLATIONS) --statistics

# The alignment engine at scale on PostgreSQL (makes and drops its own databases on the server).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/alignment_scale.py --server $(SCALE_POSTGRES_SERVER) --sizes $(SCALE_SIZES)

SCALE_POSTGRES_SERVER ?= postgresql://postgres@127.0.0.1:5432
SCALE_SIZES ?= 10000:2000000,30000:6000000,100000:20000000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
