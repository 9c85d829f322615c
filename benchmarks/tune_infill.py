"""Pick `symgen infill`'s sampling defaults (temperature, guidance, harmonic prior weight)
away from the validation songs: POP909 PIANO regenerated given MELODY and BRIDGE on training
songs (the models have seen them, so the absolute figures flatter them; only the comparison
between settings is read), the same harmonic agreement and onset count as `bench_infill.py`.

    python benchmarks/tune_infill.py [--songs 4] [--bars 16] [--record]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import report  # noqa: E402
from bench_infill import pop909  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=4, help="POP909 training songs")
    parser.add_argument("--bars", type=int, default=16, help="bars of each song")
    parser.add_argument("--steps", type=int, default=32, help="sampling steps")
    parser.add_argument("--temperatures", default="0.8,1.0", help="comma list")
    parser.add_argument("--guidances", default="0,1", help="comma list")
    parser.add_argument("--harmonies", default="1", help="comma list: harmonic prior weights")
    parser.add_argument("--model", default="infill", help="a shipped model name or folder")
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    table = [
        [
            "setting",
            "agreement (default / --reharmonize / given chords)",
            "onsets (default / original)",
        ]
    ]
    with tempfile.TemporaryDirectory() as folder:
        for temperature in (float(t) for t in args.temperatures.split(",")):
            for guidance in (float(g) for g in args.guidances.split(",")):
                for harmony in (float(h) for h in args.harmonies.split(",")):
                    rows = pop909(
                        args.songs, args.bars, args.steps, Path(folder), split="train",
                        model=args.model, temperature=temperature, guidance=guidance,
                        harmony=harmony,
                    )  # fmt: skip
                    default, alone, given, original = rows[1:5]
                    table.append(
                        [
                            f"temperature {temperature}, guidance {guidance}, harmony {harmony}",
                            f"{default[1]} / {alone[1]} / {given[1]}",
                            f"{default[2].split()[0]} / {original[2].split()[0]}",
                        ]
                    )
                    print(table[-1], flush=True)
    notes = (
        f"Model {args.model}, {args.steps} steps, seed 0, {args.songs} POP909 training songs x "
        f"{args.bars} bars (original piano agreement on them: {original[1]})."
    )
    report("Infill sampling settings (training songs)", table, notes, args.record)


if __name__ == "__main__":
    main()
