"""Lyric-to-melody tokens: the syllables' stress and place interleaved with the notes sung to them.

One sequence per song (the layout is in ``symbolic/specs/lyric2melody.yaml``): a header (``<bos>``,
the mode and the meter), then per line ``Line_n`` and the line's phrase length ``Bars_k`` (the
bars it takes, which the model plans like a songwriter: from the meter, the line's length and
the lines before), and per syllable the lyric tokens (``Syl_…``: stress, position in the word,
line end) followed by the melody tokens: the skeleton flag (WuYun's metrical accents, long
notes and syncopations), bar advances each with the bar's chord (TeleMelody's template), the
onset in the bar, the pitch relative to the tonic and the duration. At sampling time
`LyricGrammar` forces the lyric tokens, keeps each line's notes inside its planned bars, keeps
notes in time order and within an octave and a half, and gives the logit bias of the
stress-to-beat prior. No torch here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from symbolic.errors import SymgenError
from symbolic.paths import spec_path
from symbolic.theory.meter import Meter

PITCH_SPAN = 18  # an octave and a half: the widest range a sampled melody may take
EXTRA_BARS = 2  # bars of rest a note may leave before it, beyond the bar it could start in


@dataclass(frozen=True)
class SyllableSlot:
    """What the model is told about one sung syllable (no text)."""

    stress: int  # 0 none, 1 primary, 2 secondary, -1 unknown
    word_position: str  # s single, b begin, m middle, e end
    line_start: bool
    line_length: int
    line_end: bool


@dataclass(frozen=True)
class LyricSong:
    """What `LyricTokenizer.encode` reads: per syllable its slot and the note sung to it
    (onset and length in 16ths, pitch relative to the tonic, skeleton flag), and the chords
    per bar (root relative to the tonic, minor)."""

    slots: Sequence[SyllableSlot]
    onset16: np.ndarray
    dur16: np.ndarray
    pitch: np.ndarray
    skeleton: np.ndarray
    chords: Sequence[tuple[int, bool]]
    bar_16ths: int = 16


def syllable_slots(
    stress: Sequence[int],
    index_in_word: Sequence[int],
    word_len: Sequence[int],
    line_index: Sequence[int],
) -> list[SyllableSlot]:
    """Per-syllable slots from parallel sequences (parsed lyrics or a data set's songs)."""
    line = np.asarray(line_index)
    if not len(line):
        return []
    starts = np.r_[True, line[1:] != line[:-1]]
    ends = np.r_[line[1:] != line[:-1], True]
    _, counts = np.unique(line, return_counts=True)
    lengths = dict(zip(np.unique(line).tolist(), counts.tolist(), strict=True))
    out = []
    for i, (s, k, n) in enumerate(zip(stress, index_in_word, word_len, strict=True)):
        position = "s" if n == 1 else "b" if k == 0 else "e" if k == n - 1 else "m"
        out.append(
            SyllableSlot(int(s), position, bool(starts[i]), lengths[int(line[i])], bool(ends[i]))
        )
    return out


class LyricTokenizer:
    """Vocabulary and encoding of lyric-conditioned melodies (see the module doc); a
    `symbolic.tokenize.base.SequenceTokenizer` whose input is a `LyricSong`."""

    name = "lyric2melody"

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        kinds: list[tuple[str, object]] = [("special", t) for t in spec["special"]]
        kinds += [("mode", m) for m in spec["modes"]]
        kinds += [("line", n) for n in range(1, spec["max_line"] + 1)]
        kinds += [
            ("syl", (s, p, end))
            for s in spec["stresses"]
            for p in spec["word_positions"]
            for end in (False, True)
        ]
        kinds += [("skel", v) for v in (0, 1)] + [("bar", None)]
        kinds += [("chord", (root, minor)) for root in range(12) for minor in (False, True)]
        kinds += [("pos", p) for p in range(spec["max_position"])]
        lo, hi = spec["pitch_range"]
        kinds += [("pitch", p) for p in range(lo, hi + 1)]
        kinds += [("dur", d) for d in range(1, spec["max_duration"] + 1)]
        kinds += [("meter", m) for m in spec["meters"]]
        kinds += [("bars", k) for k in range(1, spec.get("max_line_bars", 0) + 1)]
        self.kinds = kinds
        self.tokens = [self._name(k, v) for k, v in kinds]
        self.vocab = {t: i for i, t in enumerate(self.tokens)}
        self.pad_id, self.bos_id, self.eos_id = (self.vocab[t] for t in spec["special"])
        self.class_ids = {
            kind: np.array([i for i, (k, _) in enumerate(kinds) if k == kind], dtype=np.int64)
            for kind in ("line", "bars", "syl", "skel", "bar", "chord", "pos", "pitch", "dur")
        }
        self.plans = bool(len(self.class_ids["bars"]))
        self.pitch_range = (lo, hi)

    @staticmethod
    def _name(kind: str, value) -> str:
        if kind == "special":
            return value
        if kind == "bar":
            return "Bar"
        if kind == "syl":
            stress, position, end = value
            return f"Syl_{stress}{position}{'E' if end else ''}"
        if kind == "chord":
            root, minor = value
            return f"Chord_{root}{'m' if minor else ''}"
        return f"{kind.capitalize()}_{value}"

    @classmethod
    def from_spec(cls, path: str | Path | None = None) -> LyricTokenizer:
        """Build from ``symbolic/specs/lyric2melody.yaml`` (or a JSON copy saved with a model)."""
        path = Path(path) if path else spec_path("lyric2melody")
        if not path.is_file():
            raise SymgenError(f"lyric tokenizer spec {path} not found")
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def save(self, path: str | Path) -> None:
        """Write the spec as JSON (next to a model)."""
        Path(path).write_text(json.dumps(self.spec, indent=1), encoding="utf-8")

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    @property
    def bar_ids(self) -> list[int]:
        """The bar-advance token (training windows start on it)."""
        return self.class_ids["bar"].tolist()

    def id(self, kind: str, value=None) -> int:
        """The id of the token of `kind` with `value`."""
        return self.vocab[self._name(kind, value)]

    def meter_token(self, meter: Meter) -> str:
        """The vocabulary's meter for `meter`: itself, else one with the same bar length and
        beat, else one with the same bar length, else 4/4."""
        if str(meter) in self.spec["meters"]:
            return str(meter)
        known = [Meter.parse(m) for m in self.spec["meters"]]
        for same in (
            lambda m: (m.bar_16ths, m.beat_16ths) == (meter.bar_16ths, meter.beat_16ths),
            lambda m: m.bar_16ths == meter.bar_16ths,
        ):
            found = next((m for m in known if same(m)), None)
            if found is not None:
                return str(found)
        return "4/4"

    def prefix(self, mode: str, meter: Meter | str = "4/4") -> list[int]:
        """``<bos> Mode_… Meter_…``: the header every sequence starts with."""
        return [
            self.bos_id,
            self.id("mode", mode),
            self.id("meter", self.meter_token(Meter.parse(meter))),
        ]

    def condition_ids(self, slot: SyllableSlot, bars: int | None = None) -> list[int]:
        """The lyric tokens of one syllable: at a line start ``Line_n`` and, when `bars` is
        given, the line's ``Bars_k``; then ``Syl_…``."""
        stress = "x" if slot.stress < 0 else str(min(slot.stress, 2))
        syl = self.id("syl", (stress, slot.word_position, slot.line_end))
        if not slot.line_start:
            return [syl]
        line = [self.id("line", min(slot.line_length, self.spec["max_line"]))]
        if bars is not None:
            line.append(self.id("bars", int(min(max(bars, 1), self.spec["max_line_bars"]))))
        return [*line, syl]

    def placed(self, song: LyricSong) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Onsets and durations (16ths from the first note's bar) as encoded, and per note the
        16ths cut out before it: rests longer than `EXTRA_BARS` spare bars are shortened, a
        note that would start before the previous one ends starts when it ends, durations are
        kept within the vocabulary's."""
        bar_16ths = song.bar_16ths
        end, shift = 0, int(song.onset16[0] // bar_16ths) * bar_16ths
        dur = np.clip(np.asarray(song.dur16, dtype=np.int64), 1, self.spec["max_duration"])
        onsets, shifts = [], []
        for on, d in zip(song.onset16, dur, strict=True):
            on = max(int(on) - shift, end)
            spare = on // bar_16ths - end // bar_16ths - EXTRA_BARS
            if spare > 0:
                shift, on = shift + spare * bar_16ths, on - spare * bar_16ths
            onsets.append(on)
            shifts.append(shift)
            end = on + int(d)
        return np.asarray(onsets), dur, np.asarray(shifts)

    @staticmethod
    def line_bars(
        slots: Sequence[SyllableSlot], onset16: np.ndarray, dur16: np.ndarray, bar_16ths: int
    ) -> list[int]:
        """Per line the bars it takes: from its first note's bar to the next line's first
        note's bar; the last line to the bar its last note ends in."""
        starts = [i for i, s in enumerate(slots) if s.line_start]
        first = np.asarray(onset16)[starts] // bar_16ths
        last = -(-(int(onset16[-1]) + int(dur16[-1])) // bar_16ths)
        return np.diff(np.r_[first, max(last, first[-1] + 1)]).tolist()

    def encode(self, song: LyricSong) -> list[int]:
        """The body ids of a song (its header is `prefix(mode, meter)`), with the notes
        `placed`."""
        slots, pitch, skeleton, chords = song.slots, song.pitch, song.skeleton, song.chords
        bar_16ths = song.bar_16ths
        onsets, durations, shifts = self.placed(song)
        plans = iter(self.line_bars(slots, onsets, durations, bar_16ths) if self.plans else ())
        lo, hi = self.pitch_range
        body: list[int] = []
        cur_bar = -1
        for slot, on, dur, shift, p, skel in zip(
            slots, onsets, durations, shifts, pitch, skeleton, strict=True
        ):
            body += self.condition_ids(slot, next(plans, None) if slot.line_start else None)
            body.append(self.id("skel", int(bool(skel))))
            bar = int(on) // bar_16ths
            while cur_bar < bar:
                cur_bar += 1
                source = (cur_bar * bar_16ths + int(shift)) // bar_16ths
                body += [self.id("bar"), self.id("chord", chords[min(source, len(chords) - 1)])]
            body += [
                self.id("pos", int(on) - bar * bar_16ths),
                self.id("pitch", int(min(max(p, lo), hi))),
                self.id("dur", int(dur)),
            ]
        return body

    def decode(self, ids: Sequence[int], bar_16ths: int = 16) -> Timeline:
        """The notes and chords of melody ids (lyric and header tokens are skipped)."""
        timeline = Timeline(self, bar_16ths)
        for i in ids:
            timeline.apply(int(i))
        return timeline

    def grammar(self, **constraints) -> LyricGrammar:
        """A fresh grammar for one song: `slots` and `weights` are required (`LyricGrammar`)."""
        return LyricGrammar(self, **constraints)


class Timeline:
    """Notes (16ths from the first bar, relative pitches), bar chords and the current line's
    planned bars (`line_start` up to `plan_end`, exclusive) read from tokens."""

    def __init__(self, tok: LyricTokenizer, bar_16ths: int) -> None:
        self.kinds = tok.kinds
        self.bar = bar_16ths
        self.cur_bar = -1
        self.end = 0
        self.onset: list[int] = []
        self.duration: list[int] = []
        self.pitch: list[int] = []
        self.skeleton: list[int] = []
        self.chords: list[tuple[int, bool]] = []
        self.line_start = 0
        self.plan_end: int | None = None

    def apply(self, i: int) -> None:
        """Read one token."""
        kind, value = self.kinds[i]
        if kind == "bars":  # a line that overran its plan pushes the next one later
            self.line_start = max(self.plan_end or 0, self.end // self.bar)
            self.plan_end = self.line_start + value
        elif kind == "bar":
            self.cur_bar += 1
        elif kind == "chord":
            self.chords.append(value)
        elif kind == "skel":
            self.skeleton.append(value)
        elif kind == "pos":
            self.onset.append(self.cur_bar * self.bar + value)
        elif kind == "pitch":
            self.pitch.append(value)
        elif kind == "dur":
            self.duration.append(value)
            self.end = self.onset[-1] + value


class LyricGrammar:
    """Sampling constraints for one song (or one window of it): see the module doc.

    The lyric tokens of every syllable are forced in order and each line's ``Bars_k`` is
    sampled; with `keep_plan` a line's first note starts in its planned first bar and its
    other notes start before the next line's (where the notes so far leave that possible); a
    note starts at or after the previous one's end and at most `EXTRA_BARS` bars later than it
    could; every bar advance is followed by a chord; pitches keep the melody within
    `PITCH_SPAN` semitones. `bias()` adds
    two priors to the logits: stress to beat, ``stress_bias`` × metrical weight on the onset
    positions of stressed syllables (half for secondary stress, a quarter against for unstressed
    ones in longer words); and ``repeat_penalty`` off the previous note's pitch, since sampling
    repeats notes more than the songs do. `plan_temperature` (None: the sampler's) samples
    the ``Bars_k`` plans: lower keeps a line near the bars such lines usually take; with a
    `plan_rate` (syllables per bar in the meter), ``plan_prior`` × |log2(k / expected bars)|
    comes off each plan, the expected bars being what brings the song so far back to that
    rate (within half to twice the line's own share), so that the lines' plans do not drift
    apart from the song's length. Pass the `timeline` of the previous window and the
    syllables it sang (`sung_before`) to continue a song.
    """

    def __init__(
        self,
        tok: LyricTokenizer,
        slots: Sequence[SyllableSlot],
        weights: np.ndarray,
        stress_bias: float = 0.5,
        repeat_penalty: float = 0.0,
        timeline: Timeline | None = None,
        window: tuple[int, int] | None = None,
        keep_plan: bool = True,
        plan_temperature: float | None = None,
        plan_rate: float | None = None,
        plan_prior: float = 0.0,
        sung_before: int = 0,
    ) -> None:
        if not slots:
            raise SymgenError("no syllables to sing")
        self.tok = tok
        self.slots = list(slots)
        self.bar = len(weights)
        if self.bar > tok.spec["max_position"]:
            raise SymgenError(
                f"bars longer than {tok.spec['max_position']} 16ths are not supported"
            )
        self.timeline = timeline or Timeline(tok, self.bar)
        pitches = self.timeline.pitch
        self.lo, self.hi = (min(pitches), max(pitches)) if pitches else (None, None)
        self.k = 0
        self.queue = tok.condition_ids(self.slots[0])
        self.phase = "cond"
        self.finished = False
        size = tok.vocab_size
        self._masks = {kind: np.isin(np.arange(size), ids) for kind, ids in tok.class_ids.items()}
        self._pos_ids = tok.class_ids["pos"][: self.bar]
        low, high = tok.pitch_range
        if window is not None:  # a voice's range, in relative pitches
            low, high = max(low, window[0]), min(high, window[1])
            if low > high:
                raise SymgenError("the voice's range lies outside what the model can sing")
        self._pitch_values = np.arange(low, high + 1)
        self._pitch_ids = np.array([tok.id("pitch", int(v)) for v in self._pitch_values])
        self._weights = np.asarray(weights, dtype=np.float32)
        self.stress_bias = stress_bias
        self.repeat_penalty = repeat_penalty
        self.keep_plan = keep_plan
        self.plan_temperature = plan_temperature
        self.plan_prior = plan_prior if plan_rate else 0.0
        starts = [i for i, s in enumerate(self.slots) if s.line_start] + [len(self.slots)]
        self._line_ends = dict(zip(starts, starts[1:], strict=False))
        self._rate = plan_rate
        self._sung_before = sung_before
        self._bars_ids = tok.class_ids["bars"]
        self._bars_values = np.array([tok.kinds[i][1] for i in self._bars_ids], dtype=np.float32)

    def feed(self, ids: Iterable[int]) -> None:
        """The prompt: header and earlier windows, whose notes `timeline` already holds."""

    def allowed(self) -> np.ndarray:
        """Boolean mask of the tokens allowed next."""
        size = self.tok.vocab_size
        if self.phase == "cond":
            mask = np.zeros(size, dtype=bool)
            mask[self.queue[0]] = True
            return mask
        if self.phase in ("bars", "skel", "chord", "dur"):
            return self._masks[self.phase]
        mask = np.zeros(size, dtype=bool)
        if self.phase == "pitch":
            v = self._pitch_values
            ok = (
                np.ones(len(v), dtype=bool)
                if self.lo is None
                else (np.maximum(self.hi, v) - np.minimum(self.lo, v) <= PITCH_SPAN)
            )
            mask[self._pitch_ids[ok]] = True
            return mask
        t = self.timeline  # phase "time": a bar advance or the onset
        first_ok = t.end // self.bar
        if t.cur_bar + 1 <= first_ok + EXTRA_BARS:
            mask[self.tok.class_ids["bar"]] = True
        if t.cur_bar >= first_ok:
            positions = np.arange(self.bar)
            mask[self._pos_ids[t.cur_bar * self.bar + positions >= t.end]] = True
        if self.keep_plan and t.plan_end is not None:
            planned = mask & self._in_plan()
            if planned.any():
                return planned
        return mask

    def _in_plan(self) -> np.ndarray:
        """The time tokens that keep the current note inside its line's planned bars."""
        t = self.timeline
        out = np.zeros(self.tok.vocab_size, dtype=bool)
        if self.slots[self.k].line_start:
            out[self.tok.class_ids["bar"]] = t.cur_bar < t.line_start
            out[self._pos_ids] = t.cur_bar == t.line_start
        else:
            out[self.tok.class_ids["bar"]] = t.cur_bar + 1 < t.plan_end
            out[self._pos_ids] = True
        return out

    def bias(self) -> np.ndarray:
        """Logit bias of the priors (zero except on onset positions and the repeated pitch)."""
        out = np.zeros(self.tok.vocab_size, dtype=np.float32)
        if self.phase == "bars" and self.plan_prior and self.k in self._line_ends:
            expected = self._expected_bars()
            out[self._bars_ids] = -self.plan_prior * np.abs(np.log2(self._bars_values / expected))
            return out
        if self.phase == "pitch" and self.timeline.pitch:
            out[self.tok.id("pitch", self.timeline.pitch[-1])] = -self.repeat_penalty
        if self.phase != "time" or self.finished:
            return out
        slot = self.slots[self.k]
        scale = {1: 1.0, 2: 0.5}.get(slot.stress, -0.25 if slot.word_position != "s" else 0.0)
        out[self._pos_ids] = self.stress_bias * scale * self._weights
        return out

    def _expected_bars(self) -> float:
        """The bars that bring the song, through the line starting at slot `k`, to `_rate`."""
        t, end = self.timeline, self._line_ends[self.k]
        start = max(t.plan_end or 0, t.end // self.bar)
        own = (end - self.k) / self._rate
        behind = (self._sung_before + end) / self._rate - start
        return max(min(behind, 2 * own), own / 2, 0.5)

    def temperature(self) -> float | None:
        """`plan_temperature` for a line's bars, else the sampler's."""
        return self.plan_temperature if self.phase == "bars" else None

    def advance(self, i: int) -> None:
        """Take token `i` (one the mask allowed)."""
        if self.phase == "cond":
            self.queue.pop(0)
            if self.tok.kinds[i][0] == "line" and self.tok.plans:
                self.phase = "bars"
            elif not self.queue:
                self.phase = "skel"
            return
        if self.phase == "bars":
            self.timeline.apply(i)
            self.phase = "cond"
            return
        self.timeline.apply(i)
        kind = self.tok.kinds[i][0]
        if kind == "skel" or kind == "chord":
            self.phase = "time"
        elif kind == "bar":
            self.phase = "chord"
        elif kind == "pos":
            self.phase = "pitch"
        elif kind == "pitch":
            p = self.timeline.pitch[-1]
            self.lo = p if self.lo is None else min(self.lo, p)
            self.hi = p if self.hi is None else max(self.hi, p)
            self.phase = "dur"
        elif kind == "dur":
            self.k += 1
            if self.k == len(self.slots):
                self.finished = True
            else:
                self.queue = self.tok.condition_ids(self.slots[self.k])
                self.phase = "cond"


def load_lyric_tokenizer(path: str | Path | None = None) -> LyricTokenizer:
    """The lyric2melody tokenizer from its spec (or a saved copy)."""
    return LyricTokenizer.from_spec(path)
