# The project's commands. A fresh machine needs only Python 3.11, Java 17+ and Maven: `make` installs uv
# into .local/tools and everything else from the lock file.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
LOCAL := .local
UV := $(LOCAL)/tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := 3.11
export UV_CACHE_DIR ?= $(LOCAL)/uv-cache

# Where the local stack listens (overridable); tests and `make run` use it unless these are set already.
export KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:$(or $(LOCAL_KAFKA_PORT),9092)
export DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:$(or $(LOCAL_PG_PORT),5432)/$(or $(LOCAL_PG_DATABASE),offboarding)

# SECURE=1: a command talks to Kafka on the local broker's SASL_SSL listener as the principal $(1) (the ACLs
# of shared/messaging/acls.py apply there): `make run SECURE=1`, `make publish-sample SECURE=1` (as billing).
kafka_as = $(if $(filter 1,$(SECURE)),env KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$(or $(LOCAL_KAFKA_SASL_PORT),9094) \
	KAFKA_SECURITY_PROTOCOL=SASL_SSL KAFKA_SASL_MECHANISM=SCRAM-SHA-512 KAFKA_SASL_USERNAME=$(1) \
	KAFKA_SASL_PASSWORD=dev-$(1)-password KAFKA_SSL_CAFILE=$(LOCAL)/kafka/tls/ca.pem)

.PHONY: bench-peer help sync infra-up infra-down infra-status run traces lint-deploy chaos publish-sample dns-records redrive-dlq browser soak test test-attacks test-unit lint fmt docs-config docs-experience bench clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	@command -v python3 >/dev/null || { echo "error: python3 (3.11) is not installed" >&2; exit 1; }
	python3 -m venv $(LOCAL)/tools
	$(LOCAL)/tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

# --compile-bytecode: every service process (and every test that starts one) imports from .pyc instead of
# compiling ~4,000 modules again (7 s to 3 s a process here, where PYTHONDONTWRITEBYTECODE is set).
.venv/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml services/*/pyproject.toml
	$(UV) sync --frozen --all-packages --compile-bytecode
	@touch $@

sync: .venv/.synced ## install the locked dependencies into .venv

infra-up: sync ## start Kafka, PostgreSQL and the SMTP sink in the background (data under .local/)
	@deploy/infra.sh up

infra-down: ## stop them (data is kept)
	@deploy/infra.sh down

infra-status:
	@deploy/infra.sh status

run: sync ## the whole system on this machine; Ctrl-C stops what it started (TRACES=1: with traces; SECURE=1: Kafka over SASL_SSL, a principal per service)
	@TRACES=$(TRACES) SECURE=$(SECURE) deploy/run.sh

traces: sync ## print the newest traces that `make run TRACES=1` collected, as trees (TRACE=<id> for one)
	$(UV) run --frozen python deploy/trace_sink.py show $(TRACE)

publish-sample: sync ## publish a sample cancellation (ARGS="--segment b2b --consent", "--via stripe" through the bridge; FILE=my-event.json; SECURE=1: as billing)
	$(if $(findstring --via,$(ARGS)),$(UV) run --frozen python -m billing_bridge publish-sample $(ARGS),$(call kafka_as,billing) $(UV) run --frozen python -m orchestrator publish-sample $(if $(FILE),--file "$(FILE)") $(ARGS))

dns-records: sync ## the SPF, DKIM and DMARC records to publish for the configured sender (NOTIFIER_* settings; docs/deliverability.md)
	@key=$${NOTIFIER_DKIM_PRIVATE_KEY_FILE:-$(LOCAL)/dkim/offboarding.pem}; \
	if [ -f "$$key" ]; then export NOTIFIER_DKIM_PRIVATE_KEY_FILE=$$key; else unset NOTIFIER_DKIM_PRIVATE_KEY_FILE; fi; \
	$(UV) run --frozen python -m notifier dns-records

redrive-dlq: sync ## after a fix, move dead letters of TOPIC back (TOPIC=subscription.cancelled [LIMIT=n])
	@test -n "$(TOPIC)" || { echo "usage: make redrive-dlq TOPIC=subscription.cancelled [LIMIT=100]" >&2; exit 2; }
	$(call kafka_as,billing) $(UV) run --frozen python -m orchestrator redrive-dlq --topic "$(TOPIC)" $(if $(LIMIT),--limit $(LIMIT))

browser: ## install Debian's headless chromium + chromedriver if missing (the survey page's browser test)
	@deploy/browser.sh

test: infra-up browser ## the whole test suite against the real Kafka, PostgreSQL, SMTP sink and Chromium
	$(UV) run --frozen pytest $(PYTEST_ARGS)

test-attacks: infra-up browser ## only the attack suite (docs/security.md): every probe, written as an attacker would try it
	$(UV) run --frozen pytest -m attack $(PYTEST_ARGS)

test-unit: sync ## only the tests that need no infrastructure
	$(UV) run --frozen pytest -m "not integration" $(PYTEST_ARGS)

soak: infra-up ## the fault tests with 10x the events, three times over (long; not in CI)
	for round in 1 2 3; do E2E_SCALE=10 $(UV) run --frozen pytest tests/e2e/test_processes.py $(PYTEST_ARGS) || exit 1; done

chaos: infra-up ## a long run under faults with a ledger (ARGS="--minutes 20 --rate 10 --kills 100"); not in CI
	$(UV) run --frozen python bench/chaos.py $(ARGS)

lint: sync ## ruff: lint and formatting check; the journey templates and their messages (templates check)
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen python -m orchestrator templates check

lint-deploy: sync ## the Helm chart: lint and render it into deploy/helm/rendered/ (builds helm from its Go module once)
	@deploy/helm/render.sh

docs-config: sync ## docs/configuration.md and services/*/.env.example, from the settings classes
	$(UV) run --frozen python tests/docs/configuration.py

docs-experience: sync ## docs/customer-experience.md: rewrite its catalogue, copy the screenshots `make test` made into docs/images/
	$(UV) run --frozen python tests/docs/experience.py --images

fmt: sync ## ruff: fix what it can and format
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

bench: infra-up ## the benchmark: prints a table, writes bench/results/<time>.json (ARGS="--e2e-events 5000")
	$(UV) run --frozen python bench/run.py $(ARGS)

bench-peer: infra-up ## ours, then the same job on a Temporal dev server and on Restate (not in CI; builds the Temporal CLI once, ~5 min; Restate from npm)
	@test -x .local/tools/bin/temporal || GOBIN=$(CURDIR)/.local/tools/bin go install github.com/temporalio/cli/cmd/temporal@v1.5.1
	@test -x .local/tools/restate/node_modules/@restatedev/restate-server-linux-x64/bin/restate-server || npm install --silent --no-audit --no-fund --prefix .local/tools/restate @restatedev/restate-server@1.7.12
	$(UV) run --frozen --with temporalio==1.35.0 --with restate-sdk==1.2.0 --with hypercorn==0.18.0 python bench/peer.py $(ARGS)

clean: infra-down ## stop the stack and delete .local/ and .venv/ (all local data)
	rm -rf $(LOCAL) .venv
