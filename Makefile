# Waymark. `make demo` runs the product; `make test` passes the tests.
GO        ?= go
BIN       ?= bin/waymark
FUZZTIME  ?= 2m
PKGS      := ./...

.PHONY: all build test postgres chromium vet lint fmt fmt-check generate bench fuzz soak demo clean eval-models

all: build

build:
	$(GO) build -o $(BIN) ./cmd/waymark

## test: everything CI runs: formatting, vet, generated files up to date, unit, golden and end-to-end tests.
## The PostgreSQL store's tests run real servers: `postgres` installs the programs;
## the console's browser tests run a real browser: `chromium` installs it.
test: postgres chromium fmt-check vet
	$(GO) test -count=1 $(PKGS)

## postgres: PostgreSQL's server programs on this machine (installs Debian's package as root; starts nothing).
postgres:
	@bash scripts/postgres.sh

## chromium: Debian's chromium for the console's browser tests (installs as root; starts nothing).
chromium:
	@bash scripts/chromium.sh

vet:
	$(GO) vet $(PKGS)

lint: fmt-check vet

fmt:
	gofmt -w $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bench/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## generate: regenerate committed generated files (docs/language.md, protobuf).
generate:
	$(GO) generate $(PKGS)

## bench: every benchmark, then the side-by-side comparisons of the nested bench module.
bench: postgres chromium
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	cd bench && $(GO) test -run '^$$' -bench . -benchmem ./...

# Fuzz targets as package:Target; `make fuzz` runs each for FUZZTIME.
FUZZ_TARGETS := ./lang:FuzzLoad ./lang/funcs:FuzzParseDuration ./lang/rtexpr:FuzzCheckSource \
	./lang/rtexpr:FuzzCheckTemplateSource ./runtime/expr:FuzzCompile ./runtime/events:FuzzDecodeEvents \
	./runtime/events:FuzzEventBinary ./runtime/api:FuzzDecideRequest ./runtime/api:FuzzResponseRequest \
	./runtime/catalog:FuzzDeployment

## fuzz: each fuzz target for FUZZTIME (default 2m).
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "==> $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## soak: issue #18's overload and hostile-input run against a runtime on loopback (about 5 minutes):
## ingestion at the sustainable rate, 2x and 4x; 250 concurrent 15 MB bodies; hostile API, engine and validate inputs.
soak:
	$(GO) test -tags soak -count=1 -run '^TestSoak$$' -v -timeout 20m ./runtime/api/

## eval-models: the adaptive models, through a waymark runtime serve over HTTP, on generated responses (stationary, then with a drift) against an offline
## logistic regression and the oracle; EVAL_ARGS='-data file.csv -label y' replays your own data in time order.
eval-models: build
	$(GO) run ./internal/modeleval/cmd/evalmodels -waymark $(BIN) $(EVAL_ARGS)

## demo: the whole product in one command (scripts/demo.sh): a runtime on the
## event clock, the cart-recovery example applied, weeks of generated shoppers
## replayed, decisions, the journey's funnel and KPIs, and the web console's
## address; `make demo KEEP=1` keeps the runtime up to open it.
demo:
	KEEP="$(KEEP)" bash scripts/demo.sh

clean:
	rm -rf bin
