# CouponKill — two commands set everything up on a fresh machine:
#   make dev    installs what is missing and runs the whole system locally
#   make test   installs what is missing and runs every check
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

NODE_VERSION := $(shell cat .node-version)
CK_CACHE ?= $(or $(COUPONKILL_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/couponkill)
export PATH := $(CK_CACHE)/node-$(NODE_VERSION)/bin:$(PATH)
# kafkajs 2.2.4 schedules a timer with a negative delay on Node >= 23 (harmless, clamped to 1 ms).
export NODE_OPTIONS := --disable-warning=TimeoutNegativeWarning
export KAFKAJS_NO_PARTITIONER_WARNING := 1
VITEST := node_modules/.bin/vitest

.PHONY: help deps dev servers kube sale admin reconcile loadtest bench test lint typecheck unit integration format clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

deps: ## Install what is missing: Node LTS (cache), Debian packages, npm packages
	@bash scripts/bootstrap.sh

dev: deps ## Run everything locally on embedded defaults; Ctrl-C stops it all
	@node --conditions=source --import tsx local/src/dev.ts

servers: deps ## Only the middleware (Redis, MariaDB, Kafka, Nacos), with the env to reuse them
	@node --conditions=source --import tsx local/src/cli/servers.ts

kube: deps ## A real kube-apiserver + etcd with the Knative, KEDA, KafkaSource and Seckill CRDs; prints KUBECONFIG
	@node --conditions=source --import tsx local/src/cli/kube.ts

sale: deps ## Run a sale's lifecycle against a running make dev: make sale FILE=operator/examples/seckill.yaml [ARGS='--start-in 20 --open-for 60']
	@node --conditions=source --import tsx operator/src/local/sale.ts --file "$(FILE)" $(ARGS)

admin: deps ## Create an administrator: make admin USERNAME=… PASSWORD=… EMAIL=… [MYSQL_URL=…]
	@MYSQL_URL="$${MYSQL_URL:-mysql://couponkill:couponkill@127.0.0.1:13306}" node --conditions=source --import tsx \
		functions/user-auth/src/cli/create-admin.ts --username "$(USERNAME)" --password "$(PASSWORD)" --email "$(EMAIL)"

reconcile: deps ## Compare and repair a coupon's sale state: make reconcile COUPON=<id> [REPAIR=1] [FORCE=1]
	@MYSQL_URL="$${MYSQL_URL:-mysql://couponkill:couponkill@127.0.0.1:13306}" REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:16379}" \
		KAFKA_BROKERS="$${KAFKA_BROKERS:-127.0.0.1:19092}" node --conditions=source --import tsx functions/reconcile/src/cli.ts \
		--coupon "$(COUPON)" $(if $(REPAIR),--repair) $(if $(FORCE),--force)

loadtest: deps ## Flash sale through the running make dev gateway: make loadtest [ARGS='--distribution skewed …']
	@node --conditions=source --import tsx local/src/loadtest/main.ts $(ARGS)

bench: deps ## Throughput and latency as ratios to baselines measured in the same run (own servers, about 1 min)
	@node --conditions=source --import tsx local/src/bench/main.ts $(ARGS)

test: deps ## Lint, type-check, unit and integration tests (real servers)
	@rm -rf reports/tests && mkdir -p reports/tests
	@$(MAKE) lint typecheck
	@status=0; \
	$(VITEST) run --project unit --reporter=default --reporter=json --outputFile.json=reports/tests/unit.json || status=1; \
	$(VITEST) run --project integration --reporter=default --reporter=json --outputFile.json=reports/tests/integration.json || status=1; \
	node scripts/test-summary.mjs reports/tests/unit.json reports/tests/integration.json || status=1; \
	exit $$status

lint: ## ESLint, Prettier, project references in step with dependencies
	@node scripts/tsconfig-refs.mjs --check
	@node_modules/.bin/eslint . --max-warnings=0
	@node_modules/.bin/prettier --check --log-level=warn .

typecheck: ## tsc -b over the solution (strict)
	@node_modules/.bin/tsc -b

unit: ## Unit tests only (no I/O)
	@$(VITEST) run --project unit

integration: deps ## Integration tests only (starts the real servers)
	@$(VITEST) run --project integration

format: ## Rewrite files with Prettier and ESLint fixes
	@node_modules/.bin/prettier --write --log-level=warn . && node_modules/.bin/eslint . --fix

clean: ## Remove build output and local server state (keeps the per-user cache)
	@rm -rf .run reports && find . -name dist -type d -prune -not -path './node_modules/*' -exec rm -rf {} + && find . -name '*.tsbuildinfo' -not -path './node_modules/*' -delete
