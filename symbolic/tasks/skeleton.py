"""Melody skeletons (WuYun-style) and templates (TeleMelody-style) from real melodies.

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

import gzip
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from symbolic.errors import SymgenError
from symbolic.score import best_key

PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_NAME_TO_PC = {n: i for i, n in enumerate(PITCH_NAMES)} | {
    "Db": 1,
    "D#": 3,
    "Gb": 6,
    "G#": 8,
    "A#": 10,
    "Cb": 11,
    "B#": 0,
    "E#": 5,
    "Fb": 4,
}
MAJOR_DEGREES = {0: 1, 2: 2, 4: 3, 5: 4, 7: 5, 9: 6, 11: 7}
MINOR_DEGREES = {0: 1, 2: 2, 3: 3, 5: 4, 7: 5, 8: 6, 10: 7, 11: 7}
DATA_FILE = Path("lyrics_melody") / "lmd_lyrics_melody.jsonl.gz"


@dataclass(frozen=True)
class Meter:
    """A time signature and its 16th-note grid."""

    numerator: int = 4
    denominator: int = 4

    @classmethod
    def parse(cls, meter: Meter | str | tuple[int, int]) -> Meter:
        """Accept ``Meter``, ``"6/8"`` or ``(6, 8)``."""
        if isinstance(meter, Meter):
            return meter
        try:
            num, den = (int(x) for x in meter.split("/")) if isinstance(meter, str) else meter
        except (ValueError, TypeError) as err:
            raise SymgenError(f"bad meter {meter!r}: write it like 4/4, 3/4 or 6/8") from err
        if num < 1 or den not in (1, 2, 4, 8, 16):
            raise SymgenError(f"bad meter {meter!r}: numerator ≥ 1, denominator 1, 2, 4, 8 or 16")
        return cls(num, den)

    @property
    def compound(self) -> bool:
        """6/8, 9/8, 12/8 …: beats are dotted quarters."""
        return self.denominator == 8 and self.numerator % 3 == 0 and self.numerator >= 6

    @property
    def beat_16ths(self) -> int:
        """Length of one beat in 16ths."""
        return 6 if self.compound else max(16 // self.denominator, 1)

    @property
    def bar_16ths(self) -> int:
        """Length of one bar in 16ths."""
        return self.numerator * 16 // self.denominator

    @property
    def bar_beats(self) -> float:
        """Length of one bar in quarter-note beats."""
        return self.bar_16ths / 4

    def weights(self) -> np.ndarray:
        """Metrical weight (0–4) of each 16th position in a bar (see the module doc)."""
        bar, beat = self.bar_16ths, self.beat_16ths
        n_beats = bar // beat
        w = np.zeros(bar, dtype=np.int64)
        w[::2] = 1
        w[::beat] = 2
        if n_beats % 2 == 0 and (n_beats >= 4 or self.compound):
            w[bar // 2] = 3
        w[0] = 4
        return w

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


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


def parse_key(key: str | tuple[int, str]) -> tuple[int, str]:
    """``"G"``, ``"G major"``, ``"Em"``, ``"F# minor"``, ``(7, "major")`` → (tonic pc, mode)."""
    if isinstance(key, tuple):
        return int(key[0]) % 12, key[1]
    text = key.strip().replace("♯", "#").replace("♭", "b")
    parts = text.split()
    name, mode = parts[0], (parts[1].lower() if len(parts) > 1 else "major")
    if len(parts) == 1 and name.endswith("m") and len(name) > 1:
        name, mode = name[:-1], "minor"
    name = name[:1].upper() + name[1:]
    if name not in _NAME_TO_PC or mode not in ("major", "minor", "maj", "min"):
        raise SymgenError(f"unknown key {key!r}: write it like C, G major, Em or F# minor")
    return _NAME_TO_PC[name], "minor" if mode.startswith("min") else "major"


def key_name(tonic: int, mode: str) -> str:
    """``(9, "minor")`` → ``"A minor"``."""
    return f"{PITCH_NAMES[tonic % 12]} {mode}"


def pitch_class_histogram(melody: Melody) -> np.ndarray:
    """Duration-weighted pitch-class histogram (12 values)."""
    return np.bincount(melody.pitch % 12, weights=melody.duration, minlength=12)


def estimate_key(melody: Melody | np.ndarray) -> tuple[int, str, float]:
    """(tonic pc, mode, correlation) by Krumhansl–Kessler profiles."""
    return best_key(pitch_class_histogram(_as_melody(melody)))


def chord_name(root: int, minor: bool) -> str:
    """``(9, True)`` → ``"Am"``."""
    return PITCH_NAMES[root % 12] + ("m" if minor else "")


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
    previous = chord_name(tonic, mode == "minor")
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
        previous = chord_name(best[0], best[1])
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
        tonic, mode, r = estimate_key(melody)
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
    return {
        "key": {"tonic": PITCH_NAMES[tonic], "mode": mode, "name": key_name(tonic, mode), "r": r},
        "meter": str(meter),
        "bars": len(chords),
        "chords": chords,
        "rhythm": rhythm,
        "cadences": cadences,
    }


# ---------------------------------------------------------------- the lyrics_melody data set


@dataclass
class SyllableInfo:
    """Per note of a song (one note per syllable): where the syllable sits. No lyric text."""

    line_index: np.ndarray
    word_index: np.ndarray  # over the whole song
    index_in_word: np.ndarray
    word_len: np.ndarray
    is_line_end: np.ndarray
    song_id: str = ""

    @property
    def is_word_end(self) -> np.ndarray:
        """True on the last syllable of each word."""
        return self.index_in_word == self.word_len - 1


def lyrics_melody_path(data_root: str | Path | None = None) -> Path:
    """The gzipped JSONL of the lyrics_melody set under the data root."""
    from symbolic.paths import data_root as default_root

    return Path(data_root if data_root is not None else default_root()) / DATA_FILE


def iter_songs(data_root: str | Path | None = None, limit: int | None = None) -> Iterator[dict]:
    """Songs of ``lyrics_melody`` one by one, read lazily from the gzipped JSONL."""
    path = lyrics_melody_path(data_root)
    if not path.exists():
        raise SymgenError(f"no lyrics_melody data at {path}: set SYMGEN_DATA to the data folder")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for count, line in enumerate(f):
            if limit is not None and count >= limit:
                return
            if line.strip():
                yield json.loads(line)


def _phase_offset(on16: np.ndarray, dur16: np.ndarray, meter: Meter) -> int:
    """Shift (16ths) that puts long notes on strong positions best (ties: the smallest)."""
    w = meter.weights()
    bar = meter.bar_16ths
    capped = np.minimum(dur16, 16)
    scores = [int((w[(on16 + s) % bar] * capped).sum()) for s in range(bar)]
    return int(np.argmax(scores))


def song_to_melody(
    song: dict, align: str = "none", meter: Meter | str = "4/4"
) -> tuple[Melody, SyllableInfo]:
    """One ``lyrics_melody`` record → melody with absolute onsets (beats) + syllable positions.

    ``align``: ``"none"`` keeps the data's timing, the first note at its leading rest;
    ``"song"`` shifts the whole song so that long notes fall on strong positions best
    (the data carries no meter or bar lines); ``"line"`` does so per lyric line, each line
    starting at the first position at or after its data onset that has the best phase
    (this only lengthens rests between lines).
    """
    meter = Meter.parse(meter)
    rows: list[tuple[float, float, int, int, int, int, int, int]] = []
    word_index = 0
    for li, line in enumerate(song["lines"]):
        words = [w for w in line if w.get("notes")]
        for wi, word in enumerate(words):
            notes = word["notes"]
            for si, (pitch, duration, rest) in enumerate(notes):
                last = wi == len(words) - 1 and si == len(notes) - 1
                rows.append((rest, duration, pitch, li, word_index, si, len(notes), last))
            word_index += 1
    if not rows:
        raise SymgenError(f"song {song.get('id', '?')} has no notes")
    arr = np.array(rows, dtype=np.float64)
    rest, duration = arr[:, 0], arr[:, 1]
    onset = np.cumsum(rest + np.concatenate([[0.0], duration[:-1]]))
    info = SyllableInfo(
        line_index=arr[:, 3].astype(np.int64),
        word_index=arr[:, 4].astype(np.int64),
        index_in_word=arr[:, 5].astype(np.int64),
        word_len=arr[:, 6].astype(np.int64),
        is_line_end=arr[:, 7].astype(bool),
        song_id=str(song.get("id", "")),
    )
    if align == "song":
        on16 = np.rint(onset * 4).astype(np.int64)
        dur16 = np.maximum(np.rint(duration * 4).astype(np.int64), 1)
        onset = onset + _phase_offset(on16, dur16, meter) / 4
    elif align == "line":
        onset = _align_lines(onset, duration, info.line_index, meter)
    elif align != "none":
        raise SymgenError(f"align must be none, song or line, not {align!r}")
    return Melody(onset, duration, arr[:, 2].astype(np.int64)), info


def _align_lines(
    onset: np.ndarray, duration: np.ndarray, line: np.ndarray, meter: Meter
) -> np.ndarray:
    """Per-line phase alignment for ``song_to_melody(align="line")``."""
    bar = meter.bar_16ths
    on16 = np.rint(onset * 4).astype(np.int64)
    dur16 = np.maximum(np.rint(duration * 4).astype(np.int64), 1)
    out = np.empty_like(on16)
    shift = 0
    for li in np.unique(line):
        idx = np.flatnonzero(line == li)
        rel = on16[idx] - on16[idx[0]]
        phase = _phase_offset(rel, dur16[idx], meter)
        start = on16[idx[0]] + shift
        start += (phase - start) % bar
        shift = start - on16[idx[0]]
        out[idx] = on16[idx] + shift
    return out / 4


def syllable_stresses(song: dict) -> np.ndarray:
    """Per note: the stress of its syllable by ``symbolic.lyrics`` (0, 1, 2), or -1 when the
    word's syllable count there differs from the data's note count. Text stays in memory."""
    from symbolic.lyrics import analyse_word

    out: list[int] = []
    for line in song["lines"]:
        for word in line:
            n = len(word.get("notes") or [])
            if not n:
                continue
            text = str(word.get("word", "")).strip()
            stresses = analyse_word(text)[1] if any(c.isalpha() for c in text) else ()
            out.extend(stresses if len(stresses) == n else [-1] * n)
    return np.array(out, dtype=np.int64)


def _in_word_contrast(
    stress: np.ndarray, info: SyllableInfo, weight: np.ndarray, duration: np.ndarray, acc: list
) -> None:
    """For words of 2+ syllables with one primary stress: is the stressed syllable on a
    stronger (weaker) position than the word's other syllables on average, or longer?"""
    starts = np.flatnonzero((info.index_in_word == 0) & (info.word_len >= 2))
    for s0 in starts:
        idx = np.arange(s0, s0 + info.word_len[s0])
        st = stress[idx]
        if (st < 0).any() or (st == 1).sum() != 1:
            continue
        hit = idx[st == 1][0]
        others = idx[idx != hit]
        acc[0] += 1
        acc[1] += int(weight[hit] > weight[others].mean())
        acc[2] += int(weight[hit] < weight[others].mean())
        acc[3] += int(duration[hit] > duration[others].mean())


def corpus_statistics(songs: Sequence[dict], align: str = "none", meter: str = "4/4") -> dict:
    """Figures over songs (4/4 assumed): stress vs metrical position, skeleton share, range."""
    m = Meter.parse(meter)
    counts = {"stressed": [0, 0, 0], "unstressed": [0, 0, 0]}  # total, on accent, on beat
    skeleton_share, ranges, lows, highs, matched, total = [], [], [], [], 0, 0
    skeleton_stressed = [0, 0]
    durations = {"stressed": [], "unstressed": []}
    in_word = [0, 0, 0, 0]  # words compared, stressed stronger, stressed weaker, longer
    skipped = 0
    for song in songs:
        try:
            melody, info = song_to_melody(song, align=align, meter=m)
        except SymgenError:  # a record without notes
            skipped += 1
            continue
        stress = syllable_stresses(song)
        f = metrical_features(melody, m)
        skel = skeleton(melody, m)
        on_accent = f["weight"] >= 3
        on_beat = f["weight"] >= 2
        for name, mask in (("stressed", stress == 1), ("unstressed", stress == 0)):
            counts[name][0] += int(mask.sum())
            counts[name][1] += int((mask & on_accent).sum())
            counts[name][2] += int((mask & on_beat).sum())
        durations["stressed"].append(melody.duration[stress == 1])
        durations["unstressed"].append(melody.duration[stress == 0])
        _in_word_contrast(stress, info, f["weight"], melody.duration, in_word)
        skeleton_stressed[0] += int((skel & (stress == 1)).sum())
        skeleton_stressed[1] += int((skel & (stress >= 0)).sum())
        matched += int((stress >= 0).sum())
        total += len(stress)
        skeleton_share.append(float(skel.mean()))
        ranges.append(int(melody.pitch.max() - melody.pitch.min()))
        lows.append(int(melody.pitch.min()))
        highs.append(int(melody.pitch.max()))

    def share(a: int, b: int) -> float:
        return round(a / b, 4) if b else float("nan")

    st, un = counts["stressed"], counts["unstressed"]
    return {
        "songs": len(ranges),
        "skipped_without_notes": skipped,
        "align": align,
        "meter": str(m),
        "syllables": total,
        "stress_known_share": share(matched, total),
        "stressed_on_accent": share(st[1], st[0]),
        "unstressed_on_accent": share(un[1], un[0]),
        "stressed_on_beat": share(st[2], st[0]),
        "unstressed_on_beat": share(un[2], un[0]),
        "stressed_share": share(st[0], st[0] + un[0]),
        "mean_beats_stressed": round(float(np.concatenate(durations["stressed"]).mean()), 3),
        "mean_beats_unstressed": round(float(np.concatenate(durations["unstressed"]).mean()), 3),
        "polysyllables_compared": in_word[0],
        "in_word_stressed_on_stronger_position": share(in_word[1], in_word[0]),
        "in_word_stressed_on_weaker_position": share(in_word[2], in_word[0]),
        "in_word_stressed_longer": share(in_word[3], in_word[0]),
        "stressed_share_in_skeleton": share(*skeleton_stressed),
        "skeleton_share_mean": round(float(np.mean(skeleton_share)), 4) if ranges else float("nan"),
        "range_semitones_median": float(np.median(ranges)) if ranges else float("nan"),
        "range_semitones_p10_p90": [float(x) for x in np.percentile(ranges, [10, 90])]
        if ranges
        else [],
        "lowest_pitch_median": float(np.median(lows)) if lows else float("nan"),
        "highest_pitch_median": float(np.median(highs)) if highs else float("nan"),
    }


if __name__ == "__main__":  # python -m symbolic.tasks.skeleton [N]  (prints figures, no text)
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    songs = list(iter_songs(limit=n))
    for how in ("none", "song", "line"):
        print(json.dumps(corpus_statistics(songs, align=how)))
