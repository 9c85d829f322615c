"""Typos of vocabulary words ("jaz", "slwo", "mnior", "pinao"), fixed one word at a time: the
first letter kept, difflib cutoff 0.8 or one swapped pair, never for real English words (the
sentence encoder's WordPiece vocabulary) or key and mode words.
"""

from __future__ import annotations

import difflib
from functools import cache, lru_cache

from symbolic.paths import text_encoder_dir
from symbolic.prompt.tables import PROTECTED
from symbolic.prompt.words import WORD, phrases

MAX_TYPO_LOOKUPS = 200  # unknown words per prompt checked for typos (keeps long prompts fast)


@cache
def english_words() -> frozenset[str]:
    """Real English words (the encoder's WordPiece vocabulary): never "corrected" as typos."""
    try:
        lines = (text_encoder_dir() / "vocab.txt").read_text(encoding="utf-8").split()
    except Exception:  # the encoder package is optional for the parser
        return frozenset()
    return frozenset(w for w in lines if w.isalpha())


def _is_transposition(a: str, b: str) -> bool:
    """True when `a` is `b` with two neighbouring letters swapped ("slwo" / "slow")."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]


@lru_cache(maxsize=8192)
def _correct(word: str) -> str | None:
    """The vocabulary word a typo most likely means, or None."""
    table, _, by_start = phrases()
    if len(word) < 3 or not word.isascii() or not word.isalpha() or word in PROTECTED:
        return None
    if (word,) in table or word in english_words():
        return None
    candidates = by_start.get((word[0], len(word)), ())
    if not candidates:
        return None
    for target in candidates:
        if _is_transposition(word, target):
            return target
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.8)
    return close[0] if close else None


def fix_typos(text: str, notes: list[str]) -> str:
    """Replace single-word typos of vocabulary words in the text, each with a note."""
    pieces, last, tried = [], 0, 0
    for m in WORD.finditer(text):
        if tried >= MAX_TYPO_LOOKUPS:
            break
        word = m.group().lower()
        tried += word not in english_words()
        fixed = _correct(word)
        if fixed:
            pieces += [text[last : m.start()], fixed]
            last = m.end()
            notes.append(f"read '{m.group()}' as '{fixed}'")
    return "".join(pieces) + text[last:] if pieces else text
