# Orgplane. The targets are the interface: `make help` lists them.

GO       ?= go
NPM      ?= npm
CFN_LINT ?= cfn-lint
JOBS     ?= $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)

# One bootstrap per functions/<name> (generated from the function lists).
FUNCTIONS := $(sort $(notdir $(wildcard functions/*)))
BINARIES  := $(FUNCTIONS:%=build/%/bootstrap)
# A function links only shared/ code, so any non-test change there (or in
# the module files) rebuilds it; nothing else does.
GO_SOURCES := $(shell find shared -name '*.go' ! -name '*_test.go') go.mod go.sum

# Lambda binaries: provided.al2023 on arm64, no cgo, no RPC shim. Lambda
# mode builds the same for this host (GO_BUILD_HOST) into .local/lambda.
GO_BUILD_HOST   = CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w'
GO_BUILD_LAMBDA = GOOS=linux GOARCH=arm64 $(GO_BUILD_HOST)
HOST_BINARIES   := $(FUNCTIONS:%=.local/lambda/%/bootstrap)

# The AWS Lambda Runtime Interface Emulator, pinned (the module proxy lists
# no versions for it), built from source into .local/bin for Lambda mode.
RIE_MODULE  := github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE         := .local/bin/aws-lambda-rie

# CDK: the Go app in infra/cdk, run offline by `make synth`; the CLI
# (installed by `make deps` under infra/node_modules) for deploy/destroy.
# Pass context with CDK_ARGS, e.g. make deploy CDK_ARGS='-c stage=dev'.
CDK_OUT  := infra/cdk.out
CDK      := cd infra && npx --no-install cdk
CDK_ARGS ?=

# The web console (shared/console): npm packages in its own package.json
# and lock, built by Vite into dist/site, which the Go package there embeds.
# Built only when a source changed; make run and make test build it.
CONSOLE         := shared/console
CONSOLE_MODULES := $(CONSOLE)/node_modules/.package-lock.json
CONSOLE_BUILD   := $(CONSOLE)/dist/site/index.html
CONSOLE_SOURCES := $(shell find $(CONSOLE)/src $(CONSOLE)/public -type f 2>/dev/null) \
	$(addprefix $(CONSOLE)/,index.html vite.config.ts tsconfig.json package.json package-lock.json)
# Browser tests drive Debian's Chromium (never a downloaded browser).
CHROMIUM ?= $(shell command -v chromium 2>/dev/null || echo /usr/bin/chromium)

.DEFAULT_GOAL := help
.PHONY: help deps build functions template synth bootstrap deploy diff destroy \
	lint vet cfn-lint test test-blackbox test-console console chromium bench run lambda-host clean

help:
	@echo 'make deps       install tools: npm packages under infra/ and shared/console/, Go modules'
	@echo 'make run        the local stack: console, API, DynamoDB Local, MailDev (go run ./infra/local)'
	@echo '                LAMBDA=1: every function its own bootstrap under the Lambda emulator'
	@echo 'make test       vet, all tests (race, DynamoDB Local), synth, cfn-lint, the console in Chromium'
	@echo 'make console    build the web console (shared/console/dist/site) when its sources changed'
	@echo 'make test-console  browser tests of the console (headless Chromium) against the local stack'
	@echo 'make test-blackbox  the black-box scenarios against the stack, in both modes'
	@echo 'make bench      benchmarks; prints each figure beside its yardstick (README)'
	@echo 'make lint       go vet, cfn-lint on template.yaml and the synthesized stack'
	@echo 'make build      build/<function>/bootstrap for every function (linux/arm64)'
	@echo 'make functions  regenerate functions/ from the function lists'
	@echo 'make template   regenerate template.yaml and infra/sam.mk'
	@echo 'make synth      build, then synthesize the CDK stack into $(CDK_OUT) (offline)'
	@echo 'make bootstrap  cdk bootstrap: once per AWS account and region'
	@echo 'make deploy     build, then cdk deploy and upload the console (needs AWS credentials; CDK_ARGS=-c ...)'
	@echo 'make diff       cdk diff against the deployed stack'
	@echo 'make destroy    cdk destroy (the table and user pool are retained unless stage=dev)'

# --- tools ---------------------------------------------------------------

deps: infra/node_modules/.package-lock.json $(CONSOLE_MODULES)
	$(GO) mod download

# npm writes this file on every install, so it dates the installed tree.
infra/node_modules/.package-lock.json: infra/package.json infra/package-lock.json
	$(NPM) ci --prefix infra --no-audit --no-fund
	@touch $@

$(CONSOLE_MODULES): $(CONSOLE)/package.json $(CONSOLE)/package-lock.json
	$(NPM) ci --prefix $(CONSOLE) --no-audit --no-fund
	@touch $@

# --- web console -----------------------------------------------------------

console: $(CONSOLE_BUILD)

$(CONSOLE_BUILD): $(CONSOLE_MODULES) $(CONSOLE_SOURCES)
	cd $(CONSOLE) && $(NPM) run --silent build

# Debian's chromium, installed with apt when missing (CI runs as root).
chromium:
	@test -x $(CHROMIUM) || { apt-get update -qq && apt-get install -y -qq chromium; }

# --- functions -------------------------------------------------------------

build:
	@rm -rf $(filter-out $(FUNCTIONS:%=build/%),$(wildcard build/*))
	@$(MAKE) --no-print-directory -j$(JOBS) $(BINARIES)

build/%/bootstrap: functions/%/main.go $(GO_SOURCES)
	$(GO_BUILD_LAMBDA) -o $@ ./functions/$*

# Lambda mode: every function for this host, and the emulator.
lambda-host: $(RIE)
	@$(MAKE) --no-print-directory -j$(JOBS) $(HOST_BINARIES)

.local/lambda/%/bootstrap: functions/%/main.go $(GO_SOURCES)
	$(GO_BUILD_HOST) -o $@ ./functions/$*

# Rebuilt when RIE_VERSION changes (a stamp file names the version built).
$(RIE): .local/bin/.aws-lambda-rie-$(RIE_VERSION)
	GOBIN=$(CURDIR)/.local/bin $(GO) install $(RIE_MODULE)/cmd/aws-lambda-rie@$(RIE_VERSION)
	@touch $@

.local/bin/.aws-lambda-rie-%:
	@mkdir -p $(@D) && rm -f $(@D)/.aws-lambda-rie-* && touch $@

functions:
	$(GO) run ./infra/gen functions

template:
	$(GO) run ./infra/gen template

# SAM's makefile build: `sam build` runs `make build-<LogicalId>` with
# ARTIFACTS_DIR set; infra/sam.mk (generated) has one target per function.
sam_build = $(GO_BUILD_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(1)
include infra/sam.mk

# --- AWS -----------------------------------------------------------------

# make synth checks the stack offline, without deploy settings: a stand-in
# SES sender stands for the one a deploy must give (CDK_ARGS=-c sesSender=...).
SYNTH_CONTEXT ?= {"sesSender":"no-reply@example.com"}

synth: build
	rm -rf $(CDK_OUT)
	cd infra && CDK_OUTDIR=cdk.out CDK_CONTEXT_JSON='$(SYNTH_CONTEXT)' $(GO) run ./cdk

bootstrap: deps
	$(CDK) bootstrap $(CDK_ARGS)

# After the stack, the console's build and config.json go to its bucket.
deploy: deps build console
	@mkdir -p .local
	$(CDK) deploy $(CDK_ARGS) --outputs-file ../.local/cdk-outputs.json
	$(GO) run ./infra/cdk/upload -outputs .local/cdk-outputs.json

diff: deps build
	$(CDK) diff $(CDK_ARGS)

destroy: deps
	$(CDK) destroy $(CDK_ARGS)

# --- checks --------------------------------------------------------------

vet:
	$(GO) vet ./...

cfn-lint: synth
	$(CFN_LINT) template.yaml $(CDK_OUT)/*.template.json

lint: vet cfn-lint

# Integration tests start DynamoDB Local themselves (shared/ddbtest). The
# Go tests lint every template once: template.yaml and a sample-trigger
# twin (infra/gen), the synthesized stacks (infra/cdk/stack); so no
# second cfn-lint pass here, and no arm64 build of every function for it.
test: deps console
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	@$(MAKE) --no-print-directory test-console

# The console's browser tests (shared/console/e2e, node's test runner and
# playwright-core) against the stack as make run starts it.
test-console: deps console chromium
	CHROMIUM=$(CHROMIUM) $(GO) test -v -tags console -count=1 -run '^TestConsoleInBrowser$$' ./infra/local

# The black-box suite: the README walk-through over HTTP against the stack
# as make run starts it, in the default mode and in Lambda mode (all
# functions built). make test runs one scenario of it in each mode.
test-blackbox: deps lambda-host
	$(GO) test -tags blackbox -race -count=1 -run '^TestBlackBox' ./infra/local

# The read, throughput and cold-start benchmarks (shared/api) and the
# function sizes (infra/gen) print their tables to stdout; the metrics on
# the Benchmark lines are benchstat's.
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

# make run LAMBDA=1 serves through the functions' binaries (Lambda mode).
run: deps console $(if $(filter 1,$(LAMBDA)),lambda-host)
	LAMBDA=$(LAMBDA) $(GO) run ./infra/local

clean:
	rm -rf build $(CDK_OUT) .local/lambda
