# CouponKill — two commands set everything up on a fresh machine:
#   make dev    installs what is missing and runs the whole system locally
#   make test   installs what is missing and runs every check
# Every target is a verb of scripts/tasks/verbs.mjs, which says what it runs; the same verbs are
# `npm run <verb>` and, on Windows, `./build.ps1 <verb>`. `make help` lists them. Variables are
# passed as usual (make audit COUPON=… REPAIR=1): make hands them to the verb's environment.
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# The pinned Node once `make deps` has installed it; the machine's own Node (18 or newer) before.
NODE_VERSION := $(shell cat .node-version)
CK_CACHE ?= $(or $(COUPONKILL_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/couponkill)
export PATH := $(CK_CACHE)/node-$(NODE_VERSION)/bin:$(PATH)

VERBS := help deps dev servers kube sale admin audit redrive flow-rules loadtest bench chaos openapi \
	test lint typecheck unit integration images-test format measure-servers validate-manifests \
	chart-check chart-files generate deploy-chart deploy-chart-prod deploy-chart-canary clean \
	build-all-images build-and-push-all build-all-images-canary push-all-images-canary build-and-push-all-canary \
	pull-dependency-images build-and-push-all-complete image-base-packages

.PHONY: $(VERBS)
$(VERBS):
	@node scripts/tasks.mjs $@
