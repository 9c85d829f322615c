"""The prompt parser's word tables: YAML files in `tables/`, read once and given their types here.

Word lists are written as space-separated strings, so that YAML never reads a word such as
"no" or "on" as a boolean; a mapping key that does not load as a string is an error.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load(name: str) -> dict[str, Any]:
    """The contents of `tables/NAME.yaml`, checked for keys that did not load as strings."""
    text = files(__package__).joinpath("tables", f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_Loader)
    _check_keys(data, name)
    return data


def _check_keys(node: object, where: str) -> None:
    """Raise if a mapping key is not a string (a YAML `no:` or `on:` turns into a boolean)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(key, str):
                raise ValueError(f"tables/{where}.yaml: key {key!r} is not a string; quote it")
            _check_keys(value, where)
    elif isinstance(node, list):
        for value in node:
            _check_keys(value, where)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# word -> (lo, hi, default) bpm, and words that mean one of them
TEMPO_WORDS: dict[str, tuple[float, float, float]] = {
    word: tuple(spec) for word, spec in load("tempo")["tempo_words"].items()
}
TEMPO_SYNONYMS: dict[str, str] = dict(load("tempo")["tempo_synonyms"])

# phrase -> GM programs; a generic word's program by style; instruments that hint at a style
INSTRUMENTS: dict[str, tuple[int, ...]] = {
    phrase: tuple(programs) for phrase, programs in load("instruments")["instruments"].items()
}
CONTEXT_PROGRAMS: dict[str, dict[str, int]] = {
    word: dict(by_style) for word, by_style in load("instruments")["context_programs"].items()
}
INSTRUMENT_STYLE_HINTS: tuple[tuple[frozenset[int], str], ...] = tuple(
    (frozenset(programs), style)
    for programs, style in load("instruments")["instrument_style_hints"]
)

# phrase -> (style, weight, meter or None)
STYLE_WORDS: dict[str, tuple[str, float, str | None]] = {
    phrase: tuple(spec) for phrase, spec in load("styles")["style_words"].items()
}
OTHER_STYLES: dict[str, str] = dict(load("styles")["other_styles"])
STYLE_EXEMPLARS: dict[str, tuple[str, ...]] = {
    style: tuple(phrases) for style, phrases in load("styles")["style_exemplars"].items()
}
STYLE_DEFAULTS: dict[str, dict] = {
    style: dict(spec) for style, spec in load("styles")["style_defaults"].items()
}

MOOD_WORDS: dict[str, str] = {
    word: mood for mood, words in load("moods")["mood_words"].items() for word in words.split()
}
MOOD_EXEMPLARS: dict[str, tuple[str, ...]] = {
    mood: tuple(phrases) for mood, phrases in load("moods")["mood_exemplars"].items()
}
MOOD_TEMPO_FACTOR: dict[str, float] = dict(load("moods")["mood_tempo_factor"])

NUMBER_WORDS: dict[str, int] = dict(load("numbers")["number_words"])
METER_WORDS: dict[str, str] = dict(load("numbers")["meter_words"])
LENGTH_WORDS: dict[str, int] = dict(load("numbers")["length_words"])

MINOR_WORDS = _words(load("keys")["minor_words"])
MAJOR_WORDS = _words(load("keys")["major_words"])
ROMANCE_PITCH_CLASSES: dict[str, int] = dict(load("keys")["romance_pitch_classes"])
KEY_NOUNS = _words(load("keys")["key_nouns"])
CONNECTORS = _words(load("keys")["connectors"])
# words never "corrected" as typos although they are not English
PROTECTED = (
    MINOR_WORDS | MAJOR_WORDS | set(ROMANCE_PITCH_CLASSES) | _words(load("keys")["protected"])
)

STOPWORDS = _words(load("words")["stopwords"])
NEGATIONS = _words(load("words")["negations"])

# (term, kind, value): Chinese has no spaces, so these are matched as substrings, in this order
ZH_TERMS: tuple[tuple[str, str, object], ...] = tuple(
    (term, kind, tuple(value) if isinstance(value, list) else value)
    for term, kind, value in load("chinese")["terms"]
)
