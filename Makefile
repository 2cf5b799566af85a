# storesync: `make run` starts the whole stack locally, `make test` runs every test.

VENV     := .venv
CARGO    ?= cargo
STORE    ?= embedded
PORT     ?= 3000
export PORT
export SAM_CLI_TELEMETRY := 0

.PHONY: run test unit contract lint fmt clippy bench build venv browser sf-emulator clean

## run: the stack on 127.0.0.1:$(PORT) over the embedded store (STORE=dynamodb: over moto)
run:
ifeq ($(STORE),dynamodb)
	$(MAKE) --no-print-directory venv
	$(CARGO) build -p storesync-devstack
	tools/with-moto.sh env STORE=dynamodb PORT=$(PORT) ./target/debug/storesync-dev
else
	$(CARGO) run -p storesync-devstack
endif

## test: format, lints, template lint, the API contract, then every test (moto server on
## loopback for AWS); the test runner's summary is the last word
test: venv browser lint fmt clippy
	$(MAKE) --no-print-directory contract
	tools/with-moto.sh $(MAKE) --no-print-directory unit

unit: browser
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		$(CARGO) nextest run --workspace --no-fail-fast; \
	else \
		$(CARGO) test --workspace --no-fail-fast; \
	fi

## contract: schemathesis runs every operation of openapi.yaml, all checks, against the dev
## stack binary on a free port (about two minutes)
contract: venv
	$(CARGO) build -p storesync-devstack
	tools/contract.sh target/debug/storesync-dev

lint: venv
	$(VENV)/bin/cfn-lint template.yaml

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## venv: the project's Python tools (moto server, cfn-lint, schemathesis), installed once
venv: $(VENV)/.installed

$(VENV)/.installed: tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

## browser: Debian's Chromium and ChromeDriver for the sync console's browser test, installed
## once (as root; the package lists are fetched only when the install cannot find them)
BROWSER_PACKAGES := chromium chromium-driver
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends $(BROWSER_PACKAGES) \
		|| { apt-get update && apt-get install -y --no-install-recommends $(BROWSER_PACKAGES); }; \
	fi

## sf-emulator: the Salesforce emulator alone on 127.0.0.1:$(SF_EMULATOR_PORT)
SF_EMULATOR_PORT ?= 4000
sf-emulator:
	SF_EMULATOR_PORT=$(SF_EMULATOR_PORT) $(CARGO) run -p storesync-sf-emulator --bin sf-emulator

build:
	$(CARGO) build --release --workspace

clean:
	$(CARGO) clean
	rm -rf $(VENV)

## bench: cold start, memory and size of the release binaries next to hello-world references,
## DynamoDB requests and Salesforce calls per order, throughput, latency and the AWS cost of a
## million orders; writes benchmarks/REPORT.md and benchmarks/results.json. Not part of make test.
## Every benchmark binary comes from one build: separate cargo invocations resolve features
## differently (criterion's) and would build the AWS SDK twice. The criterion bench is then run
## straight from that build.
BENCH_PACKAGES := -p checkout -p payment-webhook -p scheduled-sync -p order-events \
	-p hello-http -p hello-runtime -p hello-dynamodb -p storesync-tests -p storesync-handler-bench
bench: venv
	mkdir -p target
	$(CARGO) build --release --bins --benches $(BENCH_PACKAGES) \
		--message-format=json-render-diagnostics > target/bench-build.json
	rm -rf target/criterion/handlers target/criterion/allocations.json
	CRITERION_HOME=target/criterion "$$(python3 tools/artifact.py target/bench-build.json handlers)" --bench
	tools/with-moto.sh ./target/release/storesync-bench benchmarks/REPORT.md
