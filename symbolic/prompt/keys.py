"""Keys in a prompt: English ("C minor", "B-flat", "F#m"), German ("Es-Dur"), French, Spanish,
Italian ("ré mineur", "sol mayor") and Chinese ("C小调") spellings, and a bare mode ("in minor").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from symbolic.prompt.tables import CONNECTORS, KEY_NOUNS, MINOR_WORDS, ROMANCE_PITCH_CLASSES
from symbolic.theory.keys import key_name

if TYPE_CHECKING:
    from symbolic.prompt.attributes import Attributes

_PC = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}

_KEY_EN = re.compile(
    r"(?<![\w'’#♯♭-])(?P<tonic>[A-Ga-g])"
    r"(?P<acc>#|♯|♭|b|\s*-?\s*(?:sharp|flat)(?![a-z]))?"
    r"(?P<mode>\s*-?\s*(?:major|minor|maj|min|m)(?![a-z]))?"
    r"(?![\w#♯♭])",
    re.IGNORECASE,
)
_KEY_DE = re.compile(
    r"(?<![\w-])(?P<tonic>[A-Ha-h])(?P<acc>is|es|s)?\s*-\s*(?P<mode>dur|moll)(?![a-z])",
    re.IGNORECASE,
)
_KEY_ROMANCE = re.compile(
    r"(?<![\w-])(?P<tonic>do|ré|re|mi|fa|sol|la|si)"
    r"(?:\s+(?P<acc>dièse|diese|bémol|bemol|sostenido|diesis|bemolle))?"
    r"\s+(?P<mode>majeur|mineur|mayor|menor|maggiore|minore)(?![a-z])",
    re.IGNORECASE,
)
_KEY_ZH = re.compile(
    r"(?P<pre>[升降])?(?P<tonic>[A-Ga-g])(?P<acc>[#♯b♭])?\s*(?P<mode>大调|小调|大調|小調|调|調)"
)
_MODE_ONLY = re.compile(
    r"(?:(?<![\w-])(?P<pre>in|en|im)\s+(?:a\s+)?)?(?P<mode>minor|major|moll|dur|mineur|majeur|"
    r"menor|mayor)(?P<post>[\s-]+(?:key|keys|mode|tonality|scale|feel))?(?![\w])|(?P<zh>小调|大调)",
    re.IGNORECASE,
)


def _set_key(attrs: Attributes, pc: int, minor: bool, written: str, spelled: str | None) -> None:
    """Record a key (the first one named wins); `spelled` is the tonic as written ("Gb")."""
    name = key_name(pc, "minor" if minor else "major", short=True)
    if attrs.key is not None:
        if name != attrs.key:
            attrs.notes.append(f"several keys named; using the first, {attrs.key}")
        return
    attrs.key, attrs.mode = name, "minor" if minor else "major"
    attrs.explicit |= {"key", "mode"}
    if spelled is not None and spelled != name.removesuffix("m"):
        attrs.notes.append(f"'{written.strip()}' is written {name} (the same key)")


def parse_keys(text: str, attrs: Attributes) -> list[tuple[int, int]]:
    """Find keys in all supported spellings and set them on `attrs`; returns the spans used."""
    found: list[tuple[int, int, int, bool, str, str | None]] = []
    for m in _KEY_ZH.finditer(text):
        pc = _PC[m["tonic"].lower()] + {"升": 1, "降": -1}.get(m["pre"] or "", 0)
        pc += {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(m["acc"] or "", 0)
        found.append((m.start(), m.end(), pc, m["mode"] in MINOR_WORDS, m.group(), None))
    for m in _KEY_DE.finditer(text):
        letter, acc = m["tonic"].lower(), (m["acc"] or "").lower()
        pc = {"h": 11, "b": 10}.get(letter, _PC.get(letter, 0))
        pc += 1 if acc == "is" else -1 if acc in ("es", "s") else 0
        spelled = {"h": "B", "b": "Bb"}.get(letter, letter.upper()) + (
            "#" if acc == "is" else "b" if acc else ""
        )
        found.append((m.start(), m.end(), pc, m["mode"].lower() == "moll", m.group(), spelled))
    for m in _KEY_ROMANCE.finditer(text):
        acc = (m["acc"] or "").lower()
        pc = ROMANCE_PITCH_CLASSES[m["tonic"].lower()] + (
            1 if acc.startswith(("di", "so")) else -1 if acc else 0
        )
        minor = m["mode"].lower() in MINOR_WORDS
        found.append((m.start(), m.end(), pc, minor, m.group(), None))
    taken = [(s, e) for s, e, *_ in found]
    for m in _KEY_EN.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        got = _english_key(text, m)
        if got is not None:
            found.append((m.start(), m.end(), got[0], got[1], m.group(), got[2]))
    found.sort()
    for _, _, pc, minor, written, spelled in found:
        _set_key(attrs, pc, minor, written, spelled)
    spans = [(s, e) for s, e, *_ in found]
    if attrs.mode is None:
        for m in _MODE_ONLY.finditer(text):
            at_end = re.match(r"\s*(?:$|[,.;:!?)])", text[m.end() :]) is not None
            word = (m["mode"] or m["zh"]).lower()
            if m["zh"] or m["post"] or m["pre"] or (at_end and word in ("minor", "major")):
                attrs.mode = "minor" if word in MINOR_WORDS else "major"
                attrs.explicit.add("mode")
                spans.append((m.start(), m.end()))
                break
    return spans


def _english_key(text: str, m: re.Match) -> tuple[int, bool, str] | None:
    """(pitch class, minor, tonic as written) of an English key match, or None if no key."""
    tonic, acc_raw, mode_raw = m["tonic"], m["acc"] or "", m["mode"] or ""
    acc, mode = acc_raw.strip(" -").lower(), mode_raw.strip(" -").lower()
    upper = tonic.isupper()
    if mode == "m" and (mode_raw != "m" or not (upper or acc in ("#", "♯", "♭"))):
        return None  # "am", "cm", "c m", "8 AM", "dbm": not "Am" ("f#m" is fine)
    after = text[m.end() :]
    if re.match(r"-[^\W\d_]", after) and not mode:
        return None  # B-side, C-pop, E-piano
    before = text[: m.start()].lower().rstrip()
    prev_word = re.findall(r"[\w:]+$", before)
    prev = prev_word[0] if prev_word else ""
    nxt = re.match(r"[\s-]*([^\W_]+)", after)
    next_word = nxt.group(1) if nxt else ""
    end_of_phrase = not next_word or re.match(r"\s*[,.;:!?)\]]", after) is not None
    keyish = prev in ("in", "of", "key", "key:", "tonic", "en", "im")
    free = end_of_phrase or next_word.lower() in CONNECTORS or next_word.isdigit()
    article = next_word.lower() in KEY_NOUNS or not (free or (keyish and (mode or acc)))
    if tonic == "a" and acc in ("", "flat") and article:
        return None  # the article: "a minor key", "a flat melody", "a major hit"
    if not mode and not acc:
        if not keyish:
            return None
        if not upper and not end_of_phrase:
            return None
        if upper and not end_of_phrase and next_word[:1].isupper():
            return None  # Title Case: "Song In A Slow Tempo"
    if acc == "b" and not (upper or mode or keyish):
        return None
    if acc in ("sharp", "flat") and not upper and not (mode or keyish or free):
        return None
    sharp, flat = acc in ("#", "♯", "sharp"), acc in ("b", "♭", "flat")
    pc = (_PC[tonic.lower()] + (1 if sharp else -1 if flat else 0)) % 12
    return (
        pc,
        mode in ("minor", "min", "m"),
        tonic.upper() + ("#" if sharp else "b" if flat else ""),
    )
