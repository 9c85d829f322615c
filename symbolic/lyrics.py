"""Lyrics → lines → words → syllables with lexical stress (the input side of lyric-to-melody).

Rules, in the order they apply:

- **Lines** come from line breaks; a blank line ends a stanza (``Line.is_stanza_end``).
- **Phrases** end at ``, ; : . ! ?``, dashes (``— – --``), ellipses, and at every line end.
- **Tokens** are runs of letters/digits joined by inner apostrophes or hyphens. Other
  characters (quotes, brackets, emoji, stray symbols) are ignored. A hyphenated token gives
  one word per part (``well-known`` → ``well`` + ``known``); all words of one token share
  ``Word.token_index`` and ``Word.token`` (the text as written), so a display can rejoin them.
- **Numbers** are spelled out first: cardinals (``3``, ``1,000``), four-digit years
  (``1999`` → nineteen ninety-nine, ``2005`` → two thousand five, ``2024`` → twenty
  twenty-four), ordinals (``21st``), decades (``80s``), decimals (``3.5``) and digits glued
  to letters (``4ever`` → four ever).
- **Stress and syllable count** come from the CMU dictionary (``pronouncing``), first
  pronunciation. Lookup folds accents (``café`` → ``cafe``) and tries, in turn: the word, the
  word without a leading/trailing apostrophe, ``-in'`` → ``-ing``, the word without
  apostrophes, and a base word + contraction suffix (``'s 'll 're 've 'd 'm n't``; ``n't``
  after a consonant adds one unstressed syllable).
- **Unknown words**: the syllable count is the number of vowel groups (``aeiouy``, ``y`` not
  before a vowel at the start), minus a silent final ``e`` (not ``-le``/``-ee``) and a silent
  ``-ed`` (not after ``t``/``d``); at least one. Stress: one syllable → stressed; two → the
  first, unless the word starts with a verb prefix (``a be de re un in ex con com pre pro``
  …) then the second; three or more → strip an unstressed suffix (``-ing -ed -er -est -ly
  -ness -ful -less -s``) and apply the rule to the stem; words ending in ``-tion -sion -cian
  -ic -ical -ity`` stress the syllable before the suffix; otherwise the antepenult.
- **Function words**: one-syllable articles, prepositions, conjunctions, forms of *be*,
  possessive determiners and ``it`` (``FUNCTION_WORDS``) get stress 0, though CMU says 1.
- **Spelling into syllables**: the written word is cut at ``pyphen`` (en_US) hyphenation
  points, then adjusted to the CMU count. Too many pieces: merge, first any piece without a
  vowel letter into its shorter neighbour, then the adjacent pair whose joined length is
  smallest. Too few: add cut points from pyphen with 1-letter margins, then vowel-group
  boundaries (before the last consonant between two vowel groups, or inside a vowel group
  that is not a common digraph), choosing the cut that leaves the most even halves; as a last
  resort the longest piece is cut in the middle. A word with fewer letters than syllables
  (``TV``) gets one letter per syllable and ``~`` for the rest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from symbolic.errors import SymgenError, require

FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "from", "with", "as"}
    | {"into", "onto", "upon", "and", "or", "but", "nor", "if", "than", "that", "so"}
    | {"is", "am", "are", "was", "were", "be", "been", "it", "its"}
    | {"my", "your", "his", "her", "our", "their"}
)
PHRASE_PUNCT = {",", ";", ":", ".", "!", "?", "—", "–", "--", "...", "…"}
VERB_PREFIXES = ("be", "de", "re", "un", "in", "ex", "con", "com", "pre", "pro", "dis", "mis")
VERB_PREFIXES_1 = ("a",)  # one-letter prefixes count only before a consonant (a-lone, a-way)
UNSTRESSED_SUFFIXES = ("ing", "ed", "er", "est", "ly", "ness", "ful", "less", "s")
PRE_STRESS_SUFFIXES = ("tion", "sion", "cian", "ical", "ic", "ity")
DIGRAPHS = frozenset(
    {"ai", "ay", "ea", "ee", "ei", "ey", "oa", "oe", "oi", "oo", "ou", "oy", "au", "aw", "ie"}
    | {"ue", "ui", "ew", "ow"}
)
VOWELS = frozenset("aeiouy")
# Languages whose words symgen can cut into sung syllables: pyphen's dictionary of each. For
# all but English, a syllable is a vowel group (accents folded: "Äuglein" Äug-lein, "Frère"
# Frè-re, a French final e sung as songs sing it) and stress follows the language's rule.
LANGUAGES = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT"}
FOREIGN_FUNCTION_WORDS = {
    "de": frozenset({"der", "die", "das", "den", "dem", "ein", "und", "zu", "im", "in", "an"}),
    "fr": frozenset({"le", "la", "les", "un", "une", "de", "du", "des", "et", "a", "en"}),
    "es": frozenset({"el", "la", "los", "las", "un", "una", "de", "y", "en", "a", "que"}),
    "it": frozenset({"il", "la", "lo", "le", "gli", "un", "una", "di", "e", "a", "in", "che"}),
}
GERMAN_PREFIXES = ("be", "ge", "ver", "zer", "ent", "emp")

_APOS = "'’"
_WORD = r"(?:['’](?=[^\W_]))?[^\W_](?:[^\W_]|['’](?=[^\W_])|-(?=[^\W_]))*['’]?"
_PUNCT = r"\.\.\.|…|--|[,;:.!?—–]"
_TOKEN_RE = re.compile(rf"(?P<word>{_WORD})|(?P<punct>{_PUNCT})")
_HYPHENATORS: dict[tuple[int, int, str], object] = {}


@dataclass(frozen=True, slots=True)
class Syllable:
    """One sung syllable: its written piece, where it sits, and its lexical stress."""

    text: str
    word_index: int  # over the whole text
    line_index: int
    index_in_word: int
    word_len: int
    stress: int  # 0 none, 1 primary, 2 secondary
    is_line_end: bool
    is_phrase_end: bool
    is_stanza_end: bool = False

    @property
    def is_word_end(self) -> bool:
        """True on the last syllable of its word."""
        return self.index_in_word == self.word_len - 1


@dataclass(slots=True)
class Word:
    """A word as sung (numbers spelled out, hyphen parts split) and its syllables."""

    text: str
    token: str  # the token as written, shared by the parts of one token
    token_index: int  # index of that token in its line
    index: int  # over the whole text
    line_index: int
    in_dictionary: bool
    is_phrase_end: bool = False
    syllables: list[Syllable] = field(default_factory=list)


@dataclass(slots=True)
class Line:
    """One lyric line; ``is_stanza_end`` when a blank line (or the end) follows."""

    index: int
    stanza_index: int
    words: list[Word]
    is_stanza_end: bool = False


@dataclass
class Lyrics:
    """Parsed lyrics: lines → words → syllables; ``len`` counts syllables."""

    lines: list[Line]

    @cached_property
    def words(self) -> list[Word]:
        """All words in order."""
        return [w for line in self.lines for w in line.words]

    @cached_property
    def syllables(self) -> list[Syllable]:
        """All syllables in order."""
        return [s for w in self.words for s in w.syllables]

    @property
    def stresses(self) -> list[int]:
        """The stress of every syllable in order."""
        return [s.stress for s in self.syllables]

    def __len__(self) -> int:
        return len(self.syllables)


# ---------------------------------------------------------------- numbers → words

_ONES = (
    ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    + ("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen")
    + ("eighteen", "nineteen")
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def number_to_words(n: int) -> str:
    """Cardinal English words for an integer: ``121`` → ``one hundred twenty-one``."""
    if n < 0:
        return "minus " + number_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_to_words(rest)}" if rest else "")
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return f"{number_to_words(head)} {name}" + (f" {number_to_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def year_to_words(n: int) -> str:
    """A four-digit year as sung: 1999 → nineteen ninety-nine, 1905 → nineteen oh five."""
    if 2000 <= n <= 2009 or n % 1000 == 0:
        return number_to_words(n)
    head, tail = divmod(n, 100)
    if tail == 0:
        return f"{number_to_words(head)} hundred"
    return f"{number_to_words(head)} " + (
        f"oh {_ONES[tail]}" if tail < 10 else number_to_words(tail)
    )


def ordinal_words(words: str) -> str:
    """Turn the last word of a cardinal into its ordinal: twenty-one → twenty-first."""
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    head, last = words[:cut], words[cut:]
    if last in _ORDINAL_IRREGULAR:
        return head + _ORDINAL_IRREGULAR[last]
    if last.endswith("y"):
        return head + last[:-1] + "ieth"
    return head + last + "th"


def _plural_words(words: str) -> str:
    """Decades: eighty → eighties, nineteen ninety → nineteen nineties."""
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def spell_number_token(token: str) -> str:
    """Spell the digits of one token (``21st``, ``1990s``, ``4ever``) in words."""
    m = re.fullmatch(r"(\d+)(st|nd|rd|th|s|'s)?", token, flags=re.IGNORECASE)
    if m:
        digits, suffix = m.group(1), (m.group(2) or "").lower()
        n = int(digits)
        base = year_to_words(n) if len(digits) == 4 and 1100 <= n <= 2099 else number_to_words(n)
        if suffix in ("st", "nd", "rd", "th"):
            return ordinal_words(number_to_words(n))
        if suffix in ("s", "'s"):
            return _plural_words(base)
        return base
    parts = re.findall(r"\d+|\D+", token)
    return " ".join(spell_number_token(p) if p.isdigit() else p for p in parts)


# ---------------------------------------------------------------- dictionary lookup


def fold(text: str) -> str:
    """Lower-case, accents stripped, curly apostrophes straightened (for lookup only)."""
    return "".join(_fold_chars(text))


def _fold_chars(text: str) -> list[str]:
    """Per written character, its folded form (possibly empty or several letters)."""
    out = []
    for ch in text:
        if ch == "’":
            out.append("'")
            continue
        if ch in "ßẞ":
            out.append("ss")
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base.lower())
    return out


def _cmu_stresses(word: str) -> list[int] | None:
    """Stress digits of the first CMU pronunciation, or None."""
    pronouncing = require("pronouncing", "pronouncing", "syllables and stress (lyric2melody)")

    phones = pronouncing.phones_for_word(word)
    if not phones:
        return None
    return [int(c) for c in pronouncing.stresses(phones[0])]


_CONTRACTIONS = ("n't", "'s", "'ll", "'re", "'ve", "'d", "'m")


def _lookup(word: str) -> list[int] | None:
    """CMU stresses for a folded word, trying the spelling variants in the module doc."""
    tries = [word, word.strip("'")]
    if word.endswith("in'"):
        tries.append(word[:-1] + "g")
    tries.append(word.replace("'", ""))
    for w in tries:
        if w and (found := _cmu_stresses(w)) is not None:
            return found
    for suffix in _CONTRACTIONS:
        if word.endswith(suffix) and len(word) > len(suffix):
            base = word[: -len(suffix)]
            found = _cmu_stresses(base)
            if found is not None:
                extra = [0] if suffix == "n't" and base[-1] not in VOWELS | {"r"} else []
                return found + extra
    return None


def vowel_groups(word: str) -> list[tuple[int, int]]:
    """(start, end) of each run of vowel letters in a folded word (``y`` before a vowel at
    the start of the word counts as a consonant)."""
    groups: list[tuple[int, int]] = []
    start = None
    for i, ch in enumerate(word):
        is_vowel = ch in VOWELS and not (
            ch == "y" and i == 0 and i + 1 < len(word) and word[i + 1] in VOWELS
        )
        if is_vowel and start is None:
            start = i
        elif not is_vowel and start is not None:
            groups.append((start, i))
            start = None
    if start is not None:
        groups.append((start, len(word)))
    return groups


def guess_syllable_count(word: str) -> int:
    """Vowel-group count with silent ``-e`` and ``-ed`` removed; at least 1."""
    letters = "".join(c for c in word if c.isalpha())
    count = len(vowel_groups(letters))
    silent_e = letters.endswith("e") and not letters.endswith(("ee", "ye"))
    syllabic_le = letters.endswith("le") and len(letters) > 2 and letters[-3] not in VOWELS
    if count > 1 and silent_e and not syllabic_le:
        count -= 1
    if count > 1 and letters.endswith("ed") and len(letters) > 2 and letters[-3] not in "td":
        count -= 1
    return max(count, 1)


def guess_stress(word: str, count: int) -> list[int]:
    """Primary stress for an unknown word by the simple English rule in the module doc."""
    stress = [0] * count
    if count <= 1:
        return [1] * count
    letters = "".join(c for c in word if c.isalpha())
    if count == 2:
        prefixed = letters.startswith(VERB_PREFIXES) or (
            letters.startswith(VERB_PREFIXES_1) and len(letters) > 1 and letters[1] not in VOWELS
        )
        stress[1 if prefixed and not letters.endswith(UNSTRESSED_SUFFIXES) else 0] = 1
        return stress
    for suffix in PRE_STRESS_SUFFIXES:
        if letters.endswith(suffix):
            stress[count - 1 - guess_syllable_count(suffix)] = 1
            return stress
    for suffix in UNSTRESSED_SUFFIXES:
        if letters.endswith(suffix) and len(letters) > len(suffix) + 2:
            stem = guess_stress(letters[: -len(suffix)], count - 1)
            return stem + [0]
    stress[count - 3] = 1
    return stress


# ---------------------------------------------------------------- spelling into syllables


def _hyphenator(left: int, right: int, language: str = "en"):
    """A cached pyphen hyphenator of the language (`LANGUAGES`)."""
    key = (left, right, language)
    if key not in _HYPHENATORS:
        pyphen = require("pyphen", "pyphen", "syllables and stress (lyric2melody)")

        _HYPHENATORS[key] = pyphen.Pyphen(lang=LANGUAGES[language], left=left, right=right)
    return _HYPHENATORS[key]


def _has_vowel(piece: str) -> bool:
    """True if the piece can carry a syllable: a vowel letter, or a syllabic ``'n``/``n'``."""
    return any(c in VOWELS for c in piece) or "'n" in piece or "n'" in piece


def _vowel_cuts(word: str, inside_digraphs: bool = False, silent_e: bool = True) -> list[int]:
    """Cut points between vowel groups (a silent final ``e`` is no group, in English) and
    inside vowel groups that are not common digraphs (or inside any, with ``inside_digraphs``)."""
    groups = vowel_groups(word)
    final_e = groups and groups[-1] == (len(word) - 1, len(word)) and word.endswith("e")
    if silent_e and len(groups) > 1 and final_e:
        groups = groups[:-1]
    cuts = []
    for (_, end), (start, _) in zip(groups, groups[1:], strict=False):
        cuts.append(max(end, start - 1))  # before the last consonant between the groups
    for start, end in groups:
        for i in range(start + 1, end):
            if inside_digraphs or word[i - 1 : i + 1] not in DIGRAPHS:
                cuts.append(i)
    return sorted(set(cuts))


def split_into(written: str, n: int, language: str = "en") -> list[str]:
    """Cut a written word into ``n`` pieces following pyphen, adjusted as the module doc says."""
    if n <= 1:
        return [written]
    chars = _fold_chars(written)
    folded = "".join(chars)
    # map folded positions back to written positions (accented letters may fold to 0 or 2+)
    to_written = {}
    pos = 0
    for i, c in enumerate(chars):
        for k in range(max(len(c), 1)):  # a cut inside "ss" of "ß" goes before the ß
            to_written.setdefault(pos + k, i)
        pos += len(c)
    to_written.setdefault(pos, len(chars))
    n_letters = sum(1 for c in written if c.isalnum())
    if n_letters < n:
        letters = [c for c in written if c.isalnum()]
        return letters + ["~"] * (n - len(letters))

    cuts = set(_hyphenator(2, 3, language).positions(folded))

    def pieces_of(cut_set: set[int]) -> list[str]:
        bounds = [0, *sorted(cut_set), len(folded)]
        return [folded[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]

    while len(cuts) + 1 > n:
        ordered = sorted(cuts)
        pieces = pieces_of(cuts)
        bare = [i for i, p in enumerate(pieces) if not _has_vowel(p)]
        if bare:
            i = bare[0]
            if i == 0:
                drop = ordered[0]
            elif i == len(pieces) - 1:
                drop = ordered[-1]
            else:
                drop = ordered[i - 1] if len(pieces[i - 1]) <= len(pieces[i + 1]) else ordered[i]
        else:
            joined = [len(pieces[k]) + len(pieces[k + 1]) for k in range(len(ordered))]
            drop = ordered[joined.index(min(joined))]
        cuts.discard(drop)

    sources = (
        lambda: [i + 1 for i, c in enumerate(folded[:-1]) if c == "'" and i > 0],
        lambda: _hyphenator(1, 1, language).positions(folded),
        lambda: _vowel_cuts(folded, silent_e=language == "en"),
        lambda: _vowel_cuts(folded, inside_digraphs=True, silent_e=language == "en"),
    )
    while len(cuts) + 1 < n:
        bounds = [0, *sorted(cuts), len(folded)]

        def parts(c: int, bounds: list[int] = bounds) -> tuple[str, str]:
            lo = max(b for b in bounds if b < c)
            hi = min(b for b in bounds if b > c)
            return folded[lo:c], folded[c:hi]

        for source in sources:
            extra = [c for c in source() if c not in cuts and 0 < c < len(folded)]
            extra = [c for c in extra if all(map(_has_vowel, parts(c)))]
            if extra:
                cuts.add(max(extra, key=lambda c: min(map(len, parts(c)))))
                break
        else:
            break
    while len(cuts) + 1 < n:
        bounds = [0, *sorted(cuts), len(folded)]
        spans = [(b - a, a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b - a >= 2]
        if not spans:
            break
        _, a, b = max(spans)
        cuts.add((a + b) // 2)

    bounds = [to_written.get(c, c) for c in [0, *sorted(cuts), len(folded)]]
    return [written[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@lru_cache(maxsize=65536)
def foreign_stresses(letters: str, written: str, language: str) -> list[int]:
    """Stress of a German, French, Spanish or Italian word by its language's rule: German the
    first syllable after an unstressed prefix; French the last sung vowel (not a final e);
    Spanish the written accent, else the penult after a vowel, n or s, else the last; Italian
    a written final accent, else the penult."""
    count = max(len(vowel_groups(letters)), 1)
    stress = [0] * count
    if count == 1:
        return [0 if letters in FOREIGN_FUNCTION_WORDS[language] else 1]
    if language == "de":
        # in two syllables only ver-, zer-, ent-, emp- ("beide", "gehen" have no prefix)
        prefixes = GERMAN_PREFIXES if count > 2 else GERMAN_PREFIXES[2:]
        at = 1 if letters.startswith(prefixes) else 0
    elif language == "fr":
        at = count - 2 if letters.endswith(("e", "es", "ent")) else count - 1
    elif language == "es":
        accented = [i for i, c in enumerate(written.lower()) if c in "áéíóú"]
        if accented:
            groups = vowel_groups(letters)
            at = next((k for k, (a, b) in enumerate(groups) if a <= accented[0] < b), count - 2)
        else:
            at = count - 2 if letters[-1] in "aeiouns" else count - 1
    else:
        at = count - 1 if written[-1:].lower() in "àèéìòù" else count - 2
    stress[max(at, 0)] = 1
    return stress


def analyse_word(
    written: str, language: str = "en"
) -> tuple[tuple[str, ...], tuple[int, ...], bool]:
    """(syllable texts, stresses, found in CMU) for one written word of the language."""
    folded = fold(written)
    if language != "en":
        letters = re.sub(r"[^a-z]", "", folded)
        stresses = foreign_stresses(letters, written, language) if letters else [1]
        return tuple(split_into(written, len(stresses), language)), tuple(stresses), False
    stresses = _lookup(folded)
    known = stresses is not None
    if stresses is None:
        letters = re.sub(r"[^a-z]", "", folded)
        count = guess_syllable_count(letters) if letters else 1
        stresses = guess_stress(letters, count) if letters else [1]
    if len(stresses) == 1:  # a monosyllable is stressed unless it is a function word
        function_word = folded.strip("'") in FUNCTION_WORDS
        stresses = [0 if function_word or not stresses[0] else 1]
    if not stresses:  # CMU entries without vowels (rare abbreviations)
        stresses = [1]
    return tuple(split_into(written, len(stresses))), tuple(stresses), known


def sung_stresses(written: str, notes: int, language: str = "en") -> list[int]:
    """The stresses of a word a song sings on `notes` notes (one per syllable): by
    `analyse_word`, or -1 for each note where the syllable counts differ or it has no letters."""
    if any(c.isalpha() for c in written):
        stresses = analyse_word(written, language)[1]
        if len(stresses) == notes:
            return list(stresses)
    return [-1] * notes


# ---------------------------------------------------------------- parsing


def _prepare_line(line: str) -> str:
    """Digit-group commas removed and decimals spelled (`3.5` → `3 point 5`)."""
    line = re.sub(r"(?<=\d),(?=\d{3}\b)", "", line)
    return re.sub(r"(\d+)\.(\d+)", lambda m: m.group(1) + " point " + " ".join(m.group(2)), line)


def _written_words(token: str) -> list[str]:
    """The sung words of one token: hyphen parts, numbers spelled out."""
    words = []
    for part in token.split("-"):
        if any(c.isdigit() for c in part):
            words.extend(w for w in re.split(r"[\s-]+", spell_number_token(part)) if w)
        else:
            if part[:1] in _APOS and _cmu_stresses(fold(part)) is None:
                part = part[1:]  # an opening quote, not an elision like 'cause
            words.append(part)
    return [w for w in words if any(c.isalnum() for c in w)]


def parse_lyrics(text: str, language: str = "en") -> Lyrics:
    """Parse lyrics into lines, words and syllables with stress (rules in the module doc)."""
    if language not in LANGUAGES:
        raise SymgenError(f"language {language!r}: choose one of {', '.join(LANGUAGES)}")
    lines: list[Line] = []
    stanza = 0
    word_index = 0
    pending_break = False
    analysed: dict[int, tuple[tuple[str, ...], tuple[int, ...]]] = {}
    for raw in text.splitlines():
        words: list[Word] = []
        token_index = 0
        for m in _TOKEN_RE.finditer(_prepare_line(raw)):
            if m.group("punct"):
                if words:
                    words[-1].is_phrase_end = True
                continue
            token = m.group("word")
            for written in _written_words(token):
                pieces, stresses, known = analyse_word(written, language)
                word = Word(written, token, token_index, word_index, len(lines), known)
                analysed[word_index] = (pieces, stresses)  # syllables built once ends are known
                words.append(word)
                word_index += 1
            token_index += 1
        if not words:
            pending_break = bool(lines)
            continue
        if pending_break:
            lines[-1].is_stanza_end = True
            stanza += 1
            pending_break = False
        lines.append(Line(len(lines), stanza, words))
    if not lines:
        raise SymgenError("the lyrics have no words: give at least one word of letters or digits")
    lines[-1].is_stanza_end = True
    for line in lines:
        line.words[-1].is_phrase_end = True
        for w in line.words:
            pieces, stresses = analysed[w.index]
            n = len(pieces)
            last_of_line = w is line.words[-1]
            w.syllables = [
                Syllable(
                    text=piece,
                    word_index=w.index,
                    line_index=line.index,
                    index_in_word=i,
                    word_len=n,
                    stress=stress,
                    is_line_end=last_of_line and i == n - 1,
                    is_phrase_end=w.is_phrase_end and i == n - 1,
                    is_stanza_end=last_of_line and i == n - 1 and line.is_stanza_end,
                )
                for i, (piece, stress) in enumerate(zip(pieces, stresses, strict=True))
            ]
    return Lyrics(lines)
