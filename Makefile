# Two commands do all set-up on a machine with Python 3.11 and pip: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SIZE ?= 100000

.PHONY: install demo test lint bench bench-scale bench-million fill clean lock

# requirements.lock pins every package to the versions the tests passed with (the tap's plugin
# venv uses it too, through its pip_url in meltano.yml); `make lock` refreshes it from .venv.
$(BIN)/tap-ats: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev,dagster]'
	touch $@

.meltano/.installed: meltano.yml requirements.lock $(BIN)/tap-ats
	$(BIN)/meltano install
	touch $@

install: $(BIN)/tap-ats .meltano/.installed

demo: install
	$(BIN)/python -m tap_ats.sandbox.demo

lint: $(BIN)/tap-ats
	$(BIN)/ruff check .

test: install lint
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench --applications $(SIZE)
	$(MAKE) bench-scale bench-million

# The scale rows alone: Kombo and Merge, 20,000 applications as 1, 100, 1,000 and 10,000 accounts,
# 1/2/4 account shards, 50 ms per request, every run checked against the truth, and at 1,000
# accounts a run killed halfway (SIGKILL, SIGTERM) and resumed (about two hours on two cores).
bench-scale: install
	$(BIN)/python -m bench --scale --accounts 1 100 1000 10000 --applications 20000 --latency-ms 50 \
	  --resume-at 1000

# One account at 1,000,000 applications: memory and CPU per record at size (Greenhouse, Kombo,
# Merge, and Ashby: a million requests, half an hour here; ATZ CRM and Lever ask 1 to 3 requests
# per application: hours at this size).
bench-million: install
	$(BIN)/python -m bench --applications 1000000 --tap-only --providers greenhouse kombo merge ashby \
	  --out bench/results/million.json

fill: install
	$(BIN)/python -m bench.fill

lock: $(BIN)/tap-ats
	$(BIN)/pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev,dagster]'
	{ sed -n '1,2p' requirements.lock; $(BIN)/pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) .meltano output .pytest_cache transform/target transform/logs
