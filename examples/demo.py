"""The end-to-end demo behind `make demo`, on the shipped default models.

1. `abc-folk` writes a jig in D from a header prompt (ABC + MIDI);
2. `remi-multi` continues that MIDI with 8 more bars in the folk style;
3. `infill` adds a bass line and drums to it (chords recognised by `chords` from the tune);
4. FluidSynth renders the result to WAV;
5. `lyric2melody` sets a verse (our own words) to a melody in G, 3/4, with chords (MIDI + ABC).
Prints the path of every file written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from symbolic.errors import SymgenError
from symbolic.render import render_file
from symbolic.score import describe, load
from symbolic.tasks.generate import GenerateRequest, generate
from symbolic.tasks.infill import InfillRequest, infill
from symbolic.tasks.lyric2melody import LyricRequest, lyric2melody

VERSE = """Under the lantern the river is slow,
paper boats drifting wherever they go.
Count every window and call out the light,
somebody's singing it into the night."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo_out"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tune = generate(
        GenerateRequest(model="abc-folk", prompt="M:6/8\nK:D\nR:jig", out=args.out, seed=args.seed)
    )
    abc, midi = tune["outputs"]
    print(f"ABC:   {abc}  (abc-folk, {tune['timings']['total']:.1f} s)")
    print(f"MIDI:  {midi}")
    longer = generate(
        GenerateRequest(
            model="remi-multi",
            continue_path=Path(midi),
            bars=8,
            style="folk",
            out=args.out / "jig-continued.mid",
            seed=args.seed,
        )
    )
    cont = longer["outputs"][0]
    before, info = describe(load(midi)), describe(load(cont))
    print(
        f"MIDI:  {cont}  (remi-multi added 8 bars to the tune's {before['bars']}: "
        f"{info['bars']} bars, {info['notes']} notes in all)"
    )
    band = infill(
        InfillRequest(cont, add="bass,drums", out=args.out / "jig-band.mid", seed=args.seed)
    )
    arranged = band["outputs"][0]
    chords = band["chords_used"].split(" | ")
    print(f"MIDI:  {arranged}  (infill added bass and drums under {' | '.join(chords[:4])} | ...)")
    try:
        wav = render_file(arranged, args.out / "jig-band.wav")
        print(f"WAV:   {wav['wav']}  ({wav['audio_seconds']:.0f} s of audio)")
    except SymgenError as err:
        print(f"WAV:   skipped: {err}")
    song = lyric2melody(
        LyricRequest(
            VERSE,
            key="G",
            meter="3/4",
            tempo=92,
            chords=True,
            out=args.out / "lantern.mid",
            abc=args.out / "lantern.abc",
            seed=args.seed,
        )
    )
    print(
        f"MIDI:  {song['outputs']['midi']}  (lyric2melody: {song['syllables']} syllables, "
        f"one note each, {song['bars']} bars of {song['meter']} in {song['key']}, with chords)"
    )
    print(f"ABC:   {song['outputs']['abc']}")


if __name__ == "__main__":
    main()
