# cells: `make run` and `make test` do all the set-up a fresh Debian machine needs.
SWIFT        ?= swift
CONFIG       ?= release
CELLS        := .build/$(CONFIG)/cells
## Release builds link the Swift runtime and Foundation into the binary (as the Dockerfile
## does): a start of cells then loads 18 libraries rather than 32, about 7 ms sooner, which
## every command and every benchmark figure (timed as whole processes) pays.
STATIC       := $(if $(filter release,$(CONFIG)),--static-swift-stdlib)
DEB_PACKAGES := librdkafka-dev liblz4-dev libedit-dev libsqlite3-dev sqlite3 kcat pkg-config python3-yaml libpq-dev postgresql
## Only the benchmarks need these (callgrind counts instructions), so `make test` does not.
BENCH_DEB_PACKAGES := valgrind

.PHONY: all setup bench-setup build spark run broker test bench bench-produce bench-kernel bench-kafka bench-instructions bench-notebook bench-sinks bench-spark clean help fuzz

all: build

help:
	@echo "make run     set up, build, and open notebooks/work.cells in the shell on an embedded broker and producer"
	@echo "make test    set up, build, and run every test"
	@echo "make bench   set up, build (release), and print benchmark figures with their anchors"
	@echo "make broker  run an embedded broker alone"
	@echo "make spark   build cells with Spark Connect (--engine sc://host:port) into .build/release/cells"

## Installs the Debian packages given, when they are missing (as root with apt-get; otherwise
## it prints the line to run).
define install-missing
@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
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
endef

## Installs the Debian packages the build and tests need, when they are missing.
setup:
	@command -v $(SWIFT) >/dev/null || { echo "swift not found: install Swift 6 (https://swift.org/install)"; exit 1; }
	$(call install-missing,$(DEB_PACKAGES))

## The build's packages and the benchmarks' own.
bench-setup: setup
	$(call install-missing,$(BENCH_DEB_PACKAGES))

build: setup
	$(SWIFT) build -c $(CONFIG) $(STATIC)

## cells with the Spark Connect engine (gRPC, NIO and protobuf make it a longer build and a
## larger binary, so the default build leaves them out).
spark: setup
	$(SWIFT) build -c $(CONFIG) $(STATIC) --traits SparkConnect

run: build
	$(CELLS) notebooks/work.cells --embedded

broker: build
	$(CELLS) broker

## Every test, the Spark Connect ones against a local Spark server started for the run
## (Java and PySpark are installed into .build/spark where missing) and stopped after it.
test: setup
	scripts/spark-connect.sh install
	$(SWIFT) build --build-tests --traits SparkConnect
	@address=$$(scripts/spark-connect.sh start) || exit 1; echo "Spark Connect: $$address"; \
	status=0; CELLS_SPARK_REMOTE=$$address $(SWIFT) test --skip-build --traits SparkConnect || status=$$?; \
	scripts/spark-connect.sh stop; exit $$status

bench: bench-produce bench-kernel bench-kafka bench-instructions bench-notebook bench-sinks bench-spark

## Each timed against its anchors by bench/NAME.sh, on the release build.
BENCH_SCRIPTS := produce kernel kafka instructions notebook sinks
$(addprefix bench-,$(BENCH_SCRIPTS)): bench-%: bench-setup
	$(SWIFT) build -c release --static-swift-stdlib
	bench/$*.sh

## A long fuzz run: FUZZ_CASES generated and mutated scripts in process, FUZZ_NOTEBOOKS runs of
## the cells binary on mutated notebooks, then the libFuzzer entry points (SQL parser, JSON
## decoder) for FUZZ_SECONDS each. A crash stops it; the case is in $$TMPDIR/cells-fuzz-case.sql.
FUZZ_CASES     ?= 100000
FUZZ_NOTEBOOKS ?= 500
FUZZ_SECONDS   ?= 300
fuzz: setup
	$(SWIFT) build --build-tests
	@status=0; FUZZ_CASES=$(FUZZ_CASES) FUZZ_NOTEBOOKS=$(FUZZ_NOTEBOOKS) $(SWIFT) test --skip-build --filter 'FuzzTests' \
	  > .build/fuzz-tests.log 2>&1 || status=$$?; \
	grep -E '^(fuzz|notebook fuzz):|✘|Test run|signal' .build/fuzz-tests.log; \
	if [ $$status -ne 0 ]; then echo "fuzz: FAILED (exit $$status), see .build/fuzz-tests.log; the case run last is in $${TMPDIR:-/tmp}/cells-fuzz-case.sql"; exit $$status; fi
	@status=0; FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) sh Fuzz/build.sh > .build/fuzz-libfuzzer.log 2>&1 || status=$$?; \
	grep -E '^==|^Done|^stat::number_of_executed_units|deadly|ERROR|SUMMARY|crash-' .build/fuzz-libfuzzer.log; \
	if [ $$status -ne 0 ]; then echo "libFuzzer: FAILED (exit $$status), see .build/fuzz-libfuzzer.log and .build/fuzz/crash-*"; exit $$status; fi

## A build of its own for the Spark figures, so the other benchmarks' binary stays the default one.
bench-spark: setup
	$(SWIFT) build -c release --static-swift-stdlib --traits SparkConnect --scratch-path .build-spark
	bench/spark.sh

clean:
	rm -rf .build .build-spark bench-work
