# kiloglot: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCALES ?= default
MODEL ?= models/linear-demo
# The CPU build of PyTorch that lies on this kind of machine; plain `torch` would pull a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0

.PHONY: demo test install check-roundtrip bench-train bench-speed bench-load clean

$(BIN)/kiloglot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet '$(TORCH_SPEC)'
	$(BIN)/python -m pip install --quiet -e '.[neural,onnx,test]'
	@touch $@

install: $(BIN)/kiloglot

# Train the fast parser on a default set of typologically diverse locales, evaluate it on dev,
# print the per-locale table (report: runs/demo-dev.{json,md,png}), then talk to the assistant in
# English, Japanese and Arabic (scripts/demo_conversation.txt).
demo: install
	$(BIN)/kiloglot data info --locales $(LOCALES)
	$(BIN)/kiloglot train --parser linear --locales $(LOCALES) --out $(MODEL)
	$(BIN)/kiloglot evaluate $(MODEL) --split dev --report runs/demo-dev.json
	$(BIN)/kiloglot parse $(MODEL) "wake me up at seven thirty tomorrow" --locale en-US
	$(BIN)/kiloglot chat $(MODEL) --locale en-US --db sqlite:///runs/demo-assistant.db < scripts/demo_conversation.txt

# Starts a throwaway PostgreSQL server (and installs it and Chromium from Debian when missing) for the
# integration tests; CI sets KILOGLOT_REQUIRE_SERVICES=1 so that they fail rather than skip without them.
test: install
	KILOGLOT_TEST_POSTGRES_URL="$${KILOGLOT_TEST_POSTGRES_URL:-$$(scripts/test_services.sh || true)}" $(BIN)/python -m pytest

check-roundtrip: install
	$(BIN)/python scripts/check_roundtrip.py --locales all

bench-train: install
	$(BIN)/python benchmarks/train_linear.py --locales all --out models/linear-all --name linear_all52

bench-speed: install
	$(BIN)/python benchmarks/speed_parser.py --model models/linear-all --name linear_all52_speed

bench-load: install
	$(BIN)/python benchmarks/load_server.py --model models/linear-all --clients 50 --seconds 60 --workers 2 --name load_linear_all52_w2

clean:
	rm -rf $(VENV) models runs
