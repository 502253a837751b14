# cinelake — two commands: `make demo` and `make test`.
# Both create .venv in the repo unless a virtualenv is already active.

SHELL := /bin/bash
PYTHON ?= python3
ifdef VIRTUAL_ENV
  VENV := $(VIRTUAL_ENV)
else
  VENV := .venv
endif
BIN := $(VENV)/bin
STAMP := $(VENV)/.cinelake-installed
DEV_STAMP := $(VENV)/.cinelake-dev-installed

.PHONY: demo test test-future lint typecheck bench bench-enrich bench-silver bench-source bench-backfill bench-history bench-budget bench-s3 docs clean
.PHONY: bench-rebuild bench-dashboard bench-startup

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# `make demo` needs only the package; `make test` adds the development tools.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(DEV_STAMP)

## demo: set up and run the pipeline on the bundled sample (no network, no key, no AWS):
## six real days of the chart loaded as history (backfill), then today's run
demo: $(STAMP)
	$(BIN)/cinelake backfill src/cinelake/sample/history --offline --top-n 40 --data-dir lake
	$(BIN)/cinelake run --offline --top-n 40 --data-dir lake
	$(BIN)/cinelake query "select rank, title, year, imdb_rating from gold_top_rated order by rank limit 10"
	@# History: one snapshot per day, and how three movies' ranks moved across them.
	$(BIN)/cinelake query "select snapshot_date, count(*) as movies, \
	  max(source_rank) filter (where title = 'The Departed') as the_departed, \
	  max(source_rank) filter (where title = 'Gladiator') as gladiator, \
	  max(source_rank) filter (where title like 'Spider-Man%') as spider_verse \
	  from silver_movies group by snapshot_date order by snapshot_date" --data-dir lake
	@# What changed between snapshots (gold movers), and the biggest moves.
	$(BIN)/cinelake query "select snapshot_date, previous_snapshot_date as since, \
	  count(*) filter (where status = 'new') as new, count(*) filter (where status = 'exited') as exited, \
	  count(*) filter (where status = 'up') as up, count(*) filter (where status = 'down') as down \
	  from gold_movers group by all order by snapshot_date" --data-dir lake
	$(BIN)/cinelake query "select snapshot_date, title, previous_rank, rank, rank_change \
	  from gold_movers where rank_change <> 0 order by abs(rank_change) desc, snapshot_date limit 8" --data-dir lake

# `ruff format` keeps every file; `make test` fails on one it would change.
FORMATTED := src tests benchmarks scripts

## test: set up and run the whole suite
test: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check $(FORMATTED)
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

## test-future: the whole suite again with the wall clock ten years ahead (time-machine moves
## this process's clock; subprocesses and the browser keep the real one). .ci/run runs it.
test-future: $(DEV_STAMP)
	$(BIN)/python -m pytest -q --shift-clock=3650

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check $(FORMATTED)
	$(BIN)/lint-imports
	$(BIN)/python -m cinelake.aws.quicksight --check

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

## bench: benchmarks (not tests) — print figures beside a baseline measured in the same run
bench: bench-enrich bench-silver bench-source bench-backfill bench-history bench-budget bench-s3 bench-rebuild bench-dashboard bench-startup

bench-enrich: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_enrich.py

# bench-budget: the plan of 20,000 movies, and a run under a daily budget (--run-movies 20000
# for the issue's full figure: BENCH_BUDGET_ARGS="--run-movies 20000").
bench-budget: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_budget.py $(BENCH_BUDGET_ARGS)

# bench-s3: S3 requests per enriched movie and per run on the emulated AWS stack (moto server),
# beside the same run on the code before (BENCH_S3_ARGS="--baseline-rev REV --movies N").
bench-s3: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_s3_requests.py $(BENCH_S3_ARGS)

bench-silver: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_silver.py

# bench-backfill: one day of 250 movies with cached answers, beside the same day as `run --as-of`.
bench-backfill: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_backfill.py

# bench-history: three years of daily snapshots of 1,000 movies -> every gold dataset rebuilt.
# BENCH_HISTORY_ARGS="--days 365" scales it down.
bench-history: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_history.py $(BENCH_HISTORY_ARGS)

# bench-source: full scale (12 M titles, 1.6 M ratings); the peers come with the bench extra.
# BENCH_SOURCE_ARGS="--titles 4000000" scales it down.
bench-source: $(DEV_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_source.py $(BENCH_SOURCE_ARGS)

## docs: regenerate the schema docs from the code
docs: $(DEV_STAMP)
	$(BIN)/python -m cinelake.silver.schema > docs/silver_schema.md
	$(BIN)/python -m cinelake.gold.datasets > docs/gold_datasets.md
	$(BIN)/python -m cinelake.aws.glue_tables --write
	$(BIN)/python -m cinelake.aws.quicksight --write
	@# The README's picture: the dashboard of the lake `make demo` builds, made in a temp dir.
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(BIN)/cinelake run --offline --data-dir "$$tmp/lake" >/dev/null && \
	  $(BIN)/python scripts/dashboard_screenshot.py "$$tmp/lake/dashboard.html" docs/dashboard.png

clean:
	rm -rf lake build dist .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .grimp_cache

# --- AWS packaging (issue 6) ---
.PHONY: package lock-lambda

## package: build the Lambda artifacts template.yaml deploys (build/lambda/*.zip; needs PyPI)
package: $(STAMP)
	$(BIN)/python scripts/package_lambda.py build

## lock-lambda: re-pin requirements/lambda.txt (Linux arm64, CPython 3.12) after a dependency change
lock-lambda: $(STAMP)
	$(BIN)/python scripts/package_lambda.py lock

# --- Performance at scale (issue 17) ---
# bench-rebuild: `cinelake rebuild` of a generated 20,000-movie lake vs pandas (silver + gold),
# then of 100,000 movies (BENCH_REBUILD_ARGS="--large 0" skips that one).
bench-rebuild: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_rebuild.py $(BENCH_REBUILD_ARGS)

# bench-dashboard: the page's size at 20,000 movies and at three years of daily history.
bench-dashboard: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_dashboard.py $(BENCH_DASHBOARD_ARGS)

# bench-startup: `cinelake --help` and `cinelake query` on the demo lake vs `python -c pass`.
bench-startup: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_startup.py $(BENCH_STARTUP_ARGS)
