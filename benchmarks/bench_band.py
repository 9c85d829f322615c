"""Band continuations (issue 12): 8-bar openings of held-out band songs and Groove drum
performances continued by 8 bars with a REMI model, measured beside the real bars 9-16.

Measures (`symbolic.eval.band`): drums — kit share, kick+snare share, groove consistency,
hits per bar; bass — median pitch and one-note share; velocity spread of the new notes.
Each figure is the median over the pieces of a set. Pieces: the validation split
(`symbolic.data.split.piece_split`) of `band` and `groove` with at least 16 bars and drums.

    python benchmarks/bench_band.py [--model remi-multi] [--pieces 12] [--record]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _results import append_section  # noqa: E402
from symusic import Note  # noqa: E402

from symbolic.cli import main as symgen  # noqa: E402
from symbolic.data.sources import list_items, load_piece  # noqa: E402
from symbolic.data.split import piece_split  # noqa: E402
from symbolic.eval.band import (  # noqa: E402
    bass_measures,
    bass_tracks,
    drum_measures,
    drum_tracks,
    velocity_spread,
)
from symbolic.paths import data_root  # noqa: E402
from symbolic.score import bar_lines, load, save_midi  # noqa: E402

OPENING, NEW = 8, 8
FIGURES = ("kit", "kick+snare", "groove", "hits/bar", "bass pitch", "bass one-note", "vel std")


def pieces(source: str, limit: int, drums: bool = True, bars: int = OPENING + NEW) -> list:
    """Up to `limit` validation pieces of a source with at least `bars` bars (and drums, if
    `drums`)."""
    root = data_root()
    out = []
    for item in list_items(source, root):
        piece = load_piece(source, item, root)
        if piece is None or piece_split(piece) != "val" or (drums and not drum_tracks(piece.score)):
            continue
        if len(bar_lines(piece.score)) >= bars:
            out.append(piece)
        if len(out) == limit:
            break
    return out


def measure(score, lines: np.ndarray) -> list[float]:
    """The figures of bars OPENING..OPENING+NEW of a score (NaN where a part is missing)."""
    first, stop = OPENING, OPENING + NEW
    window = (int(lines[first]), int(lines[stop]) if len(lines) > stop else score.end() + 1)
    drums = [drum_measures(score, t, bars=(first, stop)) for t in drum_tracks(score)]
    hits = max(drums, key=lambda d: d["hits"]) if drums else None
    basses = [bass_measures(t, window) for t in bass_tracks(score)]
    basses = [b for b in basses if b["notes"]]
    new = score.copy()
    for track in new.tracks:
        notes = track.notes.numpy()
        keep = (notes["time"] >= window[0]) & (notes["time"] < window[1])
        track.notes = Note.from_numpy(**{k: v[keep] for k, v in notes.items()})
    nan = float("nan")
    return [
        hits["kit_share"] if hits else nan,
        hits["kick_snare_share"] if hits else nan,
        hits["groove_consistency"] if hits else nan,
        hits["hits_per_bar"] if hits else nan,
        basses[0]["median_pitch"] if basses else nan,
        basses[0]["one_note_share"] if basses else nan,
        velocity_spread(list(new.tracks)),
    ]


def continue_piece(model: str, piece, folder: Path, seed: int, raw: bool = False) -> object:
    """The piece's first OPENING bars continued by NEW bars with `model` (symgen generate;
    `raw`: without the grammar's per-role limits)."""
    lines = bar_lines(piece.score)
    opening = piece.score.clip(0, int(lines[OPENING]), clip_end=True)
    src = save_midi(opening, folder / f"{piece.id.replace('/', '_')}.mid")
    out = folder / f"{src.stem}-continued{'-raw' if raw else ''}.mid"
    args = ["generate", "--model", model, "--continue", str(src), "--bars", str(NEW)]
    args += ["--raw"] if raw else []
    with contextlib.redirect_stdout(io.StringIO()):
        code = symgen([*args, "--seed", str(seed), "--style", piece.style, "-o", str(out)])
    if code != 0:
        code = symgen([*args, "--seed", str(seed), "-o", str(out)])  # style unknown to the model
    return load(out) if out.exists() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="remi-multi")
    parser.add_argument("--pieces", type=int, default=12, help="validation pieces per source")
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    rows = [["set", "pieces", *FIGURES]]
    with tempfile.TemporaryDirectory() as tmp:
        for source in ("band", "groove"):
            chosen = pieces(source, args.pieces)
            real, made, raw = [], [], []
            for i, piece in enumerate(chosen):
                real.append(measure(piece.score, bar_lines(piece.score)))
                for kept, free in ((made, False), (raw, True)):
                    out = continue_piece(args.model, piece, Path(tmp), seed=i, raw=free)
                    if out is not None:
                        kept.append(measure(out, bar_lines(out)))
            for name, values in ((f"{source}, real bars 9-16", real),
                                 (f"{source}, {args.model}", made),
                                 (f"{source}, {args.model} raw (--raw)", raw)):  # fmt: skip
                med = np.nanmedian(np.array(values, float), axis=0) if values else []
                rows.append([name, str(len(values)), *(f"{v:.2f}" for v in med)])
                print(" | ".join(rows[-1]), flush=True)
    notes = (
        f"{OPENING}-bar openings continued by {NEW} bars (`symgen generate --continue`, seed = "
        "piece index, the piece's style when the model knows it); medians over pieces. The raw "
        "rows sample without the grammar's per-role limits (drums at most 4 hits and a bass one "
        "note per onset; `symbolic.tokenize.remi.ROLE_LIMITS`). Targets: "
        "kit >= 0.85, kick+snare >= 0.25, groove >= 0.6, 6-32 hits/bar, bass pitch 28-55, "
        "one-note >= 0.85, velocity std >= 6."
    )
    if args.record:
        append_section(f"Band continuations by {args.model} (issue 12)", rows, notes)
    print(notes)


if __name__ == "__main__":
    main()
