# Fedstat. `make test` sets up this machine (Debian packages), builds with warnings
# as errors and runs every test, including the live cross-check against
# python-paillier and the integration tests with real node processes (each in a network
# namespace of its own when run as root; iproute2 is installed for that). See README.md.

SWIFT        ?= swift
SWIFT_FLAGS  ?= -Xswiftc -warnings-as-errors
APT_PACKAGES := libgmp-dev libssl-dev libsqlite3-dev openssl sqlite3 iproute2
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VENV         := Benchmarks/.venv

.PHONY: all deps build test unit-test interop bench bench-compare vectors clean demo

all: build

## deps: install the system packages the build needs, only those missing.
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

## build: debug build of everything, tests included.
build: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)

## demo: the example city federation for real: ceremony, five node processes, the
## queries of Examples/city/queries.sql checked against the pooled computation.
## KEEP_RUNNING=1 leaves the nodes running afterwards (Ctrl-C stops them).
demo: deps
	bash scripts/demo.sh

## test: build and run every test.
test: build
	$(SWIFT) test --skip-build
	$(MAKE) interop
	python3 scripts/make-example-data.py --check

## interop: decrypt python-paillier ciphertexts with Fedstat and the other way round,
## and check the committed vectors still equal a fresh generation from the spec.
interop: build $(VENV)/.ready
	$(VENV)/bin/python scripts/paillier-interop.py --fedvectors "$$($(SWIFT) build --show-bin-path)/fedvectors" --check
	$(VENV)/bin/python scripts/paillier-vectors.py --check Protocols/vectors/paillier/vectors.json
	$(VENV)/bin/python scripts/threshold-vectors.py --check Protocols/vectors/threshold-paillier
	$(VENV)/bin/python scripts/secure-sum-vectors.py --check

## vectors: regenerate Protocols/vectors/paillier/phe-interop.json with python-paillier,
## and Protocols/vectors/paillier/vectors.json and Protocols/vectors/threshold-paillier/
## from the specs in plain Python.
vectors: build $(VENV)/.ready
	$(VENV)/bin/python scripts/paillier-interop.py --fedvectors "$$($(SWIFT) build --show-bin-path)/fedvectors" \
	  --write Protocols/vectors/paillier/phe-interop.json
	$(VENV)/bin/python scripts/paillier-vectors.py --write Protocols/vectors/paillier/vectors.json
	$(VENV)/bin/python scripts/threshold-vectors.py --write Protocols/vectors/threshold-paillier
	$(VENV)/bin/python scripts/secure-sum-vectors.py

$(VENV)/.ready: Benchmarks/requirements.txt
	@python3 -m venv --help >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r Benchmarks/requirements.txt
	touch $@

## bench: Fedstat's own Paillier figures (release build).
bench: deps
	$(SWIFT) build -c release --product fedbench
	"$$($(SWIFT) build -c release --show-bin-path)/fedbench" paillier --bits 2048

## bench-compare: Fedstat against python-paillier and pypaillier, as ratios.
bench-compare: deps
	bash Benchmarks/compare-paillier.sh

clean:
	rm -rf .build $(VENV)
