# HelloJohn Users. `make run` serves the API locally; `make test` sets up and passes every check.
SHELL := /bin/bash
export SAM_CLI_TELEMETRY := 0
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.13 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHECKOV := $(VENV)/checkov/bin/checkov
PORT ?= 3000
PYTEST_WORKERS ?= 2

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The .pth line makes the layer's package importable from the venv, as /opt/python is in Lambda.
$(STAMP): requirements-dev.txt layers/shared/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_path("purelib"), "hellojohn-layer.pth").write_text("$(CURDIR)/layers/shared\n")'
	touch $(STAMP)

$(CHECKOV): requirements-checkov.txt | $(STAMP)
	test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install -q -r requirements-checkov.txt
	touch $(CHECKOV)

venv: $(STAMP) ## create .venv and install everything (once)

run: $(STAMP) ## run the API locally on :$(PORT) with moto, a demo tenant and user
	$(BIN)/python -m local_runner --port $(PORT)

tenant: $(STAMP) ## create a tenant: make tenant NAME=Acme [STACK=stack-name] [ARGS="--email-from …"]
	$(BIN)/python -m scripts.tenant --name "$(NAME)" $(if $(STACK),--stack "$(STACK)") $(ARGS)

rekey-emails: $(STAMP) ## once after deploying NFKC/IDNA email keys: move stale email claims [STACK=stack-name]
	$(BIN)/python -m scripts.rekey_emails $(if $(STACK),--stack "$(STACK)")

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

template: $(STAMP) $(CHECKOV) ## cfn-lint and checkov on template.yaml and on its SAM translation (zero findings)
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --region us-east-1 >/dev/null
	$(BIN)/python -m scripts.translate --out .aws-sam/translated.json
	$(BIN)/cfn-lint .aws-sam/translated.json
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation -f template.yaml -f .aws-sam/translated.json

openapi: $(STAMP) ## regenerate docs/openapi.json from the resolvers, and the JS SDK's types from it
	$(BIN)/python -m scripts.openapi --write
	$(MAKE) -C sdk/js openapi

pytest: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --iam-coverage

sdk-test: ## the JS SDK: generated types current, ESLint, Prettier, unit tests, browser test
	$(MAKE) -C sdk/js test

test: $(STAMP) lint template pytest sdk-test ## everything CI runs

build: $(STAMP) ## sam build for python3.13 / arm64
	$(BIN)/sam build --template template.yaml
	@# sam's pip builder ships no bytecode and /opt is read-only: without this, every cold start
	@# compiles boto3, pydantic, Powertools and hellojohn from source (docs/PERFORMANCE.md)
	$(BIN)/python -m compileall -q -j 0 --invalidation-mode unchecked-hash .aws-sam/build >/dev/null

bench: $(STAMP) ## benchmarks (ratios against a floor measured in the same run)
	$(BIN)/python -m bench

bench-render: $(STAMP) ## docs/PERFORMANCE.md again from the last `make bench`'s stored measurements
	$(BIN)/python -m bench --render

fuzz: $(STAMP) ## schemathesis over docs/openapi.json against the local runner
	$(BIN)/python -m tests.fuzz

.PHONY: help venv run tenant rekey-emails lint template openapi pytest sdk-test test build bench bench-render fuzz
