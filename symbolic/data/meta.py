"""Normalized per-piece metadata: the fields captions, control tokens and dataset cards rely on.

Keys are written with flat names ("C", "Db", "Ebm", "Gbm"), the spelling of the REMI key
control tokens, so one string serves the caption, the control token and the card.
"""

from __future__ import annotations

import numpy as np
from symusic import Score

from symbolic.errors import SymgenError
from symbolic.score import bar_count, estimate_key, key_signature, sounding_pitch_classes
from symbolic.theory.gm import DRUMS
from symbolic.theory.keys import key_fits, key_label, parse_key

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
    "velocity",
    "velocity_spread",
)


def read_key(text: str) -> tuple[int, str] | None:
    """The key of annotation text ("Gb:maj", "E:min", ABC "Ador"), or None if it names none."""
    try:
        return parse_key(text)
    except SymgenError:
        return None


def score_key(score: Score) -> tuple[int, str]:
    """Key of a score: its key signature's sharps with the mode that fits the notes better
    (MusicXML signatures rarely say major or minor), else a Krumhansl-Kessler estimate."""
    if not score.key_signatures:
        return estimate_key(score)
    sharps = int(score.key_signatures[0].key)
    major = (sharps * 7) % 12
    minor = (major + 9) % 12
    hist = sounding_pitch_classes(score)
    if hist.sum() == 0:
        return major, "major"
    fits = key_fits(hist)
    return (minor, "minor") if fits[minor, "minor"] > fits[major, "major"] else (major, "major")


def programs_of(score: Score) -> list[int]:
    """Sorted GM programs of the tracks with notes; 128 stands for drums."""
    return sorted({DRUMS if t.is_drum else int(t.program) for t in score.tracks if t.note_num()})


def normalize(piece_id: str, source: str, style: str, meta: dict, score: Score | None) -> dict:
    """The normalized metadata of one piece (see `FIELDS`); sets a key signature on `score`
    when it has none, so that the key written in the file and in the metadata agree."""
    out: dict = {"id": piece_id, "source": source, "style": style}
    out["title"] = meta.get("title")
    out["composer"] = meta.get("composer")
    out["region"] = meta.get("region")
    annotated = read_key(meta["key"]) if meta.get("key") else None
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
            **_velocities(score),
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
            velocity=None,
            velocity_spread=None,
        )
    return out


def _velocities(score: Score) -> dict:
    """Median and standard deviation of the note velocities (how loud, and how performed: a
    score converted from notation has one velocity everywhere)."""
    parts = [t.notes.numpy()["velocity"] for t in score.tracks if t.note_num()]
    if not parts:
        return {"velocity": None, "velocity_spread": None}
    velocity = np.concatenate(parts).astype(float)
    return {
        "velocity": int(np.median(velocity)),
        "velocity_spread": round(float(velocity.std()), 1),
    }
