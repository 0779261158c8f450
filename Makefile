# refreshspec: build, test and run. GNU make.
#
# Containers started by the tests publish their ports on 127.0.0.1 and the
# suite refuses any other Docker host (fakebackend/container.CheckLoopback);
# Ryuk, the reaper container, would have to be pulled, and the tests
# terminate what they start. The environment may override both.
export TESTCONTAINERS_RYUK_DISABLED ?= true
export TESTCONTAINERS_HOST_OVERRIDE ?= 127.0.0.1

GO ?= go
# PKGS narrows test and lint, e.g. make test PKGS=./internal/fakebackend/...
PKGS ?= ./...
# Images are FROM scratch with one static Linux binary: nothing is pulled.
IMAGE_TAG ?= dev
IMAGE_BIN := bin/image

.DEFAULT_GOAL := build
.PHONY: setup build images test test-short lint apicheck bench docs run clean fuzz soak

## setup: install and start what the tests and the main job need (Docker, make, gcc, Chromium, npm, redis-server); idempotent
setup:
	bash scripts/setup-machine

## build: every command into bin/ (static binaries for this machine)
build:
	CGO_ENABLED=0 $(GO) build -o bin/ ./cmd/...

## images: refreshspec/fakebackend:dev and refreshspec/reference:dev
images:
	rm -rf $(IMAGE_BIN)
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -o $(IMAGE_BIN)/fakebackend/ ./cmd/fakebackend
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -o $(IMAGE_BIN)/reference/ ./cmd/reference
	docker build -t refreshspec/fakebackend:$(IMAGE_TAG) -f fakebackend/Dockerfile $(IMAGE_BIN)/fakebackend
	docker build -t refreshspec/reference:$(IMAGE_TAG) -f internal/reference/Dockerfile $(IMAGE_BIN)/reference

## test: the project's own tests (the README's test command), each package within TEST_TIMEOUT
# The budget of one test package: the slowest (the proxy suite's mutation
# self-test, the corpus apps) take about 2 minutes on two busy cores, so a
# package near it has a problem worth failing on rather than a slow day.
TEST_TIMEOUT ?= 8m
test:
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

## test-short: the fast tests, for everyday work (no race detector, no mutation self-tests, corpus apps, soak or containers)
test-short:
	$(GO) test -short -count=1 -timeout 2m $(PKGS)

## lint: gofmt must list nothing, go vet and staticcheck (pinned in tools/go.mod, configured by staticcheck.conf) must pass, here and in each nested module with Go code (examples/go-scs, internal/backendtest/oauthserver)
lint:
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -l: run gofmt -w on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool -modfile=tools/go.mod staticcheck $(PKGS)
	@for mod in $$(find . -mindepth 2 -name go.mod -not -path '*/node_modules/*' -not -path '*/testdata/*' | sort); do \
		dir=$${mod%/go.mod}; find "$$dir" -name '*.go' | grep -q . || continue; \
		echo "cd $$dir && $(GO) vet ./..."; (cd "$$dir" && GOWORK=off $(GO) vet ./...) || exit 1; \
	done

## apicheck: the public packages against the last release tag (apidiff, pinned in tools/go.mod); nothing to do before the first tag
apicheck:
	bash scripts/apicheck

## fuzz: each fuzz target for FUZZTIME, one after another (crashers land in testdata/fuzz/: keep them)
FUZZTIME ?= 10s
FUZZ_TARGETS := FuzzAPI:./internal/fakebackend/ FuzzUnsealCookie:./internal/reference/ FuzzHandler:./internal/reference/ FuzzParse:./profile/
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t%%:*} ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) $${t#*:}; \
	done

## soak: many sessions, random expiries and injected faults through the reference for SOAK_DURATION (loopback only)
SOAK_DURATION ?= 60s
soak:
	$(GO) run ./cmd/refreshsoak -duration $(SOAK_DURATION) $(SOAK_FLAGS)

## bench: the performance table (reference vs bare proxy vs direct, refresh storm, memory, suite wall time, the storm across two instances on Redis), bounded to 3 minutes (Go benchmarks: go test -run NONE -bench . -benchmem ./internal/reference/ ./internal/fakebackend/)
bench: build
	bin/refreshbench -bin-dir bin

## docs: regenerate docs/scenarios.md from the catalogue in catalogue/ (a test checks it is up to date)
docs:
	$(GO) run ./cmd/refreshspec list --markdown > docs/scenarios.md.tmp || { rm -f docs/scenarios.md.tmp; exit 1; }
	mv docs/scenarios.md.tmp docs/scenarios.md

## run: the main job: the proxy and browser suites against two instances of the reference proxy sharing a Redis (P7.4), with the containerized fake backend
run:
	CGO_ENABLED=0 bash scripts/with-redis $(GO) run ./cmd/refreshspec proxy --browser --instances 2 --target-cmd '$(GO) run ./cmd/reference'

## dist: release archives of refreshspec into DIST_DIR (default dist/), one per platform of PLATFORMS (default all six): static, -trimpath, VERSION and commit stamped; a .tar.gz (.zip for windows) holding the binary, LICENSE and README.md, and refreshspec_VERSION_checksums.txt (sha256sum); scripts/dist does the work
DIST_DIR ?= dist
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
DIST = GO='$(GO)' DIST_DIR='$(DIST_DIR)' VERSION='$(VERSION)' PLATFORMS='$(PLATFORMS)' IMAGE_TAG='$(IMAGE_TAG)' bash scripts/dist
.PHONY: dist npm image
dist:
	$(DIST) archives

## npm: the npm packages from make dist's binaries into DIST_DIR/npm (npm pack): refreshspec, a launcher, and @refreshspec/cli-<os>-<cpu> for each of PLATFORMS (sources in npm/)
npm:
	$(DIST) npm

## image: refreshspec/refreshspec:IMAGE_TAG, FROM scratch: the CLI (/refreshspec, the entrypoint) and the fake backend (/fakebackend); cmd/refreshspec/Dockerfile
image:
	$(DIST) image

clean:
	rm -rf bin dist
