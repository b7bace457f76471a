# The README's commands: `make run` and `make test`; `make build` for deployment.
SHELL := bash
VENV := .venv
CHECKOV := .venv-checkov
PYTHON ?= python3

.PHONY: run test lint unit fuzz sim build bench clean

## Run the whole marketplace on localhost with demo data (embedded storage, no AWS, no Docker).
run:
	cargo run -p local-runner --bin marketplace-local

## Everything CI checks: formatting, lints, the template, every test on both adapters, and a
## bounded fuzzing pass of the API against its OpenAPI document.
test: lint fuzz unit

lint: $(VENV)/.test-tools $(CHECKOV)/.ok
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/cfn-lint template.yaml
	$(CHECKOV)/bin/checkov --file template.yaml --framework cloudformation --compact --quiet

unit: $(VENV)/.test-tools
	infra/scripts/with-moto.sh cargo nextest run --workspace --no-fail-fast

fuzz: $(VENV)/.test-tools
	infra/scripts/api-fuzz.sh

## The seeded simulation under faults, longer than make test's pass: `make sim SEEDS=10000`,
## or replay one seed with `make sim SEED=1234 SEEDS=1`.
SEED ?= 1
SEEDS ?= 1000
sim:
	SEED=$(SEED) SEEDS=$(SEEDS) cargo test -p acceptance --test simulation -- --nocapture

## Build every function for Lambda (arm64, provided.al2023) with SAM, cargo-lambda and zig: no Docker.
build: $(VENV)/.build-tools
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/sam build --beta-features

## Cold start, memory and size of every function against a Python peer, DynamoDB requests per
## operation, and the rules' hot paths: the numbers in docs/benchmarks.md. Not a test.
bench: $(VENV)/.test-tools $(VENV)/.bench-tools
	infra/scripts/with-moto.sh infra/bench/run.sh

$(VENV)/.bench-tools: infra/bench/requirements-bench.txt | $(VENV)/bin/pip
	$(VENV)/bin/pip install -q -r $<
	touch $@

$(VENV)/bin/pip:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.test-tools: infra/requirements-test.txt | $(VENV)/bin/pip
	$(VENV)/bin/pip install -q -r $<
	touch $@

$(CHECKOV)/.ok: infra/requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/pip install -q --upgrade pip
	$(CHECKOV)/bin/pip install -q -r $<
	touch $@

$(VENV)/.build-tools: infra/requirements-build.txt | $(VENV)/bin/pip
	$(VENV)/bin/pip install -q -r $<
	touch $@

clean:
	cargo clean
	rm -rf $(VENV) $(CHECKOV) .aws-sam .data
