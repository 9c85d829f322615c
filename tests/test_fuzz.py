"""Property-based fuzzing of symgen's public entry points (issue 14, item 6).

Every case calls `symbolic.cli.main(argv)` in-process, as the `symgen` command would run, on a
mutated file (bytes of a MIDI written here with mido, an ABC tune, a MusicXML excerpt of a Bach
chorale written with music21) or on adversarial text (prompts, lyrics), and checks the
command-line contract of DESIGN.md:

- the exit code is 0 or 1 (2 only for a usage error provoked on purpose), no exception escapes
  `main` (a user would see a traceback) and no "Traceback" is printed;
- on exit 1, stderr shows exactly one non-empty line, starting with "symgen ";
- on exit 0, every file written loads (`symbolic.score.load`, or JSON for `tokenize --out`);
- no partial or temporary file is left in the output folder (none at all on failure);
- the input file's bytes are unchanged and nothing is written beside it.

Each property is a `Property` in `PROPERTIES`: a hypothesis strategy, a function that runs one
case and returns its `Outcome`, and the number of examples for `make test` (`fast`) and for
`benchmarks/bench_fuzz.py` (`bench`), which runs these same properties and counts failures
instead of stopping at the first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

# ---------------------------------------------------------------------------------------------
# Seed inputs: written here, once per session.
# ---------------------------------------------------------------------------------------------

MIDI_TPQ = 384  # not symgen's 480: loading resamples, infill and --continue must not


@functools.cache
def seed_midi() -> bytes:
    """8 bars at 384 ticks per quarter: a conductor track (tempo changes, meter change, key,
    marker), piano with a sustain pedal and lyrics, bass with pitch bends, strings with a
    program change, and drums on channel 10 with hits on the bar lines; a GM-reset sysex."""
    import mido

    bar = 4 * MIDI_TPQ
    mid = mido.MidiFile(type=1, ticks_per_beat=MIDI_TPQ)
    conductor = mido.MidiTrack(
        [
            mido.MetaMessage("track_name", name="Conductor", time=0),
            mido.MetaMessage("set_tempo", tempo=500_000, time=0),
            mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
            mido.MetaMessage("key_signature", key="Eb", time=0),
            mido.MetaMessage("marker", text="A", time=0),
            mido.MetaMessage("set_tempo", tempo=600_000, time=4 * bar),
            mido.MetaMessage("time_signature", numerator=3, denominator=4, time=2 * bar),
            mido.MetaMessage("set_tempo", tempo=400_000, time=MIDI_TPQ),
            mido.MetaMessage("end_of_track", time=0),
        ]
    )
    mid.tracks.append(conductor)

    def part(name: str, channel: int, program: int, notes: list[tuple[int, int, int]], extra=()):
        events: list[tuple[int, mido.Message]] = [(0, mido.MetaMessage("track_name", name=name))]
        if channel != 9:
            events.append((0, mido.Message("program_change", channel=channel, program=program)))
        for start, length, pitch in notes:
            velocity = 50 + (start // 97 + pitch) % 70
            events.append((start, mido.Message("note_on", channel=channel, note=pitch,
                                               velocity=velocity)))  # fmt: skip
            events.append((start + length, mido.Message("note_off", channel=channel, note=pitch)))
        events.extend(extra)
        events.sort(key=lambda e: (e[0], e[1].type == "note_on"))
        track, now = mido.MidiTrack(), 0
        for tick, msg in events:
            track.append(msg.copy(time=tick - now))
            now = tick
        return track

    q = MIDI_TPQ
    tune = [62, 65, 67, 70, 69, 65, 67, 63]
    piano = [(i * q, q, tune[i % 8]) for i in range(28)] + [
        (i * 2 * q, 2 * q, 51) for i in range(14)
    ]
    piano += [(4 * q, 3 * q, 62)]  # overlaps the same pitch starting at tick 4q
    words = [
        (i * q, mido.MetaMessage("lyrics", text=w)) for i, w in enumerate(["la", "la", "lu", "li"])
    ]
    pedal = [(0, mido.Message("control_change", channel=0, control=64, value=127)),
             (bar, mido.Message("control_change", channel=0, control=64, value=0))]  # fmt: skip
    bass = [(i * 2 * q, 2 * q - 10, 39 + (i % 3) * 5) for i in range(14)]
    bends = [(q, mido.Message("pitchwheel", channel=1, pitch=p)) for p in (-8192, 0, 8191)]
    strings = [(i * 4 * q, 4 * q, 70 + (i % 2) * 3) for i in range(7)]
    switch = [(3 * bar, mido.Message("program_change", channel=2, program=48))]
    kit = [(i * q // 2, q // 8, (36, 42, 38, 42)[i % 4]) for i in range(56)]
    kit += [(b * 14 * q // 4, q // 4, 49) for b in range(8)]  # crashes on and near bar lines
    mid.tracks += [
        part("Piano", 0, 0, piano, words + pedal),
        part("Bass", 1, 33, bass, bends),
        part("Strings", 2, 49, strings, switch),
        part("Drums", 9, 0, kit),
    ]
    mid.tracks[1].insert(0, mido.Message("sysex", data=[0x7E, 0x7F, 0x09, 0x01]))
    buffer = io.BytesIO()
    mid.save(file=buffer)
    return buffer.getvalue()


SEED_ABC = """\
%abc-2.1
X:1
T:Fuzz Seed Jig
C:symgen tests
M:6/8
L:1/8
Q:3/8=100
R:jig
K:Dmix
|:"D"DFA dAF|"G"GBd gdB|"A"A2F E2D|1 "D"FDD D3:|2 "D"FDD D2z||
w:la la la la la la
P:B
"Em"e2e fed|(3efg ^f2 =f|[CEG]2 z c'2 B,|"D"d3- d2 z|]
X:2
T:Second
M:3/4
K:Am
ABc d2e|]
"""


@functools.cache
def seed_musicxml() -> bytes:
    """Measures 1-4 of Bach's BWV 66.6 from music21's corpus, as MusicXML text."""
    return _write_music21("musicxml")


@functools.cache
def seed_mxl() -> bytes:
    """The same excerpt as compressed MusicXML (a zip archive)."""
    return _write_music21("mxl")


def _write_music21(fmt: str) -> bytes:
    excerpt = _bach_excerpt()
    with tempfile.TemporaryDirectory(prefix="symgen-fuzz-seed-") as tmp:
        path = Path(tmp) / f"bwv66.6.{fmt}"
        written = excerpt.write(fmt, fp=str(path))
        return Path(written).read_bytes()


@functools.cache
def _bach_excerpt():
    import music21

    return music21.corpus.parse("bach/bwv66.6").measures(1, 4)


SEEDS: dict[str, Callable[[], bytes]] = {
    "midi": seed_midi,
    "abc": lambda: SEED_ABC.encode("utf-8"),
    "musicxml": seed_musicxml,
    "mxl": seed_mxl,
    "none": lambda: b"",
}


def warm_seeds() -> None:
    """Write every seed before hypothesis draws (music21 uses `random` as it writes)."""
    for make in SEEDS.values():
        make()
    midi_fields()


SUFFIXES = {
    "midi": (".mid", ".MID", ".midi", ".smf"),
    "abc": (".abc", ".ABC"),
    "musicxml": (".musicxml", ".xml"),
    "mxl": (".mxl",),
}


# ---------------------------------------------------------------------------------------------
# Mutations: a `Mutant` is a seed plus a list of operations, so that its repr reproduces it.
# ---------------------------------------------------------------------------------------------

INTERESTING_INTS = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF,
                    0x80000000, 0xFFFFFFFF)  # fmt: skip
HUGE_VLQ = b"\x8f\xff\xff\x7f"  # 0x0FFFFFFF, the largest variable-length quantity
INTERESTING_NUMBERS = ("0", "-1", "00", "1", "7", "65536", "2147483648", "999999999",
                       "99999999999999999999", "1e308", "1e-9", "nan", "inf", "1/0", "0.0", "",
                       "٣", "１２")  # fmt: skip
ABC_TOKENS = ("K:", "K:H#", "K:none", "M:0/0", "M:7/0", "M:1000000/4", "M:C|", "L:1/0",
              "L:1/1000000", "Q:1/4=0", "Q:0", "Q:1/4=99999", "X:", "X:0", "T:", "|:", ":|",
              "::", "[1", "[2-99999", "|]", "||", "(3", "(99999", "(0", "[", "]", "{", "}", "\"",
              "!trill!", "!", "+", "^^^^", "__", "=", "C99999999", "C/0", "C/99999", "z0",
              "z99999", ">", "<<<<", "-", "~", ".", "\\", "%", "w:", "W:", "V:1", "V:2 clef=bass",
              "&", "\n", "\r", "\t", "\x00", "\ufeff", "é", "𝄞", "ABC", "c''''''''''",
              "C,,,,,,,,,,")  # fmt: skip
XML_TOKENS = ("<", ">", "&", "&amp;", "&#0;", "&#x110000;", "]]>", "<![CDATA[", "<!--", "-->",
              "<note>", "</note>", "</measure>", "<part>", "</score-partwise>", "<rest/>",
              "<chord/>", "<grace/>", "<duration>0</duration>", "<duration>-1</duration>",
              "<divisions>0</divisions>", "<beats>0</beats>", "<beat-type>0</beat-type>",
              "<octave>99</octave>", "<alter>99</alter>", "<step>H</step>", "<fifths>99</fifths>",
              '<sound tempo="0"/>', '<sound tempo="1e308"/>', "<staves>0</staves>",
              '<tie type="start"/>', '<tuplet type="start"/>', "<lyric><text>",
              '<repeat direction="backward" times="99999"/>', "\x00", "\ufeff", "é")  # fmt: skip
XML_DOCTYPES = (
    '<!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
    '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">]>',
    '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE x SYSTEM "http://127.0.0.1:9/none.dtd">',
)
TOKENS = {"abc": ABC_TOKENS, "musicxml": XML_TOKENS + XML_DOCTYPES}


@dataclasses.dataclass(frozen=True)
class Mutant:
    """A file: `seed`'s bytes with `ops` applied in order, saved with `suffix`."""

    seed: str
    ops: tuple[tuple, ...]
    suffix: str

    @property
    def data(self) -> bytes:
        return apply_ops(SEEDS[self.seed](), self.ops)

    def describe(self) -> str:
        return f"{self.seed} seed ({self.suffix}) with {list(self.ops) or 'no changes'}"


def apply_ops(data: bytes, ops: tuple[tuple, ...]) -> bytes:
    buf = bytearray(data)
    for op in ops:
        kind, args = op[0], op[1:]
        if kind == "flip":  # (position, bit)
            pos, bit = args
            if pos < len(buf):
                buf[pos] ^= 1 << bit
        elif kind == "byte":  # (position, value)
            pos, value = args
            if pos < len(buf):
                buf[pos] = value
        elif kind == "insert":  # (position, bytes)
            pos, chunk = args
            buf[pos:pos] = chunk
        elif kind == "delete":  # (position, count)
            pos, count = args
            del buf[pos : pos + count]
        elif kind == "truncate":  # (length,)
            del buf[args[0] :]
        elif kind == "repeat":  # (position, count, times): a slice copied `times` more times
            pos, count, times = args
            chunk = bytes(buf[pos : pos + count])
            buf[pos:pos] = chunk * times
        elif kind == "field":  # (position, width, value): a big-endian length or count
            pos, width, value = args
            if pos + width <= len(buf):
                buf[pos : pos + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "big")
        elif kind == "vlq":  # (position,): one length byte becomes the largest VLQ
            pos = args[0]
            if pos < len(buf):
                buf[pos : pos + 1] = HUGE_VLQ
        elif kind == "number":  # (k, text): the k-th run of digits (of the bytes now) replaced
            k, text = args
            runs = list(re.finditer(rb"\d+", bytes(buf)))
            if runs:
                m = runs[k % len(runs)]
                buf[m.start() : m.end()] = text.encode("utf-8")
        elif kind == "regex":  # (pattern, replacement): the first match replaced
            buf = bytearray(re.sub(args[0], args[1], bytes(buf), count=1))
        elif kind == "midi":  # (edit, ...): event-level edits through mido (`midi_edits`)
            buf = bytearray(edit_midi(bytes(buf), args))
        elif kind == "replace":  # (bytes,): the whole file
            buf = bytearray(args[0])
        else:  # pragma: no cover - a typo in a strategy
            raise ValueError(f"unknown mutation {kind!r}")
    return bytes(buf)


@functools.cache
def midi_fields() -> tuple[list[tuple[int, int]], list[int]]:
    """Header fields (length, format, tracks, division), each MTrk length, and the positions of
    the length bytes of meta and sysex events in the seed MIDI."""
    data = seed_midi()
    fields = [(4, 4), (8, 2), (10, 2), (12, 2)]
    fields += [(m.start() + 4, 4) for m in re.finditer(rb"MTrk", data)]
    lengths = [m.start() + 2 for m in re.finditer(rb"\xff[\x01-\x7f]", data)]
    lengths += [m.start() + 1 for m in re.finditer(rb"\xf0", data)]
    return fields, lengths


# How often each mutation is drawn. Text formats get few non-ASCII bytes (a file that is not
# UTF-8 is rejected at once) and many token and number changes (which keep it parseable).
BINARY_KINDS = {"flip": 4, "byte": 2, "insert": 1, "delete": 1, "truncate": 1, "repeat": 1,
                "field": 2, "vlq": 1}  # fmt: skip
TEXT_KINDS = {"flip": 2, "byte": 1, "insert": 1, "delete": 1, "truncate": 1, "repeat": 1,
              "token": 4, "number": 4}  # fmt: skip
OP_COUNTS = (1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8)


def _ops(draw, fmt: str, data: bytes, max_ops: int) -> tuple[tuple, ...]:
    """1..max_ops mutations of `data`, each drawn against the length the bytes have by then.

    Positions are uniform over the file (hypothesis' own integers lean to the first bytes, the
    header) except one draw in four, which keeps that lean."""
    weights = TEXT_KINDS if fmt in TOKENS else BINARY_KINDS
    kinds = [kind for kind, weight in weights.items() for _ in range(weight)]
    if fmt != "midi":
        kinds = [k for k in kinds if k not in ("field", "vlq")]
    text = fmt in TOKENS
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))  # uniform, and replayed by a seed
    ops: list[tuple] = []
    for _ in range(draw(st.sampled_from([n for n in OP_COUNTS if n <= max_ops]))):
        size = max(len(data), 1)
        head = draw(st.integers(0, 3)) == 0
        pos = draw(st.integers(0, size - 1)) if head else rnd.randrange(size)
        kind = draw(st.sampled_from(kinds))
        if kind == "flip":
            bit = draw(st.integers(0, 6)) if text or draw(st.integers(0, 2)) else 7
            op: tuple = ("flip", pos, bit)  # bit 7 of a MIDI data byte makes it a status byte
        elif kind == "byte":
            values = (0, 0x20, 0x7F, 0x0A, 0x22, 0x3C) if text else (0, 1, 0x7F, 0x80, 0xFF, 0xF7)
            op = ("byte", pos, draw(st.sampled_from(values)))
        elif kind == "insert":
            op = ("insert", pos, draw(st.binary(min_size=1, max_size=16)))
        elif kind == "delete":
            op = ("delete", pos, draw(st.integers(1, 64)))
        elif kind == "truncate":
            op = ("truncate", pos)
        elif kind == "repeat":
            op = ("repeat", pos, draw(st.integers(1, 64)), draw(st.integers(1, 200)))
        elif kind == "field":
            pos, width = draw(st.sampled_from(midi_fields()[0]))
            op = ("field", pos, width, draw(st.sampled_from(INTERESTING_INTS)))
        elif kind == "vlq":
            op = ("vlq", draw(st.sampled_from(midi_fields()[1])))
        elif kind == "token":
            op = ("insert", pos, draw(st.sampled_from(TOKENS[fmt])).encode("utf-8"))
        else:
            op = ("number", rnd.randrange(1000), draw(st.sampled_from(INTERESTING_NUMBERS)))
        ops.append(op)
        data = apply_ops(data, (op,))
    return tuple(ops)


def edit_midi(data: bytes, edits: tuple[tuple, ...]) -> bytes:
    """Apply event-level edits to a MIDI file (which still parses): odd resolutions, pitches,
    velocities and delta times, dropped or doubled events (hanging and overlapping notes),
    extreme tempos and meters, channel and program changes, empty tracks, odd text."""
    import mido

    mid = mido.MidiFile(file=io.BytesIO(data))
    for edit in edits:
        kind, args = edit[0], edit[1:]
        if kind == "tpq":
            mid.ticks_per_beat = args[0]
            continue
        if kind == "track":  # (position, name): a new, empty track
            pos, name = args
            track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
            mid.tracks.insert(pos % (len(mid.tracks) + 1), track)
            continue
        t, i = args[0] % len(mid.tracks), args[1]
        track = mid.tracks[t]
        notes = [k for k, m in enumerate(track) if m.type in ("note_on", "note_off")]
        if kind in ("pitch", "velocity") and notes:
            k = notes[i % len(notes)]
            field = "note" if kind == "pitch" else "velocity"
            track[k] = track[k].copy(**{field: args[2]})
        elif kind == "delta" and track:
            k = i % len(track)
            track[k] = track[k].copy(time=args[2])
        elif kind == "drop" and len(track) > 1:
            del track[i % (len(track) - 1)]  # never the end of track
        elif kind == "double" and track:
            k = i % len(track)
            track.insert(k, track[k].copy(time=0) if track[k].type != "end_of_track" else track[k])
        elif kind == "channel":
            for k, m in enumerate(track):
                if hasattr(m, "channel"):
                    track[k] = m.copy(channel=args[2])
        elif kind == "program":
            track.insert(min(1, len(track)), mido.Message("program_change", program=args[2]))
        elif kind == "tempo":
            track.insert(i % len(track), mido.MetaMessage("set_tempo", tempo=args[2]))
        elif kind == "meter":
            num, den = args[2]
            meter = mido.MetaMessage("time_signature", numerator=num, denominator=den)
            track.insert(i % len(track), meter)
        elif kind == "text":
            meta = mido.MetaMessage(args[2], text=args[3]) if args[2] != "track_name" else None
            track.insert(i % len(track), meta or mido.MetaMessage("track_name", name=args[3]))
    out = io.BytesIO()
    mid.save(file=out)
    return out.getvalue()


MIDI_TEXTS = ("", " ", "Piano", "Drums", "Bass", "\u00e9t\u00e9", "ABC\x00", "\x7f" * 40, "x" * 300)


@st.composite
def midi_edits(draw, max_edits: int = 4, short: bool = False) -> tuple:
    """A tuple of `edit_midi` edits. `short`: none that makes the 8 bars thousands (a model
    command on a song that long takes minutes, as it should)."""
    track, index = st.integers(0, 9), st.integers(0, 10_000)
    resolutions = [96, 480, 960, 32767, 120, 24] + ([] if short else [1, 2])
    deltas = [0, 1, 7, 10_000] + ([] if short else [10**6, 0x0FFFFFFF])
    edit = st.one_of(
        st.tuples(st.just("tpq"), st.sampled_from(resolutions)),
        st.tuples(st.just("track"), st.integers(0, 9), st.sampled_from(MIDI_TEXTS)),
        st.tuples(st.just("pitch"), track, index, st.sampled_from([0, 1, 35, 81, 126, 127])),
        st.tuples(st.just("velocity"), track, index, st.sampled_from([0, 1, 64, 127])),
        st.tuples(st.just("delta"), track, index, st.sampled_from(deltas)),
        st.tuples(st.just("drop"), track, index),
        st.tuples(st.just("double"), track, index),
        st.tuples(st.just("channel"), track, index, st.sampled_from([0, 9, 15])),
        st.tuples(st.just("program"), track, index, st.sampled_from([0, 33, 127])),
        st.tuples(st.just("tempo"), track, index, st.sampled_from([1, 1000, 60_000, 0xFFFFFF])),
        st.tuples(
            st.just("meter"),
            track,
            index,
            st.sampled_from([(1, 1), (7, 16), (13, 32), (255, 4), (0, 4), (4, 128), (1, 64)]),
        ),
        st.tuples(
            st.just("text"),
            track,
            index,
            st.sampled_from(["lyrics", "marker", "text", "track_name"]),
            st.sampled_from(MIDI_TEXTS),
        ),
    )
    return tuple(draw(st.lists(edit, min_size=1, max_size=max_edits)))


@st.composite
def mutants(draw, formats: tuple[str, ...], max_ops: int = 6, mild: bool = False) -> Mutant:
    """A mutated seed file (mostly), or garbage, or an empty file, with a fitting suffix.

    `mild`: only event-level edits of the seed MIDI (`midi_edits`), at most `max_ops` of them,
    for the commands that load a model, where a file that still loads is the interesting case."""
    fmt = draw(st.sampled_from(formats))
    suffix = draw(st.sampled_from(SUFFIXES[fmt]))
    if mild and fmt == "midi":
        return Mutant(fmt, (("midi", *draw(midi_edits(max_ops, short=True))),), suffix)
    kind = draw(
        st.sampled_from(["mutate"] * 6 + ["midi"] * (fmt == "midi") + ["garbage", "empty", "other"])
    )
    if kind == "midi":
        return Mutant(fmt, (("midi", *draw(midi_edits(max_ops))),), suffix)
    if kind == "mutate":
        return Mutant(fmt, _ops(draw, fmt, SEEDS[fmt](), max_ops), suffix)
    if kind == "empty":
        return Mutant("none", (("replace", draw(st.sampled_from([b"", b" ", b"\n", b"\x00"]))),),
                      suffix)  # fmt: skip
    if kind == "other":  # another format's bytes under this suffix
        other = draw(st.sampled_from([f for f in SEEDS if f not in (fmt, "none")]))
        return Mutant(other, (), suffix)
    garbage = draw(
        st.one_of(
            st.binary(max_size=2048),
            st.text(max_size=500).map(lambda t: t.encode("utf-8")),
            st.binary(max_size=64).map(lambda b: b"MThd\x00\x00\x00\x06" + b),
            st.binary(max_size=64).map(lambda b: b"PK\x03\x04" + b),
            st.text(max_size=200).map(lambda t: f"X:1\nK:C\n{t}".encode("utf-8", "replace")),
        )
    )
    return Mutant("none", (("replace", garbage),), suffix)


# ---------------------------------------------------------------------------------------------
# Adversarial text: prompts and lyrics.
# ---------------------------------------------------------------------------------------------

SCRIPTS = (
    "你好，世界，我们一起唱歌", "こんにちは世界、歌いましょう", "안녕하세요 세계",
    "Привет, мир, споём",
    "Γειά σου Κόσμε", "مرحبا بالعالم نغني معا", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก",
    "ሰላም ልዑል", "Xin chào thế giới", "Ḽơᶉëᶆ ȋṕšᶙṁ", "🎵🎶🎸🥁🎹",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467 \U0001f3f3\ufe0f\u200d\U0001f308",
    "\U0001f44d\U0001f3fd \U0001f1ef\U0001f1f5",
    "Z̴̡̛͔a̸̲͋l̵̰̈́g̶̣̓o̷̱͗ ̶̹̀t̸̰̉e̴̟̿x̵̜̌t̴͕̋", "e\u0301\u0301\u0301\u0301", "\u202eevil rtl\u202c",
    "\u200b\u200c\u200d\ufeff\u2060", "\u2028\u2029", "\t\r\n\v\f",
    "\x01\x07\x1b[31mred\x1b[0m\x7f",
    "\x85\xa0\u3000", "caf\udce9 au lait", "\udcff\udcfe", "ﬁ ﬂ ﬃ ＡＢＣ", "!?.,;:—…‽«»¿¡",
    "---", "- - -", "...", "''''", "\"\"", "\\\\", "%s %d {0} ${x} `rm -rf /`", "../../etc/passwd",
    "CON", "a/b\\c:d*e?f", "0", "123 456", "Ⅻ ½ ² ⁴", "\U0010ffff\U000e0001", "\ue000",
)  # fmt: skip
ENGLISH = (
    "Twinkle twinkle little star", "how I wonder what you are", "la la la", "Oh", "I",
    "the quick brown fox jumps over the lazy dog", "supercalifragilisticexpialidocious",
    "rhythm", "hmm", "Mr. O'Brien's co-op", "don't stop believin'", "  spaced   out  ",
)  # fmt: skip
PROMPT_PIECES = (
    "999999 bars", "0 bars", "-5 bars", "1 bar", "65 bars", "99999999999999999999 bars",
    "a million bars", "zero bars", "½ bars", "1.5 bars", "𝟗𝟗 bars", "sixteen bars", "32 Takte",
    "-5 bpm", "0 bpm", "1e9 bpm", "999 bpm", "19.99 bpm", "300.0001 bpm", "nan bpm", "inf bpm",
    "♩ = 0", "♩=999", "100-10 bpm", "10-1000 bpm", "at 20", "at 301", "１２０ bpm", "١٢٠ bpm",
    "tempo 0", "@ 999", "in H minor", "in C## major", "in Cb minor", "in E# minor", "in a minor",
    "in Bbb major", "key of Q", "in B", "in A", "G#m", "Fb", "in C dorian", "0/4", "7/0", "4/3",
    "16/4", "15/32", "99/99", "1/1", "4/4/4", "3/4/", "-3/4", "٣/٤", "3/4 then 6/8", "waltz",
    "jig in 4/4", "jazz", "rock", "metal", "chorale", "folk", "polka", "bossa nova", "vaporwave",
    "no drums", "drums only", "drums only no drums", "no piano no bass no guitar no strings",
    "piano", "bass", "808", "choir", "sad", "happy", "dark", "fast", "slow", "very slow",
    "for strings", "with drums", "jaz", "rokc", "pinao", "in", "at", "bpm", "bars", "key",
)  # fmt: skip


def _no_nul(text: str) -> str:
    """A command-line argument cannot hold NUL (execve refuses it)."""
    return text.replace("\x00", "")


def adversarial_text(pieces: tuple[str, ...] = (), max_size: int = 5000) -> st.SearchStrategy:
    """Random Unicode, other scripts, emoji, control characters, combining marks, RTL, only
    punctuation, empty, and long repetitions up to `max_size` characters, mixed with `pieces`."""
    words = SCRIPTS + ENGLISH + pieces
    mixed = st.lists(st.sampled_from(words), min_size=1, max_size=10)
    joiner = st.sampled_from([" ", ", ", "\n", "", " \u200d "])
    return st.one_of(
        st.tuples(joiner, mixed).map(lambda p: p[0].join(p[1])),
        st.text(max_size=200),
        st.text(
            st.characters(categories=["Cc", "Cf", "Mn", "Me", "Zs", "Zl", "Zp", "Po", "So"]),
            max_size=100,
        ),  # fmt: skip
        st.sampled_from(words + ("", " ", "\n\n\n")),
        st.tuples(st.sampled_from(words), st.integers(1, max_size)).map(
            lambda p: ((p[0] + " ") * (p[1] // (len(p[0]) + 1) + 1))[: p[1]]
        ),
    ).map(lambda t: t[:max_size])


# ---------------------------------------------------------------------------------------------
# Running one case and checking the contract.
# ---------------------------------------------------------------------------------------------


class CaseTimeout(BaseException):
    """A case ran past its time (a BaseException, so that no `except Exception` swallows it)."""


@dataclasses.dataclass
class Outcome:
    """What one case did, and every way it broke the contract (`problems`, each 'kind: ...')."""

    argv: list[str]
    input: str
    code: int | None = None
    stdout: str = ""
    stderr: str = ""
    error: str | None = None  # the traceback of an exception that escaped main
    problems: list[str] = dataclasses.field(default_factory=list)

    def kinds(self) -> set[str]:
        return {p.split(":", 1)[0] for p in self.problems}

    def report(self) -> str:
        lines = [f"symgen {' '.join(map(repr, self.argv))}", f"input: {self.input}",
                 f"exit {self.code}", *self.problems, "stderr:", self.stderr[-1500:]]  # fmt: skip
        if self.error:
            lines += ["exception:", self.error[-3000:]]
        return "\n".join(lines)


@contextlib.contextmanager
def _fd_capture() -> Iterator[dict[str, str]]:
    """Capture what C/C++ code writes to file descriptors 1 and 2 (symusic, logging handlers
    that kept the real streams)."""
    box: dict[str, str] = {}
    for stream in (sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    files = {fd: tempfile.TemporaryFile() for fd in (1, 2)}  # noqa: SIM115 - closed below
    try:
        for fd, handle in files.items():
            os.dup2(handle.fileno(), fd)
        yield box
    finally:
        for stream in (sys.__stdout__, sys.__stderr__):
            with contextlib.suppress(Exception):
                stream.flush()
        for fd, handle in files.items():
            os.dup2(saved[fd], fd)
            os.close(saved[fd])
            handle.seek(0)
            box[str(fd)] = handle.read().decode("utf-8", "replace")
            handle.close()


@contextlib.contextmanager
def _warnings_into(stream: io.StringIO) -> Iterator[None]:
    """Show warnings as a fresh `symgen` process would (on stderr, each once per case; the
    categories Python hides by default hidden)."""
    hidden = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, hidden):
            stream.write(warnings.formatwarning(message, category, filename, lineno, line))

    with contextlib.suppress(AttributeError):
        warnings._filters_mutated()  # forget which warnings were shown in earlier cases
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """Raise `CaseTimeout` after `seconds`, and again every second after that (library code
    with a bare `except:` may swallow the first)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum, frame):
        raise CaseTimeout(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


MEMORY_HEADROOM = 4 << 30  # bytes of address space one case may add (a few KB of input)


def _address_space() -> int:
    """This process' virtual size in bytes (0 where /proc does not tell)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


@contextlib.contextmanager
def _memory_limit(headroom: int = MEMORY_HEADROOM) -> Iterator[None]:
    """Cap this process' address space at what it uses now plus `headroom` (soft limit only, so
    it is lifted afterwards): a case that would eat the machine gets a MemoryError instead."""
    try:
        import resource
    except ImportError:
        yield
        return
    size = _address_space()
    if not size:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + headroom
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


REPO = Path(__file__).resolve().parents[1]
# a case that times out here is run again in a fresh process, for this long
CONFIRM_TIME = {"factor": 3, "most_extra": 120}


def invoke(
    argv: list[str], *, timeout: int, cwd: Path | None = None, out_dir: Path | None = None
) -> Outcome:
    """Run `symgen ARGV` in this process, capturing its exit code, stdout and stderr.

    A case that runs past `timeout` is run again as a fresh `python -m symbolic.cli` process
    (its `out_dir` emptied first) with three times the time, at most two minutes more: an
    interrupted case can leave a library half-way, and a busy machine can be slow. Only a case
    that is late there too is a timeout; otherwise the fresh process' exit code and output
    are the outcome."""
    from symbolic.cli import main

    outcome = Outcome(argv=list(argv), input="")
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    late = False
    with _fd_capture() as fds:
        try:
            if cwd is not None:
                os.chdir(cwd)
            with (
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
                _warnings_into(err),
                _time_limit(timeout),
                _memory_limit(),
            ):
                try:
                    outcome.code = main(list(argv))
                except SystemExit as exit_:
                    code = exit_.code
                    outcome.code = code if isinstance(code, int) else (0 if code is None else 1)
        except CaseTimeout:
            late = True
        except Exception:
            outcome.error = traceback.format_exc()
        finally:
            os.chdir(here)
    if late:
        extra = min(timeout * (CONFIRM_TIME["factor"] - 1), CONFIRM_TIME["most_extra"])
        return _confirm(outcome, timeout + extra, cwd, out_dir)
    outcome.stdout = out.getvalue() + fds.get("1", "")
    outcome.stderr = err.getvalue() + fds.get("2", "")
    return outcome


def _confirm(outcome: Outcome, timeout: int, cwd: Path | None, out_dir: Path | None) -> Outcome:
    if out_dir is not None:
        for path in sorted(out_dir.rglob("*"), reverse=True):
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
    command = [sys.executable, "-m", "symbolic.cli", *outcome.argv]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    limit = _address_space() + MEMORY_HEADROOM  # this process' size (torch and all) and more

    def cap() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))

    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            timeout=timeout,
            cwd=cwd or os.getcwd(),
            env=env,
            preexec_fn=cap if _address_space() else None,
        )
    except subprocess.TimeoutExpired as expired:
        outcome.stderr = (expired.stderr or b"").decode("utf-8", "replace")
        outcome.problems.append(f"timeout: no answer after {timeout} s (in a fresh process)")
        return outcome
    outcome.code = proc.returncode
    outcome.stdout = proc.stdout.decode("utf-8", "replace")
    outcome.stderr = proc.stderr.decode("utf-8", "replace")
    return outcome


def visible_lines(text: str) -> list[str]:
    """The non-blank lines a terminal shows: a line redrawn after '\\r' (a progress bar that
    clears itself) shows only its last drawing."""
    shown = (line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    return [line for line in shown if line.strip()]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _load_output(path: Path) -> str | None:
    """Why `path` does not load as what symgen writes, or None when it does."""
    from symbolic.errors import SymgenError
    from symbolic.score import load

    try:
        if path.suffix == ".json":
            tokens = json.loads(path.read_text(encoding="utf-8"))["tokens"]
            if not isinstance(tokens, list):
                return "no token list"
        elif path.suffix == ".png":
            if path.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
                return "not a PNG"
        else:
            load(path)
    except SymgenError as err:
        return str(err)
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return None


def check(
    outcome: Outcome,
    *,
    inputs: dict[Path, bytes],
    out_dir: Path,
    outputs: tuple[Path, ...] = (),
    usage_ok: bool = False,
) -> Outcome:
    """Fill `outcome.problems` with every way the case broke the command-line contract."""
    problems = outcome.problems
    if outcome.error:
        last = outcome.error.strip().splitlines()[-1]
        problems.append(f"uncaught exception: {last[:200]}")
    if "MemoryError" in (outcome.error or "") + outcome.stderr:
        problems.append(f"memory: more than {MEMORY_HEADROOM >> 30} GB for one case")
    # a case stopped by the alarm may print "Exception ignored" tracebacks of its own
    timed_out = any(p.startswith("timeout:") for p in problems)
    if not timed_out and ("Traceback" in outcome.stderr or "Traceback" in outcome.stdout):
        problems.append("traceback: printed without --debug")
    lines = visible_lines(outcome.stderr)
    if outcome.code == 1:
        if len(lines) != 1 or not lines[0].startswith("symgen "):
            problems.append(f"stderr: exit 1 with {len(lines)} lines: {lines[-3:]!r}")
    elif outcome.code == 2 and usage_ok:
        if not lines or "error:" not in lines[-1]:
            problems.append(f"stderr: usage error without an 'error:' line: {lines[-3:]!r}")
    elif outcome.code not in (0, None):
        problems.append(f"exit: code {outcome.code}")
    written = sorted(p for p in out_dir.rglob("*") if p.is_file()) if out_dir.exists() else []
    if outcome.code == 0:
        for path in outputs:
            if not path.is_file():
                problems.append(f"output: {path.name} missing after exit 0")
        for path in written:
            if path.name.startswith(".") or path.suffix == ".part":
                problems.append(f"partial: temporary file {path.name} left")
            elif why := _load_output(path):
                problems.append(f"output: {path.name} does not load ({why[:200]})")
    elif written:
        problems.append(f"partial: {[p.name for p in written]} left after exit {outcome.code}")
    for path, data in inputs.items():
        if not path.is_file() or _digest(path.read_bytes()) != _digest(data):
            problems.append(f"input: {path.name} changed")
    for folder in {p.parent for p in inputs}:
        extra = sorted(p.name for p in folder.iterdir() if p not in inputs)
        if extra:
            problems.append(f"input: {extra} written beside the input")
    return outcome


@contextlib.contextmanager
def case_folder() -> Iterator[tuple[Path, Path]]:
    """A fresh (input folder, output folder) pair, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="symgen-fuzz-") as tmp:
        src, out = Path(tmp) / "in", Path(tmp) / "out"
        src.mkdir()
        out.mkdir()
        yield src, out


def run_on_file(
    mutant: Mutant, argv: Callable[[Path, Path], list[str]], *, timeout: int, outputs=()
) -> Outcome:
    """Write `mutant` to a fresh input folder and run `symgen argv(input, out_dir)` on it."""
    with case_folder() as (src_dir, out_dir):
        src = src_dir / f"input{mutant.suffix}"
        data = mutant.data
        src.write_bytes(data)
        outcome = invoke(argv(src, out_dir), timeout=timeout, out_dir=out_dir)
        outcome.input = mutant.describe()
        expected = tuple(out_dir / name for name in outputs)
        return check(outcome, inputs={src: data}, out_dir=out_dir, outputs=expected)


# ---------------------------------------------------------------------------------------------
# The properties.
# ---------------------------------------------------------------------------------------------

LOADABLE = ("midi", "abc", "musicxml", "mxl")
LOADER_TIMEOUT = 10  # seconds for one info or tokenize case: a few KB must never take longer
MODEL_TIMEOUT = 240  # seconds for one case of a command that loads a model


def info_case(mutant: Mutant) -> Outcome:
    outcome = run_on_file(mutant, lambda src, out: ["info", str(src)], timeout=LOADER_TIMEOUT)
    if outcome.code == 0 and not outcome.stdout.strip():
        outcome.problems.append("output: info printed nothing")
    return outcome


def plot_case(mutant: Mutant) -> Outcome:
    return run_on_file(
        mutant, lambda src, out: ["plot", str(src), "-o", str(out / "roll.png")],
        timeout=LOADER_TIMEOUT, outputs=("roll.png",),
    )  # fmt: skip


def eval_case(mutant: Mutant) -> Outcome:
    outcome = run_on_file(mutant, lambda src, out: ["eval", str(src), "--json"],
                          timeout=LOADER_TIMEOUT)  # fmt: skip
    if outcome.code == 0:
        try:
            json.loads(outcome.stdout)["files"][0]["measures"]
        except (ValueError, KeyError, IndexError) as err:
            outcome.problems.append(f"output: eval --json gave no measures ({err!r})")
    return outcome


def tokenize_case(value: tuple[Mutant, str, bool]) -> Outcome:
    mutant, tokenizer, to_file = value

    def argv(src: Path, out: Path) -> list[str]:
        extra = ["--out", str(out / "tokens.json")] if to_file else []
        return ["tokenize", str(src), "--tokenizer", tokenizer, *extra]

    outcome = run_on_file(mutant, argv, timeout=60, outputs=("tokens.json",) if to_file else ())
    if outcome.code == 0 and not to_file and not outcome.stdout.strip():
        outcome.problems.append("output: tokenize printed no tokens")
    return outcome


def _model_case(mutant: Mutant, argv: Callable[[str], list[str]], out_name: str) -> Outcome:
    """A command that loads a model, on the mutated file, writing `out_name` with -o."""
    return run_on_file(
        mutant,
        lambda src, out: [*argv(str(src)), "-o", str(out / out_name)],
        timeout=MODEL_TIMEOUT,
        outputs=(out_name,),
    )


def infill_add_case(mutant: Mutant) -> Outcome:
    return _model_case(mutant, lambda f: ["infill", f, "--add", "bass", "--steps", "2"],
                       "infill.mid")  # fmt: skip


def infill_tracks_case(mutant: Mutant) -> Outcome:
    argv = ["--tracks", "0", "--bars", "1-2", "--steps", "2"]
    return _model_case(mutant, lambda f: ["infill", f, *argv], "infill.mid")


def continue_case(mutant: Mutant) -> Outcome:
    argv = ["generate", "--model", "remi-multi", "--continue"]
    return _model_case(mutant, lambda f: [*argv, f, "--bars", "1"], "continued.mid")


def _text_command(
    command: str, text: str, options: list[str], *, named_out: bool, timeout: int
) -> Outcome:
    """`symgen COMMAND TEXT OPTIONS`, writing with -o into the output folder, or (without
    `named_out`) to the default name, from inside the output folder."""
    with case_folder() as (_src, out_dir):
        out = ["-o", str(out_dir / "out.mid")] if named_out else []
        argv = [command, _no_nul(text), *options, *out]
        outcome = invoke(argv, timeout=timeout, cwd=None if named_out else out_dir, out_dir=out_dir)
        outcome.input = repr(_no_nul(text)[:300])
        usage = argv[1].startswith("-") and " " not in argv[1]  # argparse reads it as an option
        expected = (out_dir / "out.mid",) if named_out else ()
        return check(outcome, inputs={}, out_dir=out_dir, outputs=expected, usage_ok=usage)


def lyric_case(value: tuple[str, str, bool]) -> Outcome:
    """Lyrics as the argument, or in a file (any bytes: UTF-8, UTF-16, Latin-1, NUL)."""
    text, how, named_out = value
    if how == "argument":
        with case_folder() as (_src, out_dir):
            abc = out_dir / "out.abc"
            opts = ["--seed", "0", "--abc", str(abc)]
            out = ["-o", str(out_dir / "out.mid")] if named_out else []
            argv = ["lyric2melody", _no_nul(text), *opts, *out]
            outcome = invoke(
                argv, timeout=MODEL_TIMEOUT, cwd=None if named_out else out_dir, out_dir=out_dir
            )
            outcome.input = repr(_no_nul(text)[:300])
            usage = argv[1].startswith("-") and " " not in argv[1]
            expected = (abc, *((out_dir / "out.mid",) if named_out else ()))
            return check(outcome, inputs={}, out_dir=out_dir, outputs=expected, usage_ok=usage)
    encoding = {"utf-8": "utf-8", "utf-16": "utf-16", "latin-1": "latin-1"}.get(how)
    data = text.encode(encoding, "replace") if encoding else text.encode("utf-8", "replace") + b"\0"
    with case_folder() as (src_dir, out_dir):
        src = src_dir / "lyrics.txt"
        src.write_bytes(data)
        argv = ["lyric2melody", "--lyrics-file", str(src), "--seed", "0", "-o",
                str(out_dir / "out.mid")]  # fmt: skip
        outcome = invoke(argv, timeout=MODEL_TIMEOUT, out_dir=out_dir)
        outcome.input = f"lyrics file ({how}) {data[:300]!r}"
        return check(outcome, inputs={src: data}, out_dir=out_dir, outputs=(out_dir / "out.mid",))


def text2midi_case(value: tuple[str, bool]) -> Outcome:
    text, named_out = value
    return _text_command(
        "text2midi", text, ["--bars", "2"], named_out=named_out, timeout=MODEL_TIMEOUT
    )


def parse_case(value: tuple[str, bool]) -> Outcome:
    """`parse_prompt` itself: it never raises on odd text and what it returns is usable."""
    from symbolic.prompt import STYLE_DEFAULTS, parse_prompt
    from symbolic.theory.gm import DRUMS
    from symbolic.theory.limits import MAX_BARS, TEMPO_RANGE

    text, with_encoder = value
    outcome = Outcome(argv=["parse_prompt", text], input=repr(text[:300]), code=0)
    nearest = None
    if with_encoder:
        from symbolic.tasks.text_match import nearest
    try:
        with _time_limit(LOADER_TIMEOUT), _memory_limit():
            attrs = parse_prompt(text, nearest=nearest)
            again = parse_prompt(text, nearest=nearest)
            json.dumps(attrs.to_dict(), ensure_ascii=False)
            attrs.describe()
            attrs.key_signature()
    except CaseTimeout as late:
        outcome.problems.append(f"timeout: {late}")
        return outcome
    except Exception:
        outcome.error = traceback.format_exc()
        outcome.problems.append(f"uncaught exception: {outcome.error.strip().splitlines()[-1]}")
        return outcome
    bad = []
    if attrs.to_dict() != again.to_dict():
        bad.append("not deterministic")
    if attrs.style not in STYLE_DEFAULTS:
        bad.append(f"style {attrs.style!r}")
    if not (isinstance(attrs.tempo, float) and TEMPO_RANGE[0] <= attrs.tempo <= TEMPO_RANGE[1]):
        bad.append(f"tempo {attrs.tempo!r}")
    if not (isinstance(attrs.bars, int) and 1 <= attrs.bars <= MAX_BARS):
        bad.append(f"bars {attrs.bars!r}")
    meter = re.fullmatch(r"(\d+)/(\d+)", attrs.meter or "")
    if not meter or not 1 <= int(meter[1]) <= 15 or int(meter[2]) not in (1, 2, 4, 8, 16, 32):
        bad.append(f"meter {attrs.meter!r}")
    if not attrs.instruments or not all(0 <= p <= DRUMS for p in attrs.instruments):
        bad.append(f"instruments {attrs.instruments!r}")
    if attrs.tempo_range and not attrs.tempo_range[0] <= attrs.tempo_range[1]:
        bad.append(f"tempo range {attrs.tempo_range!r}")
    outcome.problems += [f"attributes: {b}" for b in bad]
    return outcome


@dataclasses.dataclass(frozen=True)
class Property:
    """One fuzzed entry point: what to draw, how to run a case, how many cases where."""

    name: str
    what: str
    strategy: st.SearchStrategy
    run: Callable[[Any], Outcome]
    fast: int  # examples in `make test`
    bench: int  # examples in benchmarks/bench_fuzz.py
    model: bool = False  # loads a model (seconds per case)


PROPERTIES: dict[str, Property] = {
    p.name: p
    for p in [
        Property("info", "symgen info FILE (MIDI, ABC, MusicXML, MXL)",
                 mutants(LOADABLE), info_case, fast=40, bench=3500),
        Property("plot", "symgen plot FILE -o OUT.png",
                 mutants(LOADABLE), plot_case, fast=15, bench=600),
        Property("eval", "symgen eval FILE --json",
                 mutants(LOADABLE), eval_case, fast=15, bench=600),
        Property("tokenize-remi", "symgen tokenize FILE --tokenizer remi [--out JSON]",
                 st.tuples(mutants(LOADABLE), st.just("remi"), st.booleans()),
                 tokenize_case, fast=25, bench=2000),
        Property("tokenize-abc", "symgen tokenize FILE --tokenizer abc [--out JSON]",
                 st.tuples(mutants(("abc", "abc", "abc", "midi", "musicxml")), st.just("abc"),
                           st.booleans()),
                 tokenize_case, fast=25, bench=1200),
        Property("parse-prompt", "parse_prompt(TEXT) (no sentence encoder)",
                 st.tuples(adversarial_text(PROMPT_PIECES), st.just(False)),
                 parse_case, fast=50, bench=2500),
        Property("parse-prompt-encoder", "parse_prompt(TEXT, nearest=text2midi's encoder)",
                 st.tuples(adversarial_text(PROMPT_PIECES), st.just(True)),
                 parse_case, fast=10, bench=500),
        Property("infill-add", "symgen infill FILE --add bass --steps 2",
                 mutants(("midi",), max_ops=3, mild=True), infill_add_case,
                 fast=3, bench=80, model=True),
        Property("infill-tracks", "symgen infill FILE --tracks 0 --bars 1-2 --steps 2",
                 mutants(("midi",), max_ops=3, mild=True), infill_tracks_case,
                 fast=3, bench=80, model=True),
        Property("continue", "symgen generate --model remi-multi --continue FILE --bars 1",
                 mutants(("midi",), max_ops=3, mild=True), continue_case,
                 fast=2, bench=50, model=True),
        Property("lyric2melody", "symgen lyric2melody LYRICS --seed 0 (argument or --lyrics-file)",
                 st.tuples(adversarial_text(),
                           st.sampled_from(["argument"] * 4 + ["utf-8", "utf-16", "latin-1",
                                                               "nul"]),
                           st.booleans()),
                 lyric_case, fast=3, bench=120, model=True),
        Property("text2midi", "symgen text2midi PROMPT --bars 2",
                 st.tuples(adversarial_text(PROMPT_PIECES, max_size=5000), st.booleans()),
                 text2midi_case, fast=1, bench=20, model=True),
    ]
}  # fmt: skip

# No shrinking in `make test`: a case can take seconds (a model, a 10 s timeout), and shrinking
# runs hundreds; the `Mutant` in the failure report reproduces the case exactly as it is.
FAST_SETTINGS = {
    "phases": (Phase.explicit, Phase.reuse, Phase.generate),
    "derandomize": True,
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


@pytest.mark.parametrize("name", list(PROPERTIES))
def test_fuzz(name: str) -> None:
    prop = PROPERTIES[name]
    warm_seeds()

    @settings(max_examples=prop.fast, **FAST_SETTINGS)
    @given(prop.strategy)
    def case(value) -> None:
        outcome = prop.run(value)
        assert not outcome.problems, outcome.report()

    case()


def test_seeds_pass_the_contract() -> None:
    """The unmutated seeds load under every suffix symgen reads them by, and tokenize: the fuzz
    starts from valid files."""
    for fmt, suffixes in SUFFIXES.items():
        for suffix in suffixes:
            outcome = info_case(Mutant(fmt, (), suffix))
            assert outcome.code == 0 and not outcome.problems, outcome.report()
    outcome = tokenize_case((Mutant("abc", (), ".abc"), "abc", True))
    assert outcome.code == 0 and not outcome.problems, outcome.report()


# What the fuzzing found, as small as it gets (issue 14's report names them); each must pass the
# contract like any other case. The hangs take a minute each while they last: `slow`.
REGRESSIONS = {
    # division 0 in the MIDI header: OverflowError from the resample (fixed in score.load)
    "midi-division-0": Mutant("midi", (("field", 12, 2, 0),), ".mid"),
    # music21 warns (MusicXMLWarning, 2 lines) before the one-line error
    "musicxml-bad-octave": Mutant(
        "musicxml", (("regex", rb"<octave>\d+</octave>", b"<octave>x</octave>"),), ".musicxml"
    ),
    # music21 prints "abcFormat: WARNING: Could not get pitch information..." before the error
    "abc-warning-then-error": Mutant("none", (("replace", b"X:\nL:1/8\njK:"),), ".abc"),
    # a meter of 2^31 beats: music21 fills memory (refused by score.check_abc_sizes)
    "abc-huge-meter": Mutant("abc", (("regex", rb"M:6/8", b"M:-2147483648/8"),), ".abc"),
    # a chord a billion units long: music21 fills memory
    "abc-huge-chord": Mutant("abc", (("regex", rb"\[CEG\]2", b"[CEG]999999999"),), ".abc"),
}
SLOW_REGRESSIONS = {
    # 150 copies of a line with endings: music21 parses for 17 s, then expands for minutes
    "abc-repeated-endings": Mutant(
        "abc",
        (("number", 375, "0"), ("insert", 82, b"%"), ("repeat", 101, 43, 153), ("flip", 6770, 4)),
        ".abc",
    ),  # fmt: skip
    # one long note, then a bar: music21's reBar/bestTimeSignature runs for minutes
    "abc-long-note-hang": Mutant("none", (("replace", b"X:1\nM:6/8\nK:C\ne65536|B|\n"),), ".abc"),
    # a longer one after a first ending: music21 fills memory (about 5 GB in 48 s, then more)
    "abc-long-note-memory": Mutant(
        "none", (("replace", b"X:1\nM:6/8\nK:C\nB|2 D214748364|]\n"),), ".abc"
    ),
}


@pytest.mark.parametrize("name", list(REGRESSIONS))
def test_regression(name: str) -> None:
    for command in ("info", "tokenize"):
        mutant = REGRESSIONS[name]
        outcome = info_case(mutant) if command == "info" else tokenize_case((mutant, "remi", True))
        assert not outcome.problems, outcome.report()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SLOW_REGRESSIONS))
def test_slow_regression(name: str) -> None:
    outcome = info_case(SLOW_REGRESSIONS[name])
    assert not outcome.problems, outcome.report()


def test_a_broken_case_is_caught() -> None:
    """The checker itself: an exception escaping main, a second stderr line, a partial file
    and a changed input are each reported."""
    with case_folder() as (src_dir, out_dir):
        src = src_dir / "a.mid"
        src.write_bytes(b"new")
        (out_dir / ".out.mid.x.part").write_bytes(b"")
        outcome = Outcome(argv=["info"], input="", code=1, stderr="warning\nsymgen info: bad\n")
        outcome.error = "Traceback (most recent call last):\nValueError: boom\n"
        kinds = check(outcome, inputs={src: b"old"}, out_dir=out_dir).kinds()
    assert kinds == {"uncaught exception", "stderr", "partial", "input"}
    assert visible_lines("\rbars: 50%\rbars: 100%\r        \rsymgen x: y\n") == ["symgen x: y"]
