# Everything runs from the project's own virtualenv; `make run` and `make test` need nothing else
# installed: without DATABASE_URL / REDIS_URL the launcher starts embedded PostgreSQL and Redis.

PYTHON_BOOT := $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: venv run test faults fuzz bench lint format messages clean browser-deps fonts instrument-screenshots

# Three stamps, each rebuilt (and its requirements reinstalled) when its file changes: what
# running needs (requirements.txt), the embedded PostgreSQL and Redis the launcher starts when
# DATABASE_URL / REDIS_URL are not set (requirements-local.txt), and the dev extras of
# `make test` and `make bench` (requirements-dev.txt: Playwright, Locust, schemathesis ...).
# `make run` installs only the first two, so a first run downloads a third of the packages.
$(VENV)/.installed-run: requirements.txt
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -r requirements.txt
	touch $@

$(VENV)/.installed-local: $(VENV)/.installed-run requirements-local.txt
	$(PY) -m pip install -r requirements-local.txt
	touch $@

$(VENV)/.installed: $(VENV)/.installed-local requirements-dev.txt
	$(PY) -m pip install -r requirements-dev.txt
	touch $@

.venv venv: $(VENV)/.installed

# With both DATABASE_URL and REDIS_URL given, no embedded server is started: nor installed.
RUN_NEEDS := $(if $(and $(DATABASE_URL),$(REDIS_URL)),$(VENV)/.installed-run,$(VENV)/.installed-local)

run: $(RUN_NEEDS) fonts
	$(PY) -m portal.launcher run

# The browser tests (tests/browser/, docs/accessibility.md) drive Debian's Chromium, installed
# from apt when missing (Playwright's own browser download cannot run here), and inject
# axe-core from npm (package-lock.json).
CHROMIUM := /usr/bin/chromium
AXE := node_modules/axe-core/axe.min.js
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q

$(CHROMIUM):
	$(APT_INSTALL) chromium || { apt-get update -q && $(APT_INSTALL) chromium; }

$(AXE): package.json package-lock.json
	command -v npm >/dev/null || $(APT_INSTALL) npm || { apt-get update -q && $(APT_INSTALL) npm; }
	npm ci --no-audit --no-fund
	touch $@

browser-deps: $(CHROMIUM) $(AXE)

# The written instruments (docs/instruments.md) are set in Noto CJK, embedded as subsets in
# each PDF: Debian's fonts-noto-cjk, installed from apt when missing (the Dockerfile does the
# same). INSTRUMENT_FONT_DIRS points elsewhere on a machine that keeps its fonts elsewhere.
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc

$(CJK_FONT):
	$(APT_INSTALL) fonts-noto-cjk || { apt-get update -q && $(APT_INSTALL) fonts-noto-cjk; }

fonts: $(CJK_FONT)

# docs/screenshots/instrument-*.png: each instrument's first page, from the quick instrument
# benchmark's cases (bench/instruments.py), turned into PNG by poppler's pdftoppm.
instrument-screenshots: $(VENV)/.installed fonts
	command -v pdftoppm >/dev/null || $(APT_INSTALL) poppler-utils || { apt-get update -q && $(APT_INSTALL) poppler-utils; }
	$(PY) -m portal.launcher bench instruments --quick --screenshots docs/screenshots

# Extra pytest arguments: make test ARGS="-k routing -x"
test: $(VENV)/.installed browser-deps fonts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m portal.launcher test $(ARGS)

# Prints figures and writes bench/results/; make bench ARGS="--quick" for a smoke run.
bench: $(VENV)/.installed fonts
	$(PY) -m portal.launcher bench $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Compiles locale/zh_Hans/LC_MESSAGES/django.po; needs GNU gettext's msgfmt
# (apt-get install gettext). The .mo files are committed, so only translators need this.
# The settings insist on DATABASE_URL and REDIS_URL, though compilemessages uses neither;
# --ignore keeps it from recompiling the catalogues of the packages in .venv.
messages: $(VENV)/.installed
	DATABASE_URL="$${DATABASE_URL:-postgresql:///unused}" REDIS_URL="$${REDIS_URL:-redis:///0}" \
	$(PY) manage.py compilemessages --locale zh_Hans --ignore .venv --ignore .local --ignore node_modules

clean:
	rm -rf .local var

# Fault injection (docs/operations.md): own PostgreSQL, Redis, gunicorn, workers and beat,
# stopped and killed on purpose; prints a figure per test. make faults ARGS="-k sweepers"
faults: $(VENV)/.installed fonts
	$(PY) -m tests.faults $(ARGS)

# The API fuzzed long (tests/api/test_fuzz.py, docs/api.md): schemathesis with many examples per
# operation, as every kind of caller; no server error, every answer as the schema documents.
# `make test` runs a short share of the same test. make fuzz FUZZ_EXAMPLES=500
FUZZ_EXAMPLES ?= 100
fuzz: $(VENV)/.installed fonts
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m portal.launcher test tests/api/test_fuzz.py $(ARGS)
