# The two commands a newcomer needs: `make run` and `make test`.

BIN := target/release/blockbuilders
DEMO := data/demo/yahoo_BTC-USD_1d_2014-2022.csv

.PHONY: run web backtest test test-rust test-web lint bench fixtures

## Build and start the product on embedded SQLite with demo data; it prints the URL.
run: web
	cargo build --release -p blockbuilders
	$(BIN) serve --demo

## Build the web app into web/dist (the release binary embeds it). `npm install` keeps to the
## committed lockfile; `npm ci` would refuse it, because one of Vite's optional, Windows-only
## dependencies cannot be fetched from the registry here and so is not in the lockfile.
web:
	cd web && npm install --no-audit --no-fund && npm run build

## Try the engine from the command line: backtest a starter on the bundled BTC data.
backtest:
	cargo build --release -p blockbuilders
	$(BIN) backtest --strategy strategies/sma_crossover.json --data $(DEMO)

## Run every test: the workspace's (unit, integration, golden, property, fault) and the
## browser tests (the real binary, Debian's chromium at /usr/bin/chromium).
test: test-rust test-web

test-rust:
	cargo test --workspace

test-web: web
	cargo build -p blockbuilders
	cd web && npm test

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

## Print the benchmark numbers.
bench:
	cargo bench -p bb-strategy --bench evaluate
	cargo bench -p bb-backtest --bench backtest
	cargo bench -p bb-store --bench candles
	cargo bench -p blockbuilders --bench jobs

## Regenerate the TA-Lib golden fixtures (needs: pip install ta-lib==0.8.2 numpy).
fixtures:
	python3 tools/gen_talib_fixtures.py
