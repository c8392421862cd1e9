# One task runner for people and CI alike. `make run` and `make test` do everything on a fresh machine.
SHELL := /bin/bash
PYTHON311 ?= python3.11
VENV := .venv
RVENV := .venv-rasa
BIN := $(VENV)/bin

.PHONY: setup browser train run test test-unit lint bench eval clean help

help:
	@echo "make run    install what is missing, train what is stale, start the whole stack"
	@echo "make test   install, train, then run every test (unit and end-to-end)"
	@echo "make train  regenerate NLU data, train the retrieval model and the Rasa model if their inputs changed"
	@echo "make lint   ruff"
	@echo "make eval   NLU and retrieval evaluation report (bench/results/)"
	@echo "make bench  benchmarks (bench/results/)"

setup: $(VENV)/.installed $(RVENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON311) >/dev/null || { echo "error: $(PYTHON311) not found; our code needs Python 3.11 (set PYTHON311=/path/to/python3.11)"; exit 1; }
	@[ -x $(BIN)/python ] || $(PYTHON311) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

$(RVENV)/.installed: requirements-rasa.txt
	@PY310="$$(scripts/find-python310.sh)" || exit 1; \
	  [ -x $(RVENV)/bin/python ] || "$$PY310" -m venv $(RVENV)
	$(RVENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-rasa.txt
	@touch $@

train: setup
	$(BIN)/hanhtrang train

run: train
	$(BIN)/hanhtrang run

test: train browser
	$(BIN)/pytest

# Debian's Chromium for the browser end-to-end test (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	      || echo "warning: could not install chromium; the browser test will be skipped"; \
	  else echo "note: install chromium (Debian package) to run the browser test"; fi; }

test-unit: setup
	$(BIN)/pytest -m "not e2e"

lint: setup
	$(BIN)/ruff check .

eval: train
	$(BIN)/python -m bench.eval_nlu

bench: train
	$(BIN)/python -m bench.clinc150

clean:
	rm -rf models var/*.db
