"""How far estimated chords can carry the POP909 piano benchmark: for each original piano
onset, the share of the estimated chord's tones that are in the chord annotated in
chord_midi.txt then (what a part made only of estimated chord tones would score). Two
estimates: the template match per beat (`symbolic.tokenize.grid.estimate_chords`) and the
chord recogniser that `symgen infill` uses by default (`symbolic.models.chords`, trained on
the train split only), each from melody and bridge (what `symgen infill --tracks PIANO`
hears) and from all three tracks. Per beat (annotation at the beat's middle, grid qualities)
also: how often the estimated root is the annotated one, and how often the pitch class the
recogniser is surest of (its tone probabilities) is in the annotated chord, about the most a
part made of one safe tone per beat could reach. Validation songs by default.

    python benchmarks/bench_chord_estimate.py [--songs 49] [--bars 32] [--split val] [--record]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import report  # noqa: E402

from symbolic.data.chords import annotated_ids  # noqa: E402
from symbolic.data.sources import list_items, load_piece  # noqa: E402
from symbolic.data.split import split_of  # noqa: E402
from symbolic.eval.infill import chord_tones  # noqa: E402
from symbolic.models.checkpoint import resolve  # noqa: E402
from symbolic.models.chords import load as load_recogniser  # noqa: E402
from symbolic.models.chords import recognize_chords  # noqa: E402
from symbolic.paths import data_root  # noqa: E402
from symbolic.tokenize.grid import (  # noqa: E402
    CHORD_OFFSET,
    NO_CHORD,
    QUALITIES,
    STEP,
    chord_parts,
    chord_segments,
    chord_templates,
    estimate_chords,
    spec,
)


def ceiling(
    songs: int, bars: int, split: str, model: str = "chords"
) -> dict[tuple[str, str], tuple[float, int, float, float, int]]:
    """{(method, tracks heard): (mean share of estimated tones in the annotated chord, onsets,
    share of beats with the annotated root, share of beats whose most likely pitch class is in
    the annotated chord, beats)}."""
    root = data_root()
    items = [
        it for it in list_items("pop909", root) if split_of(f"pop909/{Path(it[0]).name}") == split
    ][:songs]

    def template(src, cols):  # no probabilities: which tone it is surest of is not defined
        return estimate_chords(src, cols=cols), None

    net = load_recogniser(resolve(model))
    methods = {
        "template": template,
        "recogniser": lambda src, cols: recognize_chords(src, cols, net),
    }
    sums = {(m, h): [0.0, 0, 0, 0, 0] for m in methods for h in ("melody+bridge", "all tracks")}
    for item in items:
        piece = load_piece("pop909", item, root)
        score = piece.score.resample(480, min_dur=1)
        score = score.clip(0, bars * 4 * 480, clip_end=True)
        piano = [i for i, t in enumerate(score.tracks) if t.name == "PIANO"][0]
        ticks = score.tracks[piano].notes.numpy()["time"]
        seconds = score.to("second").tracks[piano].notes.numpy()["time"]
        ann = piece.meta["chords"]
        starts, ends = np.array([c[0] for c in ann]), np.array([c[1] for c in ann])
        at = np.searchsorted(starts, seconds, side="right") - 1
        heard = score.copy()
        heard.tracks = [t for i, t in enumerate(score.tracks) if i != piano]
        cols = score.end() // STEP + 1
        seg = chord_segments(score, cols, "beat")
        beat_ids = annotated_ids(score, ann, seg * STEP + np.diff(np.r_[seg, cols]) * STEP // 2)
        scored = beat_ids > NO_CHORD
        beat_tones = chord_templates()[np.maximum(beat_ids - CHORD_OFFSET, 0)]
        for (method, name), total in sums.items():
            src = heard if name == "melody+bridge" else score
            ids, in_chord = methods[method](src, cols)
            roots, qualities = chord_parts(ids)
            total[2] += int((roots[seg] == chord_parts(beat_ids)[0])[scored].sum())
            if in_chord is not None:
                safest = in_chord[seg].argmax(1)
                total[3] += int(beat_tones[np.arange(len(seg)), safest][scored].sum())
            total[4] += int(scored.sum())
            for i, tick, sec in zip(at, ticks, seconds, strict=True):
                truth = chord_tones(ann[i][2]) if i >= 0 and sec < ends[i] else None
                r, q = roots[tick // STEP], qualities[tick // STEP]
                if truth is None or r < 0:
                    continue
                tones = [(r + k) % 12 for k in spec()["chord"]["qualities"][QUALITIES[q]]]
                total[0] += np.mean([t in truth for t in tones])
                total[1] += 1
    return {
        k: (share / max(n, 1), int(n), roots / max(beats, 1), safest / max(beats, 1), beats)
        for k, (share, n, roots, safest, beats) in sums.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=49)
    parser.add_argument("--bars", type=int, default=32)
    parser.add_argument("--split", default="val", choices=["train", "val"])
    parser.add_argument("--model", default="chords", help="recogniser: shipped name or folder")
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    table = [
        [
            "method",
            "chords estimated from",
            "estimated tones in the annotated chord (piano onsets)",
            "root right (beats)",
            "most likely pitch class in the chord",
        ]
    ]
    results = ceiling(args.songs, args.bars, args.split, args.model)
    for (method, name), (share, n, roots, safest, beats) in results.items():
        sure = f"{safest:.3f}" if method == "recogniser" else "-"
        row = [f"{share:.3f} ({n})", f"{roots:.3f} ({beats})", sure]
        table.append([method, name, *row])
    notes = f"{args.songs} POP909 {args.split} songs x {args.bars} bars."
    report("Infill: chord estimates against POP909 annotations", table, notes, args.record)


if __name__ == "__main__":
    main()
