"""Numbers in a prompt: bpm ("at 90 bpm", "♩ = 120", "100-110 bpm"), meter ("6/8") and bar
counts ("sixteen bars", "32 Takte"), written with digits or number words.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from symbolic.prompt.tables import NUMBER_WORDS
from symbolic.theory.limits import MAX_BARS, TEMPO_RANGE

if TYPE_CHECKING:
    from symbolic.prompt.attributes import Attributes

MIN_BPM, MAX_BPM = TEMPO_RANGE

_NUM = r"(?P<num>\d{1,4}|" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len)[::-1]) + ")"
_BARS_RE = re.compile(
    r"(?<![A-Za-z\d.])"
    + _NUM
    + r"\s*-?\s*(?:bars?|measures?|takte?n?|mesures?|compases?|小节|小節)"
    r"(?![a-z])",
    re.IGNORECASE,
)
_BPM_RE = re.compile(
    r"(?<![\d.])(?P<n>\d{1,3}(?:\.\d+)?)\s*(?:bpm|b\.p\.m\.?|beats?\s+(?:per|a|/)\s+minute|"
    r"schläge pro minute|battements par minute|pulsaciones por minuto|拍每分钟|拍/分)"
    r"|(?:♩|(?<![\w.])(?:q|mm|m\.m\.|tempo|metronome)|速度|@)\s*(?:=|:|of|at|de|von)?\s*"
    r"(?P<m>\d{2,3}(?:\.\d+)?)"
    r"(?![\d/])"
    r"|(?<![\w])(?:at|à|bei)\s+(?P<a>\d{2,3})(?![\d/.]|\s*(?:%|bars?|measures?|seconds?|"
    r"minutes?|years?|notes?|voices?|tracks?|instruments?|am|pm|o'clock))",
    re.IGNORECASE,
)
_BPM_RANGE_RE = re.compile(
    r"(?<![\d.])(?P<lo>\d{2,3})\s*(?:-|to|and)\s*(?P<hi>\d{2,3})\s*(?:bpm|beats per minute)",
    re.IGNORECASE,
)
_METER_RE = re.compile(r"(?<![\d/.])(?P<num>\d{1,2})\s*/\s*(?P<den>1|2|4|8|16|32)(?![\d/])")


def parse_numbers(text: str, attrs: Attributes) -> list[tuple[int, int]]:
    """Set bpm, meter and bar count on `attrs` (the first of each wins); returns the spans used."""
    spans = []
    for m in _METER_RE.finditer(text):
        num = int(m["num"])
        if 1 <= num <= 15:
            meter = f"{num}/{m['den']}"
            if attrs.meter is None:
                attrs.meter = meter
                attrs.explicit.add("meter")
            elif attrs.meter != meter:
                attrs.notes.append(f"several meters named; using the first, {attrs.meter}")
            spans.append((m.start(), m.end()))
    for m in _BARS_RE.finditer(text):
        raw = m["num"].lower()
        n = int(raw) if raw.isdigit() else NUMBER_WORDS[raw]
        spans.append((m.start(), m.end()))
        if attrs.bars is not None:
            continue
        if not 1 <= n <= MAX_BARS:
            attrs.notes.append(f"{n} bars is out of range; using {min(max(n, 1), MAX_BARS)}")
            n = min(max(n, 1), MAX_BARS)
        attrs.bars = n
        attrs.explicit.add("bars")
    for m in _BPM_RANGE_RE.finditer(text):
        lo, hi = sorted((float(m["lo"]), float(m["hi"])))
        if attrs.tempo is None and lo >= MIN_BPM and hi <= MAX_BPM:
            attrs.tempo, attrs.tempo_range = (lo + hi) / 2, (lo, hi)
            attrs.explicit.add("tempo")
            spans.append((m.start(), m.end()))
    for m in _BPM_RE.finditer(text):
        if any(s <= m.start() < e for s, e in spans):
            continue
        value = float(m["n"] or m["m"] or m["a"])
        if m["a"] and value < 40:
            continue  # "at 12" is more likely a time or a count than a tempo
        spans.append((m.start(), m.end()))
        if attrs.tempo is not None:
            continue
        if not MIN_BPM <= value <= MAX_BPM:
            attrs.notes.append(f"{value:g} bpm is outside {MIN_BPM:g}-{MAX_BPM:g}; ignoring it")
            continue
        attrs.tempo = value
        attrs.explicit.add("tempo")
    return spans
