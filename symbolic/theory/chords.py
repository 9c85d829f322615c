"""Chord symbols: one parser for the ways people and data sets write chords.

`parse_chord` reads lead-sheet symbols ("C", "F#m", "Bb7", "Ebmaj7", "Am7", "Bdim", "Caug",
"Dsus4", "G/B", "C7b9", "Dm7b5"), Harte labels as POP909 annotates them ("C:min7",
"A:sus4(b7)", "F:maj/3"), and the Weimar Jazz Database's notation ("C-7", "Ebj7", "G79b",
"F7911#", "Bo7", "G7alt") with `jazz_tensions=True`: there tensions are literal (a 9 does not
imply the seventh) and accidentals follow the number.

A `Chord` keeps its parts (triad, seventh, tensions, bass) so that callers can voice it,
name it, or reduce it to the eight qualities the infill grid knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from symbolic.theory.keys import ACCIDENTALS, LETTERS, PITCH_NAMES

QUALITIES = ("maj", "min", "dom7", "maj7", "min7", "dim", "aug", "sus4")
NO_CHORD_WORDS = ("N", "NC", "N.C.", "-", "")
_SYMBOL = re.compile(r"^([A-Ga-g])([#b♯♭]*)(:?)([^/]*)(?:/(.+))?$")
# Harte shorthands (and the added degrees and bass) in semitones above the root.
_DEGREES = {"1": 0, "2": 2, "3": 4, "4": 5, "5": 7, "6": 9, "7": 11, "9": 2, "11": 5, "13": 9}
_TENSIONS = {"9": 2, "11": 5, "13": 9}
_MAJOR, _MINOR, _DIM, _AUG = (0, 4, 7), (0, 3, 7), (0, 3, 6), (0, 4, 8)
_HALF_DIM = (_DIM, 10)
# Words that set the triad (and for half-diminished the seventh), longest first.
_TRIAD_WORDS: tuple[tuple[str, tuple[int, ...], int | None], ...] = (
    ("min7b5", *_HALF_DIM), ("hdim", *_HALF_DIM), ("m7b5", *_HALF_DIM), ("ø", *_HALF_DIM),
    ("min", _MINOR, None), ("dim", _DIM, None), ("aug", _AUG, None), ("sus2", (0, 2, 7), None),
    ("sus4", (0, 5, 7), None), ("sus", (0, 5, 7), None), ("dom", _MAJOR, None),
    ("o", _DIM, None), ("°", _DIM, None), ("+", _AUG, None), ("m", _MINOR, None),
    ("-", _MINOR, None),
)  # fmt: skip
_MAJOR_SEVENTH = (
    "maj",
    "Maj",
    "MAJ",
    "Δ",
    "j",
    "M",
)  # before a 7, 9, 11 or 13: the seventh is major
_EXTENSIONS = {"9": [2], "11": [2, 5], "13": [2, 9]}  # what a 9, 11 or 13 chord adds


@dataclass(frozen=True)
class Chord:
    """A chord: root pitch class, triad intervals (root first), seventh (9 for a sixth or a
    diminished seventh), tensions and an optional bass pitch class."""

    root: int
    triad: tuple[int, ...] = _MAJOR
    seventh: int | None = None
    tensions: tuple[int, ...] = ()
    bass: int | None = None
    spelled: str = field(default="", compare=False)  # the root as written ("Db", "C#")

    @property
    def intervals(self) -> tuple[int, ...]:
        """Semitones above the root, each once: triad, seventh, tensions."""
        parts = (*self.triad, *([self.seventh] if self.seventh is not None else []))
        return tuple(dict.fromkeys(i % 12 for i in (*parts, *self.tensions)))

    @property
    def tones(self) -> frozenset[int]:
        """The pitch classes that sound: the chord's and the bass."""
        tones = {(self.root + i) % 12 for i in self.intervals}
        return frozenset(tones | ({self.bass} if self.bass is not None else set()))

    @property
    def quality(self) -> str:
        """The nearest of the eight `QUALITIES` (extensions dropped, sus2 counts as major)."""
        if 5 in self.triad:
            return "sus4"
        if self.triad == _DIM:
            return "dim"
        if self.triad == _AUG:
            return "aug"
        if 3 in self.triad:
            return "min7" if self.seventh == 10 else "min"
        return {11: "maj7", 10: "dom7"}.get(self.seventh, "maj")

    @property
    def symbol(self) -> str:
        """A lead-sheet name: "Cm7", "F#", "Bb9", "Dm7b5", "Gsus4", "Ebmaj7"."""
        key = (self.triad, self.seventh)
        suffix = _SUFFIXES.get(key, _SUFFIXES[(_QUALITY_TRIADS[self.quality])])
        if 2 in self.tensions and self.seventh in (10, 11) and suffix.endswith("7"):
            suffix = suffix[:-1] + "9"
        return (self.spelled or PITCH_NAMES[self.root]) + suffix


_QUALITY_TRIADS = {
    "maj": (_MAJOR, None), "min": (_MINOR, None), "dom7": (_MAJOR, 10), "maj7": (_MAJOR, 11),
    "min7": (_MINOR, 10), "dim": (_DIM, None), "aug": (_AUG, None), "sus4": ((0, 5, 7), None),
}  # fmt: skip
_SUFFIXES: dict[tuple[tuple[int, ...], int | None], str] = {
    (_MAJOR, None): "", (_MINOR, None): "m", (_MAJOR, 10): "7", (_MAJOR, 11): "maj7",
    (_MINOR, 10): "m7", (_MINOR, 11): "mMaj7", (_DIM, None): "dim", (_DIM, 9): "dim7",
    (_DIM, 10): "m7b5", (_AUG, None): "aug", (_AUG, 10): "aug7", ((0, 5, 7), None): "sus4",
    ((0, 5, 7), 10): "7sus4", ((0, 2, 7), None): "sus2", (_MAJOR, 9): "6", (_MINOR, 9): "m6",
    ((0, 7), None): "5", ((0,), None): "",
}  # fmt: skip


def chord(root: int, quality: str) -> Chord:
    """The plain chord of a root and one of the eight `QUALITIES`."""
    triad, seventh = _QUALITY_TRIADS[quality]
    return Chord(root % 12, triad, seventh)


def _degree(text: str) -> int | None:
    m = re.fullmatch(r"([#b]*)(\d+)", text.strip())
    if not m or m.group(2) not in _DEGREES:
        return None
    return (_DEGREES[m.group(2)] + m.group(1).count("#") - m.group(1).count("b")) % 12


def _note(text: str) -> int | None:
    m = re.fullmatch(r"([A-Ga-g])([#b♯♭]*)", text.strip())
    if not m:
        return None
    return (LETTERS[m.group(1).upper()] + sum(ACCIDENTALS[a] for a in m.group(2))) % 12


_HARTE = {
    "maj": "", "min": "m", "dim": "dim", "aug": "aug", "maj7": "maj7", "min7": "m7", "7": "7",
    "dim7": "dim7", "hdim7": "m7b5", "minmaj7": "mmaj7", "maj6": "6", "min6": "m6", "9": "9",
    "maj9": "maj9", "min9": "m9", "sus2": "sus2", "sus4": "sus4", "5": "5", "1": "1",
}  # fmt: skip


def _quality(text: str, jazz_tensions: bool) -> tuple[tuple[int, ...], int | None, list[int]]:
    """Triad, seventh and tensions of a lead-sheet quality ("m7b5", "maj9", "7sus4", "79b")."""
    rest = text.replace("(", "").replace(")", "").replace(",", "")
    if rest in ("5", "1"):
        return ((0, 7) if rest == "5" else (0,)), None, []
    triad, seventh, tensions = _MAJOR, None, []
    if not rest.startswith("maj"):
        for word, word_triad, word_seventh in _TRIAD_WORDS:
            if rest.startswith(word):
                triad, seventh, rest = word_triad, word_seventh, rest[len(word) :]
                break
    marker = next((m for m in _MAJOR_SEVENTH if rest.startswith(m)), None)
    if marker:
        rest = rest[len(marker) :]
        seventh = 11 if marker == "Δ" else seventh
    number = re.match(r"13|11|9|7|69|6", rest)
    if number:
        step, rest = number.group(), rest[number.end() :]
        if step in ("6", "69"):
            seventh, tensions = 9, [2] if step == "69" else []
        elif step == "7" and triad == _DIM and seventh is None:
            seventh = 9
        elif step == "7" or not jazz_tensions:
            seventh = 11 if marker else (seventh or 10)
            tensions = list(_EXTENSIONS.get(step, []))
        else:
            tensions = [_TENSIONS[step]]
    if rest.startswith("alt"):
        return triad, seventh or 10, [3, 8]
    sus = re.match(r"sus([24]?)", rest)
    if sus:
        triad, rest = ((0, 2, 7) if sus.group(1) == "2" else (0, 5, 7)), rest[sus.end() :]
    rest = rest.removeprefix("add")
    if jazz_tensions:  # the database's own symbols: what is not a tension is ignored
        found = re.findall(r"(13|11|9)([#b]?)", rest)
    elif re.fullmatch(r"(?:[#b]?(?:13|11|9|7|5))*", rest):
        found = [(n, a) for a, n in re.findall(r"([#b]?)(13|11|9|7|5)", rest)]
    else:
        raise ValueError(f"unknown chord quality {text!r}")
    for step, accidental in found:
        shift = {"#": 1, "b": -1, "": 0}[accidental]
        if step == "5":
            triad = (triad[0], triad[1], 7 + shift)
        elif step == "7":
            seventh = 11 + shift if shift else 10
        else:
            tensions.append((_TENSIONS[step] + shift) % 12)
    return triad, seventh, tensions


def parse_chord(text: str, *, jazz_tensions: bool = False) -> Chord | None:
    """The `Chord` of a symbol or Harte label; None for no chord ("N", "NC"). Raises
    ValueError for text that is not a chord."""
    text = (text or "").strip()
    if text.upper() in NO_CHORD_WORDS:
        return None
    m = _SYMBOL.match(text)
    if not m:
        raise ValueError(f"not a chord symbol: {text!r}")
    letter, accidentals, colon, quality, bass_text = m.groups()
    root = (LETTERS[letter.upper()] + sum(ACCIDENTALS[a] for a in accidentals)) % 12
    bass = None
    if colon:
        harte = re.fullmatch(r"([a-z0-9]*)(?:\(([^)]*)\))?", quality.strip())
        if not harte or (harte.group(1) or "maj") not in _HARTE:
            raise ValueError(f"not a Harte chord label: {text!r}")
        triad, seventh, tensions = _quality(_HARTE[harte.group(1) or "maj"], False)
        intervals = list(triad)
        for item in [d.strip() for d in (harte.group(2) or "").split(",") if d.strip()]:
            degree = _degree(item.lstrip("*"))
            if degree is None:
                raise ValueError(f"unknown degree {item!r} in {text!r}")
            if item.startswith("*"):
                intervals = [i for i in intervals if i != degree]
                seventh = None if seventh == degree else seventh
                tensions = [t for t in tensions if t != degree]
            elif degree not in intervals and degree != seventh:
                tensions.append(degree)
        triad = tuple(intervals)
        if bass_text:
            degree = _degree(bass_text)
            if degree is None:
                raise ValueError(f"unknown bass degree in {text!r}")
            bass = (root + degree) % 12
    else:
        triad, seventh, tensions = _quality(quality.strip(), jazz_tensions)
        if bass_text and not jazz_tensions:
            bass = _note(bass_text)
            if bass is None:
                raise ValueError(f"unknown bass note in {text!r}")
    spelled = letter.upper() + accidentals.replace("♯", "#").replace("♭", "b")
    return Chord(root, triad, seventh, tuple(tensions), bass, spelled)
