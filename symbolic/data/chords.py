"""Beat-level chord examples for the chord recogniser (`symbolic.models.chords`).

    python -m symbolic.data.chords pop909,nottingham,wjazzd,chorales --out data_cache/chords

Each piece gives one example per way of hearing it: the features
(`symbolic.tokenize.grid.chord_features`) of some of its tracks, and the chord of every beat.
The chords are what the source says: POP909's hand annotations (`chord_midi.txt`, read at
each beat's middle), Nottingham's chord track, the jazz comping built from the Weimar chord
symbols, and for the chorales the template estimate over all four voices. What is heard is
what `symgen infill` hears when it writes the rest: POP909's melody and bridge (twice, it is
the common case), the melody alone, all three tracks, the piano alone; a folk melody with
and without its chords; a jazz solo with and without the bass; a chorale's soprano and bass,
the soprano alone, all four voices.

Output, per split (`train`, `val` by `piece_split(piece)`): `{split}.feats.npy` float16
(beats, 57), `{split}.labels.npy` int16 (beats,) class ids (`label_of`: 0 N, 1-96 chords,
-1 not scored), `{split}.index.npy` int64 (examples, 2) first beat and beat count; and
`build.json`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from symusic import Note, Score, Track

from symbolic.data.pieces import gather, main
from symbolic.data.sources import load_piece, source_names
from symbolic.data.split import piece_split
from symbolic.errors import SymgenError
from symbolic.score import TPQ
from symbolic.tokenize.grid import (
    NO_CHORD,
    STEP,
    chord_features,
    chord_segments,
    end_col,
    estimate_chords,
    parse_chord,
)

# source: (tracks the chords come from, or "annotated"; the ways of hearing it)
HEARD: dict[str, tuple[tuple[str, ...] | str, list[tuple[str, ...]]]] = {
    "pop909": (
        "annotated",
        [("MELODY", "BRIDGE"), ("MELODY", "BRIDGE"), ("MELODY",), ("MELODY", "BRIDGE", "PIANO"),
         ("PIANO",)],
    ),
    "nottingham": (("Chords",), [("Melody",), ("Melody", "Chords")]),
    "wjazzd": (("Comping",), [("Solo",), ("Solo", "Bass")]),
    "chorales": (
        ("Soprano", "Alto", "Tenor", "Bass"),
        [("Soprano", "Bass"), ("Soprano",), ("Soprano", "Alto", "Tenor", "Bass")],
    ),
}  # fmt: skip


def label_of(chord_ids: np.ndarray) -> np.ndarray:
    """Chord row ids → recogniser classes: N → 0, chords → 1..96, anything else → -1."""
    ids = np.asarray(chord_ids, dtype=np.int64)
    return np.where(ids >= NO_CHORD, ids - NO_CHORD, -1).astype(np.int16)


def seconds_at(score: Score, ticks: np.ndarray) -> np.ndarray:
    """The times in seconds of sorted tick positions, through the score's tempo map."""
    probe = Score(score.tpq)
    probe.tempos = score.tempos.copy()
    track = Track()
    track.notes = Note.from_numpy(
        time=np.asarray(ticks, np.int32),
        duration=np.ones(len(ticks), np.int32),
        pitch=np.full(len(ticks), 60, np.int8),
        velocity=np.full(len(ticks), 64, np.int8),
    )
    probe.tracks.append(track)
    return probe.to("second").tracks[0].notes.numpy()["time"].astype(np.float64)


def annotated_ids(
    score: Score, chords: list[tuple[float, float, str]], ticks: np.ndarray
) -> np.ndarray:
    """Chord row ids of annotated chords (start s, end s, label) at sorted tick positions:
    N between chords, -1 (not scored) for labels the grid's qualities cannot write."""
    if not chords:
        return np.full(len(ticks), NO_CHORD, np.int64)
    seconds = seconds_at(score, ticks)
    starts, ends = (np.array([c[k] for c in chords]) for k in (0, 1))
    ids = np.array([_chord_or_unscored(c[2]) for c in chords])
    at = np.maximum(np.searchsorted(starts, seconds, side="right") - 1, 0)
    inside = (seconds >= starts[at]) & (seconds < ends[at])
    return np.where(inside, ids[at], NO_CHORD)


def _chord_or_unscored(label: str) -> int:
    try:
        return parse_chord(label)
    except SymgenError:
        return -1


def _only(score: Score, names: tuple[str, ...]) -> Score:
    heard = score.copy()
    heard.tracks = [t for t in score.tracks if t.name in names]
    return heard


def piece_examples(job: tuple) -> tuple[str, list[tuple[np.ndarray, np.ndarray]] | None]:
    """Worker: one item → (split, [(features, labels), ...]) or (a status word, None)."""
    name, item, root = job
    try:
        piece = load_piece(name, item, root)
        if piece is None or piece.score is None or piece.score.note_num() == 0:
            return "skip", None
        score = piece.score.resample(TPQ, min_dur=1) if piece.score.tpq != TPQ else piece.score
        source, ways = HEARD[name]
        cols = end_col(score)
        seg = chord_segments(score, cols, "beat")
        if source == "annotated":
            middle = seg * STEP + np.diff(np.r_[seg, cols]) * STEP // 2
            ids = annotated_ids(score, piece.meta["chords"], middle)
        else:
            ids = estimate_chords(_only(score, source), cols=cols)[seg]
        labels = label_of(ids)
        out = []
        for way in ways:
            heard = _only(score, way)
            if heard.note_num() == 0:
                continue
            out.append((chord_features(heard, cols)[1], labels))
        return piece_split(piece), out or None
    except Exception as err:  # one bad file must not stop a build of thousands
        return f"error {type(err).__name__}: {str(err)[:120]}", None


def build(sources: str, out: Path, workers: int = 2, data_root: Path | None = None) -> dict:
    """Chord examples of the pieces of `sources` in `out`; returns the summary (build.json)."""
    started = time.time()
    names = [n for n in source_names(sources) if n in HEARD]
    done, counts = gather(piece_examples, names, workers, data_root)
    parts = {split: [ex for _, examples in got for ex in examples] for split, got in done.items()}
    out.mkdir(parents=True, exist_ok=True)
    for split, examples in parts.items():
        lengths = np.array([len(f) for f, _ in examples], np.int64)
        index = np.stack([np.r_[0, np.cumsum(lengths)[:-1]], lengths], axis=1)
        np.save(
            out / f"{split}.feats.npy", np.concatenate([f for f, _ in examples]).astype(np.float16)
        )
        np.save(out / f"{split}.labels.npy", np.concatenate([y for _, y in examples]))
        np.save(out / f"{split}.index.npy", index)
    summary = {
        "source": sources,
        "sources": names,
        "examples": {s: len(p) for s, p in parts.items()},
        "beats": {s: int(sum(len(f) for f, _ in p)) for s, p in parts.items()},
        "items": counts,
        "seconds": round(time.time() - started, 1),
    }
    (out / "build.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


if __name__ == "__main__":
    main(build, __doc__.splitlines()[0], "data_cache/chords")
