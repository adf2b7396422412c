# The two commands a newcomer needs: `make run` and `make test`. Both start with
# `scripts/setup`, which installs or starts what they need (and says what to install when it
# cannot), so CI takes exactly the newcomer's path.

BIN := target/release/blockbuilders
DEMO := data/demo/yahoo_BTC-USD_1d_2014-2022.csv

.PHONY: run test setup setup-run web server-release test-rust test-web rust-tests web-tests \
	spec-tests test-spec test-bin backtest lint bench fixtures
# Prerequisites run in the order written (set-up first), also under `make -j`.
.NOTPARALLEL:

## Build and start the product on embedded SQLite with demo data; it prints the URL.
run: setup-run web server-release
	$(BIN) serve --demo

## Run every test: the workspace's (unit, integration, golden, property, fault) and the
## browser tests (the real binary, Debian's chromium at /usr/bin/chromium), then schemathesis
## against the committed OpenAPI spec (every check on, bounded).
test: setup rust-tests web-tests spec-tests

## One part alone (each with its set-up): the Rust tests, or the browser tests.
test-rust: setup rust-tests
test-web: setup web-tests
test-spec: setup spec-tests

## What the tests need: Rust with rustfmt and clippy, Node.js and the web app's packages,
## Debian's chromium, a running PostgreSQL, the test-side Python tools in .venv.
setup:
	scripts/setup test

## What `make run` needs: Rust, Node.js and the web app's packages.
setup-run:
	scripts/setup run

## Build the web app into web/dist (the release binary embeds it).
web:
	cd web && npm run build

server-release:
	cargo build --release -p blockbuilders

rust-tests:
	cargo test --workspace

# The binary the browser and spec tests start: the one `cargo test --workspace` builds (its
# features unified with the tests'), so the whole graph is not compiled a second time.
test-bin:
	cargo test --workspace --no-run

web-tests: web test-bin
	cd web && npm test

spec-tests: test-bin
	tools/spec-test target/debug/blockbuilders

## Try the engine from the command line: backtest a starter on the bundled BTC data.
backtest: server-release
	$(BIN) backtest --strategy strategies/sma_crossover.json --data $(DEMO)

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

## Print the benchmark numbers.
bench:
	cargo bench -p bb-strategy --bench evaluate
	cargo bench -p bb-backtest --bench backtest
	cargo bench -p bb-backtest --bench sweep
	cargo bench -p bb-store --bench candles
	cargo bench -p blockbuilders --bench jobs
	cargo bench -p blockbuilders --bench notifications
	cargo bench -p bb-screener --bench screener
	cargo bench -p blockbuilders --bench screener_live

## Regenerate the TA-Lib golden fixtures (needs: pip install ta-lib==0.8.2 numpy).
fixtures:
	python3 tools/gen_talib_fixtures.py
