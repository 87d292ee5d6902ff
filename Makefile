# The platform's entry points. `make run` and `make test` are the two commands
# a newcomer needs; everything they depend on is installed by the repo itself.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
REPO := $(abspath .)
BIN := $(REPO)/bin
GO ?= go
MODULES := kitex_gen pkg rpc gateway benchmarks
SERVICES := user product order payment
# Separate modules outside go.work: their test-only dependencies must not
# move the services' own dependency versions.
DEPLOY_MODULES := deploy/manifesttest deploy/docker/probe
IMAGE_REPO ?= kitemall
IMAGE_TAG ?= dev
KITEX := $(BIN)/kitex
KITEX_VERSION := v0.16.3
IDL := base user product order payment
STACK := deploy/local/stack.sh
PLATFORM := deploy/local/platform.sh
# Integration tests talk to the real stack on loopback.
export ETCD_ENDPOINTS ?= 127.0.0.1:2379
export MYSQL_ADDR ?= 127.0.0.1:3306
export REDIS_ADDR ?= 127.0.0.1:6379
export ROCKETMQ_NAMESRV ?= 127.0.0.1:9876
export ROCKETMQ_GO_LOG_LEVEL ?= error

.PHONY: help tools gen gen-check build test test-go lint promtool run stop status stack-up stack-down bench bench-baseline images verify-consistency clean

help:
	@echo "make run        start etcd, MariaDB, Redis, RocketMQ, every service and the gateway on 127.0.0.1"
	@echo "make stop       stop them"
	@echo "make test       gen-check, lint, and every test against the real local stack"
	@echo "make gen        regenerate kitex_gen/ from idl/ with the pinned kitex ($(KITEX_VERSION))"
	@echo "make bench      run the benchmark suite and compare with benchmarks/baseline"

# The generator is pinned in deploy/tools/go.mod and installed into ./bin.
$(KITEX): deploy/tools/go.mod deploy/tools/go.sum
	cd deploy/tools && GOBIN=$(BIN) GOWORK=off $(GO) install github.com/cloudwego/kitex/tool/cmd/kitex
	@touch $(KITEX)

tools: $(KITEX)

gen: $(KITEX)
	@test "$$($(KITEX) -version 2>&1)" = "$(KITEX_VERSION)" || { echo "kitex is $$($(KITEX) -version 2>&1), want $(KITEX_VERSION)"; exit 1; }
	cd kitex_gen && for f in $(IDL); do \
		PATH=$(BIN):$$PATH $(KITEX) -module github.com/kitemall/platform/kitex_gen -gen-path . ../idl/$$f.thrift; \
	done

# Regenerating must leave the committed code untouched.
gen-check: gen
	@if [ -n "$$(git status --porcelain -- kitex_gen)" ]; then \
		git status --porcelain -- kitex_gen; git --no-pager diff --stat -- kitex_gen; \
		echo "gen-check: kitex_gen/ differs from what idl/ generates; run make gen and commit"; exit 1; \
	fi
	@echo "gen-check: kitex_gen/ matches idl/"

build:
	@mkdir -p $(BIN)
	cd rpc && for s in $(SERVICES); do $(GO) build -o $(BIN)/$$s ./$$s; done
	cd gateway && $(GO) build -o $(BIN)/gateway . && $(GO) build -o $(BIN)/seed ./cmd/seed
	for m in $(MODULES); do (cd $$m && $(GO) build ./...); done

lint:
	@out=$$(gofmt -l $(MODULES) $(DEPLOY_MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	for m in $(MODULES); do (cd $$m && $(GO) vet ./...); done
	for m in $(DEPLOY_MODULES); do (cd $$m && GOWORK=off $(GO) vet ./...); done

# promtool (Debian's prometheus package) checks the alert rules in make test.
promtool:
	@command -v promtool >/dev/null && exit 0; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y -qq --no-install-recommends prometheus >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }; \
	if systemctl is-active --quiet prometheus 2>/dev/null; then systemctl disable --now prometheus; fi

stack-up:
	bash $(STACK) up

stack-down:
	bash $(STACK) down

# The README's test command: everything CI checks, on a fresh machine too.
test: gen-check lint stack-up promtool test-go

# Every module's tests; the Kitex ones run once per connection model. Every
# suite runs even when an earlier one fails, and the summary names the
# failures, so one CI run shows everything that is broken.
test-go:
	@failed=""; \
	suite() { name=$$1; shift; echo "== $$name"; if ! "$$@"; then failed="$$failed\n  $$name"; fi; }; \
	suite "pkg (mux)" sh -c 'cd pkg && KITEX_TRANSPORT=mux $(GO) test -count=1 ./...'; \
	suite "rpc (mux)" sh -c 'cd rpc && KITEX_TRANSPORT=mux $(GO) test -count=1 ./...'; \
	suite "gateway (mux)" sh -c 'cd gateway && KITEX_TRANSPORT=mux $(GO) test -count=1 ./...'; \
	suite "benchmarks (each benchmark once)" sh -c 'cd benchmarks && $(GO) test -count=1 -bench=. -benchtime=1x ./...'; \
	suite "deploy probe" sh -c 'cd deploy/docker/probe && GOWORK=off $(GO) test -count=1 ./...'; \
	suite "deploy manifests (mux)" sh -c 'cd deploy/manifesttest && GOWORK=off KITEX_TRANSPORT=mux $(GO) test -count=1 ./...'; \
	suite "pkg/kitexsuite (pool)" sh -c 'cd pkg && KITEX_TRANSPORT=pool $(GO) test -count=1 ./kitexsuite/...'; \
	suite "rpc without the fault suite (pool)" sh -c 'cd rpc && KITEX_TRANSPORT=pool $(GO) test -count=1 $$($(GO) list ./... | grep -v /faulttest)'; \
	suite "gateway e2e (pool)" sh -c 'cd gateway && KITEX_TRANSPORT=pool $(GO) test -count=1 ./e2e/...'; \
	suite "deploy metrics scrape (pool)" sh -c 'cd deploy/manifesttest && GOWORK=off KITEX_TRANSPORT=pool $(GO) test -count=1 -run TestDashboardAndAlertsUseOnlyExportedMetrics ./...'; \
	if [ -n "$$failed" ]; then printf "FAILED suites:$$failed\n"; exit 1; fi; \
	echo "== all test suites passed"

run: stack-up build
	bash $(PLATFORM) up

stop:
	bash $(PLATFORM) down
	bash $(STACK) down

status:
	bash $(STACK) status
	bash $(PLATFORM) status

clean:
	-bash $(PLATFORM) down
	-bash $(STACK) down --purge
	rm -rf $(BIN) .run benchmarks/results/*.tmp

# The benchmark suite (about 8 minutes; BENCH_PARTS=codec,rpc skips the gateway part): results into benchmarks/results,
# compared with benchmarks/baseline; fails on a significant regression.
bench:
	./benchmarks/bench.sh

bench-baseline:
	./benchmarks/bench.sh --baseline

# Checks the order/payment/stock invariants against the databases of a
# running stack (make run); exit 1 names every violation.
verify-consistency:
	@mkdir -p $(BIN)
	cd rpc && $(GO) build -o $(BIN)/verify-consistency ./cmd/verify-consistency && $(BIN)/verify-consistency

# Container images, where a Docker engine runs (none does on the dev
# machines this repo is built on; see deploy/README.md#images).
images:
	@command -v docker >/dev/null || { echo "make images: no docker CLI; install Docker (see deploy/README.md#images)"; exit 1; }
	@docker info >/dev/null 2>&1 || { echo "make images: no Docker engine answers (docker info failed); build the images where one runs (deploy/README.md#images)"; exit 1; }
	for p in $(SERVICES) gateway; do \
		DOCKER_BUILDKIT=1 docker build -f deploy/docker/$$p.Dockerfile -t $(IMAGE_REPO)/$$p:$(IMAGE_TAG) .; \
	done
