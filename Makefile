# cells: `make run` and `make test` do all the set-up a fresh Debian machine needs.
SWIFT        ?= swift
CONFIG       ?= release
CELLS        := .build/$(CONFIG)/cells
DEB_PACKAGES := librdkafka-dev libedit-dev libsqlite3-dev kcat pkg-config python3-yaml

.PHONY: all setup build run broker test bench bench-produce bench-kernel bench-notebook clean help

all: build

help:
	@echo "make run     set up, build, and open notebooks/work.cells in the shell on an embedded broker and producer"
	@echo "make test    set up, build, and run every test"
	@echo "make bench   set up, build (release), and print benchmark figures with their anchors"
	@echo "make broker  run an embedded broker alone"

## Installs the Debian packages the build and tests need, when they are missing.
setup:
	@command -v $(SWIFT) >/dev/null || { echo "swift not found: install Swift 6 (https://swift.org/install)"; exit 1; }
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing packages:$$missing"; \
	    echo "install them with: sudo apt-get update && sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

build: setup
	$(SWIFT) build -c $(CONFIG)

run: build
	$(CELLS) notebooks/work.cells --embedded

broker: build
	$(CELLS) broker

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test

bench: bench-produce bench-kernel bench-notebook

bench-produce: setup
	$(SWIFT) build -c release
	bench/produce.sh

bench-kernel: setup
	$(SWIFT) build -c release
	bench/kernel.sh

bench-notebook: setup
	$(SWIFT) build -c release
	bench/notebook.sh

clean:
	rm -rf .build bench-work
