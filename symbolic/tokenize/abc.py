"""Music-aware ABC tokenizer with an exact round trip, and the grammar the sampler masks with.

The vocabulary is structured (header fields, pitches, lengths, bar lines, chord symbols...) and
built from ``tokenizers/abc.yaml`` in file order, so ids never change between runs.

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
from math import gcd
from pathlib import Path

import numpy as np
import yaml

from symbolic.errors import SymgenError

SPEC_PATH = Path(__file__).resolve().parents[2] / "tokenizers" / "abc.yaml"

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


def _meter_fraction(meter: str | None) -> Fraction | None:
    """Bar length in whole notes, or None for free meter."""
    if meter is None or meter == "none":
        return None
    if meter == "C":
        return Fraction(1)
    if meter == "C|":
        return Fraction(1)
    num, den = meter.split("/")
    return Fraction(int(num), int(den))


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
    """Structured ABC tokenizer: vocabulary from a spec, exact round trip, grammar for sampling."""

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
        self.token_to_id: dict[str, int] = {t: i for i, t in enumerate(tokens)}
        self.pad_id = self.token_to_id[PAD]
        self.bos_id = self.token_to_id[BOS]
        self.eos_id = self.token_to_id[EOS]
        self.body_id = self.token_to_id[BODY]
        self.class_ids: dict[str, np.ndarray] = {}
        for cls in spec["classes"]:
            ids = [self.token_to_id[t] for t in spec["classes"][cls]]
            self.class_ids[cls] = np.array(ids, dtype=np.int64)
        self._text = {t: self._token_text(t) for t in tokens}
        self._id_class = [self.token_class[t] for t in tokens]
        self._length_cache: dict[str, tuple[tuple[str, str], ...]] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_spec(cls, path: str | Path = SPEC_PATH) -> AbcTokenizer:
        """Build from a YAML (or JSON) spec file such as ``tokenizers/abc.yaml``."""
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
        if m and f"M:{int(m.group(1))}/{int(m.group(2))}" in self.token_to_id:
            return f"{int(m.group(1))}/{int(m.group(2))}"
        raise SymgenError(
            f"meter M:{value.strip()} is not supported by the ABC tokenizer: use a simple meter "
            "such as 6/8 (numerator up to 12, denominator 1-16), C, C| or none"
        )

    def _unit_value(self, value: str) -> str:
        """Canonical unit length ``1/d``."""
        m = re.match(r"^\s*1\s*/\s*(\d+)", value)
        if m and f"L:1/{int(m.group(1))}" in self.token_to_id:
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
        if f"Q:{beat}" not in self.token_to_id:
            return None
        return beat, bpm

    def _rhythm_value(self, value: str) -> str | None:
        """Canonical rhythm label, or None for labels outside the inventory (genre texts)."""
        v = " ".join(value.lower().split())
        v = _RHYTHM_ALIASES.get(v, v)
        return v if f"R:{v}" in self.token_to_id else None

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
            if t not in self.token_to_id:
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
            if tok not in self.token_to_id:
                raise SymgenError(
                    f"note length {s!r} is outside the ABC tokenizer's range: lengths up to 16 "
                    "(and 24, 32, 48, 64) units are supported; check the L: field"
                )
            out.append((tok, "numerator"))
        if frac.denominator != 1:
            tok = f"/{frac.denominator}"
            if tok not in self.token_to_id:
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
            if f"P:{v}" not in self.token_to_id:
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
        if quality is not None and quality not in self.token_to_id:
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
            if cand in self.token_to_id:
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
                if m and (
                    f"!{name}!" in self.token_to_id or f"!{name.lower()}!" in self.token_to_id
                ):
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
                if st.prev != "broken" and text[pos:end] in self.token_to_id:
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
                if tok not in self.token_to_id:
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
        if tok in self.token_to_id:
            self._emit(st, tok, "ending")
        return m.end()

    def _tuplet(self, st: _LexState, m: re.Match) -> None:
        """Emit ``(p`` and an explicit ``:q`` only when q differs from the fixed default."""
        p = int(m.group(1))
        tok = f"({p}"
        if tok not in self.token_to_id:
            raise SymgenError(f"tuplet {m.group(0)!r} is not supported: use (2 ... (9")
        self._emit(st, tok, "tuplet")
        q = m.group(2)
        if q and int(q) != _DEFAULT_Q.get(p) and f":{int(q)}" in self.token_to_id:
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
        ids = [self.token_to_id[t] for t in self._parse(text)]
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

    def encode_header(self, header: str) -> list[int]:
        """``<bos>`` + header tokens + ``<body>``: a prompt (L: default rule, K:C if absent)."""
        toks = self.header_tokens(header)
        return [self.bos_id, *(self.token_to_id[t] for t in toks), self.body_id]

    def grammar(
        self,
        meter: str | None = None,
        key: str | None = None,
        unit: str | None = None,
        max_body_tokens: int = 512,
    ) -> AbcGrammar:
        """A fresh sampling grammar state; optional constraints fix the header fields."""
        return AbcGrammar(self, meter=meter, key=key, unit=unit, max_body_tokens=max_body_tokens)


_TOKENIZER: AbcTokenizer | None = None


def load_abc_tokenizer() -> AbcTokenizer:
    """The tokenizer built from ``tokenizers/abc.yaml`` (cached)."""
    global _TOKENIZER
    if _TOKENIZER is None:
        _TOKENIZER = AbcTokenizer.from_spec(SPEC_PATH)
    return _TOKENIZER


def normalize(text: str) -> str:
    """Canonical text of one tune with the default tokenizer."""
    return load_abc_tokenizer().normalize(text)


# ---------------------------------------------------------------------- sampling grammar
# Subsets the sampler may produce (all kept by the tokenizer; some rarer forms are not sampled).
_G = 16  # time grid: 1/16 of the unit length L; every bar position is a whole number of grid steps
_SAMPLE_NUMERATORS = {str(n): n for n in range(2, 17)}
_SAMPLE_DENOMINATORS = {"/2": 2, "/4": 4, "/8": 8, "/16": 16}
# No "H": music21 reads "HB" as a German note name and drops notes after it.
_SAMPLE_DECORATIONS = (".", "~", "T", "u", "v", "!trill!", "!fermata!", "!accent!")
_SAMPLE_QUALITIES = ("q:m", "q:7", "q:m7", "q:maj7", "q:6", "q:m6", "q:9", "q:dim", "q:sus4")
_SAMPLE_TUPLETS = {"(2": 3, "(3": 2, "(4": 3}
_OPEN_BARS = ("|", "|:")
_CLOSE_BARS = ("||", "|]", ":|", "::")
_EOS_BARS = ("||", "|]", ":|")
_CLOSING_RESERVE = 40


class AbcGrammar:
    """Incremental token mask for sampling ABC: every sequence it allows decodes and parses.

    Header: optional ``M:``, ``L:`` (required), optional ``Q:`` + bpm, optional ``R:``, ``K:``
    (required), ``<body>``. Body: bar lines only when the bar is exactly full (the first bar, a
    pickup, and a bar closing a section may be short); note lengths that would overflow the bar
    are masked; tuplets hold notes of one length; chords, grace groups and slurs are balanced;
    ``<eos>`` only right after a closing bar line. Time is counted in integer steps of 1/16 of
    the unit length so every check is integer arithmetic.
    """

    def __init__(
        self,
        tok: AbcTokenizer,
        meter: str | None = None,
        key: str | None = None,
        unit: str | None = None,
        max_body_tokens: int = 512,
    ) -> None:
        self.tok = tok
        self.max_body_tokens = max(max_body_tokens, _CLOSING_RESERVE + 16)
        v = tok.vocab_size
        ids = tok.token_to_id

        def mask(tokens) -> np.ndarray:
            m = np.zeros(v, dtype=bool)
            m[[ids[t] for t in tokens]] = True
            return m

        self._mask = mask
        spec = tok.spec["classes"]
        self.m_pitch = mask(spec["pitch"])
        self.m_acc = mask(spec["accidental"])
        self.m_note = self.m_pitch | self.m_acc
        self.m_rest = mask(["z"])
        self.m_deco = mask(_SAMPLE_DECORATIONS)
        self.m_root = mask(spec["chord_root"])
        self.m_quality = mask(_SAMPLE_QUALITIES)
        self.m_bass = mask(spec["chord_bass"])
        self.m_chclose = mask(['"'])
        self.m_tuplet = mask(_SAMPLE_TUPLETS)
        self.m_slur_open = mask(["("])
        self.m_slur_close = mask([")"])
        self.m_chord_open = mask(["["])
        self.m_chord_close = mask(["]"])
        self.m_grace_open = mask(["{", "{/"])
        self.m_grace_close = mask(["}"])
        self.m_tie = mask(["-"])
        self.m_broken = mask([">", "<"])
        self.m_space = mask([SPACE])
        self.m_newline = mask([NEWLINE])
        self.m_eos = mask([EOS])
        self.m_body = mask([BODY])
        self.m_bos = mask([BOS])
        self.m_part = mask([f"P:{c}" for c in "ABCD"])
        self.m_body_key = mask(spec["key"])
        self.bar_masks = {b: mask([b]) for b in spec["bar"]}
        self.m_end1 = mask(["[1"])
        self.m_end2 = mask(["[2"])
        self.num_ids = {ids[t]: n for t, n in _SAMPLE_NUMERATORS.items()}
        self.den_ids = {ids[t]: d for t, d in _SAMPLE_DENOMINATORS.items()}
        self.tuplet_q = {ids[t]: q for t, q in _SAMPLE_TUPLETS.items()}
        self.cls = tok._id_class
        self.ids = ids
        # header constraints
        self.c_meter = f"M:{tok._meter_value(meter)}" if meter else None
        self.c_key = f"K:{tok._key_value(key)}" if key else None
        self.c_unit = f"L:{tok._unit_value(unit)}" if unit else None
        for t in (self.c_meter, self.c_key, self.c_unit):
            if t is not None and t not in ids:
                raise SymgenError(f"constraint {t} is not in the ABC vocabulary")
        self._reset()

    # ------------------------------------------------------------------ state
    def _reset(self) -> None:
        """Start state: expecting ``<bos>``."""
        self.phase = "start"
        self.finished = False
        self.slot = 0  # header slots: 0 meter, 1 unit, 2 tempo, 3 bpm, 4 rhythm, 5 key, 6 body
        self.meter: str | None = None
        self.unit: str | None = None
        self.bar: int | None = None  # bar length in grid steps, None = free meter
        self.t = 0
        self.n_body = 0
        self.first_bar = True
        self.after = "start"  # what the previous body token was, as a small set of states
        self.pending: list[int] | None = None  # [num, den] of a note whose length is open
        self.pending_kind = "note"
        self.last_len = 0  # written length (grid) of the last committed note
        self.tup_left = 0
        self.tup_q = 0
        self.tup_len: int | None = None
        self.broken: str | None = None
        self.pair_end = False  # the last note closed a broken pair: no chained > or <
        self.tie = False
        self.slur = 0
        self.slur_notes = 0
        self.chord_n = 0
        self.grace_n = 0
        self.deco_n = 0
        self.symbol = False
        self.ending = 0
        self.notes_in_line = 0
        self.last_bar = ""
        self._in_chord = False
        self._in_grace = False

    def _header_allowed(self) -> np.ndarray:
        """Mask over the header slots from the current one up to the next required one."""
        tok, spec = self.tok, self.tok.spec["classes"]
        m = np.zeros(tok.vocab_size, dtype=bool)
        s = self.slot
        if s <= 0:
            m |= self._mask([self.c_meter]) if self.c_meter else self._mask(_SAMPLE_METERS)
            if self.c_meter:
                return m
        if s <= 1:
            if self.c_unit:
                return m | self._mask([self.c_unit])
            units = [u for u in spec["unit"] if self._unit_ok(u)]
            return m | self._mask(units)
        if s == 3:
            return self._mask(spec["tempo_bpm"])
        if s <= 2:
            m |= self._mask(spec["tempo_unit"])
        if s <= 4:
            m |= self._mask(spec["rhythm"])
        if s <= 5:
            return m | (self._mask([self.c_key]) if self.c_key else self._mask(spec["key"]))
        return self.m_body

    def _unit_ok(self, unit_tok: str) -> bool:
        """Units that give a bar of 2..32 units (free meter: 1/4, 1/8, 1/16)."""
        u = int(unit_tok.split("/")[1])
        frac = _meter_fraction(self.meter)
        if frac is None:
            return u in (4, 8, 16)
        return 2 <= frac * u <= 32

    def _set_meter(self, meter_tok: str) -> None:
        """Meter change: bar length in grid steps once the unit is known."""
        self.meter = meter_tok[2:]
        self._update_bar()

    def _update_bar(self) -> None:
        """Recompute the bar length in grid steps from meter and unit."""
        frac = _meter_fraction(self.meter)
        if frac is None or self.unit is None:
            self.bar = None
            return
        u = int(self.unit.split("/")[1])
        self.bar = int(frac * u * _G)

    # ------------------------------------------------------------------ body helpers
    def _rem(self) -> int:
        """Grid steps left in the current bar (a large number in free meter)."""
        return 1 << 30 if self.bar is None else max(0, self.bar - self.t)

    def _eff(self, length: int) -> int | None:
        """Time a note of written ``length`` adds now, or None if it may not have that length."""
        if self.tup_left:
            if self.tup_len is None:
                return self.tup_q * length
            return 0 if length == self.tup_len else None
        if self.broken:  # the second note of a broken pair has the first one's length
            if length != self.last_len:
                return None
            return length // 2 if self.broken == ">" else 3 * length // 2
        return length

    def _fits(self, length: int) -> bool:
        """Whether the open note may take ``length`` grid steps."""
        e = self._eff(length)
        return e is not None and e <= self._rem()

    def _commit(self) -> None:
        """Close the open note: add its time to the bar and update tuplet/broken state."""
        num, den = self.pending
        length = _G * num // den
        kind = self.pending_kind
        self.pending = None
        if kind == "grace" or kind == "chordnote":
            return
        self.t += self._eff(length) or 0
        if self.tup_left:
            if self.tup_len is None:
                self.tup_len = length
            self.tup_left -= 1
            if self.tup_left == 0:
                self.tup_len = None
        self.pair_end = self.broken is not None
        self.broken = None
        self.last_len = length
        self.after = "note"
        self.tie = False
        self.symbol = False
        self.deco_n = 0
        if self.slur:
            self.slur_notes += 1
        self.notes_in_line += 1

    def _closing(self) -> bool:
        """Near the body cap: only tokens that lead to the end are allowed."""
        return self.n_body >= self.max_body_tokens - _CLOSING_RESERVE

    def _note_start(self) -> np.ndarray:
        """Tokens that may start a note (pitch, accidental, maybe a rest) in the current context."""
        if self.tup_left:
            return self.m_note | self.m_rest
        if self._rem() < 1:
            return np.zeros_like(self.m_note)
        m = self.m_note.copy()
        if self.after not in ("deco", "grace_close", "slur_open") and not self.tie:
            m |= self.m_rest
        return m

    def _group_start(self) -> np.ndarray:
        """Everything that may begin a note group when no structure is open."""
        m = self._note_start()
        if not m.any():
            return m
        if self._closing():
            return m
        if self.deco_n < 2:
            m |= self.m_deco
        if not self.symbol and self.deco_n == 0:
            m |= self.m_root
        m |= self.m_chord_open | self.m_grace_open
        if self.slur < 2 and self.deco_n == 0 and not self.symbol:
            m |= self.m_slur_open
        if self.deco_n == 0 and not self.symbol:
            m |= self.m_tuplet_fit()
        return m

    def m_tuplet_fit(self) -> np.ndarray:
        """Tuplets whose notes (at least one grid step each) fit in the bar."""
        m = np.zeros(self.tok.vocab_size, dtype=bool)
        rem = self._rem()
        for i, q in self.tuplet_q.items():
            if q <= rem:
                m[i] = True
        return m

    def _bars(self) -> np.ndarray:
        """Bar lines allowed after a complete note group."""
        m = np.zeros(self.tok.vocab_size, dtype=bool)
        if self.t == 0 or self.broken or self.tup_left:
            return m
        full = self.bar is None or self.t >= self.bar
        closing = self._closing()
        if (full or self.first_bar) and (not closing or self.tie):
            if self.ending != 2:
                m |= self.bar_masks["|"] | self.bar_masks["|:"]
            else:
                m |= self.bar_masks["|"]
        if self.slur == 0 and not self.tie:
            m |= self.bar_masks["|]"]
            if not closing:
                m |= self.bar_masks["||"]
                if self.ending != 2:
                    m |= self.bar_masks[":|"] | self.bar_masks["::"]
        return m

    def _after_group(self) -> np.ndarray:
        """Tokens allowed after a complete note, rest or chord (its length closed)."""
        if self.tup_left:
            return self.m_note | self.m_rest
        if self.broken:
            return self.m_note.copy()
        m = self._bars()
        closing = self._closing()
        if self.tie:
            m &= self.bar_masks["|"]
            if self._rem() >= 1:
                m |= self.m_note
                if not closing:
                    m |= self.m_space
            return m
        if self.slur and self.slur_notes and self.after == "note":
            m |= self.m_slur_close
        if closing:
            if self.slur == 0 and self.t > 0:
                return m
            if self.slur == 0 or not self.slur_notes:
                m |= self._note_start()
            return m
        gs = self._group_start()
        if gs.any():
            m |= gs | self.m_space
        if self.after == "note" and self.pending_kind in ("note", "chord"):
            if self.pending_kind == "note" or self._rem() >= 1:
                m |= self.m_tie
            pow2 = self.last_len & (self.last_len - 1) == 0
            # the second note has the same written length: the pair takes 2 x last_len
            if (
                self.last_len % 2 == 0
                and pow2
                and self.pending_kind == "note"
                and not self.pair_end
                and self.last_len <= self._rem()
            ):
                m[self.ids[">"]] = True
                m[self.ids["<"]] = True
        return m

    def _len_ok(self, num: int, den: int) -> bool:
        """Lengths the sampler writes: plain or dotted values (tuplets: plain only), on the grid."""
        g = gcd(num, den)
        n = num // g
        plain = n & (n - 1) == 0
        if self.tup_left or self.broken:
            ok = plain
        else:
            ok = plain or (n % 3 == 0 and (n // 3) & (n // 3 - 1) == 0)
        return ok and self._fits(_G * num // den)

    def _length_mask(self) -> np.ndarray:
        """Length tokens for the open note that keep it inside the bar (and on the grid)."""
        m = np.zeros(self.tok.vocab_size, dtype=bool)
        num, den = self.pending
        if self.pending_kind in ("grace", "chordnote") or den != 1:
            return m
        if num == 1:
            for i, n in self.num_ids.items():
                if self._len_ok(n, 1) or any(
                    self._len_ok(n, d) for d in (2, 4, 8, 16) if gcd(n, d) == 1
                ):
                    m[i] = True
        for i, d in self.den_ids.items():
            if gcd(num, d) == 1 and self._len_ok(num, d):
                m[i] = True
        return m

    # ------------------------------------------------------------------ public API
    def feed(self, ids) -> None:
        """Force a prefix (e.g. an ``encode_header`` prompt)."""
        for i in ids:
            self.advance(int(i))

    def allowed(self) -> np.ndarray:
        """Bool mask over the vocabulary of the tokens allowed next."""
        m = self._allowed()
        if not m.any():  # never leave the sampler without a choice
            m = self.m_eos.copy()
        return m

    def _allowed(self) -> np.ndarray:
        """The mask before the empty-mask safety net."""
        if self.finished:
            return self.m_eos.copy()
        if self.phase == "start":
            return self.m_bos.copy()
        if self.phase == "header":
            return self._header_allowed()
        a = self.after
        if self.pending is not None:
            m = self._length_mask()
            num, den = self.pending
            if self.pending_kind == "grace":
                m = self.m_note.copy()
                if self.grace_n >= 1:
                    m |= self.m_grace_close
                if self.grace_n >= 4:
                    m = self.m_grace_close.copy()
                return m
            if self.pending_kind == "chordnote":
                m = self.m_note.copy() if self.chord_n < 4 else np.zeros_like(m)
                if self.chord_n >= 2:
                    m |= self.m_chord_close
                return m
            if self._len_ok(num, den):
                saved = (self.pending, self.t, self.tup_left, self.tup_len, self.broken)
                saved2 = (self.after, self.tie, self.symbol, self.deco_n, self.slur_notes)
                saved3 = (self.last_len, self.notes_in_line, self.pair_end)
                kind = self.pending_kind
                self._commit()
                self.pending_kind = kind
                m = m | self._after_group()
                self.pending, self.t, self.tup_left, self.tup_len, self.broken = saved
                self.after, self.tie, self.symbol, self.deco_n, self.slur_notes = saved2
                self.last_len, self.notes_in_line, self.pair_end = saved3
            return m
        if a in ("start", "newline"):
            m = self._group_start()
            if a == "start" and self.t == 0 and not self._closing():
                m |= self.bar_masks["|:"]
            if a == "newline" and self.t == 0 and not self._closing() and not self.tie:
                m |= self.m_part | self.m_body_key
            if (
                a == "newline"
                and self.t == 0
                and self.last_bar in _EOS_BARS
                and self.slur == 0
                and self.ending != 1
                and not self.tie
            ):
                m |= self.m_eos  # tunes in the corpora end "...:|" + line break
            return m
        if a == "bar":
            return self._after_bar()
        if a == "ending":
            return self._group_start()
        if a in ("note", "space"):
            if a == "space":
                return self._group_start() if not self.tie else self.m_note.copy()
            return self._after_group()
        if a == "accidental":
            return self.m_pitch.copy()
        if a == "deco":
            m = self.m_note.copy() | self.m_chord_open
            if self.deco_n < 2:
                m |= self.m_deco
            return m if self._rem() >= 1 else np.zeros_like(m)
        if a == "root":
            return self.m_quality | self.m_bass | self.m_chclose
        if a == "quality":
            return self.m_bass | self.m_chclose
        if a == "bass":
            return self.m_chclose.copy()
        if a == "symbol":
            m = self._note_start() | self.m_chord_open
            if self.deco_n < 2:
                m |= self.m_deco
            return m
        if a == "slur_open":
            return self._note_start() & ~self.m_rest | self.m_chord_open
        if a == "tuplet":
            return self.m_note | self.m_rest
        if a == "chord_open":
            return self.m_note.copy()
        if a == "grace_open":
            return self.m_note.copy()
        if a == "grace_close":
            return self.m_note.copy() if self._rem() >= 1 else np.zeros_like(self.m_note)
        if a == "tie":
            return self._after_group()
        if a == "broken":
            return self.m_note.copy()
        if a == "field":
            return self._group_start()
        return np.zeros(self.tok.vocab_size, dtype=bool)

    def _after_bar(self) -> np.ndarray:
        """After a bar line: endings, a new line, the next group, or the end."""
        last = self.last_bar
        m = np.zeros(self.tok.vocab_size, dtype=bool)
        if self.tie:
            return self.m_note.copy()
        if last in _EOS_BARS and self.slur == 0 and self.ending != 1 and not self.tie:
            m |= self.m_eos
        if self._closing():
            return m if m.any() else self._group_start()
        if last == ":|" and self.ending == 1:
            return self.m_end2.copy()
        if last in ("|", "|:") and self.ending == 0 and not self.first_bar:
            m |= self.m_end1
        return m | self._group_start() | (self.m_newline if not self.tie else 0)

    def advance(self, token_id: int) -> None:
        """Move the state past one token."""
        if self.finished:
            return
        t = self.tok.id_to_token[token_id]
        cls = self.cls[token_id]
        if t == PAD:
            return
        if t == EOS:
            self.finished = True
            return
        if self.phase == "start":
            if t == BOS:
                self.phase = "header"
                return
            self.phase = "header"
        if self.phase == "header":
            if t == BODY:
                self.phase = "body"
                if self.unit is None:
                    self.unit = _unit_for_meter(self.meter)
                self._update_bar()
                return
            order = {"meter": 0, "unit": 1, "tempo_unit": 2, "tempo_bpm": 3, "rhythm": 4}
            order["key"] = 5
            if cls in order:
                self.slot = order[cls] + 1
                if cls == "meter":
                    self._set_meter(t)
                elif cls == "unit":
                    self.unit = t[2:]
                    self._update_bar()
                elif cls == "key":
                    self.slot = 6
                return
            self.phase = "body"  # a body token without <body>: continue leniently
            self._update_bar()
        self._advance_body(t, cls)

    def _advance_body(self, t: str, cls: str) -> None:
        """Body transitions."""
        self.n_body += 1
        if cls in ("numerator", "denominator"):
            if self.pending is None:
                return
            if cls == "numerator":
                self.pending[0] = int(t)
            else:
                self.pending[1] = int(t[1:])
            return
        if self.pending is not None:
            kind = self.pending_kind
            if kind in ("grace", "chordnote"):
                self.pending = None
            else:
                self._commit()
        if cls == "pitch":
            if self.grace_n or self.after == "grace_open" or self._in_grace:
                self.grace_n += 1
                self.pending, self.pending_kind = [1, 1], "grace"
            elif self._in_chord:
                self.chord_n += 1
                self.pending, self.pending_kind = [1, 1], "chordnote"
            else:
                self.pending, self.pending_kind = [1, 1], "note"
            self.after = "pitch"
            return
        if cls == "rest":
            self.pending, self.pending_kind = [1, 1], "rest"
            self.after = "pitch"
            return
        if cls == "accidental":
            self.after = "accidental"
            return
        if cls == "chord":
            if t == "[":
                self._in_chord = True
                self.chord_n = 0
                self.after = "chord_open"
            else:
                self._in_chord = False
                self.pending, self.pending_kind = [1, 1], "chord"
                self.after = "pitch"
            return
        if cls == "grace":
            if t == "}":
                self._in_grace = False
                self.grace_n = 0
                self.after = "grace_close"
            else:
                self._in_grace = True
                self.grace_n = 0
                self.after = "grace_open"
            return
        if cls == "decoration":
            self.deco_n += 1
            self.after = "deco"
            return
        if cls == "chord_root":
            self.symbol = True
            self.after = "root"
            return
        if cls == "chord_quality":
            self.after = "quality"
            return
        if cls == "chord_bass":
            self.after = "bass"
            return
        if cls == "chord_close":
            self.after = "symbol"
            return
        if cls == "slur":
            if t == "(":
                self.slur += 1
                self.slur_notes = 0
                self.after = "slur_open"
            else:
                self.slur = max(0, self.slur - 1)
                self.after = "note"
                self.pending_kind = "slur"
            return
        if cls == "tuplet":
            p = int(t[1:])
            self.tup_left, self.tup_q, self.tup_len = p, _SAMPLE_TUPLETS.get(t, 2), None
            self.after = "tuplet"
            return
        if cls == "tie":
            self.tie = True
            self.after = "tie"
            return
        if cls == "broken":
            self.t += self.last_len // 2 if t[0] == ">" else -(self.last_len // 2)
            self.broken = t[0]
            self.after = "broken"
            return
        if cls == "bar":
            self.last_bar = t
            if self.t > 0:
                self.first_bar = False
            self.t = 0
            if (
                t == ":|"
                and self.ending == 2
                or t in ("||", "|]", "::")
                or (t == ":|" and self.ending != 1)
            ):
                self.ending = 0
            self.after = "bar"
            return
        if cls == "ending":
            self.ending = 1 if t == "[1" else 2
            self.after = "ending"
            return
        if t == SPACE:
            self.after = "space"
            return
        if t == NEWLINE:
            self.after = "newline"
            self.notes_in_line = 0
            return
        if cls in ("meter", "unit", "key", "part", "tempo_unit", "tempo_bpm", "rhythm"):
            if cls == "meter":
                self._set_meter(t)
            elif cls == "unit":
                self.unit = t[2:]
                self._update_bar()
            self.after = "newline"
            return

    _in_chord = False
    _in_grace = False
    last_bar = ""


_SAMPLE_METERS = ["M:C", "M:C|", "M:2/2", "M:3/2", "M:2/4", "M:3/4", "M:4/4", "M:5/4", "M:6/4"]
_SAMPLE_METERS += ["M:3/8", "M:6/8", "M:9/8", "M:12/8", "M:none"]
