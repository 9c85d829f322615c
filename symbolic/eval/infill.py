"""Metrics for filled-in tracks: harmonic agreement with annotated chords, and the
voice-leading counts of four-part writing (parallel fifths and octaves, range violations,
voice crossings), shared by `benchmarks/bench_infill.py` and the tests."""

from __future__ import annotations

import numpy as np
from symusic import Score, Track

from symbolic.theory.chords import parse_chord

# SATB ranges (MIDI pitch, inclusive) as taught for chorale writing: S C4-G5, A G3-D5,
# T C3-G4, B E2-C4.
SATB_RANGES = ((60, 79), (55, 74), (48, 67), (40, 60))


def chord_tones(label: str) -> frozenset[int] | None:
    """Pitch classes of a chord label: a Harte label ("C:min7", "A:sus4(b7)", "F:maj/3",
    "Bb:maj6") with its added degrees and bass, as POP909 annotates them, or a chord symbol
    ("G7", "Am"); None for N or a label that cannot be read."""
    try:
        chord = parse_chord(label)
    except ValueError:
        return None
    return None if chord is None else chord.tones


def harmonic_agreement(
    track: Track, seconds: np.ndarray, chords: list[tuple[float, float, str]]
) -> tuple[int, int]:
    """(onsets whose pitch class is in the annotated chord sounding then, onsets scored):
    `seconds` are the track's note onsets in seconds; onsets under N or an unknown chord
    label are not scored."""
    pitch = track.notes.numpy()["pitch"].astype(np.int64)
    starts = np.array([c[0] for c in chords])
    ends = np.array([c[1] for c in chords])
    tones = [chord_tones(c[2]) for c in chords]
    at = np.searchsorted(starts, seconds, side="right") - 1
    inside = (at >= 0) & (seconds < ends[np.maximum(at, 0)])
    known = [(tones[i], pc) for i, pc in zip(at[inside], pitch[inside] % 12, strict=True)]
    known = [(t, pc) for t, pc in known if t is not None]
    return sum(pc in t for t, pc in known), len(known)


def voice_grid(voices: list[Track], end: int, step: int) -> np.ndarray:
    """(voices, steps) sounding pitch of each voice every `step` ticks (-1 for a rest; the
    highest note when a voice holds several)."""
    out = np.full((len(voices), max(end // step, 1)), -1, np.int64)
    for v, track in enumerate(voices):
        arr = track.notes.numpy()
        order = np.argsort(arr["pitch"], kind="stable")
        for t, d, p in zip(
            arr["time"][order], arr["duration"][order], arr["pitch"][order], strict=True
        ):
            out[v, t // step : max((t + d) // step, t // step + 1)] = p
    return out


def voice_leading(score: Score, step: int | None = None) -> dict[str, float]:
    """Parallel fifths and octaves (any two voices, both moving the same way into the same
    perfect interval, counted per 100 beats), notes outside their SATB range (share), and
    voice crossings (adjacent voices out of order, new crossings per 100 beats) of the
    first four tracks, read as soprano, alto, tenor, bass."""
    step = step or score.tpq // 4
    voices = score.tracks[:4]
    grid = voice_grid(voices, score.end(), step)
    beats = grid.shape[1] * step / score.tpq
    change = np.zeros(grid.shape[1], bool)
    change[1:] = (grid[:, 1:] != grid[:, :-1]).any(0)
    cols = np.flatnonzero(change)
    prev = cols - 1
    parallels = 0
    for i in range(len(voices)):
        for j in range(i + 1, len(voices)):
            a0, a1, b0, b1 = grid[i, prev], grid[i, cols], grid[j, prev], grid[j, cols]
            sounding = (a0 >= 0) & (a1 >= 0) & (b0 >= 0) & (b1 >= 0)
            same_way = np.sign(a1 - a0) * np.sign(b1 - b0) > 0
            perfect = np.isin((a0 - b0) % 12, (0, 7)) & ((a0 - b0) % 12 == (a1 - b1) % 12)
            parallels += int((sounding & same_way & perfect).sum())
    outside = total = 0
    for track, (lo, hi) in zip(voices, SATB_RANGES, strict=False):
        pitch = track.notes.numpy()["pitch"]
        outside += int(((pitch < lo) | (pitch > hi)).sum())
        total += len(pitch)
    crossed = np.zeros(grid.shape[1], bool)
    for v in range(len(voices) - 1):
        upper, lower = grid[v], grid[v + 1]
        crossed_v = (upper >= 0) & (lower >= 0) & (upper < lower)
        crossed |= crossed_v & ~np.r_[False, crossed_v[:-1]]
    per100 = 100.0 / max(beats, 1e-9)
    return {
        "parallels_per_100_beats": parallels * per100,
        "range_violations": outside / max(total, 1),
        "crossings_per_100_beats": int(crossed.sum()) * per100,
        "beats": beats,
    }
