"""Normalized per-piece metadata: the fields captions, control tokens and dataset cards rely on.

Keys are written with flat names ("C", "Db", "Ebm", "Gbm"), the spelling of the REMI key
control tokens, so one string serves the caption, the control token and the card.
"""

from __future__ import annotations

import re

from symusic import Score

from symbolic.score import (
    bar_count,
    estimate_key,
    key_fits,
    key_signature,
    pitch_class_histogram,
)

KEY_NAMES: tuple[str, ...] = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
_PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_MINOR_MODES = {"m", "min", "minor", "aeolian", "dorian", "phrygian", "locrian"}
_KEY_TEXT = re.compile(r"^\s*([A-Ga-g])([#b♯♭]?)\s*:?\s*([A-Za-z]*)")
FIELDS: tuple[str, ...] = (
    "id",
    "source",
    "style",
    "title",
    "composer",
    "region",
    "key",
    "meter",
    "tempo",
    "programs",
    "bars",
    "notes",
    "density",
)


def key_label(tonic: int, mode: str) -> str:
    """ "C", "Cm", "Eb", "Gbm"...: the key name used in metadata and REMI controls."""
    return KEY_NAMES[tonic % 12] + ("m" if mode == "minor" else "")


def parse_key_label(label: str) -> tuple[int, str]:
    """(tonic pitch class, "major"|"minor") of a key label made by `key_label`."""
    mode = "minor" if label.endswith("m") else "major"
    return KEY_NAMES.index(label[:-1] if mode == "minor" else label), mode


def parse_key_text(text: str) -> tuple[int, str] | None:
    """Read a key from annotation text: "Gb:maj", "E:min", ABC "Em", "Ador", "D mix", "C"."""
    m = _KEY_TEXT.match(text or "")
    if not m:
        return None
    letter, accidental, mode_text = m.groups()
    tonic = _PITCH_CLASS[letter.upper()] + {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental, 0)
    mode_text = mode_text.lower()
    minor = mode_text in _MINOR_MODES or mode_text[:3] in {"min", "aeo", "dor", "phr", "loc"}
    if mode_text == "m" or (mode_text.startswith("m") and mode_text[:3] not in {"maj", "mix"}):
        minor = True
    return tonic % 12, "minor" if minor else "major"


def score_key(score: Score) -> tuple[int, str]:
    """Key of a score: its key signature's sharps with the mode that fits the notes better
    (MusicXML signatures rarely say major or minor), else a Krumhansl-Kessler estimate."""
    if not score.key_signatures:
        return estimate_key(score)
    sharps = int(score.key_signatures[0].key)
    major = (sharps * 7) % 12
    minor = (major + 9) % 12
    hist = pitch_class_histogram(score)
    if hist.sum() == 0:
        return major, "major"
    fits = key_fits(hist)
    return (minor, "minor") if fits[minor, "minor"] > fits[major, "major"] else (major, "major")


def programs_of(score: Score) -> list[int]:
    """Sorted GM programs of the tracks with notes; 128 stands for drums."""
    return sorted({128 if t.is_drum else int(t.program) for t in score.tracks if t.note_num()})


def normalize(piece_id: str, source: str, style: str, meta: dict, score: Score | None) -> dict:
    """The normalized metadata of one piece (see `FIELDS`); sets a key signature on `score`
    when it has none, so that the key written in the file and in the metadata agree."""
    out: dict = {"id": piece_id, "source": source, "style": style}
    out["title"] = meta.get("title")
    out["composer"] = meta.get("composer")
    out["region"] = meta.get("region")
    annotated = parse_key_text(meta["key"]) if meta.get("key") else None
    if score is not None:
        tonic, mode = annotated or score_key(score)
        if not score.key_signatures:
            score.key_signatures.append(key_signature(tonic, mode))
        sig = score.time_signatures[0] if score.time_signatures else None
        bars = bar_count(score)
        notes = int(score.note_num())
        out.update(
            key=key_label(tonic, mode),
            meter=f"{sig.numerator}/{sig.denominator}" if sig else "4/4",
            tempo=round(float(score.tempos[0].qpm), 1) if score.tempos else 120.0,
            programs=programs_of(score),
            bars=bars,
            notes=notes,
            density=round(notes / bars, 2) if bars else 0.0,
        )
    else:
        out.update(
            key=key_label(*annotated) if annotated else None,
            meter=meta.get("meter"),
            tempo=meta.get("tempo"),
            programs=meta.get("programs"),
            bars=None,
            notes=None,
            density=None,
        )
    return out
