# The README's commands. `make install` is idempotent: a stamp in .venv skips pip when
# pyproject.toml has not changed since the last install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.symgen-installed
APT_PACKAGES := fluidsynth fluid-soundfont-gm

.PHONY: install fluidsynth demo test test-all bench lint format

install: $(STAMP) fluidsynth

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e ".[dev,text,lyrics]"
	@touch $(STAMP)

# FluidSynth renders audio: installed with apt-get when we are root, else the command is shown.
fluidsynth:
	@if ! command -v fluidsynth >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); \
	  else \
	    echo "FluidSynth is missing (needed for audio); run: sudo apt-get install $(APT_PACKAGES)"; \
	  fi; \
	fi

demo: install
	$(BIN)/python examples/demo.py --out demo_out

# Slow tests (every Bach chorale through music21, several minutes) run with `make test-all`.
test: install
	$(BIN)/python -m pytest -q -m "not slow"

test-all: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/bench_io.py
	$(BIN)/python benchmarks/bench_render.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
