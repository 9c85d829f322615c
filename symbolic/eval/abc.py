"""ABC quality as judged by music21: parses, meter and key as asked, bars that fill the meter."""

from __future__ import annotations

from fractions import Fraction


def bar_fill(durations: list[Fraction], fulls: list[Fraction]) -> float:
    """Share of bars that fill their meter; a short bar counts when it pairs into one full bar
    with a neighbour or with the tune's pickup (the closing bar before a repeat sign)."""
    if not durations:
        return 0.0
    ok = 0
    pickup = durations[0] if durations[0] < fulls[0] else None
    for i, (d, full) in enumerate(zip(durations, fulls, strict=True)):
        paired = (
            (i > 0 and durations[i - 1] + d == full)
            or (i + 1 < len(durations) and d + durations[i + 1] == full)
            or (pickup is not None and i > 0 and d + pickup == full)
        )
        ok += d == full or paired
    return ok / len(durations)


def judge_abc(text: str, meter: str | None = None, key: str | None = None) -> dict:
    """Parse one tune with music21 and report what the ABC benchmark counts."""
    import music21

    try:
        score = music21.converter.parse(text, format="abc")
    except Exception as err:  # music21 raises many types on bad ABC
        return {"parsed": False, "error": f"{type(err).__name__}: {err}"[:200]}
    part = score.parts[0] if score.parts else score
    measures = list(part.getElementsByClass("Measure"))
    sigs = part.recurse().getElementsByClass("TimeSignature")
    first_sig = sigs[0].ratioString if sigs else None
    durations, fulls = [], []
    for m in measures:
        ts = m.timeSignature or m.getContextByClass("TimeSignature")
        durations.append(Fraction(m.duration.quarterLength).limit_denominator(96))
        fulls.append(Fraction(ts.barDuration.quarterLength).limit_denominator(96) if ts else 0)
    fill = bar_fill(durations, fulls)
    result = {"parsed": True, "meter": first_sig, "bars": len(measures), "bar_fill": fill}
    if meter is not None:
        result["meter_ok"] = first_sig == meter
    if key is not None:
        ks = part.recurse().getElementsByClass("KeySignature")
        result["key_ok"] = bool(ks) and ks[0].sharps == key_sharps(key)
    return result


MODES = {
    "": "major",
    "maj": "major",
    "m": "minor",
    "min": "minor",
    "dor": "dorian",
    "mix": "mixolydian",
    "aeo": "aeolian",
    "phr": "phrygian",
    "lyd": "lydian",
    "loc": "locrian",
    "ion": "major",
}


def key_sharps(key: str) -> int:
    """Sharps (negative: flats) of an ABC key such as "D", "Em", "Bb", "F#m", "Ador"."""
    import music21

    tonic, rest = key[0].upper(), key[1:]
    if rest[:1] in ("#", "b"):
        tonic += "#" if rest[0] == "#" else "-"
        rest = rest[1:]
    mode = MODES.get(rest.strip().lower()[:3], "major")
    return music21.key.Key(tonic, mode).sharps
