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

.PHONY: help deps dev servers kube sale admin reconcile redrive flow-rules loadtest bench chaos openapi test lint typecheck unit integration images-test format clean \
	build-all-images build-and-push-all build-all-images-canary push-all-images-canary build-and-push-all-canary \
	pull-dependency-images build-and-push-all-complete image-base-packages \
	chart-check chart-files generate deploy-chart deploy-chart-prod deploy-chart-canary

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-28s\033[0m %s\n", $$1, $$2}'

deps: ## Install what is missing: Node LTS (cache), Debian packages, npm packages
	@bash scripts/bootstrap.sh

dev: deps ## Run everything locally on embedded defaults; Ctrl-C stops it all
	@node --conditions=source --import tsx tools/dev/src/main.ts

servers: deps ## Only the middleware (Redis, MariaDB, Kafka, Nacos), with the env to reuse them
	@node --conditions=source --import tsx tools/servers/src/cli/servers.ts

kube: deps ## A real kube-apiserver + etcd with the Knative, KEDA, KafkaSource and Seckill CRDs; prints KUBECONFIG
	@node --conditions=source --import tsx tools/cluster/src/cli/kube.ts

sale: deps ## Run a sale's lifecycle against a running make dev: make sale FILE=operator/examples/seckill.yaml [ARGS='--start-in 20 --open-for 60']
	@node --conditions=source --import tsx operator/src/dev/sale.ts --file "$(FILE)" $(ARGS)

admin: deps ## Create an administrator: make admin USERNAME=… PASSWORD=… EMAIL=… [MYSQL_URL=…]
	@MYSQL_URL="$${MYSQL_URL:-mysql://couponkill:couponkill@127.0.0.1:13306}" node --conditions=source --import tsx \
		functions/user-auth/src/cli/create-admin.ts --username "$(USERNAME)" --password "$(PASSWORD)" --email "$(EMAIL)"

reconcile: deps ## Compare and repair a coupon's sale state: make reconcile COUPON=<id> [REPAIR=1] [FORCE=1]
	@MYSQL_URL="$${MYSQL_URL:-mysql://couponkill:couponkill@127.0.0.1:13306}" REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:16379}" \
		KAFKA_BROKERS="$${KAFKA_BROKERS:-127.0.0.1:19092}" node --conditions=source --import tsx functions/reconcile/src/cli.ts \
		--coupon "$(COUPON)" $(if $(REPAIR),--repair) $(if $(FORCE),--force)

redrive: deps ## Replay (default) or compensate a coupon's dead-lettered grabs: make redrive COUPON=<id> [MODE=replay|compensate]
	@MYSQL_URL="$${MYSQL_URL:-mysql://couponkill:couponkill@127.0.0.1:13306}" REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:16379}" \
		node --conditions=source --import tsx functions/create-order/src/cli.ts --coupon "$(COUPON)" --mode "$(or $(MODE),replay)"

flow-rules: deps ## Publish flow rules to the running make dev's Nacos, applied live: make flow-rules [FILE=config/flow-rules.yaml] [UNCHECKED=1]
	@node --conditions=source --import tsx tools/dev/src/cli/flow-rules.ts $(FILE) $(if $(UNCHECKED),--unchecked)

loadtest: deps ## Flash sale through the running make dev gateway: make loadtest [ARGS='--distribution skewed …']
	@node --conditions=source --import tsx tools/bench/src/loadtest/main.ts $(ARGS)

bench: deps ## Throughput and latency as ratios to baselines measured in the same run (own servers, about 1 min)
	@node --conditions=source --import tsx tools/bench/src/bench/main.ts $(ARGS)

chaos: deps ## Sales under a seeded random fault schedule, then the books: make chaos [SEED=…] [SCHEDULES=10] (own servers, ~1 min each)
	@node --conditions=source --import tsx tools/bench/src/chaos/main.ts --seed "$(SEED)" --schedules "$(SCHEDULES)" $(ARGS)

openapi: ## Write docs/openapi.json from the routes' zod schemas (a unit test fails when it is stale)
	@node --conditions=source --import tsx tools/openapi/src/generate.ts

test: deps ## Every check: lint, type-check, chart checks, unit, integration (real servers, a real kube-apiserver) and image tests
	@rm -rf reports/tests && mkdir -p reports/tests
	@$(MAKE) lint typecheck chart-check
	@status=0; \
	$(VITEST) run --project unit --reporter=default --reporter=json --outputFile.json=reports/tests/unit.json || status=1; \
	$(VITEST) run --project integration --reporter=default --reporter=json --outputFile.json=reports/tests/integration.json || status=1; \
	$(VITEST) run --project images --reporter=default --reporter=json --outputFile.json=reports/tests/images.json || status=1; \
	node scripts/test-summary.mjs reports/tests/unit.json reports/tests/integration.json reports/tests/images.json || status=1; \
	exit $$status

lint: ## ESLint, Prettier, project references, the chart's copies of its files, what the function manifests generate, the chart's values table
	@node scripts/tsconfig-refs.mjs --check
	@node scripts/chart-files.mjs --check
	@node scripts/functions.mjs --check
	@node scripts/chart-readme.mjs --check
	@node_modules/.bin/eslint . --max-warnings=0
	@node_modules/.bin/prettier --check --log-level=warn .

typecheck: ## tsc -b over the solution (strict)
	@node_modules/.bin/tsc -b

unit: ## Unit tests only (no I/O)
	@$(VITEST) run --project unit

integration: deps ## Integration tests only (starts the real servers)
	@$(VITEST) run --project integration

images-test: deps ## Image tests only: build every image, rebuild one, push to a 127.0.0.1 registry, run one
	@$(VITEST) run --project images

format: ## Rewrite files with Prettier and ESLint fixes
	@node_modules/.bin/prettier --write --log-level=warn . && node_modules/.bin/eslint . --fix

chart-check: ## Helm chart: lint --strict per values set, render to .run/chart/, kubeconform (strict, offline), helm-unittest, schema negative check, skaffold render
	@bash scripts/chart-check.sh

chart-files: ## Copy the files the chart renders from into helm/couponkill/files/ (OpenAPI, Seckill CRD, operator RBAC); write the chart README's values table from values.yaml
	@node scripts/chart-files.mjs
	@node scripts/chart-readme.mjs

generate: ## Write what follows from the function manifests (skaffold.yaml, the chart's functions values, schema and files)
	@node scripts/functions.mjs

deploy-chart: ## helm upgrade --install into the current kubeconfig's cluster: make deploy-chart [NAMESPACE=couponkill] [ARGS='--set …']
	@bash scripts/deploy-chart.sh default $(ARGS)

deploy-chart-prod: ## The same with values-prod.yaml
	@bash scripts/deploy-chart.sh prod $(ARGS)

deploy-chart-canary: ## Canary of the running release (values-canary.yaml): make deploy-chart-canary ARGS='--set functions.grab-coupon.image.tag=…'
	@bash scripts/deploy-chart.sh canary $(ARGS)

clean: ## Remove build output and local server state (keeps the per-user cache)
	@rm -rf .run reports && find . -name dist -type d -prune -not -path './node_modules/*' -exec rm -rf {} + && find . -name '*.tsbuildinfo' -not -path './node_modules/*' -delete

# Images: one per function and one for the operator, daemonless (OCI layout in .run/images/<tag>; see README "Images").
# Registries are passed explicitly: REGISTRY=host[:port] to push to, MIRROR_REGISTRY=host[:port]
# to pull the middleware images from. Without one, a target that needs it stops with one sentence.
IMAGES := node --conditions=source --import tsx tools/images/src/cli/images.ts

build-all-images: deps ## Build every image, functions and operator (OCI layout .run/images/<version>)
	@$(IMAGES) build

build-and-push-all: deps ## Build every image (functions, operator) and push it: make build-and-push-all REGISTRY=host:port
	@REGISTRY="$(REGISTRY)" $(IMAGES) build --push

build-all-images-canary: deps ## Build every image (functions, operator) tagged <version>-canary
	@$(IMAGES) build --canary

push-all-images-canary: deps ## Push the canary images built before: make push-all-images-canary REGISTRY=host:port
	@REGISTRY="$(REGISTRY)" $(IMAGES) push --canary

build-and-push-all-canary: deps ## Build and push the <version>-canary images: REGISTRY=host:port
	@REGISTRY="$(REGISTRY)" $(IMAGES) build --canary --push

pull-dependency-images: deps ## Copy the chart's middleware images from a mirror: MIRROR_REGISTRY=host:port
	@MIRROR_REGISTRY="$(MIRROR_REGISTRY)" $(IMAGES) pull-dependencies

build-and-push-all-complete: deps ## Function images and middleware images to one registry: REGISTRY=… MIRROR_REGISTRY=…
	@REGISTRY="$(REGISTRY)" MIRROR_REGISTRY="$(MIRROR_REGISTRY)" $(IMAGES) complete

image-base-packages: deps ## Re-pin the Debian packages of the image base to apt's current versions
	@$(IMAGES) base-packages
