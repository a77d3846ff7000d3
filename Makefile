# The two commands that matter: `make run` and `make test`. See README.md.
SHELL := /bin/bash
CARGO ?= cargo
BIN_DEBUG := target/debug/billing
# BILLING_BIND is honoured, as `billing serve` itself does.
BIND ?= $(or $(BILLING_BIND),127.0.0.1:8080)
export DATABASE_URL ?= sqlite://data/billing.db

.PHONY: run test build deps lint bench pg-stop clean-data

deps:
	@scripts/ensure-system-deps.sh

build: deps
	$(CARGO) build --bin billing

## Build, migrate, seed, print the admin key, serve on $(BIND) over SQLite (./data/billing.db).
## The admin key is created on the first run against a database only, and kept in
## ./data/admin-key-<hash of DATABASE_URL> (mode 600); `make clean-data` forgets both.
run: build
	@mkdir -p data
	@$(BIN_DEBUG) migrate
	@$(BIN_DEBUG) seed
	@keyfile=data/admin-key-$$(printf '%s' "$$DATABASE_URL" | sha256sum | cut -c1-12); \
	if [ ! -s $$keyfile ]; then \
	  (umask 077; $(BIN_DEBUG) api-key create --scope admin --name "make run" > $$keyfile); \
	fi; \
	echo "Admin API key (kept in $$keyfile; the README's walk-through calls it ADMIN):" >&2; \
	cat $$keyfile
	@echo "Billing portal of the sample account (one-time link, valid 10 minutes; 'target/debug/billing portal-link --sample' makes another):" >&2
	@$(BIN_DEBUG) portal-link --sample --base-url http://$(BIND)
	@echo "Serving on http://$(BIND)  (Ctrl-C to stop)" >&2
	@exec $(BIN_DEBUG) serve --bind $(BIND)

## Every test: domain, both stores (SQLite + PostgreSQL), HTTP end to end, doctests.
test: deps
	@set -euo pipefail; \
	url=$$(scripts/ensure-postgres.sh); export TEST_DATABASE_URL="$$url"; \
	echo "PostgreSQL for tests: $$url" >&2; \
	if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --workspace --all-features --no-fail-fast; \
	else \
	  $(CARGO) test --workspace --all-features --no-fail-fast --lib --bins --tests; \
	fi; \
	$(CARGO) test --workspace --all-features --doc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-features --all-targets

## Release build, load test, writes docs/benchmarks.md.
bench: deps
	@scripts/bench.sh

pg-stop:
	@d=target/pg-throwaway/data; if [ -f $$d/PG_VERSION ]; then su postgres -s /bin/sh -c "pg_ctl -D $$PWD/$$d stop" || pg_ctl -D $$d stop; fi

clean-data:
	rm -rf data
