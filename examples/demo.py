"""The end-to-end demo behind `make demo`: a folk tune from music21's ABC corpus to MIDI, ABC
and WAV. Extend it as tasks land (text2midi, infill, lyric2melody)."""

from __future__ import annotations

import argparse
from pathlib import Path

import music21

from symbolic.errors import SymgenError
from symbolic.render import render_file
from symbolic.score import describe, load, save_abc, save_midi

TUNE = "ryansMammoth/AllTheWayToGalwayReel.abc"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo_out"))
    args = parser.parse_args()
    abc_files = music21.corpus.getPaths(fileExtensions=["abc"])
    source = next(p for p in abc_files if str(p).endswith(TUNE))
    score = load(source)
    info = describe(score)
    midi = save_midi(score, args.out / "folk_tune.mid")
    abc = save_abc(score, args.out / "folk_tune.abc", title="All the Way to Galway (symgen)")
    print(f"tune:  {source.name}: {info['bars']} bars, {info['notes']} notes, {info['key']}")
    print(f"MIDI:  {midi}")
    print(f"ABC:   {abc}")
    try:
        wav = render_file(midi, args.out / "folk_tune.wav")
        speed = f"{wav['audio_seconds']:.0f} s, {wav['realtime_factor']}x real time"
        print(f"WAV:   {wav['wav']} ({speed})")
    except SymgenError as err:
        print(f"WAV:   skipped: {err}")


if __name__ == "__main__":
    main()
