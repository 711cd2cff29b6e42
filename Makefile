# kiloglot: the two set-up commands are `make demo` and `make test`; `make help` lists the rest.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCALES ?= default
MODEL ?= models/linear-demo
# The CPU build of PyTorch that lies on this kind of machine; plain `torch` would pull a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
# This team's copy of MASSIVE beside the checkout; elsewhere the official archive is downloaded on first use.
SHARED_MASSIVE ?= ../shared/data/massive/massive-1.1-train-dev.tar.gz
PYTEST := $(BIN)/python -m pytest

.PHONY: help demo test test-fast lint format install check-roundtrip bench-train bench-speed bench-load clean

help:
	@echo "make demo       install, train the fast parser on 7 locales, evaluate, parse, chat"
	@echo "make test       the whole test suite (what CI runs after make lint)"
	@echo "make test-fast  the tests that train nothing (about 20 s)"
	@echo "make lint       ruff (lint + format), mypy, the import contract"
	@echo "make format     apply ruff's fixes and formatting"

$(BIN)/kiloglot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet '$(TORCH_SPEC)'
	$(BIN)/python -m pip install --quiet -e '.[neural,onnx,speech,test,dev]'
	@touch $@

install: $(BIN)/kiloglot

# Train the fast parser on a default set of typologically diverse locales, evaluate it on dev,
# print the per-locale table (report: runs/demo-dev.{json,md,png}), then talk to the assistant in
# English, Japanese and Arabic (scripts/demo_conversation.txt).
demo: install
	@if [ -z "$$KILOGLOT_MASSIVE" ] && [ -f "$(SHARED_MASSIVE)" ]; then $(BIN)/kiloglot data use "$(SHARED_MASSIVE)"; fi
	$(BIN)/kiloglot data info --locales $(LOCALES)
	$(BIN)/kiloglot train --parser linear --locales $(LOCALES) --out $(MODEL)
	$(BIN)/kiloglot evaluate $(MODEL) --split dev --report runs/demo-dev.json
	$(BIN)/kiloglot parse $(MODEL) "wake me up at seven thirty tomorrow" --locale en-US
	$(BIN)/kiloglot chat $(MODEL) --locale en-US --db sqlite:///runs/demo-assistant.db < scripts/demo_conversation.txt
	@echo
	@echo "Done: $(MODEL) is trained ($(LOCALES) locales); its dev report is runs/demo-dev.md. Try next:"
	@echo "  source $(VENV)/bin/activate"
	@echo "  kiloglot parse $(MODEL) \"明日の朝7時に起こして\" --locale ja-JP"
	@echo "  kiloglot chat $(MODEL) --locale ar-SA        # type to talk; Ctrl-D ends"
	@echo "  kiloglot serve $(MODEL)                      # then open http://127.0.0.1:8000/"
	@echo "  kiloglot --help                              # every command; README.md has a five-minute tour"

# Starts a throwaway PostgreSQL server (and installs it and Chromium from Debian when missing) for the
# integration tests; CI sets KILOGLOT_REQUIRE_SERVICES=1 so that they fail rather than skip without them.
# The suite with a throwaway PostgreSQL server (and Chromium) from scripts/test_services.sh, which says
# what it installs; the server it started is stopped afterwards. Bring your own: KILOGLOT_TEST_POSTGRES_URL.
test: install
	@if [ -n "$$KILOGLOT_TEST_POSTGRES_URL" ]; then $(PYTEST); exit $$?; fi; \
	url="$$(scripts/test_services.sh || true)"; \
	KILOGLOT_TEST_POSTGRES_URL="$$url" $(PYTEST); status=$$?; \
	scripts/test_services.sh stop; exit $$status

test-fast: install
	$(PYTEST) -m "not slow" -q

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix src tests benchmarks scripts
	$(BIN)/ruff format src tests benchmarks scripts

check-roundtrip: install
	$(BIN)/python scripts/check_roundtrip.py --locales all

bench-train: install
	$(BIN)/python -m benchmarks train_linear --locales all --out models/linear-all --name linear_all52

bench-speed: install
	$(BIN)/python -m benchmarks speed_parser --model models/linear-all --name linear_all52_speed

bench-load: install
	$(BIN)/python -m benchmarks load_server --model models/linear-all --clients 50 --seconds 60 --workers 2 --name load_linear_all52_w2

clean:
	rm -rf $(VENV) models runs
