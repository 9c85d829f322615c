"""Drums and bass by `symgen infill` (issue 13), measured beside the real parts.

Sets, each from the validation split (`symbolic.data.split.piece_split`), the first 16 bars of
a piece:
- band songs with drums: `--tracks drums --bars 9-16` (the drummer's bars 9-16 rewritten),
  beside the real bars 9-16;
- POP909 songs, Nottingham tunes and Weimar jazz pieces: `--add drums` and, separately,
  `--add bass`, over all 16 bars.
Each as `symgen infill` samples (with the per-role priors) and raw (`--raw`, without).

Measures (`symbolic.eval.band`): drums — kit share, kick+snare share, groove consistency,
hits per bar; bass — median pitch, one-note share, and bass roots: the share of bars whose
first bass note is the root of the chord infill used there (recognised from the song, as
`symgen infill` prints it); velocity spread of the new notes. Medians over pieces; the real
band songs' bass roots use the chords recognised in the same run.

    python benchmarks/bench_band_infill.py [--model infill] [--pieces 6] [--record]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _results import append_section  # noqa: E402
from bench_band import pieces as band_pieces  # noqa: E402

from symbolic.eval.band import (  # noqa: E402
    bass_measures,
    bass_root_share,
    bass_tracks,
    drum_measures,
    drum_tracks,
    velocity_spread,
)
from symbolic.score import bar_lines, load, save_midi  # noqa: E402
from symbolic.tasks.infill import InfillRequest, infill  # noqa: E402
from symbolic.theory.chords import parse_chord  # noqa: E402

BARS = 16
REWRITE = "9-16"
FIGURES = ("kit", "kick+snare", "groove", "hits/bar", "bass pitch", "one-note", "roots", "vel")
NAN = float("nan")


def pieces(source: str, limit: int, drums: bool) -> list:
    """The first `BARS` bars of up to `limit` validation pieces of `source` that have more
    (and drums, if `drums`), with their ids."""
    out = []
    for piece in band_pieces(source, limit, drums, BARS + 1):
        end = int(bar_lines(piece.score)[BARS])
        out.append((piece.id, piece.score.clip(0, end, clip_end=True)))
    return out


def roots(progression: str) -> list[int | None]:
    """The root pitch class of each bar's first chord in infill's "C G | Am F" text."""
    out = []
    for bar in progression.split(" | "):
        try:
            chord = parse_chord(bar.split()[0]) if bar.split() else None
        except ValueError:
            chord = None
        out.append(None if chord is None else chord.root)
    return out


def figures(score, bars: tuple[int, int], chord_roots: list[int | None]) -> list[float]:
    """The drum and bass measures of `score` over `bars` (first, stop); velocity left NaN."""
    lines = bar_lines(score, end=score.end() + 1)
    start = int(lines[bars[0]])
    stop = int(lines[bars[1]]) if bars[1] < len(lines) else score.end() + 1
    drums = [drum_measures(score, t, bars=bars) for t in drum_tracks(score)]
    hits = max(drums, key=lambda d: d["hits"]) if drums else None
    basses = [t for t in bass_tracks(score) if bass_measures(t, (start, stop))["notes"]]
    bass = bass_measures(basses[0], (start, stop)) if basses else None
    return [
        hits["kit_share"] if hits else NAN,
        hits["kick_snare_share"] if hits else NAN,
        hits["groove_consistency"] if hits else NAN,
        hits["hits_per_bar"] if hits else NAN,
        bass["median_pitch"] if bass else NAN,
        bass["one_note_share"] if bass else NAN,
        bass_root_share(score, basses[0], chord_roots) if basses else NAN,
        NAN,
    ]


def new_velocity(score, names: list[str], bars: tuple[int, int]) -> float:
    """Velocity spread of the notes of the tracks named `names` within `bars`."""
    lines = bar_lines(score, end=score.end() + 1)
    stop = int(lines[bars[1]]) if bars[1] < len(lines) else score.end() + 1
    window = score.clip(int(lines[bars[0]]), stop)
    return velocity_spread([t for t in window.tracks if t.name in names])


def run(model: str, src: Path, out: Path, seed: int, **what) -> tuple[object, dict] | None:
    """`symgen infill` on `src`; the written score and what it returns (None on failure)."""
    try:
        result = infill(InfillRequest(src, out=out, seed=seed, model=model, **what))
    except Exception as err:  # noqa: BLE001 - a failed piece is counted, not fatal
        print(f"{src.name}: {err}", file=sys.stderr)
        return None
    return load(out), result


def median_row(name: str, values: list[list[float]]) -> list[str]:
    """A table row: the set's name, its piece count and the median of each figure."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column that is all NaN stays NaN
        med = np.nanmedian(np.array(values, float), axis=0) if values else [NAN] * len(FIGURES)
    return [name, str(len(values)), *(f"{v:.2f}" for v in med)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="infill")
    parser.add_argument("--pieces", type=int, default=6, help="validation pieces per set")
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    rows = [["set", "pieces", *FIGURES]]
    modes = ((f"{args.model}", False), (f"{args.model} raw (--raw)", True))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        real, made = [], {raw: [] for _, raw in modes}
        rewritten = (8, BARS)
        for i, (_, score) in enumerate(pieces("band", args.pieces, drums=True)):
            src = save_midi(score, folder / f"band{i}.mid")
            for _, raw in modes:
                out_path = folder / f"band{i}-drums-{raw}.mid"
                got = run(args.model, src, out_path, i, tracks="drums", bars=REWRITE, raw=raw)
                if got is None:
                    continue
                out, result = got
                chord_roots = [None] * 8 + roots(result["chords_used"])
                if not raw:
                    real.append(figures(score, rewritten, chord_roots))
                row = figures(out, rewritten, chord_roots)
                drummer = [t.name for t in drum_tracks(out)]
                made[raw].append(row[:4] + [NAN] * 3 + [new_velocity(out, drummer, rewritten)])
        rows.append(median_row("band, real bars 9-16", real))
        for name, raw in modes:
            rows.append(median_row(f"band, {name} --tracks drums --bars {REWRITE}", made[raw]))
        print(*(" | ".join(r) for r in rows[-3:]), sep="\n", flush=True)
        for source in ("pop909", "nottingham", "wjazzd"):
            kept = {(kind, raw): [] for kind in ("drums", "bass") for _, raw in modes}
            for i, (_, score) in enumerate(pieces(source, args.pieces, drums=False)):
                src = save_midi(score, folder / f"{source}{i}.mid")
                for kind, raw in kept:
                    out_path = folder / f"{source}{i}-{kind}-{raw}.mid"
                    got = run(args.model, src, out_path, i, add=kind, raw=raw)
                    if got is None:
                        continue
                    out, result = got
                    row = figures(out, (0, BARS), roots(result["chords_used"]))
                    vel = new_velocity(out, result["added"], (0, BARS))
                    part = row[:4] + [NAN] * 3 if kind == "drums" else [NAN] * 4 + row[4:7]
                    kept[kind, raw].append([*part, vel])
            for kind in ("drums", "bass"):
                for name, raw in modes:
                    rows.append(median_row(f"{source}, {name} --add {kind}", kept[kind, raw]))
            print(*(" | ".join(r) for r in rows[-4:]), sep="\n", flush=True)
    notes = (
        f"First {BARS} bars of validation pieces; seed = piece index; medians over pieces. "
        "roots: share of bars whose first bass note is the root of the bar's first chord as "
        "infill recognised it. Targets (issue 13): kit >= 0.85, kick+snare >= 0.25, "
        "groove >= 0.6, 6-32 hits/bar, bass pitch 28-55, one-note >= 0.85, roots >= 0.7. The "
        "raw rows sample without the per-role priors (drum rows on GM percussion notes, a bass "
        "pulled into 28-55: `symbolic.models.diffusion.role_prior`)."
    )
    if args.record:
        append_section(f"Drums and bass by infill ({args.model}, issue 13)", rows, notes)
    print(notes)


if __name__ == "__main__":
    main()
