"""The sampling grammar for ABC: a token mask under which every sampled tune decodes and parses.

Kept apart from the tokenizer (``symbolic.tokenize.abc``), which it builds on: lexing and
normalizing text never need it, and ``AbcTokenizer.grammar`` imports it when sampling starts.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

import numpy as np

from symbolic.errors import SymgenError
from symbolic.tokenize.abc import (
    BODY,
    BOS,
    EOS,
    NEWLINE,
    PAD,
    SPACE,
    AbcTokenizer,
    _unit_for_meter,
)


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


# Subsets the sampler may produce (all kept by the tokenizer; some rarer forms are not sampled).
_G = 16  # time grid: 1/16 of the unit length L; every bar position is a whole number of grid steps
_SAMPLE_METERS = ["M:C", "M:C|", "M:2/2", "M:3/2", "M:2/4", "M:3/4", "M:4/4", "M:5/4", "M:6/4"]
_SAMPLE_METERS += ["M:3/8", "M:6/8", "M:9/8", "M:12/8", "M:none"]
_SAMPLE_NUMERATORS = {str(n): n for n in range(2, 17)}
_SAMPLE_DENOMINATORS = {"/2": 2, "/4": 4, "/8": 8, "/16": 16}
# No "H": music21 reads "HB" as a German note name and drops notes after it.
_SAMPLE_DECORATIONS = (".", "~", "T", "u", "v", "!trill!", "!fermata!", "!accent!")
_SAMPLE_QUALITIES = ("q:m", "q:7", "q:m7", "q:maj7", "q:6", "q:m6", "q:9", "q:dim", "q:sus4")
_SAMPLE_TUPLETS = {"(2": 3, "(3": 2, "(4": 3}
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
        ids = tok.vocab

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
        """Force a prefix (e.g. a ``prefix`` prompt)."""
        for i in ids:
            self.advance(int(i))

    def allowed(self) -> np.ndarray:
        """Bool mask over the vocabulary of the tokens allowed next."""
        m = self._allowed()
        if not m.any():  # never leave the sampler without a choice
            m = self.m_eos.copy()
        return m

    def bias(self) -> None:
        """No logit prior: the mask alone constrains ABC."""
        return None

    def temperature(self) -> None:
        """The sampler's temperature at every step."""
        return None

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
