# The README's commands. `make install` is idempotent: a stamp in .venv skips pip when
# pyproject.toml has not changed since the last install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.symgen-installed
APT_PACKAGES := fluidsynth fluid-soundfont-gm

.PHONY: install fluidsynth chromium demo test test-all bench lint format

install: $(STAMP) fluidsynth chromium

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e ".[dev]"
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

# Chromium drives the studio's browser tests (Playwright); installed the same way.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "Chromium is missing (the studio's browser tests skip); run: sudo apt-get install chromium"; \
	  fi; \
	fi

demo: install
	$(BIN)/symgen text2midi "jazz in C minor" -o demo_out/jazz-in-c-minor.mid --wav demo_out/jazz-in-c-minor.wav
	$(BIN)/python examples/demo.py --out demo_out

# Slow tests (every Bach chorale through music21, several minutes) run with `make test-all`.
test: install
	$(BIN)/python -m pytest -q -m "not slow"

test-all: install
	$(BIN)/python -m pytest -q

# Each script appends a dated section to benchmarks/RESULTS.md. The validation-loss and
# text2midi benchmarks read shards built by `symgen data build`, the infill benchmark the grid
# arrays of `python -m symbolic.data.grids` (see the recipes).
bench: install
	$(BIN)/python benchmarks/bench_io.py
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_sampling.py --record
	$(BIN)/python benchmarks/bench_generate.py --record
	$(BIN)/python benchmarks/bench_abc_quality.py --record
	$(BIN)/python benchmarks/bench_lm_val.py --model abc-folk --shards data_cache/abc --seq-len 320 \
	  --model remi-multi --shards data_cache/remi --seq-len 768 --record
	$(BIN)/python benchmarks/bench_text2midi.py --shards data_cache/remi --record
	$(BIN)/python benchmarks/bench_lyric2melody.py --record
	$(BIN)/python benchmarks/bench_chord_estimate.py --record
	$(BIN)/python benchmarks/bench_infill.py --record

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
