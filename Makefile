# The two commands a user needs: `make run` and `make test`. Everything else is a helper.
VENV := .venv
PY := $(VENV)/bin/python
BUILD := build/py
# Developers build with WERROR=ON (make WERROR=ON test). CI keeps it off: it may run on a newer
# compiler (Debian 13's gcc 14) whose new, sometimes spurious warnings must not block a landing.
WERROR ?= OFF
JOBS ?= 2

.PHONY: run test bootstrap build test-cpp test-python bench validate clean sanitize fuzz

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

# AddressSanitizer + UndefinedBehaviorSanitizer over the C++ tests, every bundled scenario (smaller)
# and feature-combination runs, in its own build (build/asan: the CLI and the tests, no Python).
# About an hour from scratch on 2 cores shared with other builds (-O0: the build is the cost; the
# C++ tests under the sanitizers take many times their 20 s); not part of `make test`.
# PART=tests or PART=runs (scripts/sanitize_runs) splits the runs in two.
SAN_BUILD := build/asan
sanitize: bootstrap
	$(VENV)/bin/cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_MAKE_PROGRAM=$(CURDIR)/$(VENV)/bin/ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWSFLEET_SANITIZE=ON -DWSFLEET_BUILD_TESTS=ON -DWSFLEET_BUILD_PYTHON=OFF
	$(VENV)/bin/cmake --build $(SAN_BUILD) -j $(JOBS) --target wsfleet wsfleet_tests
	scripts/sanitize_runs $(SAN_BUILD)

# The mutation fuzzer (loader, --set overrides, whole short runs) for FUZZ_SECONDS with FUZZ_JOBS
# wsfleet processes at a time; it prints the CPU-minutes spent (its own and every wsfleet's) and
# writes findings to results/fuzz/. `make test` runs a short seeded pass (tests/python/test_fuzz.py).
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 1
fuzz: build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) $(PY) tests/python/wsfleet_fuzz.py

# Benchmarks print figures; they are not tests.
bench: build
	$(BUILD)/tests/bench_event_queue
	$(BUILD)/tests/bench_fleet experiments/bench/million.toml
	@echo "--- the same model at 100k and 3M clients (cost per connection-hour should stay flat)"
	$(BUILD)/tests/bench_fleet experiments/bench/million.toml clients.count=100000 fleet.servers=10 faults.0.server=7
	$(BUILD)/tests/bench_fleet experiments/bench/million.toml clients.count=3000000 fleet.servers=300
	@echo "--- heartbeats off, then the per-event reference model (one event per heartbeat and message timer)"
	$(BUILD)/tests/bench_fleet experiments/bench/million.toml clients.heartbeat_interval_s=0
	$(BUILD)/tests/bench_fleet experiments/bench/million.toml run.per_connection_timers=true
	@echo "--- the same model in SimPy (tests/bench/simpy_model.py) at 2k and 10k clients: CPU time of each (about 2 minutes)"
	$(PY) tests/bench/bench_simpy.py 2000 10000
	$(PY) tests/bench/bench_sweep.py

# The full comparison of measured (real HAProxy/NGINX, Node.js ws servers, thousands of real clients on
# loopback) and simulated reconnect storms; writes docs/validation.md. Several minutes.
validate: build
	$(PY) -m testbed.validate --out results/validate --doc docs/validation.md

clean:
	rm -rf build results
