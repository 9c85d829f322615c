"""Music-aware ABC tokenizer with an exact round trip.

The vocabulary is structured (header fields, pitches, lengths, bar lines, chord symbols...) and
built from ``symbolic/specs/abc.yaml`` in file order, so ids never change between runs.

``normalize`` defines the canonical text of one tune; tokens are a lossless encoding of it, so
``decode(encode(normalize(x))) == normalize(x)``. What normalization keeps and drops:

* Header: ``X:1`` is written fixed; ``M:``, ``L:`` (always written, ABC's default rule when
  absent: 1/16 if the meter is below 3/4, else 1/8), ``Q:`` (as ``Q:<unit>=<bpm>``, bpm rounded
  to 5), ``R:`` (lower-cased, only dance rhythms of the inventory: Essen's genre texts are
  dropped) and ``K:`` (tonic + mode; explicit accidentals and clefs are dropped) are kept, in
  that order. ``T:``, ``N:``, ``O:``... carry no music and are dropped (they are in the
  corpus reader's ``meta``). A header ``P:`` (play order) is dropped; body ``P:A`` labels stay.
* Body: comments, ``%%`` directives, lyrics (``w:``/``W:``) and other text fields are dropped;
  ``\\`` continuations are joined; ``M:``/``L:``/``K:``/``Q:``/``P:`` changes, inline
  (``[K:G]``) or not, become a field line; changes before the first note fold into the header.
  Quoted strings are kept only when they are chord symbols of the inventory (root, quality,
  bass); annotations and fingerings (``"^SEGUE"``, ``"4"``) are dropped. Unknown decorations
  and stray characters music21 ignores anyway (``k``, ``y``, ``Z``...) are dropped. A space
  (beam break) is kept only between two note groups; one per gap. The tune ends at the first
  blank line after the music (the ABC rule).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from symbolic.errors import SymgenError
from symbolic.paths import spec_path

if TYPE_CHECKING:
    from symbolic.tokenize.abc_grammar import AbcGrammar

SPEC_PATH = spec_path("abc")

PAD, BOS, EOS, BODY = "<pad>", "<bos>", "<eos>", "<body>"
SPACE, NEWLINE = " ", "\n"

# Token classes whose tokens are header-style fields (a line of their own in the text).
_FIELD_CLASSES = ("meter", "unit", "tempo_unit", "rhythm", "key", "part")
_HEADER_ORDER = ("meter", "unit", "tempo_unit", "tempo_bpm", "rhythm", "key")

# A beam-breaking space is kept only after a class of SPACE_AFTER and before one of SPACE_BEFORE.
_SPACE_AFTER = frozenset(
    {"pitch", "rest", "numerator", "denominator", "chord_close", "slur_close", "tie"}
)
_SPACE_BEFORE = frozenset(
    {"pitch", "accidental", "rest", "decoration", "chord_root", "chord_open", "grace_open"}
    | {"slur_open", "tuplet"}
)

_FIELD_LINE = re.compile(r"^([A-Za-z]):(?![|:])(.*)$")
_HEADER_LINE = re.compile(r"^([A-Za-z]):(.*)$")
_CHORD_AHEAD = re.compile(r"\[[^\]|\[]*\]")
_INLINE_FIELD = re.compile(r"\[([A-Za-z]):([^\]\n]*)\]")
_BAR = re.compile(r"(:*)(\[?\|[|\]]*)(:*)|::+")
_ENDING = re.compile(r"\[?(\d(?:[,\-]\d)*)")
_TUPLET = re.compile(r"\((\d)(?::(\d*))?(?::(\d*))?")
_NOTE = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-g])([,']*)")
_LENGTH = re.compile(r"\d+/*\d*|/+\d*")
_DECO_LONG = re.compile(r"!([^!\s]{1,24})!")
_DECO_PLUS = re.compile(r"\+([A-Za-z][A-Za-z.]*)\+")
_CHORD_SYMBOL = re.compile(r"^([A-G])([#b]?)([^/\s]*)(?:/([A-Ga-g])([#b+\-]?))?$")
_KEY = re.compile(r"^\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)")
_TEMPO = re.compile(r"(\d+)/(\d+)\s*=\s*(\d+)")
_SINGLE_DECORATIONS = frozenset(".~HLMOPSTuv")
_IGNORED = frozenset("\\`yZkKIJRQUVWXYijlnopqrstwy'")
_DECO_ALIASES = {"fermat:a": "fermata", "Fermat:a": "fermata", "tr": "trill"}
_RHYTHM_ALIASES = {"slipjig": "slip jig", "slip-jig": "slip jig", "double-jig": "double jig"}
_MODES = {"": "", "maj": "", "ion": "", "m": "m", "min": "m", "aeo": "m", "dor": "dor"}
_MODES |= {"phr": "phr", "lyd": "lyd", "mix": "mix", "loc": "loc"}
_DEFAULT_Q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}
_PITCH_LETTERS = "CDEFGAB"


@lru_cache(maxsize=4096)
def _pitch_token(letter: str, marks: str) -> str:
    """Canonical pitch spelling: octave from case and marks, written with the fewest marks."""
    octave = (1 if letter.islower() else 0) + marks.count("'") - marks.count(",")
    up = letter.upper()
    if octave <= 0:
        return up + "," * (-octave)
    return up.lower() + "'" * (octave - 1)


def _unit_for_meter(meter: str | None) -> str:
    """ABC's default unit note length: 1/16 if the meter is below 3/4, else 1/8."""
    if meter is None or meter in ("none", "C", "C|"):
        return "1/8"
    num, den = meter.split("/")
    return "1/16" if Fraction(int(num), int(den)) < Fraction(3, 4) else "1/8"


@dataclass
class _Header:
    """Header field values, canonical strings (``None`` when absent)."""

    meter: str | None = None
    unit: str | None = None
    tempo: tuple[str, int] | None = None
    rhythm: str | None = None
    key: str | None = None


@dataclass
class _LexState:
    """Per-tune lexer state (brackets, spacing, junk statistics)."""

    tokens: list[str] = field(default_factory=list)
    prev: str | None = None
    pending_space: bool = False
    line_has_content: bool = False
    music_started: bool = False
    in_chord: bool = False
    old_chord: bool = False
    in_grace: bool = False
    last_bar_raw: str = ""
    junk: int = 0
    seen: int = 0


class AbcTokenizer:
    """Structured ABC tokenizer: vocabulary from a spec, exact round trip, grammar for sampling;
    a `symbolic.tokenize.base.SequenceTokenizer` whose input is the text of one tune."""

    name = "abc"

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        tokens: list[str] = list(spec["special"])
        self.token_class: dict[str, str] = {t: "special" for t in tokens}
        for cls, values in spec["classes"].items():
            for t in values:
                if t in self.token_class:
                    raise SymgenError(f"token {t!r} appears twice in the ABC tokenizer spec")
                self.token_class[t] = cls
                tokens.append(t)
        self.id_to_token: list[str] = tokens
        self.vocab: dict[str, int] = {t: i for i, t in enumerate(tokens)}
        self.pad_id = self.vocab[PAD]
        self.bos_id = self.vocab[BOS]
        self.eos_id = self.vocab[EOS]
        self.body_id = self.vocab[BODY]
        self.class_ids: dict[str, np.ndarray] = {}
        for cls in spec["classes"]:
            ids = [self.vocab[t] for t in spec["classes"][cls]]
            self.class_ids[cls] = np.array(ids, dtype=np.int64)
        self._text = {t: self._token_text(t) for t in tokens}
        self._id_class = [self.token_class[t] for t in tokens]
        self._length_cache: dict[str, tuple[tuple[str, str], ...]] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_spec(cls, path: str | Path = SPEC_PATH) -> AbcTokenizer:
        """Build from a YAML (or JSON) spec file such as ``symbolic/specs/abc.yaml``."""
        path = Path(path)
        if not path.is_file():
            raise SymgenError(f"ABC tokenizer spec {path} not found: pass the path to abc.yaml")
        with path.open(encoding="utf-8") as f:
            spec = yaml.safe_load(f)
        return cls(spec)

    def save(self, path: str | Path) -> None:
        """Write the spec (the whole vocabulary, in id order) as JSON next to a checkpoint."""
        Path(path).write_text(json.dumps(self.spec, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> AbcTokenizer:
        """Load a tokenizer written by ``save`` (JSON) or a YAML spec."""
        return cls.from_spec(path)

    @property
    def vocab_size(self) -> int:
        """Number of tokens (ids are 0..vocab_size-1, pad is 0)."""
        return len(self.id_to_token)

    @property
    def bar_ids(self) -> list[int]:
        """The bar-line tokens (training windows start on them)."""
        return self.class_ids["bar"].tolist()

    def _token_text(self, tok: str) -> str:
        """The text a body token writes (field tokens are handled by ``detokenize``)."""
        cls = self.token_class[tok]
        if cls == "chord_quality":
            return tok[2:]
        if cls == "special":
            return ""
        return tok

    # ------------------------------------------------------------------ header parsing
    def _meter_value(self, value: str) -> str:
        """Canonical meter string, or a SymgenError for one outside the inventory."""
        v = value.strip().rstrip("]").strip()
        low = v.lower()
        if not v or low == "none" or low.startswith("frei") or low == "free":
            return "none"
        if v.startswith("C|"):
            return "C|"
        if v == "C":
            return "C"
        m = re.match(r"^(\d+)\s*/\s*(\d+)", v)
        if m and f"M:{int(m.group(1))}/{int(m.group(2))}" in self.vocab:
            return f"{int(m.group(1))}/{int(m.group(2))}"
        raise SymgenError(
            f"meter M:{value.strip()} is not supported by the ABC tokenizer: use a simple meter "
            "such as 6/8 (numerator up to 12, denominator 1-16), C, C| or none"
        )

    def _unit_value(self, value: str) -> str:
        """Canonical unit length ``1/d``."""
        m = re.match(r"^\s*1\s*/\s*(\d+)", value)
        if m and f"L:1/{int(m.group(1))}" in self.vocab:
            return f"1/{int(m.group(1))}"
        raise SymgenError(f"unit length L:{value.strip()} is not supported: use 1/1 ... 1/64")

    def _key_value(self, value: str) -> str:
        """Canonical key (tonic + mode); explicit accidentals and clefs are dropped."""
        m = _KEY.match(value)
        if not m:
            return "none"
        tonic = m.group(1).upper() + m.group(2)
        word = m.group(3).lower()
        mode = _MODES.get(word[:3], _MODES.get(word[:1], "")) if word else ""
        if word.startswith("m") and word[:3] not in _MODES:
            mode = "m"
        return tonic + mode

    def _tempo_value(self, value: str, unit: str | None) -> tuple[str, int] | None:
        """Canonical tempo ``(beat unit, bpm rounded to 5)``, or None if not representable."""
        m = _TEMPO.search(value)
        if m:
            beat = f"{int(m.group(1))}/{int(m.group(2))}"
            bpm = int(m.group(3))
        elif re.fullmatch(r"\s*\d+\s*", value):
            beat, bpm = unit or "1/8", int(value)
        else:
            return None
        bpm = min(300, max(20, 5 * round(bpm / 5)))
        if f"Q:{beat}" not in self.vocab:
            return None
        return beat, bpm

    def _rhythm_value(self, value: str) -> str | None:
        """Canonical rhythm label, or None for labels outside the inventory (genre texts)."""
        v = " ".join(value.lower().split())
        v = _RHYTHM_ALIASES.get(v, v)
        return v if f"R:{v}" in self.vocab else None

    def _header_tokens(self, h: _Header) -> list[str]:
        """Header fields as tokens in canonical order; fills L: by ABC's default rule."""
        out: list[str] = []
        if h.meter is not None:
            out.append(f"M:{h.meter}")
        out.append(f"L:{h.unit or _unit_for_meter(h.meter)}")
        if h.tempo is not None:
            out += [f"Q:{h.tempo[0]}", f"={h.tempo[1]}"]
        if h.rhythm is not None:
            out.append(f"R:{h.rhythm}")
        out.append(f"K:{h.key or 'C'}")
        for t in out:
            if t not in self.vocab:
                raise SymgenError(f"header field {t} is not in the ABC tokenizer vocabulary")
        return out

    def _apply_field(self, h: _Header, key: str, value: str) -> None:
        """Set one header field from its raw text."""
        if key == "M":
            h.meter = self._meter_value(value)
        elif key == "L":
            h.unit = self._unit_value(value)
        elif key == "K":
            h.key = self._key_value(value)
        elif key == "Q":
            h.tempo = self._tempo_value(value, h.unit)
        elif key == "R":
            h.rhythm = self._rhythm_value(value)

    # ------------------------------------------------------------------ body lexing
    def _emit(self, st: _LexState, tok: str, cls: str) -> None:
        """Append one body token, with a beam space before it when the layout rule keeps one."""
        if (
            st.pending_space
            and st.prev in _SPACE_AFTER
            and cls in _SPACE_BEFORE
            and not st.in_chord
            and not st.in_grace
        ):
            st.tokens.append(SPACE)
        st.pending_space = False
        st.tokens.append(tok)
        st.prev = cls
        st.line_has_content = True
        if cls not in ("part", "meter", "unit", "key", "tempo_unit", "tempo_bpm"):
            st.music_started = True
        if cls != "bar":
            st.last_bar_raw = ""

    def _emit_length(self, st: _LexState, text: str, pos: int) -> int:
        """Lex an optional note length at ``pos``; emit canonical numerator/denominator tokens."""
        m = _LENGTH.match(text, pos)
        if not m:
            return pos
        s = m.group(0)
        cached = self._length_cache.get(s)
        if cached is not None:
            for tok, cls in cached:
                self._emit(st, tok, cls)
            return m.end()
        num_s = s.partition("/")[0]
        slashes = s.count("/")
        den_digits = s.rsplit("/", 1)[1] if slashes else ""
        num = int(num_s) if num_s else 1
        den = int(den_digits) if den_digits else (2**slashes if slashes else 1)
        if num == 0 or den == 0 or (den_digits and slashes > 1):
            raise SymgenError(f"bad note length {s!r} in ABC body: fix the note length")
        frac = Fraction(num, den)
        out: list[tuple[str, str]] = []
        if frac.numerator != 1:
            tok = str(frac.numerator)
            if tok not in self.vocab:
                raise SymgenError(
                    f"note length {s!r} is outside the ABC tokenizer's range: lengths up to 16 "
                    "(and 24, 32, 48, 64) units are supported; check the L: field"
                )
            out.append((tok, "numerator"))
        if frac.denominator != 1:
            tok = f"/{frac.denominator}"
            if tok not in self.vocab:
                raise SymgenError(
                    f"note length {s!r} has an unsupported divisor: only /2 ... /64 are supported"
                )
            out.append((tok, "denominator"))
        self._length_cache[s] = tuple(out)
        for tok, cls in out:
            self._emit(st, tok, cls)
        return m.end()

    def _emit_bar(self, st: _LexState, raw: str) -> None:
        """Emit a canonical bar line; a bar right after a bar merges with it (``| |`` = ``||``)."""
        if st.prev == "bar" and st.last_bar_raw:
            raw = st.last_bar_raw + raw
            st.tokens.pop()
        m = _BAR.fullmatch(raw)
        lead, core, trail = (
            (m.group(1), m.group(2), m.group(3)) if m and m.group(2) else ("", "", "")
        )
        if m and not m.group(2) or lead and trail:
            tok = "::"
        elif lead:
            tok = ":|"
        elif trail:
            tok = "|:"
        elif core == "|":
            tok = "|"
        elif core.endswith("]"):
            tok = "|]"
        elif core.startswith("["):
            tok = "[|"
        elif "||" in core:
            tok = "||"
        else:
            tok = "|"
        self._emit(st, tok, "bar")
        st.last_bar_raw = raw

    def _emit_field(self, st: _LexState, h: _Header, key: str, value: str) -> None:
        """A field inside the body: fold into the header before the music, else a field line."""
        if key not in "MLKQP":
            return
        if not st.music_started and key != "P":
            self._apply_field(h, key, value)
            return
        if key == "M":
            toks = [(f"M:{self._meter_value(value)}", "meter")]
        elif key == "L":
            toks = [(f"L:{self._unit_value(value)}", "unit")]
        elif key == "K":
            toks = [(f"K:{self._key_value(value)}", "key")]
        elif key == "Q":
            tempo = self._tempo_value(value, h.unit)
            if tempo is None:
                return
            toks = [(f"Q:{tempo[0]}", "tempo_unit"), (f"={tempo[1]}", "tempo_bpm")]
        else:
            v = value.strip()
            if f"P:{v}" not in self.vocab:
                return
            toks = [(f"P:{v}", "part")]
        if st.line_has_content:
            self._end_line(st)
        for tok, cls in toks:
            self._emit(st, tok, cls)
        st.line_has_content = False
        st.prev = None
        st.pending_space = False

    def _end_line(self, st: _LexState) -> None:
        """Close a music line with a newline token (only if it produced any token)."""
        if st.line_has_content:
            st.tokens.append(NEWLINE)
        st.line_has_content = False
        st.prev = None
        st.pending_space = False
        st.last_bar_raw = ""

    def _chord_symbol(self, st: _LexState, text: str) -> None:
        """Emit a chord symbol as root/quality/bass/close tokens, or drop an annotation."""
        m = _CHORD_SYMBOL.match(text.strip())
        if not m:
            return
        root = f'"{m.group(1)}{m.group(2)}'
        quality = f"q:{m.group(3)}" if m.group(3) else None
        if quality is not None and quality not in self.vocab:
            return
        bass = None
        if m.group(4):
            acc = {"+": "#", "-": "b"}.get(m.group(5), m.group(5))
            bass = f"/{m.group(4).upper()}{acc}"
        self._emit(st, root, "chord_root")
        if quality:
            self._emit(st, quality, "chord_quality")
        if bass:
            self._emit(st, bass, "chord_bass")
        self._emit(st, '"', "chord_close")

    def _decoration(self, st: _LexState, name: str) -> None:
        """Emit a ``!name!`` decoration of the inventory; drop unknown ones."""
        name = _DECO_ALIASES.get(name, name)
        low = name.lower()
        for cand in (f"!{name}!", f"!{low}!"):
            if cand in self.vocab:
                self._emit(st, cand, "decoration")
                return

    def _lex_line(self, st: _LexState, h: _Header, text: str) -> None:
        """Lex one (joined) music line into canonical tokens."""
        pos, n = 0, len(text)
        while pos < n:
            c = text[pos]
            st.seen += 1
            if c in " \t":
                st.pending_space = True
                pos += 1
            elif c == '"':
                end = text.find('"', pos + 1)
                if end < 0:
                    st.junk += n - pos
                    return
                self._chord_symbol(st, text[pos + 1 : end])
                pos = end + 1
            elif c == "!":
                m = _DECO_LONG.match(text, pos)
                if m:
                    self._decoration(st, m.group(1))
                    pos = m.end()
                else:
                    pos += 1
            elif c == "+":
                m = _DECO_PLUS.match(text, pos)
                name = m.group(1) if m else ""
                name = _DECO_ALIASES.get(name, name)
                if m and (f"!{name}!" in self.vocab or f"!{name.lower()}!" in self.vocab):
                    self._decoration(st, name)
                    pos = m.end()
                elif not st.in_chord and text.find("+", pos + 1) > 0:
                    self._emit(st, "[", "chord_open")
                    st.in_chord, st.old_chord = True, True
                    pos += 1
                elif st.old_chord:
                    st.in_chord, st.old_chord = False, False
                    self._emit(st, "]", "chord_close")
                    pos = self._emit_length(st, text, pos + 1)
                else:
                    pos += 1
            elif c == "[":
                m = _INLINE_FIELD.match(text, pos)
                if m:
                    self._emit_field(st, h, m.group(1), m.group(2))
                    pos = m.end()
                    continue
                if text.startswith("[|", pos):
                    m = _BAR.match(text, pos)
                    self._emit_bar(st, m.group(0))
                    pos = self._ending(st, text, m.end(), bracket=False)
                    continue
                if pos + 1 < n and text[pos + 1].isdigit():
                    pos = self._ending(st, text, pos, bracket=True)
                    continue
                if st.in_chord or st.in_grace or not _CHORD_AHEAD.match(text, pos):
                    st.junk += 1
                    pos += 1
                    continue
                self._emit(st, "[", "chord_open")
                st.in_chord, st.old_chord = True, False
                pos += 1
            elif c == "]":
                if st.in_chord and not st.old_chord:
                    st.in_chord = False
                    self._emit(st, "]", "chord_close")
                    pos = self._emit_length(st, text, pos + 1)
                else:
                    pos += 1
            elif c == "|" or (c == ":" and pos + 1 < n and text[pos + 1] in "|:"):
                m = _BAR.match(text, pos)
                self._emit_bar(st, m.group(0))
                pos = self._ending(st, text, m.end(), bracket=False)
            elif c == "(":
                m = _TUPLET.match(text, pos)
                if m:
                    self._tuplet(st, m)
                    pos = m.end()
                else:
                    self._emit(st, "(", "slur_open")
                    pos += 1
            elif c == ")":
                self._emit(st, ")", "slur_close")
                pos += 1
            elif c == "{":
                if text.startswith("{/", pos):
                    self._emit(st, "{/", "grace_open")
                    pos += 2
                else:
                    self._emit(st, "{", "grace_open")
                    pos += 1
                st.in_grace = True
            elif c == "}":
                if st.in_grace:
                    st.in_grace = False
                    self._emit(st, "}", "grace_close")
                pos += 1
            elif c == "-":
                self._emit(st, "-", "tie")
                pos += 1
            elif c in "<>":
                end = pos
                while end < n and text[end] == c:
                    end += 1
                if st.prev != "broken" and text[pos:end] in self.vocab:
                    self._emit(st, text[pos:end], "broken")
                pos = end
            elif c in "^_=" or c in "ABCDEFGabcdefg":
                m = _NOTE.match(text, pos)
                if not m:
                    st.junk += 1
                    pos += 1
                    continue
                if m.group(1):
                    self._emit(st, m.group(1), "accidental")
                tok = _pitch_token(m.group(2), m.group(3))
                if tok not in self.vocab:
                    raise SymgenError(
                        f"note {m.group(0)!r} is outside the supported range C,,, to b''': "
                        "transpose the tune by an octave"
                    )
                self._emit(st, tok, "pitch")
                pos = self._emit_length(st, text, m.end())
            elif c in "zx":
                self._emit(st, c, "rest")
                pos = self._emit_length(st, text, pos + 1)
            elif c in _SINGLE_DECORATIONS:
                self._emit(st, c, "decoration")
                pos += 1
            else:
                if c not in _IGNORED:
                    st.junk += 1
                pos += 1
        if st.in_chord:  # a chord left open at the end of a line: close it
            st.in_chord = st.old_chord = False
            self._emit(st, "]", "chord_close")
        if st.in_grace:
            st.in_grace = False
            self._emit(st, "}", "grace_close")

    def _ending(self, st: _LexState, text: str, pos: int, bracket: bool) -> int:
        """Lex an ending (``[1``, or digits right after a bar line) at ``pos``."""
        if not bracket and pos < len(text) and text[pos] == "[":
            if pos + 1 < len(text) and text[pos + 1].isdigit():
                bracket = True
            else:
                return pos
        if not bracket and (pos >= len(text) or not text[pos].isdigit()):
            return pos
        m = _ENDING.match(text, pos)
        if not m:
            return pos
        tok = f"[{m.group(1)}"
        if tok in self.vocab:
            self._emit(st, tok, "ending")
        return m.end()

    def _tuplet(self, st: _LexState, m: re.Match) -> None:
        """Emit ``(p`` and an explicit ``:q`` only when q differs from the fixed default."""
        p = int(m.group(1))
        tok = f"({p}"
        if tok not in self.vocab:
            raise SymgenError(f"tuplet {m.group(0)!r} is not supported: use (2 ... (9")
        self._emit(st, tok, "tuplet")
        q = m.group(2)
        if q and int(q) != _DEFAULT_Q.get(p) and f":{int(q)}" in self.vocab:
            self._emit(st, f":{int(q)}", "tuplet_q")

    # ------------------------------------------------------------------ public API
    def _parse(self, text: str) -> list[str]:
        """Raw ABC of one tune -> canonical tokens (header, ``<body>``, body)."""
        if not isinstance(text, str):
            raise SymgenError("ABC input must be text (str)")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        h = _Header()
        body_start = None
        for i, raw in enumerate(lines):
            line = re.sub(r"(?<!\\)%.*", "", raw).strip()
            if not line:
                continue
            m = _HEADER_LINE.match(line)
            if not m:
                continue  # a wrapped text field (N:, T: ...) in the header
            key, value = m.group(1), m.group(2)
            self._apply_field(h, key, value)
            if key == "K":
                body_start = i + 1
                break
        if body_start is None:
            raise SymgenError("no K: field found: an ABC tune needs a header ending with K:")
        if h.unit is None:
            h.unit = _unit_for_meter(h.meter)
        st = _LexState()
        buf = ""
        for raw in lines[body_start:]:
            line = re.sub(r"(?<!\\)%.*", "", raw).rstrip()
            if not line.strip():
                if raw.strip().startswith("%"):
                    continue
                if st.music_started or buf:
                    break
                continue
            m = _FIELD_LINE.match(line.strip())
            if m:
                if buf:  # a field line ends a pending continuation
                    self._lex_line(st, h, buf)
                    buf = ""
                    self._end_line(st)
                self._emit_field(st, h, m.group(1), m.group(2))
                continue
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            self._lex_line(st, h, buf + line)
            buf = ""
            self._end_line(st)
        if buf:
            self._lex_line(st, h, buf)
            self._end_line(st)
        if st.in_chord or st.in_grace:
            raise SymgenError("unclosed chord [..] or grace group {..} in the ABC body: close it")
        n_music = sum(1 for t in st.tokens if self.token_class[t] in ("pitch", "rest"))
        if n_music == 0:
            raise SymgenError("the ABC body has no notes: give at least one note after K:")
        if st.junk > max(8, st.seen // 10):
            raise SymgenError(
                f"the ABC body has {st.junk} characters that are not ABC music: check the input "
                "is one ABC tune (header fields, then notes and bar lines)"
            )
        return self._header_tokens(h) + [BODY] + st.tokens

    def normalize(self, text: str) -> str:
        """Canonical ABC text of one tune (see the module docstring for what is kept)."""
        return self.detokenize(self._parse(text))

    def tokenize(self, text: str) -> list[str]:
        """Tokens of ``normalize(text)``: header tokens, ``<body>``, body tokens."""
        return self._parse(text)

    def detokenize(self, tokens: list[str]) -> str:
        """Text from tokens; special tokens other than ``<body>`` are ignored."""
        out = ["X:1\n"]
        at_start = True
        tempo_open = False
        cls_of = self.token_class
        for t in tokens:
            cls = cls_of.get(t)
            if cls is None:
                raise SymgenError(f"unknown ABC token {t!r}")
            if tempo_open and cls != "tempo_bpm":
                out.append("\n")
                at_start, tempo_open = True, False
            if cls == "special":
                continue
            if cls in _FIELD_CLASSES:
                if not at_start:
                    out.append("\n")
                if cls == "tempo_unit":
                    out.append(t)
                    tempo_open = True
                else:
                    out.append(t + "\n")
                at_start = True
            elif cls == "tempo_bpm":
                out.append(t + "\n")
                at_start, tempo_open = True, False
            else:
                out.append(self._text[t])
                at_start = t == NEWLINE
        if tempo_open:
            out.append("\n")
        return "".join(out)

    def encode(self, text: str, normalize: bool = True) -> list[int]:
        """``<bos>`` + header + ``<body>`` + body + ``<eos>`` ids (text is normalized anyway)."""
        del normalize  # tokens always describe the normalized text
        ids = [self.vocab[t] for t in self._parse(text)]
        return [self.bos_id, *ids, self.eos_id]

    def decode(self, ids: list[int]) -> str:
        """Text from ids; pad, bos and eos are ignored."""
        try:
            tokens = [self.id_to_token[int(i)] for i in ids]
        except IndexError as e:
            raise SymgenError(f"token id out of range 0..{self.vocab_size - 1}") from e
        return self.detokenize(tokens)

    def header_tokens(self, header: str) -> list[str]:
        """Canonical header tokens of a prompt such as ``"M:6/8\\nK:D\\nR:jig"``."""
        h = _Header()
        for raw in re.split(r"[\n;]", header):
            line = raw.strip()
            if not line:
                continue
            m = _FIELD_LINE.match(line)
            if not m:
                raise SymgenError(
                    f"header prompt line {line!r} is not an ABC field: write e.g. 'M:6/8\\nK:D'"
                )
            self._apply_field(h, m.group(1), m.group(2))
        return self._header_tokens(h)

    def prefix(self, header: str = "") -> list[int]:
        """``<bos>`` + header tokens + ``<body>``: a prompt (L: default rule, K:C if absent)."""
        toks = self.header_tokens(header)
        return [self.bos_id, *(self.vocab[t] for t in toks), self.body_id]

    def grammar(
        self,
        meter: str | None = None,
        key: str | None = None,
        unit: str | None = None,
        max_body_tokens: int = 512,
    ) -> AbcGrammar:
        """A fresh sampling grammar state; optional constraints fix the header fields."""
        from symbolic.tokenize.abc_grammar import AbcGrammar

        return AbcGrammar(self, meter=meter, key=key, unit=unit, max_body_tokens=max_body_tokens)


_TOKENIZER: AbcTokenizer | None = None


def load_abc_tokenizer() -> AbcTokenizer:
    """The tokenizer built from ``symbolic/specs/abc.yaml`` (cached)."""
    global _TOKENIZER
    if _TOKENIZER is None:
        _TOKENIZER = AbcTokenizer.from_spec(SPEC_PATH)
    return _TOKENIZER


def normalize(text: str) -> str:
    """Canonical text of one tune with the default tokenizer."""
    return load_abc_tokenizer().normalize(text)
