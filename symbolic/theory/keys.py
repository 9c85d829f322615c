"""Keys: pitch-class names and spellings, key parsing, key profiles and the key finder.

Spellings: `key_name` writes a key with the fewest accidentals (ties to sharps), as a musician
would name it; `key_label` writes the flat spelling ("Db", "Gbm") that dataset metadata and the
REMI key tokens use, so one string serves the caption, the control token and the card.
"""

from __future__ import annotations

import re

import numpy as np

from symbolic.errors import SymgenError

LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
ACCIDENTALS = {"#": 1, "♯": 1, "b": -1, "♭": -1}
SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
# A pitch class on its own (a chord root): the spelling most used in lead sheets.
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# Key tonics with the fewest accidentals in their signature, ties to sharps.
_MAJOR_TONICS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_TONICS = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
# Sharps (+) or flats (-) in the signature of each major key, by tonic pitch class.
_SHARPS_OF_MAJOR = (0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5)

# Mode words by their first three letters ("min", "minor", "Dorian"...); "m" alone is minor.
_MINOR_MODES = ("min", "aeo", "dor", "phr", "loc")
_MAJOR_MODES = ("maj", "ion", "mix", "lyd")
_KEY = re.compile(r"^\s*([A-Ga-g])([#b♯♭]?)\s*:?\s*([A-Za-z]*)\s*$")

# Key profiles (C major, C minor): Krumhansl-Kessler, and Aarden-Essen (the key finder of
# music21's analyze("key"), which the text2midi benchmark judges by).
KEY_PROFILES: dict[str, dict[str, np.ndarray]] = {
    "krumhansl": {
        "major": np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]),
        "minor": np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]),
    },
    "aarden": {
        "major": np.array(
            [17.77, 0.15, 14.93, 0.16, 19.8, 11.36, 0.29, 22.06, 0.15, 8.15, 0.23, 4.95]
        ),
        "minor": np.array(
            [18.26, 0.74, 14.05, 16.86, 0.7, 14.44, 0.7, 18.62, 4.57, 1.93, 7.38, 1.76]
        ),
    },
}


def pitch_class(name: str) -> int:
    """ "C" → 0, "F#" → 6, "Bb" → 10, "Cb" → 11: a letter and any accidentals."""
    text = name.strip()
    if not text or text[0].upper() not in LETTERS or any(c not in ACCIDENTALS for c in text[1:]):
        raise SymgenError(f"cannot read the note name {name!r}; write it like C, F# or Bb")
    return (LETTERS[text[0].upper()] + sum(ACCIDENTALS[c] for c in text[1:])) % 12


def parse_key(text: str | tuple[int, str]) -> tuple[int, str]:
    """(tonic pitch class, "major"|"minor") of a key as people and annotations write it:
    "G", "G major", "Em", "F# minor", "Gbm", Harte "Gb:maj" / "E:min", ABC "Ador" / "D mix"
    (modes count as the major or minor key they sound nearest), or a (tonic, mode) pair."""
    if isinstance(text, tuple):
        return int(text[0]) % 12, text[1]
    m = _KEY.match(text or "")
    mode = m.group(3).lower()[:3] if m else ""
    minor = mode in _MINOR_MODES or (mode.startswith("m") and mode not in _MAJOR_MODES)
    if not m or not (minor or mode in _MAJOR_MODES or mode == ""):
        raise SymgenError(f"unknown key {text!r}: write it like C, G major, Em or F# minor")
    letter, accidental = m.group(1), m.group(2)
    tonic = (LETTERS[letter.upper()] + ACCIDENTALS.get(accidental, 0)) % 12
    return tonic, "minor" if minor else "major"


def key_name(tonic: int, mode: str, *, short: bool = False, flats: bool | None = None) -> str:
    """A key's name: "F# minor", "Db major" (fewest accidentals), or "F#m", "Db" with `short`;
    `flats` forces the flat or sharp spelling (as a key signature's sign says)."""
    minor = mode == "minor"
    if flats is None:
        names = _MINOR_TONICS if minor else _MAJOR_TONICS
    else:
        names = FLAT_NAMES if flats else SHARP_NAMES
    tonic_name = names[tonic % 12]
    if short:
        return tonic_name + ("m" if minor else "")
    return f"{tonic_name} {mode}"


def key_label(tonic: int, mode: str) -> str:
    """ "C", "Cm", "Eb", "Gbm": the flat spelling of metadata and REMI key tokens."""
    return FLAT_NAMES[tonic % 12] + ("m" if mode == "minor" else "")


def signature_sharps(tonic: int, mode: str) -> int:
    """Sharps (> 0) or flats (< 0) in the key signature of a key."""
    relative_major = tonic if mode == "major" else (tonic + 3) % 12
    return _SHARPS_OF_MAJOR[relative_major % 12]


def signature_key(sharps: int, minor: bool) -> tuple[int, str]:
    """The (tonic, mode) of a key signature given as sharps (or negative flats) and mode."""
    major_tonic = (sharps * 7) % 12
    return ((major_tonic + 9) % 12, "minor") if minor else (major_tonic, "major")


def pitch_class_histogram(pitch: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weight (usually sounding time) per pitch class: 12 values."""
    return np.bincount(np.asarray(pitch, np.int64) % 12, weights=weight, minlength=12)


def key_fits(hist: np.ndarray, profiles: str = "krumhansl") -> dict[tuple[int, str], float]:
    """Correlation of a pitch-class histogram with each of the 24 keys' profiles,
    {(tonic, mode): r}, major keys first; NaN for a flat or empty histogram."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            (tonic, mode): float(np.corrcoef(hist, np.roll(profile, tonic))[0, 1])
            for mode, profile in KEY_PROFILES[profiles].items()
            for tonic in range(12)
        }


def best_key(hist: np.ndarray, profiles: str = "krumhansl") -> tuple[int, str, float]:
    """(tonic, mode, r) of the best-fitting key (the first of equals); C major, r = 0 when
    no key fits (no notes, or every pitch class equally long)."""
    fits = [(r, key) for key, r in key_fits(hist, profiles).items() if not np.isnan(r)]
    if not fits:
        return 0, "major", 0.0
    r, (tonic, mode) = max(fits, key=lambda fit: fit[0])
    return tonic, mode, r
