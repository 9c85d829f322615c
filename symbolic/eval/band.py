"""Measures of a band's parts from the MIDI alone: does the drum track play a kit like a
drummer, does the bass sit in the bass register, does the music have dynamics.

- drums: share of hits on kit pieces (kick, snares, toms, hi-hats, cymbals:
  `symbolic.theory.gm.KIT`), share on kick or snare, hits per bar, and groove consistency:
  for consecutive bars that both have hits, the Jaccard overlap of their sets of 16th-note
  onset positions (a steady groove repeats its pattern; random hits do not);
- bass: median pitch, and the share of onsets where the bass plays one note (a bass line is
  monophonic);
- bass roots: the share of bars whose first bass note is the root of the chord sounding at
  the bar's start (a bass line states the harmony);
- velocity: the standard deviation of note velocities (0 for flat, mechanical MIDI).

`symgen eval`, the benchmarks and the tests share these functions. Bars follow the score's
meter changes (`symbolic.score.bar_lines`).
"""

from __future__ import annotations

import numpy as np
from symusic import Score, Track

from symbolic.score import bar_lines
from symbolic.theory.gm import KIT, KIT_PIECES, family

_KICK_SNARE = np.array(sorted(KIT["kick"] | KIT["snare"]))
_KIT = np.array(sorted(KIT_PIECES))


def _bars_and_steps(score: Score, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The bar index and the 16th-note step within its bar of each tick, and the bar count."""
    lines = bar_lines(score, end=max(score.end(), int(times.max(initial=0)) + 1))
    bar = np.searchsorted(lines, times, side="right") - 1
    step = (times - lines[np.maximum(bar, 0)]) * 4 // max(score.tpq, 1)
    return bar, step, len(lines)


def drum_measures(score: Score, track: Track, bars: tuple[int, int] | None = None) -> dict:
    """Kit share, kick+snare share, hits per bar and groove consistency of a drum track,
    over bars `bars` (first, last exclusive; 0-based) or the whole score."""
    notes = track.notes.numpy()
    bar, step, n_bars = _bars_and_steps(score, notes["time"].astype(np.int64))
    first, stop = bars or (0, n_bars)
    keep = (bar >= first) & (bar < stop)
    pitch, bar, step = notes["pitch"][keep], bar[keep], step[keep]
    hits = len(pitch)
    patterns = [frozenset(step[bar == b].tolist()) for b in range(first, stop)]
    pairs = [(a, b) for a, b in zip(patterns, patterns[1:], strict=False) if a and b]
    return {
        "hits": hits,
        "kit_share": float(np.isin(pitch, _KIT).mean()) if hits else 0.0,
        "kick_snare_share": float(np.isin(pitch, _KICK_SNARE).mean()) if hits else 0.0,
        "hits_per_bar": hits / max(stop - first, 1),
        "groove_consistency": (
            float(np.mean([len(a & b) / len(a | b) for a, b in pairs])) if pairs else 0.0
        ),
    }


def bass_measures(track: Track, window: tuple[int, int] | None = None) -> dict:
    """Median pitch and one-note share of a bass track, over ticks `window` (start, end)."""
    notes = track.notes.numpy()
    time = notes["time"].astype(np.int64)
    keep = np.ones(len(time), bool) if window is None else (time >= window[0]) & (time < window[1])
    time, pitch = time[keep], notes["pitch"][keep]
    if not len(time):
        return {"notes": 0, "median_pitch": float("nan"), "one_note_share": float("nan")}
    _, per_onset = np.unique(time, return_counts=True)
    return {
        "notes": int(len(time)),
        "median_pitch": float(np.median(pitch)),
        "one_note_share": float((per_onset == 1).mean()),
    }


def bass_root_share(score: Score, track: Track, roots: list[int | None]) -> float:
    """Share of bars (with a chord root in `roots`, one pitch class or None per bar, and a
    bass note) whose first bass note has the root's pitch class; NaN when no bar counts."""
    notes = track.notes.numpy()
    if not len(notes["time"]):
        return float("nan")
    order = np.argsort(notes["time"], kind="stable")
    time, pitch = notes["time"][order].astype(np.int64), notes["pitch"][order]
    bar, _, _ = _bars_and_steps(score, time)
    firsts, index = np.unique(bar, return_index=True)
    hits = [
        pitch[i] % 12 == roots[b]
        for b, i in zip(firsts.tolist(), index.tolist(), strict=True)
        if 0 <= b < len(roots) and roots[b] is not None
    ]
    return float(np.mean(hits)) if hits else float("nan")


def velocity_spread(tracks: list[Track]) -> float:
    """Standard deviation of the velocities of all notes of `tracks` (0 when none)."""
    velocity = [t.notes.numpy()["velocity"] for t in tracks if t.note_num()]
    return float(np.concatenate(velocity).astype(float).std()) if velocity else 0.0


def drum_tracks(score: Score) -> list[Track]:
    """The drum tracks with notes."""
    return [t for t in score.tracks if t.is_drum and t.note_num()]


def bass_tracks(score: Score) -> list[Track]:
    """The pitched tracks with notes whose GM program is in the Bass family."""
    return [
        t for t in score.tracks if not t.is_drum and t.note_num() and family(t.program) == "Bass"
    ]
