# The two commands a user needs: `make run` and `make test`. Everything else is a helper.
VENV := .venv
PY := $(VENV)/bin/python
BUILD := build/py
# Developers build with WERROR=ON (make WERROR=ON test). CI keeps it off: it may run on a newer
# compiler (Debian 13's gcc 14) whose new, sometimes spurious warnings must not block a landing.
WERROR ?= OFF
JOBS ?= 2

.PHONY: run test bootstrap build test-cpp test-python bench validate clean

run: build
	$(VENV)/bin/wsfleet run experiments/scenarios/default.toml --out results/default --report

test: build
	$(MAKE) --no-print-directory test-cpp test-python

bootstrap:
	@scripts/bootstrap

build: bootstrap
	CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) $(PY) -m pip install -q --no-build-isolation --no-deps \
	  -C cmake.define.WSFLEET_BUILD_TESTS=ON -C cmake.define.WSFLEET_WERROR=$(WERROR) .

test-cpp:
	cd $(BUILD) && $(CURDIR)/$(VENV)/bin/ctest --output-on-failure -j $(JOBS)

test-python:
	$(PY) -m pytest

# Benchmarks print figures; they are not tests.
bench: build
	$(BUILD)/tests/bench_event_queue
	$(BUILD)/tests/bench_fleet experiments/bench/million.toml
	$(PY) tests/bench/bench_sweep.py

# The full comparison of measured (real HAProxy/NGINX, Node.js ws servers, thousands of real clients on
# loopback) and simulated reconnect storms; writes docs/validation.md. Several minutes.
validate: build
	$(PY) -m testbed.validate --out results/validate --doc docs/validation.md

clean:
	rm -rf build results
