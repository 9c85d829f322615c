"""What each task is asked to do: one frozen dataclass per task, every default declared once.

The task functions take these requests (`text2midi(Text2MidiRequest("jazz in C minor"))`),
and `symgen` builds each command's options from them (type from the hint, default and help
from the field), so the Python API and the command line cannot drift apart. Each field's
`metadata` holds its `help`, and where needed `flags` (option strings), `positional`,
`metavar`, `choices` and `unset` (what happens when an optional field is left at None).

This module imports only the standard library: `symgen --help` reads it without loading torch,
music21 or a model.
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import KW_ONLY, dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_BARS = 16  # text2midi's length when neither the prompt nor --bars gives one
CONTINUE_BARS = 8  # bars `generate --continue` adds unless --bars says otherwise
ABC_OUT = Path("symgen_out")  # the folder ABC tunes go to when generate has no -o
# infill's sampling defaults, chosen on POP909 training songs (benchmarks/tune_infill.py,
# RESULTS.md): temperature 0.8 with guidance 1 writes about the original's number of notes
# (1,326 onsets against 1,277 on 6 songs x 16 bars; temperature 1 wrote 1.6 times as many,
# guidance 0.5 less than half) and follows the harmony best. When the chords are recognised
# rather than given, pitch logits also gain HARMONY * log(p + 0.05), p the recogniser's
# probability that the pitch class is in the chord there (renormalised over pitches, so the
# note count stays), and an uncertain beat leans on the tones its likely chords share:
# weight 3 agreed best (0.889 vs 0.862 without; with the chords heard from melody and bridge
# alone, --reharmonize, 0.708 vs 0.615).
INFILL_TEMPERATURE = 0.8
INFILL_GUIDANCE = 1.0
INFILL_HARMONY = 3.0
# lyric2melody, chosen on the dev songs (bench_lyric2melody.py --split dev, RESULTS.md): with
# the plan at 0.5 and its prior at 1, 1.1 keeps the lead sheets' bars (86% within 0.67-1.5x)
# and lifts the lyrics_melody songs' pitch overlap (0.385 on 60 songs against 0.328 at 1.0).
LYRIC_TEMPERATURE = 1.1


def meta(help: str, **extra: Any) -> dict[str, Any]:
    """A field's metadata: its help text plus the command-line extras (`flags`, ...)."""
    return {"help": help, **extra}


def _seed() -> Any:
    return field(default=0, metadata=meta("same inputs and seed, same bytes", metavar="S"))


def _top_p() -> Any:
    return field(
        default=0.95,
        metadata=meta("nucleus sampling: keep the likeliest tokens up to this mass", metavar="P"),
    )


def _num_samples() -> Any:
    return field(
        default=1, metadata=meta("how many files to write (OUT-1, OUT-2, ...)", metavar="K")
    )


def _temperature(default: float) -> Any:
    return field(default=default, metadata=meta("sampling temperature", metavar="T"))


def _model(default: str) -> Any:
    return field(default=default, metadata=meta("a shipped model name or a model folder"))


def _png() -> Any:
    return field(
        default=False, metadata=meta("also draw each MIDI file's piano roll beside it (OUT.png)")
    )


def _out(help: str, unset: str, metavar: str = "OUT.mid") -> Any:
    return field(
        default=None, metadata=meta(help, flags=("-o", "--out"), metavar=metavar, unset=unset)
    )


@functools.cache
def path_fields(cls: type) -> frozenset[str]:
    """Names of `cls`'s fields whose type hint includes `Path`."""
    hints = typing.get_type_hints(cls)
    return frozenset(f.name for f in fields(cls) if Path in _members(hints[f.name]))


def _members(hint: Any) -> tuple[Any, ...]:
    """The types of a hint: (Path, NoneType) for `Path | None`, (int,) for `int`."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return typing.get_args(hint)
    return (hint,)


class _Request:
    """Base of the requests: a path given as a string becomes a `Path`."""

    def __post_init__(self) -> None:
        for name in path_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, Path(value))


@dataclass(frozen=True)
class Text2MidiRequest(_Request):
    """`symgen text2midi`: a multi-track MIDI file from a text prompt."""

    prompt: str = field(
        metadata=meta('e.g. "jazz in C minor", "a slow waltz for strings"', positional=True)
    )
    out: Path | None = _out("output .mid", "named after the prompt")
    png: bool = _png()
    bars: int | None = field(
        default=None,
        metadata=meta("length in bars", metavar="N", unset=f"from the prompt, else {DEFAULT_BARS}"),
    )
    num_samples: int = _num_samples()
    seed: int = _seed()
    wav: Path | None = field(
        default=None, metadata=meta("also render to this .wav with FluidSynth", metavar="OUT.wav")
    )
    temperature: float = _temperature(1.0)
    top_p: float = _top_p()
    raw: bool = field(
        default=False,
        metadata=meta(
            "the model alone: no key prior, no redraws until the key is heard, no per-role "
            "note limits (drums 4 hits, a bass one note per onset)"
        ),
    )
    model: str = _model("text2midi")


@dataclass(frozen=True)
class InfillRequest(_Request):
    """`symgen infill`: regenerate, fill in or add tracks and bars of a MIDI file."""

    file: Path = field(metadata=meta("a MIDI, ABC or MusicXML file", positional=True))
    tracks: str | None = field(
        default=None,
        metadata=meta(
            "tracks to rewrite: index, track name or instrument, comma list", metavar="SEL[,SEL]"
        ),
    )
    _: KW_ONLY
    bars: str | None = field(
        default=None,
        metadata=meta("only these bars, e.g. 9-16", metavar="A-B", unset="the whole song"),
    )
    add: str | None = field(
        default=None,
        metadata=meta(
            "new tracks, e.g. bass,drums (GM instrument names)", metavar="INSTRUMENT[,..]"
        ),
    )
    chords: str | None = field(
        default=None,
        metadata=meta(
            'force the harmony: "C G Am F" (a chord per bar, repeated; "C G | Am F" two per bar)',
            unset="recognised per beat from all tracks, so rewritten ones keep theirs",
        ),
    )
    out: Path | None = _out("output .mid", "IN-infill.mid")
    png: bool = _png()
    steps: int = field(default=32, metadata=meta("diffusion steps", metavar="N"))
    seed: int = _seed()
    temperature: float = _temperature(INFILL_TEMPERATURE)
    guidance: float = field(
        default=INFILL_GUIDANCE, metadata=meta("classifier-free guidance weight")
    )
    harmony: float = field(
        default=INFILL_HARMONY,
        metadata=meta("weight of the recognised chords' tones on the pitch logits (0: none)"),
    )
    reharmonize: bool = field(
        default=False,
        metadata=meta("chords from the other tracks only: the rewritten tracks may change them"),
    )
    raw: bool = field(
        default=False,
        metadata=meta(
            "sample without the per-role priors (drum rows on percussion notes, a bass in 28-55)"
        ),
    )
    model: str = _model("infill")


@dataclass(frozen=True)
class LyricRequest(_Request):
    """`symgen lyric2melody`: a singable melody for English lyrics (MIDI, ABC)."""

    lyrics: str | None = field(
        default=None,
        metadata=meta("the lyrics; line breaks separate lines", positional=True),
    )
    lyrics_file: Path | None = field(
        default=None, metadata=meta("read the lyrics from this UTF-8 file", metavar="FILE")
    )
    key: str = field(default="C", metadata=meta("e.g. G, Em, F# minor"))
    tempo: float = field(default=96, metadata=meta("beats per minute", metavar="BPM"))
    meter: str = field(default="4/4", metadata=meta("e.g. 3/4, 6/8"))
    chords: bool = field(default=False, metadata=meta("add a chord track (and ABC chords)"))
    language: str = field(
        default="en",
        metadata=meta(
            "the lyrics' language: how words are cut into sung syllables and stressed",
            choices=("en", "de", "fr", "es", "it"),
        ),
    )
    voice: str = field(
        default="middle",
        metadata=meta(
            "the singer: the melody stays inside this voice's range",
            choices=("soprano", "alto", "tenor", "bass", "middle"),
        ),
    )
    out: Path | None = _out("output .mid", "named after the lyrics")
    png: bool = _png()
    abc: Path | None = field(
        default=None,
        metadata=meta("also write the melody and lyrics as ABC", metavar="OUT.abc"),
    )
    seed: int = _seed()
    temperature: float = _temperature(LYRIC_TEMPERATURE)
    top_p: float = _top_p()
    model: str = _model("lyric2melody")


@dataclass(frozen=True)
class GenerateRequest(_Request):
    """`symgen generate`: ABC tunes from a header prompt, or new bars after a MIDI file."""

    model: str = field(
        metadata=meta("abc-folk, remi-multi, or a model folder", metavar="NAME"),
    )
    prompt: str | None = field(
        default=None, metadata=meta("ABC header, e.g. 'M:6/8\\nK:D\\nR:jig'", metavar="ABC_HEADER")
    )
    continue_path: Path | None = field(
        default=None,
        metadata=meta("a MIDI file to continue", flags=("--continue",), metavar="IN.mid"),
    )
    bars: int | None = field(
        default=None,
        metadata=meta("bars to add (with --continue)", metavar="N", unset=f"{CONTINUE_BARS}"),
    )
    out: Path | None = _out(
        "output file or folder",
        f"{ABC_OUT}/ for ABC tunes, IN-continued.mid with --continue",
        metavar="OUT",
    )
    png: bool = _png()
    num_samples: int = _num_samples()
    seed: int = _seed()
    temperature: float = _temperature(1.0)
    top_p: float = _top_p()
    style: str | None = field(
        default=None,
        metadata=meta(
            "style token for remi-multi (e.g. jazz, chorale, pop)",
            unset="guessed from the file's instruments",
        ),
    )
    raw: bool = field(
        default=False,
        metadata=meta(
            "sample without the per-role limits (drums at most 4 hits, a bass 1 note per onset)"
        ),
    )
