"""Time to first MIDI: `symgen generate --model remi-multi --continue` on an 8-bar file.

A cold process each time (Python start, imports, model load, sampling 8 bars, writing), the
median of several runs, beside `python -c "import torch"` and `symgen --help` measured in the
same run so that the machine's load shows.

    python benchmarks/bench_generate.py [--runs 3] [--record]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import report  # noqa: E402


def eight_bar_file(folder: Path) -> Path:
    """The first 8 bars of a Bach chorale as MIDI (from music21's corpus)."""
    import music21

    from symbolic.score import from_music21, save_midi

    score = from_music21(music21.corpus.parse("bach/bwv66.6"))
    return save_midi(score.clip(0, 8 * 4 * score.tpq), folder / "chorale-8-bars.mid")


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, res.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        src = eight_bar_file(Path(tmp))
        gen = [
            py,
            "-m",
            "symbolic.cli",
            "generate",
            "--model",
            "remi-multi",
            "--continue",
            str(src),
            "--bars",
            "8",
            "-o",
            str(Path(tmp) / "out.mid"),
            "--json",
        ]
        times: dict[str, list[float]] = {"generate": [], "import torch": [], "help": []}
        inner: list[dict] = []
        for _ in range(args.runs):
            t, out = timed(gen)
            times["generate"].append(t)
            inner.append(json.loads(out)["timings"])
            times["import torch"].append(timed([py, "-c", "import torch"])[0])
            times["help"].append(timed([py, "-m", "symbolic.cli", "--help"])[0])
    med = {k: statistics.median(v) for k, v in times.items()}
    load = statistics.median(x["load"] for x in inner)
    rows = [
        ["what (cold process)", "median seconds"],
        [
            "symgen generate --model remi-multi --continue (8 bars in, 8 new)",
            f"{med['generate']:.2f}",
        ],
        ["  of which: model + tokenizer load (in-process)", f"{load:.2f}"],
        ["python -c 'import torch' (reference)", f"{med['import torch']:.2f}"],
        ["symgen --help", f"{med['help']:.2f}"],
    ]
    note = f"{args.runs} runs each, interleaved; target for generate: <= 5 s."
    report("Time to first MIDI (issue 3)", rows, note, args.record)


if __name__ == "__main__":
    main()
