# One entry point for everything: make run, make test, make bench, make lint, make translations.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
# Debian packages the app and its tests need (browser tests, PDF rendering with font subsetting, PDF checks, and
# nginx with brotli for tests/ops/test_nginx.py, which runs the shipped site in front of gunicorn;
# wrk, the load generator make bench uses for the poll throughput).
DEB_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils openjdk-17-jre-headless \
  nginx-light libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static openssl wrk

# The Nu HTML Checker (vnu.jar from npm, run on the system's Java) for tests/test_html_valid.py.
VNU_VERSION := 26.9.27
VNU_JAR := .tools/node_modules/vnu-jar/build/dist/vnu.jar

.PHONY: install system-deps oidc-provider demo-db run dev test test-fast bench soak lint format translations compile-translations build-assets clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed compile-translations build-assets

system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

compile-translations: $(VENV)/.installed
	$(FLASK) alex compile-translations

# Minified twins of our own CSS/JS under static/min/ (alex/assets.py); pages use them when present.
build-assets: $(VENV)/.installed
	$(FLASK) alex build-assets

# The demo database, created and seeded once (make run and make dev share it).
demo-db: install
	$(FLASK) alex upgrade-db
	$(FLASK) alex seed-demo --if-empty
	@echo ""
	@echo "  ALEx läuft auf http://127.0.0.1:$(PORT)"
	@echo "  Demo-Zugänge (Passwort: demo-expedition):"
	@echo "    moderation@example.org  (Moderation)"
	@echo "    ada@example.org, ben@example.org, cem@example.org  (Teilnehmer:innen)"
	@echo "    betrieb@example.org  (Betrieb: Konsole unter /betrieb, sieht keine Inhalte)"
	@echo "    sabine@sample.example.org  (abgeschlossene Expedition, mit Teilnahmebescheinigung)"
	@echo ""
	@echo "  Mails landen als .eml-Dateien in instance/mail/ (Betreff und Link stehen in der Konsole),"
	@echo "  solange ALEX_SMTP_URL nicht gesetzt ist."
	@echo ""

# As deployed: gunicorn with deploy/gunicorn.conf.py and the queue's consumer (deploy/Procfile),
# static files precompressed by WhiteNoise, pages compressed. One command, one Ctrl+C stops them all.
run: demo-db
	ALEX_BASE_URL="$${ALEX_BASE_URL:-http://127.0.0.1:$(PORT)}" PATH="$(CURDIR)/$(BIN):$$PATH" \
	  $(BIN)/honcho --procfile deploy/Procfile --app-root . start --port $(PORT)

# Flask's development server with reloading and the debugger, for working on the code
# (no consumer: mails stay in the outbox until one runs; make run starts both).
dev: demo-db
	$(FLASK) run --debug --host 127.0.0.1 --port $(PORT)

$(VNU_JAR):
	npm install --silent --no-audit --no-fund --prefix .tools vnu-jar@$(VNU_VERSION)

# A real OpenID provider for the single sign-on tests (tests/support/oidc: oidc-provider, pinned in
# its package.json and package-lock.json; Node 20 or later). Tests only: servers never need it.
OIDC_PROVIDER := tests/support/oidc/node_modules/oidc-provider/package.json

$(OIDC_PROVIDER): tests/support/oidc/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix tests/support/oidc
	touch $@

oidc-provider: $(OIDC_PROVIDER)

# One pytest worker per core (pytest-xdist); each worker has its own database. The real-browser
# tests run afterwards on their own: their timing assertions (a live meeting follows within 2 s)
# need the CPU to themselves.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

test: install system-deps $(VNU_JAR) $(OIDC_PROVIDER)
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "not browser" $(PYTEST_ARGS)
	$(BIN)/pytest -q -m browser $(PYTEST_ARGS)

# Everything but the real-browser tests: the quick loop while coding.
test-fast: install $(OIDC_PROVIDER)
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "not browser" $(PYTEST_ARGS)

bench: install system-deps
	$(BIN)/python -m bench $(BENCH_ARGS)

# The long runs (not in make test): load on PostgreSQL and SQLite, fuzzing with many examples.
SOAK_SECONDS ?= 120
soak: install
	$(BIN)/python -m bench.load --postgres --users 1000 --zirkel 250 --seconds $(SOAK_SECONDS)
	$(BIN)/python -m bench.load --users 100 --zirkel 25 --seconds $(SOAK_SECONDS)
	$(BIN)/pytest -q --hypothesis-profile=soak tests/test_fuzz.py tests/test_fuzz_xss.py

# Style, layers (import-linter, contracts in pyproject.toml) and dead code (vulture).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/vulture

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract messages per area into its catalog, update German and English, compile.
translations: install
	$(BIN)/python -m alex.i18n update
	$(FLASK) alex compile-translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .tools static/min tests/support/oidc/node_modules
