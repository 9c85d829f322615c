"""Rendering speed: audio seconds per wall-clock second through `symbolic.render.render_file`.

Renders a Bach chorale (converted from music21's corpus) and the first POP909 song, if present,
to WAV files in a temp folder, best of `--repeat` runs each (the machine is shared).
Usage: python benchmarks/bench_render.py [--repeat N] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import append_section  # noqa: E402

from symbolic.paths import data_root  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()

    import music21

    from symbolic.render import render_file
    from symbolic.score import from_music21, save_midi

    with tempfile.TemporaryDirectory(prefix="symgen-bench-") as tmp:
        files = {"Bach chorale bwv66.6": Path(tmp) / "bwv66.6.mid"}
        save_midi(from_music21(music21.corpus.parse("bach/bwv66.6")), files["Bach chorale bwv66.6"])
        pop = sorted((data_root() / "pop909").glob("*/*.mid"))
        if pop:
            files[f"POP909 {pop[0].stem}"] = pop[0]
        table = [["file", "audio s", "render s (best)", "realtime factor", "soundfont"]]
        for name, path in files.items():
            runs = [render_file(path, Path(tmp) / "out.wav") for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["render_seconds"])
            table.append(
                [
                    name,
                    f"{best['audio_seconds']:.1f}",
                    f"{best['render_seconds']:.2f}",
                    f"{best['realtime_factor']:.0f}x",
                    Path(best["soundfont"]).name,
                ]
            )
    print("\n".join("| " + " | ".join(r) + " |" for r in table))
    if not args.no_write:
        notes = "FluidSynth binary, 44.1 kHz stereo, render time includes soundfont loading."
        append_section("Rendering (bench_render.py)", table, notes)


if __name__ == "__main__":
    main()
