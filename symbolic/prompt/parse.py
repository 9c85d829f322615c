"""`parse_prompt`: keys, numbers and words first, then the vague rest (given a `nearest`
matcher), then what is still open from the style's defaults (`fill_defaults`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import replace

from symbolic.prompt.attributes import Attributes, program_names
from symbolic.prompt.keys import parse_keys
from symbolic.prompt.numbers import parse_numbers
from symbolic.prompt.tables import (
    CONTEXT_PROGRAMS,
    INSTRUMENT_STYLE_HINTS,
    MOOD_EXEMPLARS,
    MOOD_TEMPO_FACTOR,
    OTHER_STYLES,
    STOPWORDS,
    STYLE_DEFAULTS,
    STYLE_EXEMPLARS,
    TEMPO_WORDS,
)
from symbolic.prompt.typos import fix_typos
from symbolic.prompt.words import parse_words
from symbolic.theory.gm import DRUMS, PROGRAM_NAMES

# (text, {label: exemplar phrases}) -> (label of the nearest exemplar, its similarity)
Nearest = Callable[[str, Mapping[str, tuple[str, ...]]], tuple[str, float]]

DEFAULT_STYLE = "pop"
DEFAULT_BARS = 16
STYLE_THRESHOLD = 0.5  # below this a vague prompt gives no style of its own
MOOD_THRESHOLD = 0.5


def parse_prompt(text: str, *, nearest: Nearest | None = None) -> Attributes:
    """Parse a free-text prompt into attributes and fill what it leaves open (`fill_defaults`).

    `nearest` resolves an unknown style and a vague prompt's style and mood (the text2midi task
    passes the sentence encoder's); without it unknown styles go by `OTHER_STYLES` and vague
    words give no style or mood. Never raises on odd text: an empty prompt gets the pop
    defaults and a note.
    """
    attrs = Attributes()
    text = _normalize(text or "")
    if not text.strip():
        attrs.notes.append("empty prompt: using the defaults of the pop style")
        return fill_defaults(attrs)
    text = fix_typos(text, attrs.notes)
    spans = parse_keys(text, attrs)
    spans += parse_numbers(_mask(text, spans), attrs)
    words = parse_words(_mask(text, spans), attrs)
    if attrs.tempo_word:
        lo, hi, default = TEMPO_WORDS[attrs.tempo_word]
        attrs.tempo_range = (float(lo), float(hi))
        if attrs.tempo is None:
            attrs.tempo = float(default)
        elif not lo <= attrs.tempo <= hi:
            attrs.notes.append(
                f"{attrs.tempo:g} bpm is outside '{attrs.tempo_word}' ({lo:g}-{hi:g} bpm);"
                f" using {attrs.tempo:g} bpm as written"
            )
    elif attrs.tempo is not None and attrs.tempo_range is None:
        attrs.tempo_range = (round(attrs.tempo * 0.95, 2), round(attrs.tempo * 1.05, 2))
    vague = " ".join(w for w in words.leftover if w not in STOPWORDS and not w.isdigit())
    _resolve_style(attrs, words.unknown_style, vague, nearest)
    for index, word in words.generic:  # "bass" in jazz is an upright bass
        program = CONTEXT_PROGRAMS[word].get(attrs.style or "")
        if program is not None and attrs.instruments[index] != program:
            attrs.instruments[index] = program
            attrs.notes.append(f"'{word}' read as {PROGRAM_NAMES[program]} for {attrs.style}")
    only = {"only", "just", "solo", "alone", "unaccompanied"} & set(words.leftover)
    if attrs.instruments and set(attrs.instruments) == {DRUMS} and not only:
        lineup = [p for p in STYLE_DEFAULTS[attrs.style or DEFAULT_STYLE]["instruments"]]
        lineup = [p for p in lineup if p not in attrs.excluded and p != DRUMS]  # band styles
        attrs.instruments = lineup + attrs.instruments
        attrs.notes.append(f"drums added to the {attrs.style or DEFAULT_STYLE} line-up")
    if attrs.mood is None and nearest is not None and len(vague) >= 4:
        try:
            mood, score = nearest(vague, MOOD_EXEMPLARS)
        except Exception as err:  # encoder missing or broken: no mood, say so
            attrs.notes.append(f"sentence encoder unavailable ({type(err).__name__})")
        else:
            if score >= MOOD_THRESHOLD:
                attrs.mood = mood
                attrs.notes.append(f"mood read as {mood} from '{_short(vague)}'")
    return fill_defaults(attrs)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the given spans blanked out (kept the same length)."""
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


def _resolve_style(
    attrs: Attributes, unknown: str | None, vague: str, nearest: Nearest | None
) -> None:
    """Pick a style when the prompt names none the model knows."""
    if attrs.style is not None:
        return
    if unknown:
        attrs.style_requested = unknown
        style = OTHER_STYLES[unknown]
        if nearest is not None:
            try:
                style, _ = nearest(unknown, STYLE_EXEMPLARS)
            except Exception as err:
                attrs.notes.append(f"sentence encoder unavailable ({type(err).__name__})")
        attrs.style = style
        attrs.explicit.add("style")
        attrs.notes.append(
            f"'{unknown}' is not a style the model knows; using the nearest, {style}"
        )
        return
    for programs, style in INSTRUMENT_STYLE_HINTS:
        if programs & set(attrs.instruments):
            attrs.style = style
            attrs.notes.append(f"no style named; the instruments suggest {style}")
            return
    if nearest is not None and len(vague) >= 4:
        try:
            style, score = nearest(vague, STYLE_EXEMPLARS)
        except Exception as err:
            attrs.notes.append(f"sentence encoder unavailable ({type(err).__name__})")
            return
        if score >= STYLE_THRESHOLD:
            attrs.style = style
            attrs.style_requested = _short(vague)
            attrs.notes.append(f"no style named; '{_short(vague)}' sounds nearest to {style}")


def _normalize(text: str) -> str:
    """NFKC (full-width digits, ligatures) and one kind of apostrophe and dash."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace("’", "'").replace("–", "-").replace("—", "-").replace("‐", "-")


def fill_defaults(attrs: Attributes) -> Attributes:
    """A copy with open fields filled from the style's defaults (`STYLE_DEFAULTS`), each noted."""
    out = replace(
        attrs,
        instruments=list(attrs.instruments),
        excluded=list(attrs.excluded),
        notes=list(attrs.notes),
        explicit=set(attrs.explicit),
    )
    if out.style is None:
        out.style = DEFAULT_STYLE
        if not any(n.startswith("empty prompt") for n in out.notes):
            out.notes.append(f"no style named; using {DEFAULT_STYLE}")
    defaults = STYLE_DEFAULTS[out.style]
    if not out.instruments:
        lineup = [p for p in defaults["instruments"] if p not in out.excluded] or [
            p for p in (0, 73, 40) if p not in out.excluded
        ][:1]
        out.instruments = lineup
        names = ", ".join(program_names(lineup))
        out.notes.append(f"instruments from the {out.style} defaults: {names}")
    if out.tempo is None:
        factor = MOOD_TEMPO_FACTOR.get(out.mood or "", 1.0)
        out.tempo = float(round(defaults["tempo"] * factor))
        why = f" and the {out.mood} mood" if factor != 1.0 else ""
        out.notes.append(f"tempo {out.tempo:g} bpm from the {out.style} defaults{why}")
    if out.meter is None:
        out.meter = defaults["meter"]
        out.notes.append(f"meter {out.meter} from the {out.style} defaults")
    if out.bars is None:
        out.bars = DEFAULT_BARS
        out.notes.append(f"length {DEFAULT_BARS} bars (the default)")
    if out.mode is None and out.mood in ("sad", "dark"):
        out.mode = "minor"
        out.notes.append(f"minor mode for the {out.mood} mood")
    return out
