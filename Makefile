# The two commands a newcomer needs: `make run` and `make test`.
# Set-up is idempotent: each step reruns only when its inputs changed.

SHELL := /bin/bash
.DEFAULT_GOAL := help
export PYTHONPATH := $(CURDIR)
export HF_HUB_OFFLINE := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

ENGINE := .venv-engine
APP := .venv
MODEL ?= models/current.tar.gz
BASELINE := models/baseline.tar.gz
TRAINING_INPUTS := config.yml $(shell find bot nlu -type f \( -name '*.yml' -o -name '*.py' \) ! -name parse.py 2>/dev/null)
CARDS := $(shell find knowledge/cards -name '*.yaml' 2>/dev/null)
RASA := $(ENGINE)/bin/rasa
RASA_FILES := --domain bot/domain --data bot/data

.PHONY: help setup run run-prod test test-engine lint audit check-clone parse train train-baseline eval bench bench-load clean

help:
	@echo "make run    - set up what is missing, train if needed, start the assistant (http://localhost:8000/)"
	@echo "make run-prod - the production topology: PostgreSQL, Redis, N Rasa servers behind nginx (README)"
	@echo "make test   - lint, all tests of both environments, data validation, end-to-end tests"
	@echo "make parse  - one message per line on stdin -> one JSON line on stdout (MODEL=path to choose)"
	@echo "make eval   - held-out accuracy of the Vietnamese and the stock pipelines (docs/evaluation.md)"
	@echo "make bench  - speed and memory of understanding (docs/benchmarks.md)"
	@echo "make bench-load - simulated citizens on each topology: latency, turns/s, memory (docs/benchmarks.md)"
	@echo "make audit  - known vulnerabilities of both environments' packages (accepted ones: README)"

setup: $(ENGINE)/.ready $(APP)/.ready var/.cards var/.catalog var/.chromium var/.nginx tests/e2e/axe/node_modules/.ready

$(ENGINE)/.ready: pyproject.toml requirements/constraints.txt scripts/requirements.py
	@PY310=$$(scripts/find-python310) && { [ -x $(ENGINE)/bin/python ] || $$PY310 -m venv $(ENGINE); }
	$(ENGINE)/bin/pip install -q --upgrade pip
	python3 scripts/requirements.py engine > $(ENGINE)/requirements.txt
	$(ENGINE)/bin/pip install -q -r $(ENGINE)/requirements.txt -c requirements/constraints.txt
	touch $@

$(APP)/.ready: pyproject.toml scripts/requirements.py
	@[ -x $(APP)/bin/python ] || python3 -m venv $(APP)
	$(APP)/bin/pip install -q --upgrade pip
	python3 scripts/requirements.py app > $(APP)/requirements.txt
	$(APP)/bin/pip install -q -r $(APP)/requirements.txt
	touch $@

# Headless Chromium (Debian's package) prints the QR posters to PDF and runs the browser tests.
var/.chromium:
	@mkdir -p var
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	touch $@

# axe-core (npm, pinned by its lock file): the browser tests inject it into the console's pages.
tests/e2e/axe/node_modules/.ready: tests/e2e/axe/package.json tests/e2e/axe/package-lock.json
	cd tests/e2e/axe && npm ci --no-audit --no-fund --silent
	touch $@

# Debian's nginx: the reverse proxy (deploy/nginx.conf), tested in front of the stack.
var/.nginx:
	@mkdir -p var
	@{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }
	touch $@

# Seed cards into the app database (the source of truth at run time).
var/.cards: $(APP)/.ready $(CARDS) $(shell find migrations -name '*.py')
	@mkdir -p var
	$(APP)/bin/python -m knowledge import
	touch $@

# The national catalog's derived facts, shipped in the repository.
var/.catalog: $(APP)/.ready knowledge/catalog/national.jsonl.gz $(shell find migrations -name '*.py')
	@mkdir -p var
	$(APP)/bin/python -m knowledge import-catalog
	touch $@

$(MODEL): $(ENGINE)/.ready $(TRAINING_INPUTS) | var/.cards
	@mkdir -p models
	$(RASA) train --config config.yml $(RASA_FILES) --out models --fixed-model-name current 1>&2

$(BASELINE): $(ENGINE)/.ready config.baseline.yml $(TRAINING_INPUTS)
	@mkdir -p models
	$(RASA) train --config config.baseline.yml $(RASA_FILES) --out models --fixed-model-name baseline 1>&2

train: $(MODEL)
train-baseline: $(BASELINE)

run: setup $(MODEL)
	@scripts/run

run-prod: setup $(MODEL)
	@scripts/run-prod

# stdout carries only the JSON lines: set-up and training write to stderr.
parse:
	@$(MAKE) --no-print-directory setup $(if $(filter $(MODEL),models/current.tar.gz),$(MODEL)) 1>&2
	@$(ENGINE)/bin/python -m nlu.parse --model $(MODEL)

lint: $(APP)/.ready
	$(APP)/bin/ruff check .
	$(APP)/bin/ruff format --check .
	$(APP)/bin/mypy

# The clean-clone check (a second set-up and training, mostly pip) runs beside
# the engine's checks, which use one core; its output follows theirs. Then the
# app and end-to-end tests, one worker per core, at most 4: each end-to-end
# group starts its own stack (Rasa servers, databases' connections); see
# tests/e2e/conftest.py.
test: setup lint audit $(MODEL)
	@mkdir -p var; scripts/check-clean-clone > var/check-clone.log 2>&1 & clone=$$!; \
	$(MAKE) --no-print-directory test-engine; engine=$$?; \
	wait $$clone; cloned=$$?; cat var/check-clone.log; [ $$engine -eq 0 ] && [ $$cloned -eq 0 ]
	$(APP)/bin/python -m pytest -q -n auto --maxprocesses 4 --dist loadgroup tests/shared tests/app tests/e2e

test-engine:
	$(APP)/bin/python -m knowledge validate
	$(RASA) data validate --config config.yml $(RASA_FILES) --fail-on-warnings
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out var/results 1>&2
	$(ENGINE)/bin/python -m pytest -q tests/engine tests/shared

# A fresh clone with nothing beside it must set itself up and answer.
check-clone:
	scripts/check-clean-clone

# pip-audit runs from the app environment over each environment's frozen list
# (Rasa's pins leave no room for pip-audit in the engine). Accepted findings,
# each explained in the README's Security section, are in requirements/audit-ignore.txt.
audit: $(ENGINE)/.ready $(APP)/.ready
	@mkdir -p var
	$(ENGINE)/bin/pip freeze --exclude-editable > var/engine-frozen.txt
	$(APP)/bin/pip freeze --exclude-editable > var/app-frozen.txt
	$(APP)/bin/pip-audit --progress-spinner off --no-deps --disable-pip -r var/engine-frozen.txt \
		$$(sed -e 's/#.*//' -e '/^ *$$/d' -e 's/^ */--ignore-vuln /' requirements/audit-ignore.txt)
	$(APP)/bin/pip-audit --progress-spinner off --no-deps --disable-pip -r var/app-frozen.txt \
		$$(sed -e 's/#.*//' -e '/^ *$$/d' -e 's/^ */--ignore-vuln /' requirements/audit-ignore.txt)

bench: setup $(MODEL)
	$(APP)/bin/python -m tests.bench --report docs/benchmarks.md

# A few minutes; LOAD_ARGS adds options (python -m tests.load --help), e.g. --profile --train.
bench-load: setup $(MODEL) $(BASELINE)
	$(APP)/bin/python -m tests.load --report docs/benchmarks.md $(LOAD_ARGS)

eval: setup $(MODEL) $(BASELINE)
	$(APP)/bin/python -m tests.evaluation --model $(MODEL) --baseline $(BASELINE) --report docs/evaluation.md

clean:
	rm -rf models var .rasa
