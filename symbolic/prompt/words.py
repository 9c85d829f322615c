"""Words in a prompt: instruments, styles, tempo, mood, meter and length phrases, longest first,
looked up in one phrase table built from the word tables and the GM program names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from symbolic.prompt.tables import (
    CONTEXT_PROGRAMS,
    INSTRUMENTS,
    LENGTH_WORDS,
    METER_WORDS,
    MOOD_WORDS,
    NEGATIONS,
    NUMBER_WORDS,
    OTHER_STYLES,
    STYLE_WORDS,
    TEMPO_SYNONYMS,
    TEMPO_WORDS,
    ZH_TERMS,
)
from symbolic.theory.gm import PROGRAM_NAMES

if TYPE_CHECKING:
    from symbolic.prompt.attributes import Attributes

WORD = re.compile(r"[^\W_]+(?:[&'][^\W_]+)*", re.UNICODE)
Table = dict[tuple[str, ...], list[tuple[str, object]]]
TypoTargets = dict[tuple[str, int], tuple[str, ...]]


def instrument_programs(phrase: str) -> tuple[int, ...]:
    """The GM programs an instrument phrase of the tables names ("bass" (33,), "choir" four
    voices, "drums" (128,)), or () when the tables do not list it."""
    return INSTRUMENTS.get(" ".join(phrase.lower().split()), ())


@cache
def phrases() -> tuple[Table, int, TypoTargets]:
    """phrase (word tuple) → [(kind, value)], the longest phrase, typo targets by length."""
    table: Table = {}

    def add(phrase: str, kind: str, value: object) -> None:
        words = tuple(WORD.findall(phrase.lower()))
        if words:
            table.setdefault(words, []).append((kind, value))

    for program, name in enumerate(PROGRAM_NAMES[:120]):  # 120-127: sound effects, never
        add(re.sub(r"[()]", " ", name), "instrument", (program,))
    for phrase, programs in INSTRUMENTS.items():
        words = tuple(WORD.findall(phrase))
        table[words] = [e for e in table.get(words, []) if e[0] != "instrument"]
        add(phrase, "instrument", programs)
    for words, entries in table.items():  # "jazz guitar", "Electric Guitar (jazz)"
        if "jazz" in words and len(words) > 1:
            entries.append(("style", ("jazz", "jazz", 1, None)))
    for phrase, value in STYLE_WORDS.items():
        add(phrase, "style", (phrase, *value))
    for phrase, style in OTHER_STYLES.items():
        add(phrase, "other_style", (phrase, style))
    for phrase in TEMPO_WORDS:
        add(phrase, "tempo", phrase)
    for phrase, word in TEMPO_SYNONYMS.items():
        add(phrase, "tempo", word)
    for phrase, mood in MOOD_WORDS.items():
        add(phrase, "mood", mood)
    for phrase, meter in METER_WORDS.items():
        add(phrase, "meter", meter)
    for phrase, bars in LENGTH_WORDS.items():
        add(phrase, "length", bars)
    longest = max(len(k) for k in table)
    # single words a typo may be corrected to (4+ letters, so "sad" never eats "sat")
    targets = {k[0] for k in table if len(k) == 1 and len(k[0]) >= 4 and k[0].isalpha()}
    targets |= {"minor", "major", "bars", "measures"}
    # typos keep the first letter ("jaz", "slwo", "mnior", "pinao"): candidates by both
    by_start: TypoTargets = {}
    for first in {t[0] for t in targets}:
        for n in range(3, 40):
            near = (t for t in targets if t[0] == first and abs(len(t) - n) <= max(1, n // 4))
            by_start[first, n] = tuple(sorted(near))
    return table, longest, by_start


def tokens(text: str) -> list[str]:
    """Lower-case words ("c-pop" is two words, as in the phrase tables)."""
    return WORD.findall(text.lower())


@dataclass
class Words:
    """What the word scan found besides the fields it sets directly."""

    leftover: list[str]
    unknown_style: str | None
    generic: list[tuple[int, str]]  # (index in instruments, word) for style-dependent programs


def _lookup(table: Table, words: list[str]) -> tuple[int, list[tuple[str, object]]] | None:
    """The longest phrase at the start of `words` (plurals fall back to the singular)."""
    for n in range(len(words), 0, -1):
        entry = table.get(tuple(words[:n]))
        if entry is None and n == 1 and len(words[0]) > 3 and words[0].endswith("s"):
            entry = table.get((words[0][:-1],))
        if entry:
            return n, entry
    return None


def _add_instrument(attrs: Attributes, phrase: str, programs: list[int], prev: list[str]) -> bool:
    """Add a named instrument (negated: exclude it); True if it went into the list."""
    if any(p in NEGATIONS for p in prev):
        attrs.excluded += [p for p in programs if p not in attrs.excluded]
        attrs.notes.append(f"no {phrase}, as asked")
        return False
    count = NUMBER_WORDS.get(prev[-1], 0) if prev else 0
    if prev and prev[-1].isdigit():
        count = int(prev[-1])
    if 1 < count <= 8 and len(set(programs)) == 1:
        programs = [programs[0]] * count
    elif len(set(programs)) == 1 and programs[0] in attrs.instruments:
        return False  # named twice ("SATB choir")
    attrs.instruments += programs
    attrs.explicit.add("instruments")
    return True


def parse_words(text: str, attrs: Attributes) -> Words:
    """Instruments, styles, tempo/mood/meter/length words, longest phrase first."""
    table, longest, _ = phrases()
    words = tokens(text)
    out = Words([], None, [])
    styles: list[tuple[float, int, str, str, str | None]] = []  # -weight, pos, style, word, meter
    i = 0
    while i < len(words):
        hit = _lookup(table, words[i : i + longest])
        if hit is None:
            out.leftover.append(words[i])
            i += 1
            continue
        n, entries = hit
        phrase = " ".join(words[i : i + n])
        prev = words[max(0, i - 3) : i]
        for kind, value in entries:
            if kind == "instrument":
                start = len(attrs.instruments)
                if _add_instrument(attrs, phrase, list(value), prev):
                    word = phrase if phrase in CONTEXT_PROGRAMS else phrase[:-1]
                    if word in CONTEXT_PROGRAMS:
                        out.generic += [(k, word) for k in range(start, len(attrs.instruments))]
            elif kind == "style":
                word, style, weight, meter = value
                styles.append((-weight, i, style, word, meter))
            elif kind == "other_style":
                out.unknown_style = out.unknown_style or value[0]
            elif kind == "tempo" and attrs.tempo_word is None:
                attrs.tempo_word = value
                attrs.explicit.add("tempo")
            elif kind == "mood" and attrs.mood is None:
                attrs.mood = value
                attrs.explicit.add("mood")
            elif kind == "meter" and attrs.meter is None:
                attrs.meter = value
                attrs.explicit.add("meter")
            elif kind == "length" and attrs.bars is None:
                nxt = words[i + n] if i + n < len(words) else ""
                if nxt not in ("note", "notes", "tones", "chords", "phrases", "lines"):
                    attrs.bars = value
                    attrs.explicit.add("bars")
                    attrs.notes.append(f"'{phrase}' read as {value} bars")
        i += n
    styles += _chinese_terms(text, attrs, len(words))
    _choose_style(attrs, styles, out)
    return out


def _chinese_terms(
    text: str, attrs: Attributes, end: int
) -> list[tuple[float, int, str, str, str | None]]:
    """Chinese terms found as substrings: set instruments, mood and tempo; return style hits."""
    styles = []
    for term, kind, value in ZH_TERMS:
        if term not in text:
            continue
        if kind == "instrument" and not set(value) <= set(attrs.instruments):
            attrs.instruments += list(value)
            attrs.explicit.add("instruments")
        elif kind == "style":
            style, weight, meter = STYLE_WORDS.get(value, (value, 2, None))
            styles.append((-weight, end, style, term, meter))
        elif kind == "mood" and attrs.mood is None:
            attrs.mood = value
            attrs.explicit.add("mood")
        elif kind == "tempo" and attrs.tempo_word is None:
            attrs.tempo_word = value
            attrs.explicit.add("tempo")
    return styles


def _choose_style(
    attrs: Attributes, styles: list[tuple[float, int, str, str, str | None]], out: Words
) -> None:
    """The strongest, then earliest, style word wins; form words set the meter ("waltz")."""
    if out.unknown_style and styles and max(-s[0] for s in styles) < 1:
        styles = []  # "a grunge song": the genre says more than "song"
    if not styles:
        return
    styles.sort()
    _, _, style, word, _ = styles[0]
    attrs.style, attrs.style_requested = style, word
    attrs.explicit.add("style")
    if out.unknown_style:
        attrs.notes.append(
            f"'{out.unknown_style}' is not a style the model knows; '{word}' decides ({style})"
        )
        out.unknown_style = None
    for _, _, _, form, meter in sorted(styles, key=lambda s: s[1]):
        if meter and attrs.meter is None:
            attrs.meter = meter
            attrs.explicit.add("meter")
            attrs.notes.append(f"'{form}' implies {meter}")
