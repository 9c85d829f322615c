"""Melody analysis: skeletons (WuYun-style) and templates (TeleMelody-style) from real melodies.

These are the training targets of lyric-to-rhythm and the conditions of template-to-melody.
A melody is monophonic: onsets and durations in quarter-note beats, MIDI pitches.

**Metrical grid.** Every bar is cut into 16ths and each position gets a weight: 4 the
downbeat, 3 the mid-bar accent, 2 the other beats, 1 the other 8ths, 0 the other 16ths. Beats
are quarter notes in x/4, half notes in x/2, eighths in simple x/8, and dotted quarters in
compound meters (6/8, 9/8, 12/8). The mid-bar accent exists when the bar has an even number
of beats, at least four of them, or two in a compound meter: 4/4 → beat 3, 6/8 → the second
dotted quarter, 12/8 → beat 3; 2/4 and 3/4 have only the downbeat.

**Skeleton** (after WuYun's extractor; own code), per note, onsets and durations rounded to
the 16th grid, each note belonging to the bar where it starts:

- *metrical accent*: the note starts on a position of weight ≥ 3, unless a syncopated note
  starts within the three 16ths before it;
- *longest*: its duration is the largest among the notes that start in its bar;
- *syncopation*: it starts off the beat (weight < 2) and sounds past the next position of
  greater weight.

Ranks: 1 accent and longest, 2 syncopated and longest, 3 accent; a bar holding notes but none
of these gets its longest note (strongest position first) at rank 4, so every sung bar has
an anchor. Thinning: among runs of skeleton notes that follow each other with no gap (less
than a 16th between them), notes are kept by rank, then duration, then metrical weight, then
order, so that no two kept notes are neighbours.

**Template** (after TeleMelody; own code): key by Krumhansl–Kessler profile correlation over
the duration-weighted pitch classes (or the key given); one chord per bar out of 12 roots ×
major/minor, scoring chord tones of the bar's pitch classes (weighted by sounding duration in
the bar, strong positions counting up to twice) against the others, with a small bonus for
chords of the key; the onset positions (16ths) of each bar; cadences at phrase ends:
*authentic* when the last note is scale degree 1 or 3, *half* on 2, 5 or 7, *none* otherwise
(4, 6, chromatic). Phrase ends are given (e.g. lyric line ends) or, by default, notes followed
by at least a beat of silence, and the last note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from symbolic.errors import SymgenError
from symbolic.theory.chords import chord
from symbolic.theory.keys import best_key, key_name, parse_key, pitch_class_histogram
from symbolic.theory.meter import Meter

MAJOR_DEGREES = {0: 1, 2: 2, 4: 3, 5: 4, 7: 5, 9: 6, 11: 7}
MINOR_DEGREES = {0: 1, 2: 2, 3: 3, 5: 4, 7: 5, 8: 6, 10: 7, 11: 7}


@dataclass
class Melody:
    """A monophonic melody: onset and duration in quarter-note beats, MIDI pitch."""

    onset: np.ndarray
    duration: np.ndarray
    pitch: np.ndarray

    def __post_init__(self) -> None:
        self.onset = np.asarray(self.onset, dtype=np.float64)
        self.duration = np.asarray(self.duration, dtype=np.float64)
        self.pitch = np.asarray(self.pitch, dtype=np.int64)
        if not (len(self.onset) == len(self.duration) == len(self.pitch)):
            raise SymgenError("melody onset, duration and pitch must have the same length")

    @classmethod
    def from_sixteenths(cls, onset: Sequence[int], duration: Sequence[int], pitch) -> Melody:
        """Build from onsets and durations counted in 16ths."""
        return cls(np.asarray(onset) / 4, np.asarray(duration) / 4, pitch)

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Onsets and durations rounded to 16ths (durations at least one 16th)."""
        on = np.rint(self.onset * 4).astype(np.int64)
        dur = np.maximum(np.rint(self.duration * 4).astype(np.int64), 1)
        return on, dur

    def __len__(self) -> int:
        return len(self.pitch)


def _as_melody(melody: Melody | np.ndarray | Sequence) -> Melody:
    """A ``Melody``, or an (n, 3) array of [onset beats, duration beats, pitch]."""
    if isinstance(melody, Melody):
        return melody
    arr = np.asarray(melody, dtype=np.float64).reshape(-1, 3)
    return Melody(arr[:, 0], arr[:, 1], arr[:, 2].round())


# ---------------------------------------------------------------- skeleton


def metrical_features(melody: Melody | np.ndarray, meter: Meter | str = "4/4") -> dict:
    """Per note: bar, position (16ths), weight, accent, longest, syncopation flags."""
    melody, meter = _as_melody(melody), Meter.parse(meter)
    on, dur = melody.grid()
    bar_len, w = meter.bar_16ths, meter.weights()
    bar, pos = np.divmod(on, bar_len)
    weight = w[pos]
    n = len(on)

    # syncopation: off the beat, sounding past the next position of greater weight
    sync = np.zeros(n, dtype=bool)
    tiled = np.concatenate([w, w[:1]])  # the next downbeat closes the bar
    for i in np.flatnonzero(weight < 2):
        stronger = np.flatnonzero(tiled[pos[i] + 1 :] > weight[i])
        next_strong = on[i] + 1 + stronger[0]
        sync[i] = on[i] + dur[i] > next_strong

    accent = weight >= 3
    sync_on = on[sync]
    for i in np.flatnonzero(accent):
        if np.any((sync_on >= on[i] - 3) & (sync_on < on[i])):
            accent[i] = False

    longest = np.zeros(n, dtype=bool)
    if n:
        order = np.argsort(bar, kind="stable")
        bars, starts = np.unique(bar[order], return_index=True)
        max_dur = np.maximum.reduceat(dur[order], starts)
        longest = dur == max_dur[np.searchsorted(bars, bar)]
    return {
        "onset16": on,
        "dur16": dur,
        "bar": bar,
        "pos": pos,
        "weight": weight,
        "accent": accent,
        "longest": longest,
        "syncopation": sync,
    }


def skeleton_ranks(melody: Melody | np.ndarray, meter: Meter | str = "4/4") -> np.ndarray:
    """Per note: 0 not in the skeleton, else its rank 1–4 (see the module doc), after thinning."""
    f = metrical_features(melody, meter)
    n = len(f["onset16"])
    rank = np.zeros(n, dtype=np.int64)
    rank[f["accent"]] = 3
    rank[f["syncopation"] & f["longest"]] = 2
    rank[f["accent"] & f["longest"]] = 1
    for b in np.unique(f["bar"]):
        in_bar = np.flatnonzero(f["bar"] == b)
        if not rank[in_bar].any():
            cands = in_bar[f["longest"][in_bar]]
            rank[cands[np.argmax(f["weight"][cands])]] = 4

    # thinning: neighbours with no gap may not both stay
    on, dur = f["onset16"], f["dur16"]
    touching = on[1:] - (on[:-1] + dur[:-1]) < 1
    keep = rank > 0
    i = 0
    while i < n:
        if not keep[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and keep[j + 1] and touching[j]:
            j += 1
        if j > i:
            run = list(range(i, j + 1))
            run.sort(key=lambda k: (rank[k], -dur[k], -f["weight"][k], k))
            kept: set[int] = set()
            for k in run:
                if k - 1 not in kept and k + 1 not in kept:
                    kept.add(k)
            for k in range(i, j + 1):
                if k not in kept:
                    rank[k] = 0
        i = j + 1
    return rank


def skeleton(melody: Melody | np.ndarray, meter: Meter | str = "4/4") -> np.ndarray:
    """Boolean mask of the skeleton notes (WuYun-style rules in the module doc)."""
    return skeleton_ranks(melody, meter) > 0


# ---------------------------------------------------------------- template


def _diatonic_triads(tonic: int, mode: str) -> set[tuple[int, bool]]:
    """The major/minor triads built on the key's scale (natural minor plus major V)."""
    if mode == "major":
        steps = ((0, False), (2, True), (4, True), (5, False), (7, False), (9, True))
    else:
        steps = ((0, True), (3, False), (5, True), (7, True), (7, False), (8, False), (10, False))
    return {((tonic + s) % 12, m) for s, m in steps}


def bar_chords(melody: Melody, meter: Meter, tonic: int, mode: str) -> list[str]:
    """One chord label per bar from its pitch classes (see the module doc)."""
    on, dur = melody.grid()
    bar_len = meter.bar_16ths
    n_bars = int((on + dur - 1).max() // bar_len) + 1 if len(on) else 0
    w = meter.weights()
    hist = np.zeros((n_bars, 12))
    for o, d, p in zip(on, dur, melody.pitch, strict=True):
        end = o + d
        b = o // bar_len
        while b * bar_len < end:  # share the note's sounding time among the bars it spans
            lo, hi = max(o, b * bar_len), min(end, (b + 1) * bar_len)
            hist[b, p % 12] += (hi - lo) * (1 + w[lo % bar_len] / 4)
            b += 1
    diatonic = _diatonic_triads(tonic, mode)
    templates = []
    for root in range(12):
        for minor in (False, True):
            tones = np.full(12, -0.6)
            tones[root] = 1.0
            tones[(root + (3 if minor else 4)) % 12] = 0.8
            tones[(root + 7) % 12] = 0.9
            templates.append((root, minor, tones))
    chords: list[str] = []
    previous = chord(tonic, mode[:3]).symbol
    for b in range(n_bars):
        h = hist[b]
        if not h.any():
            chords.append(previous)
            continue
        total = h.sum()
        best = max(
            templates,
            key=lambda t: float(h @ t[2]) + 0.15 * total * ((t[0], t[1]) in diatonic),
        )
        previous = chord(best[0], "min" if best[1] else "maj").symbol
        chords.append(previous)
    return chords


def scale_degree(pitch: int, tonic: int, mode: str) -> int | None:
    """Scale degree 1–7 of a pitch in the key, or None when chromatic."""
    table = MAJOR_DEGREES if mode == "major" else MINOR_DEGREES
    return table.get((pitch - tonic) % 12)


def cadence_type(degree: int | None) -> str:
    """``authentic`` on degrees 1 and 3, ``half`` on 2, 5, 7, else ``none``."""
    if degree in (1, 3):
        return "authentic"
    if degree in (2, 5, 7):
        return "half"
    return "none"


def default_phrase_ends(melody: Melody) -> list[int]:
    """Notes followed by at least one beat of silence, and the last note."""
    if not len(melody):
        return []
    gaps = melody.onset[1:] - (melody.onset[:-1] + melody.duration[:-1])
    return [*np.flatnonzero(gaps >= 1.0 - 1e-6).tolist(), len(melody) - 1]


def template(
    melody: Melody | np.ndarray,
    meter: Meter | str = "4/4",
    key: str | tuple[int, str] | None = None,
    phrase_ends: Sequence[int] | None = None,
) -> dict:
    """TeleMelody-style template: key, meter, per-bar chords and rhythm, cadences."""
    melody, meter = _as_melody(melody), Meter.parse(meter)
    if key is None:
        tonic, mode, r = best_key(pitch_class_histogram(melody.pitch, melody.duration))
    else:
        (tonic, mode), r = parse_key(key), None
    on, _ = melody.grid()
    bar, pos = np.divmod(on, meter.bar_16ths)
    chords = bar_chords(melody, meter, tonic, mode)
    rhythm = [pos[bar == b].tolist() for b in range(len(chords))]
    ends = default_phrase_ends(melody) if phrase_ends is None else sorted(set(phrase_ends))
    cadences = []
    for i in ends:
        degree = scale_degree(int(melody.pitch[i]), tonic, mode)
        cadences.append(
            {"note": int(i), "bar": int(bar[i]), "degree": degree, "type": cadence_type(degree)}
        )
    name = key_name(tonic, mode)
    return {
        "key": {"tonic": name.split()[0], "mode": mode, "name": name, "r": r},
        "meter": str(meter),
        "bars": len(chords),
        "chords": chords,
        "rhythm": rhythm,
        "cadences": cadences,
    }
