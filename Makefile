# The two commands a newcomer needs: `make run` and `make test`.

BIN := target/release/blockbuilders
DEMO := data/demo/yahoo_BTC-USD_1d_2014-2022.csv

.PHONY: run backtest test lint bench fixtures

## Build and start the product on embedded SQLite with demo data; it prints the URL.
run:
	cargo build --release -p blockbuilders
	$(BIN) serve --demo

## Try the engine from the command line: backtest a starter on the bundled BTC data.
backtest:
	cargo build --release -p blockbuilders
	$(BIN) backtest --strategy strategies/sma_crossover.json --data $(DEMO)

## Run every test (unit, integration, golden, property) of the workspace.
test:
	cargo test --workspace

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
