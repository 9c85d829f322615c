"""Chord voicings: where the tones of a `Chord` go when a chord symbol becomes notes; and the
ranges of singing voices, where a sung melody goes.

A lead-sheet realisation, as a pianist's left hand and middle register would play it: the bass
(the slash bass, else the root) alone in a low octave, the other tones as a close-position
chord in one octave above it. A chord of more than four tones drops the root (the bass plays
it), then the perfect fifth, then the later tensions, so that a 13th chord keeps third,
seventh, ninth and thirteenth.
"""

from __future__ import annotations

from symbolic.theory.chords import Chord, parse_chord

# Comfortable ranges of the voice types (MIDI pitches, as sung: a tenor's C4 is middle C),
# and "middle", what most untrained voices sing without strain.
VOICE_RANGES: dict[str, tuple[int, int]] = {
    "soprano": (60, 81),  # C4-A5
    "alto": (53, 74),  # F3-D5
    "tenor": (48, 69),  # C3-A4
    "bass": (40, 62),  # E2-D4
    "middle": (55, 74),  # G3-D5
}

BASS_LOW = 36  # C2: the bass note lies in 36-47
UPPER_LOW = 55  # G3: the upper tones lie in 55-66
MAX_UPPER = 4


def close_voicing(pitch_classes: list[int], low: int = UPPER_LOW) -> list[int]:
    """Each pitch class once, within [low, low + 11], low to high."""
    return sorted({low + (pc - low) % 12 for pc in pitch_classes})


def upper_tones(chord: Chord, max_tones: int = MAX_UPPER) -> list[int]:
    """The pitch classes above the bass: the chord's tones, thinned to `max_tones` by
    dropping the root, then an unaltered fifth, then the last tensions."""
    intervals = list(chord.intervals)
    for drop in (0, 7):
        if len(intervals) > max_tones and drop in intervals:
            intervals.remove(drop)
    return [(chord.root + i) % 12 for i in intervals[:max_tones]]


def lead_sheet_voicing(
    chord: Chord, bass_low: int = BASS_LOW, low: int = UPPER_LOW, max_upper: int = MAX_UPPER
) -> list[int]:
    """MIDI pitches, low to high: the bass in [bass_low, bass_low + 11], then the close
    voicing of `upper_tones` in [low, low + 11]."""
    bass = chord.root if chord.bass is None else chord.bass
    return [bass_low + (bass - bass_low) % 12, *close_voicing(upper_tones(chord, max_upper), low)]


def comping_tones(symbol: str) -> list[int] | None:
    """Pitch classes a jazz pianist comps for a Weimar Jazz Database chord symbol, root
    first: the chord's tones, or with a seventh and tensions the rootless four-note voicing
    (third, seventh, first tension, then the fifth or the second tension); None for NC or
    an unreadable symbol."""
    try:
        chord = parse_chord(symbol.split("/", 1)[0], jazz_tensions=True) if symbol else None
    except ValueError:
        return None
    if chord is None:
        return None
    tones = [*chord.triad, *([chord.seventh] if chord.seventh is not None else [])]
    if chord.seventh is not None and chord.tensions:
        t = chord.tensions
        tones = [chord.triad[1], chord.seventh, t[0], chord.triad[2] if len(t) == 1 else t[1]]
    return [(chord.root + i) % 12 for i in dict.fromkeys(tones)]
