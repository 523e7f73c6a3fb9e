# The everyday commands. The README's two: `make run` and `make test`.
VENV := .venv
IAMLOG := $(VENV)/bin/iamlog
PYTEST_ARGS ?=

.PHONY: setup run test lint down status

# Reinstall when the dependencies change.
$(VENV)/.installed: pyproject.toml scripts/venv.sh scripts/deploy-tools.sh
	scripts/venv.sh $(VENV)
	scripts/deploy-tools.sh
	touch $@

## setup: virtualenv and packages, Kafka jars, Postgres cluster, topics, migrations
setup: $(VENV)/.installed
	$(IAMLOG) dev up
	$(IAMLOG) db migrate

## run: setup, then `iamlog serve` in the foreground; the demo account's root key is printed once
run: setup
	VENV=$(VENV) scripts/run.sh

## test: the whole suite; starts Kafka and Postgres if they are not running
test: $(VENV)/.installed
	$(IAMLOG) dev up
	$(IAMLOG) db migrate
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## lint: ruff and mypy --strict
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy domain events services

## down: stop Kafka and Postgres (data stays)
down: $(VENV)/.installed
	$(IAMLOG) dev down

## status: what runs where
status: $(VENV)/.installed
	$(IAMLOG) dev status
