# medtwin — the README's two commands are `make demo` and `make test`.
GO       ?= go
BIN      := bin/medtwin
PKGS     := ./...
# Keep `make test` well under 15 minutes on a 2-core CI machine.
TESTFLAGS ?= -timeout 20m

.PHONY: all build test test-go test-clients demo bench bench-scale lint fuzz generate clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/medtwin

## test: every Go test (Postgres tests run when MEDTWIN_TEST_POSTGRES is set) and the client checks
test: test-go test-clients

test-go:
	$(GO) test $(TESTFLAGS) $(PKGS)

# Checks with clients no one here wrote (npm graphql, apache-arrow, DuckDB); they skip when
# their tools are absent and run in CI, where .ci/run installs them.
test-clients:
	@if [ -x scripts/client-checks.sh ]; then scripts/client-checks.sh; fi

## demo: build, generate a sample cohort, ingest it into the embedded store and serve it
demo: build
	./$(BIN) demo

## bench: benchmarks with ratios against the reference tools
bench: build
	@if [ -x scripts/bench.sh ]; then scripts/bench.sh; else $(GO) test -run '^$$' -bench . -benchmem $(PKGS); fi

## bench-scale: 10,000 → 100,000 patients into PostgreSQL (not in CI)
bench-scale: build
	scripts/bench-scale.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## fuzz: a short run of every fuzz target
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 20s $$pkg || exit 1; \
	  done; \
	done

generate:
	$(GO) generate ./...

clean:
	rm -rf bin
