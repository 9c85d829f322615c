"""OpenEWLD lead sheets as lyric songs: real bars, meters, pickups and chord symbols.

The `openewld` source (`symbolic.data.sources.openewld`) keeps each sung note's syllable
(``meta["syllables"]``: onset and length in beats, pitch, text, MusicXML syllabic). This
module turns a sheet into what `symbolic.tokenize.lyric.LyricTokenizer` reads:

- words from the syllabic marks (single; begin … middle … end), their stress from
  `symbolic.lyrics.analyse_word` in the sheet's language (unknown, ``-1``, where its syllable
  count there differs from the sheet's, or for a language it has no rules for);
- melismas: a syllable lasts until the last note it is sung on ends (the notes without a
  syllable after it), so each syllable is one note;
- lines: a word ends a line when a rest of at least a beat follows it, or when it ends with
  a punctuation mark and is held a beat or more; lines longer than `MAX_LINE` syllables are
  cut at the word end held longest near their middle;
- per bar the chord symbol sounding longest in it (root relative to the tonic, minor when its
  third is), the previous bar's where a bar has none;
- bars counted from the sheet's first full bar (a pickup starts on its upbeat).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from symbolic.data.lyric_songs import SyllableInfo
from symbolic.data.sources.base import Piece
from symbolic.melody import Melody
from symbolic.score import TPQ
from symbolic.theory.chords import parse_chord
from symbolic.theory.keys import parse_key
from symbolic.theory.meter import Meter

LANGUAGE_CODES = {"English": "en", "German": "de", "French": "fr", "Spanish": "es", "Italian": "it"}
MAX_LINE = 16  # syllables: the tokenizer's longest line
MIN_SYLLABLES = 16  # a sheet sung on fewer is a fragment, not a song
_PUNCT = re.compile(r"[,;:.!?]['\"’”)]*$")


@dataclass
class SheetSong:
    """One lead sheet's sung notes (one per syllable) and what the tokenizer needs with them."""

    melody: Melody  # onsets in beats from the first full bar
    info: SyllableInfo
    stress: np.ndarray
    texts: list[str]
    meter: Meter
    tonic: int
    mode: str
    chords: list[tuple[int, bool]]  # per bar from bar 0: (root relative to the tonic, minor)


def word_spans(syllabic: list[str]) -> list[tuple[int, int]]:
    """(first, end) syllable index of each word from MusicXML syllabic marks; a begin or
    single starts a word, an end or single closes it (stray middles join the open word)."""
    spans: list[tuple[int, int]] = []
    start = None
    for i, mark in enumerate(syllabic):
        if mark in ("single", "begin") and start is not None:
            spans.append((start, i))
            start = None
        if start is None:
            start = i
        if mark in ("single", "end"):
            spans.append((start, i + 1))
            start = None
    if start is not None:
        spans.append((start, len(syllabic)))
    return spans


def word_stresses(
    texts: list[str], spans: list[tuple[int, int]], language: str | None
) -> np.ndarray:
    """Per syllable the stress of its word by `symbolic.lyrics` (0, 1, 2), -1 where unknown."""
    from symbolic.lyrics import sung_stresses

    out = np.full(len(texts), -1, dtype=np.int64)
    code = LANGUAGE_CODES.get(language or "English")
    if code is None:
        return out
    for a, b in spans:
        out[a:b] = sung_stresses("".join(t.strip("-") for t in texts[a:b]), b - a, code)
    return out


def sung_durations(onset: np.ndarray, duration: np.ndarray, notes: np.ndarray) -> np.ndarray:
    """Each syllable's length with its melisma: up to the end of the last note that starts
    before the next syllable (`notes`: the melody's (onset, end) in beats, sorted)."""
    following = np.r_[onset[1:], np.inf]
    last = np.searchsorted(notes[:, 0], following - 1e-6, side="left") - 1
    ends = notes[np.clip(last, 0, len(notes) - 1), 1]
    return np.maximum(np.minimum(ends, following) - onset, duration)


def line_ends(
    onset: np.ndarray,
    duration: np.ndarray,
    texts: list[str],
    spans: list[tuple[int, int]],
    beat: float,
) -> np.ndarray:
    """Syllable indices that end a line (see the module doc); the last always does."""
    gaps = np.r_[onset[1:] - (onset[:-1] + duration[:-1]), np.inf]
    ends = [
        b - 1
        for _, b in spans
        if gaps[b - 1] >= beat - 1e-6 or (_PUNCT.search(texts[b - 1]) and duration[b - 1] >= beat)
    ]
    ends = sorted(set(ends) | {len(onset) - 1})
    word_end = np.zeros(len(onset), dtype=bool)
    word_end[[b - 1 for _, b in spans]] = True
    out: list[int] = []
    start = 0
    for end in ends:
        out.extend(_cut_long(start, end, duration, word_end))
        start = end + 1
    return np.array(out, dtype=np.int64)


def _cut_long(start: int, end: int, duration: np.ndarray, word_end: np.ndarray) -> list[int]:
    """The line end `end`, and before it the cuts that keep a line within `MAX_LINE`."""
    if end - start + 1 <= MAX_LINE:
        return [end]
    middle = (start + end) / 2
    candidates = [i for i in range(start + 2, end - 2) if word_end[i]]
    if not candidates:
        cut = start + MAX_LINE - 1
        return [cut, *_cut_long(cut + 1, end, duration, word_end)]
    cut = max(candidates, key=lambda i: (duration[i] - abs(i - middle) / 8, -i))
    return [
        *_cut_long(start, cut, duration, word_end),
        *_cut_long(cut + 1, end, duration, word_end),
    ]


def bar_chord_values(spans: list, bars: int, bar_beats: float, tonic: int, mode: str) -> list:
    """Per bar the (root relative to the tonic, minor) of the symbol sounding longest in it."""
    out: list[tuple[int, bool]] = []
    previous = (0, mode == "minor")
    parsed = []
    for on, off, symbol in spans:
        chord = parse_chord(symbol)
        parsed.append((on, off, ((chord.root - tonic) % 12, 3 in chord.triad)))
    for b in range(bars):
        lo, hi = b * bar_beats, (b + 1) * bar_beats
        best, best_len = None, 0.0
        for on, off, value in parsed:
            overlap = min(off, hi) - max(on, lo)
            if overlap > best_len:
                best, best_len = value, overlap
        previous = best or previous
        out.append(previous)
    return out


def sheet_song(piece: Piece) -> SheetSong | None:
    """The sung song of an `openewld` piece; None when it sings fewer than `MIN_SYLLABLES`."""
    rows = piece.meta.get("syllables") or []
    if len(rows) < MIN_SYLLABLES:
        return None
    onset = np.array([r[0] for r in rows], dtype=np.float64)
    duration = np.array([r[1] for r in rows], dtype=np.float64)
    pitch = np.array([r[2] for r in rows], dtype=np.int64)
    texts = [str(r[3]) for r in rows]
    spans = word_spans([str(r[4]) for r in rows])
    sig = piece.score.time_signatures[0]
    meter = Meter(int(sig.numerator), int(sig.denominator))
    voice = piece.score.tracks[0].notes.numpy()
    notes = np.stack([voice["time"], voice["time"] + voice["duration"]], axis=1) / TPQ
    duration = sung_durations(onset, duration, notes)
    ends = line_ends(onset, duration, texts, spans, meter.beat_16ths / 4)
    line = np.searchsorted(ends, np.arange(len(onset)), side="left")
    word_of = np.zeros(len(onset), dtype=np.int64)
    index_in_word = np.zeros(len(onset), dtype=np.int64)
    word_len = np.zeros(len(onset), dtype=np.int64)
    for w, (a, b) in enumerate(spans):
        word_of[a:b], index_in_word[a:b], word_len[a:b] = w, np.arange(b - a), b - a
    info = SyllableInfo(
        line_index=line,
        word_index=word_of,
        index_in_word=index_in_word,
        word_len=word_len,
        is_line_end=np.isin(np.arange(len(onset)), ends),
        song_id=piece.id,
    )
    tonic, mode = parse_key(piece.meta["key"])
    bars = int(np.ceil((onset[-1] + duration[-1]) / meter.bar_beats)) + 1
    chords = bar_chord_values(piece.meta.get("chords") or [], bars, meter.bar_beats, tonic, mode)
    stress = word_stresses(texts, spans, piece.meta.get("language"))
    return SheetSong(
        Melody(onset, duration, pitch), info, stress, texts, meter, tonic, mode, chords
    )
