"""Score I/O: load MIDI, ABC and MusicXML into `symusic.Score`; write DAW-ready MIDI atomically.

`symusic.Score` (ticks) is the one in-memory type. music21 is used only to read what symusic
cannot (ABC, MusicXML) and is imported lazily: it is slow to import and to parse.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import os
import re
import signal
import tempfile
import threading
import warnings
from fractions import Fraction
from pathlib import Path
from time import monotonic

import numpy as np
from symusic import KeySignature, Note, Score, Tempo, TextMeta, TimeSignature, Track

from symbolic.errors import SymgenError
from symbolic.theory.gm import family, program_name
from symbolic.theory.keys import (
    best_key,
    key_name,
    pitch_class_histogram,
    signature_key,
    signature_sharps,
)
from symbolic.theory.limits import FILE_TEMPO_RANGE, MAX_BARS

TPQ = 480
MAX_TRACKS = 256
MIDI_SUFFIXES = {".mid", ".midi", ".smf"}
ABC_SUFFIXES = {".abc"}
XML_SUFFIXES = {".xml", ".musicxml", ".mxl", ".krn"}


def _check_input_file(path: Path) -> None:
    if not path.exists():
        raise SymgenError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise SymgenError(f"{path}: is a folder, not a music file; give a .mid, .abc or .musicxml")
    if path.stat().st_size == 0:
        raise SymgenError(f"{path}: the file is empty; give a MIDI, ABC or MusicXML file")


def load(path: str | Path, *, tune: int | None = None, require_notes: bool = True) -> Score:
    """Read a MIDI, ABC or MusicXML file into a `Score` at 480 ticks per quarter.

    `tune` picks an ABC tune by its X: number in a multi-tune file (default: the first).
    Raises `SymgenError` with a plain message for anything unreadable.
    """
    path = Path(path)
    _check_input_file(path)
    suffix = path.suffix.lower()
    if suffix in MIDI_SUFFIXES:
        score = _load_midi(path)
    elif suffix in ABC_SUFFIXES:
        score = _load_with_music21(path, "abc", tune)
    elif suffix in XML_SUFFIXES:
        score = _load_with_music21(path, None, None)
    else:
        raise SymgenError(
            f"{path}: unknown file type {suffix!r}; give a .mid, .abc, .xml or .musicxml file"
        )
    validate(score, str(path), require_notes=require_notes)
    return score


def _load_midi(path: Path) -> Score:
    try:
        # bytes, not from_file (which rejects a .smf name); a division of 0 fails the resample
        score = Score.from_midi(path.read_bytes()).resample(TPQ, min_dur=0)
    except Exception as err:  # symusic raises RuntimeError/ValueError with C++ messages
        raise SymgenError(
            f"{path}: not a readable MIDI file ({str(err).splitlines()[0][:80]}); "
            "re-export it from your DAW or notation program"
        ) from None
    if len(score.tracks) > MAX_TRACKS:
        raise SymgenError(
            f"{path}: {len(score.tracks)} tracks, more than the {MAX_TRACKS} symgen handles; "
            "merge or delete tracks first"
        )
    return _merge_lyric_tracks(score)


def _merge_lyric_tracks(score: Score) -> Score:
    """symusic returns lyric events as a note-less twin track: put them back on the notes."""
    by_name = {t.name: t for t in score.tracks if t.note_num() > 0}
    keep = []
    for track in score.tracks:
        if track.note_num() == 0 and len(track.lyrics) > 0:
            target = by_name.get(track.name) or next(iter(by_name.values()), None)
            if target is not None:
                target.lyrics.extend(list(track.lyrics))
                target.lyrics.sort()
                continue
        keep.append(track)
    score.tracks = keep
    return score


def _load_with_music21(path: Path, fmt: str | None, tune: int | None) -> Score:
    import music21

    try:
        if fmt == "abc":
            try:
                text = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                raise SymgenError(
                    f"{path}: the ABC file is not UTF-8 text; re-save it as UTF-8"
                ) from None
            try:
                text = abc_tune(text, tune)
            except SymgenError as err:
                raise SymgenError(f"{path}: {err}") from None
            if "K:" not in text:
                raise SymgenError(
                    f"{path}: no K: (key) field, so this is not ABC music; fix the file"
                )
            try:
                check_abc_sizes(text)
            except SymgenError as err:
                raise SymgenError(f"{path}: {err}") from None
        with _parse_time_limit(path, path.stat().st_size), _quiet():
            if fmt == "abc":
                stream = music21.converter.parse(text, format="abc")
                if not stream.recurse().notes:
                    raise SymgenError(
                        f"{path}: no notes could be read from this ABC (syntax errors?); "
                        "check the tune body in an ABC editor"
                    )
            else:
                stream = music21.converter.parse(str(path))
            if isinstance(stream, music21.stream.Opus):
                stream = stream.scores[0]
            return from_music21(stream)
    except SymgenError:
        raise
    except Exception as err:
        kind = "ABC" if fmt == "abc" else "score"
        raise SymgenError(
            f"{path}: could not read this {kind} file ({type(err).__name__}: "
            f"{str(err).splitlines()[0][:80] if str(err) else 'syntax error'}); fix the syntax"
        ) from None


@contextlib.contextmanager
def _quiet():
    """Silence music21's warnings and printed notes while it parses: the error, if any, is
    reported as one line of ours."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


class _ParseTimeout(BaseException):
    """Raised by the alarm inside music21 (a BaseException, so its own handlers let it pass)."""


@contextlib.contextmanager
def _parse_time_limit(path: Path, size: int):
    """Stop a music21 parse that runs far longer than a file of `size` bytes needs (some
    malformed files send it into minutes of work and gigabytes). Only in the main thread:
    elsewhere a signal cannot interrupt, and the parse runs unbounded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seconds = 5.0 + size / 4096

    def alarm(_signum, _frame):
        signal.setitimer(signal.ITIMER_REAL, 0.25)  # again, should this one land where Python
        raise _ParseTimeout  # cannot raise (a garbage-collector callback) and be lost

    outer, _ = signal.getitimer(signal.ITIMER_REAL)  # a caller's own alarm, kept
    start = monotonic()
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer) if outer else seconds)
    try:
        yield
    except _ParseTimeout:
        raise SymgenError(
            f"{path}: reading this file took over {seconds:.0f} s, so it is likely malformed "
            "(a note or repeat far too long?); check it in a score editor"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (monotonic() - start), 1e-3))


# A note, rest or chord (`[CEG]2`) and its length (ABC 2.1 section 4.3): multiplier, divisor.
_ABC_NOTE_LENGTH = re.compile(r"[A-Ga-gzxZX\]][,']*(\d+)?(?:/+(\d+)?)?")
_ABC_NOT_NOTES = re.compile(r'"[^"\n]*"|![^!\n]*!|\+[^+\n]*\+|%.*|\[[A-Za-z]:[^\]\n]*\]')
_ABC_FIELD_LINE = re.compile(r"^[A-Za-z]:.*$", re.MULTILINE)
_ABC_METER_OR_UNIT = re.compile(r"(?:^|\[)([ML]):([^\]\n]*)", re.MULTILINE)
MAX_ABC_MULTIPLIER = 64  # a note of 64 unit lengths: 8 bars of 4/4 at L:1/8
MAX_ABC_DIVISOR = 128
MAX_ABC_METER = 64  # beats in a bar, and the beat's divisor


def check_abc_sizes(text: str) -> None:
    """Refuse meters, unit lengths and note lengths no tune has (`M:99999/8`, `C99999`,
    `z/0`): music21 spends minutes and gigabytes on them instead of failing."""
    for m in _ABC_METER_OR_UNIT.finditer(text):
        numbers = [int(n) for n in re.findall(r"\d+", m.group(2))]
        limit = MAX_ABC_METER if m.group(1) == "M" else MAX_ABC_DIVISOR
        if any(not 1 <= n <= limit for n in numbers):
            what = "meter" if m.group(1) == "M" else "unit note length"
            raise SymgenError(
                f"the ABC {what} {m.group(1)}:{m.group(2).strip()[:20]} is impossible; "
                "fix the field"
            )
    body = _ABC_NOT_NOTES.sub(" ", _ABC_FIELD_LINE.sub("", text))
    for m in _ABC_NOTE_LENGTH.finditer(body):
        top, bottom = m.group(1), m.group(2)
        rest_bars = m.group(0)[0] in "ZX"  # a multi-bar rest counts bars
        if top and int(top) > (MAX_BARS if rest_bars else MAX_ABC_MULTIPLIER):
            raise SymgenError(
                f"the ABC note {m.group(0)!r} is longer than any tune holds "
                f"(at most {MAX_ABC_MULTIPLIER} unit lengths); fix its length"
            )
        if bottom is not None and not 1 <= int(bottom) <= MAX_ABC_DIVISOR:
            raise SymgenError(
                f"the ABC note {m.group(0)!r} has an impossible length; fix its length"
            )


def from_music21(stream) -> Score:
    """Convert a music21 stream (Score or Part) to a `Score`, keeping part names and lyrics."""
    import music21

    try:
        midi_file = music21.midi.translate.streamToMidiFile(stream, addStartDelay=False)
    except Exception:  # badly formed repeats, duplicated meta events: retry on a plain copy
        stream = _plain_stream(stream)
        midi_file = music21.midi.translate.streamToMidiFile(stream, addStartDelay=False)
    score = Score.from_midi(midi_file.writestr()).resample(TPQ, min_dur=0)
    parts = list(stream.parts) if hasattr(stream, "parts") and stream.parts else [stream]
    tracks = [t for t in score.tracks if t.note_num() > 0]
    for part, track in zip(parts, tracks, strict=False):
        if part.partName:
            track.name = str(part.partName)
        for note in part.recurse().notes:
            if note.lyric:
                tick = round(float(note.getOffsetInHierarchy(stream)) * TPQ)
                track.lyrics.append(TextMeta(tick, note.lyric))
    score.tracks = tracks
    return _shift_pickup(score, parts[0])


def _shift_pickup(score: Score, part) -> Score:
    """Start a pickup bar on its upbeat (music21 writes it at tick 0), so bar lines fall right."""
    measures = part.getElementsByClass("Measure")
    pad = float(measures.first().paddingLeft) if measures else 0.0
    shift = round(pad * TPQ)
    if shift <= 0:
        return score
    shifted = score.shift_time(shift)
    for meta in (shifted.tempos, shifted.time_signatures, shifted.key_signatures):
        if len(meta):
            meta[0].time = 0
    return shifted


def _plain_stream(stream):
    """A copy of a music21 score with only notes, rests, meters, keys and tempos (no repeats)."""
    import copy

    from music21 import key, meter, note, tempo
    from music21 import stream as m21stream

    kinds = [note.GeneralNote, meter.TimeSignature, key.KeySignature, tempo.MetronomeMark]
    out = m21stream.Score()
    parts = list(stream.parts) if hasattr(stream, "parts") and stream.parts else [stream]
    for part in parts:
        plain = m21stream.Part()
        plain.partName = part.partName
        seen: set[tuple[str, float]] = set()
        for el in part.flatten().getElementsByClass(kinds):
            mark = (type(el).__name__, float(el.offset))
            if not isinstance(el, note.GeneralNote):
                if mark in seen:
                    continue
                seen.add(mark)
            plain.insert(el.offset, copy.deepcopy(el))
        out.insert(0, plain)
    return out


def validate(score: Score, where: str, *, require_notes: bool = True) -> None:
    """Reject scores that no task can use: no notes, absurd tempos."""
    if require_notes and score.note_num() == 0:
        raise SymgenError(f"{where}: the file has no notes; give a file with music in it")
    for tempo in score.tempos:
        if not FILE_TEMPO_RANGE[0] <= tempo.qpm <= FILE_TEMPO_RANGE[1]:
            raise SymgenError(
                f"{where}: tempo {tempo.qpm:g} bpm is outside {FILE_TEMPO_RANGE[0]:g}-"
                f"{FILE_TEMPO_RANGE[1]:g} bpm; fix the tempo in your editor"
            )


def sounding_pitch_classes(score: Score) -> np.ndarray:
    """Sounding time per pitch class over all pitched tracks (12 values)."""
    tracks = [t.notes.numpy() for t in score.tracks if not t.is_drum and t.note_num() > 0]
    if not tracks:
        return np.zeros(12)
    pitch = np.concatenate([n["pitch"] for n in tracks])
    return pitch_class_histogram(pitch, np.concatenate([n["duration"] for n in tracks]))


def estimate_key(score: Score) -> tuple[int, str]:
    """Key by Krumhansl-Kessler profiles over duration-weighted pitch classes: (tonic, mode)."""
    return best_key(sounding_pitch_classes(score))[:2]


def key_signature(tonic: int, mode: str, time: int = 0) -> KeySignature:
    """A MIDI key signature (sharps/flats and mode) for a tonic pitch class and mode."""
    return KeySignature(time, signature_sharps(tonic, mode), 0 if mode == "major" else 1)


def signature_name(key: KeySignature) -> str:
    """Name a MIDI key signature: "G major", "F# minor" (spelled as its sharps or flats)."""
    return key_name(*signature_key(key.key, key.tonality == 1), flats=key.key < 0)


def _clean_notes(track: Track, min_duration: int) -> None:
    """No zero-length notes, no overlapping notes of the same pitch (numpy, no note loop)."""
    if track.note_num() == 0:
        return
    arr = track.notes.numpy()
    order = np.lexsort((arr["time"], arr["pitch"]))
    time = arr["time"][order].astype(np.int64)
    dur = np.maximum(arr["duration"][order].astype(np.int64), min_duration)
    pitch = arr["pitch"][order]
    vel = np.clip(arr["velocity"][order].astype(np.int64), 1, 127)
    same_next = np.r_[pitch[1:] == pitch[:-1], False]
    next_time = np.r_[time[1:], np.iinfo(np.int64).max]
    dur = np.where(same_next, np.minimum(dur, next_time - time), dur)
    keep = dur > 0
    resort = np.lexsort((pitch[keep], time[keep]))
    track.notes = Note.from_numpy(
        time=time[keep][resort].astype(np.int32),
        duration=dur[keep][resort].astype(np.int32),
        pitch=pitch[keep][resort].astype(np.int8),
        velocity=vel[keep][resort].astype(np.int8),
    )


def daw_ready(score: Score) -> Score:
    """A copy fit for a DAW: 480 tpq, named GM tracks, meta events at tick 0, clean notes."""
    score = score.copy().resample(TPQ, min_dur=1) if score.tpq != TPQ else score.copy()
    tracks = [t for t in score.tracks if t.note_num() > 0 or len(t.lyrics) > 0]
    for track in tracks:
        if not track.name.strip():
            track.name = program_name(track.program, track.is_drum)
        _clean_notes(track, min_duration=1)
    score.tracks = tracks
    if not score.tempos or score.tempos[0].time > 0:
        qpm = score.tempos[0].qpm if score.tempos else 120.0
        score.tempos.insert(0, Tempo(0, qpm))
    if not score.time_signatures or score.time_signatures[0].time > 0:
        score.time_signatures.insert(0, TimeSignature(0, 4, 4))
    if not score.key_signatures or score.key_signatures[0].time > 0:
        score.key_signatures.insert(0, key_signature(*estimate_key(score)))
    return score


_CREATED: contextvars.ContextVar[list[Path] | None] = contextvars.ContextVar(
    "symgen_created", default=None
)


@contextlib.contextmanager
def all_or_nothing():
    """Files first created inside the block are removed again if it fails, so a command that
    stops halfway (after its MIDI, before its ABC or WAV) leaves nothing behind."""
    created: list[Path] = []
    token = _CREATED.set(created)
    try:
        yield
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    finally:
        _CREATED.reset(token)


def move_into_place(tmp: str | Path, path: Path) -> None:
    """Rename a finished temp file onto `path` (atomic), noting it for `all_or_nothing`."""
    existed = path.exists()
    os.chmod(tmp, file_mode())
    os.replace(tmp, path)
    created = _CREATED.get()
    if created is not None and not existed:
        created.append(path)


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write a whole file or nothing: a temp file in the same folder, then a rename."""
    path = Path(path)
    if path.is_dir():
        raise SymgenError(f"{path}: is a folder; give a file name for the output")
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        move_into_place(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def file_mode() -> int:
    """The mode a new file gets under the current umask (mkstemp's files are private: 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def check_output(output: str | Path, *inputs: str | Path) -> Path:
    """Refuse to overwrite an input file with an output."""
    output = Path(output)
    for item in inputs:
        if item and output.exists() and Path(item).exists() and output.samefile(item):
            raise SymgenError(f"{output}: is also the input; choose another output name with -o")
    return output


def save_midi(score: Score, path: str | Path) -> Path:
    """Write a DAW-ready type-1 MIDI file atomically."""
    return write_atomic(path, daw_ready(score).dumps_midi())


def parse_bar_range(text: str, bars: int) -> tuple[int, int]:
    """ "9-16" (1-based, inclusive) → (8, 15); checked against the song's `bars`."""
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not m:
        raise SymgenError(f"cannot read the bar range {text!r}; write it like 9-16 or 5")
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    if first < 1 or last < first:
        raise SymgenError(f"bar range {text!r}: bars count from 1 and the range must not be empty")
    if first > bars:
        raise SymgenError(f"bar range {text!r}: the song has {bars} bars")
    return first - 1, min(last, bars) - 1


def bar_lines(score: Score, end: int | None = None) -> np.ndarray:
    """Start tick of every bar up to `end` (default: the last note end), following meter
    changes; a file without a time signature is in 4/4."""
    end = score.end() if end is None else end
    sigs = list(score.time_signatures) or [TimeSignature(0, 4, 4)]
    if sigs[0].time > 0:
        sigs.insert(0, TimeSignature(0, 4, 4))
    starts = []
    for sig, nxt in zip(sigs, [*sigs[1:], None], strict=True):
        stop = end if nxt is None else min(nxt.time, end)
        if stop > sig.time:
            bar_len = score.tpq * 4 * sig.numerator // sig.denominator
            starts.append(np.arange(sig.time, stop, bar_len))
    return np.concatenate(starts).astype(np.int64) if starts else np.zeros(0, np.int64)


def bar_count(score: Score) -> int:
    """Number of bars (started) up to the last note end, following meter changes."""
    return len(bar_lines(score)) if score.end() > 0 else 0


def describe(score: Score) -> dict:
    """What `symgen info` prints: tracks, instruments, tempo, meter, key, bars, notes."""
    if score.key_signatures:
        key = signature_name(score.key_signatures[0])
        key_source = "file"
    else:
        tonic, mode = estimate_key(score)
        key, key_source = key_name(tonic, mode, flats=True), "estimated"
    sig = score.time_signatures[0] if score.time_signatures else None
    return {
        "tracks": [
            {
                "index": i,
                "name": t.name,
                "program": int(t.program),
                "instrument": program_name(t.program, t.is_drum),
                "family": family(t.program, t.is_drum),
                "is_drum": bool(t.is_drum),
                "notes": int(t.note_num()),
                "lyrics": len(t.lyrics),
            }
            for i, t in enumerate(score.tracks)
        ],
        "tempo": round(float(score.tempos[0].qpm), 2) if score.tempos else 120.0,
        "tempo_changes": max(len(score.tempos) - 1, 0),
        "meter": f"{sig.numerator}/{sig.denominator}" if sig else "4/4",
        "key": key,
        "key_source": key_source,
        "bars": bar_count(score),
        "notes": int(score.note_num()),
        "ticks_per_quarter": int(score.tpq),
    }


# ---------------------------------------------------------------------------------------------
# ABC: pick one tune of a multi-tune file; write melodies and lead sheets.
# ---------------------------------------------------------------------------------------------

_X_FIELD = re.compile(r"^X:[ \t]*(\S*)", re.MULTILINE)


def abc_tunes(text: str) -> list[tuple[str, str]]:
    """Split ABC text into `(X number, tune text)`; the file header is kept in front of each."""
    starts = [m.start() for m in _X_FIELD.finditer(text)]
    if not starts:
        return [("1", text)]
    header = text[: starts[0]]
    header = header if "K:" not in header else ""  # a header never holds a key: stray music
    tunes = []
    for begin, end in zip(starts, [*starts[1:], len(text)], strict=True):
        body = text[begin:end]
        tunes.append((_X_FIELD.match(body).group(1) or "1", header + body))
    return tunes


def abc_tune(text: str, tune: int | str | None = None) -> str:
    """The text of one tune (by X: number; default the first) of a possibly multi-tune file."""
    tunes = abc_tunes(text)
    if tune is None:
        return tunes[0][1]
    for number, body in tunes:
        if number == str(tune):
            return body
    raise SymgenError(f"no tune X:{tune} in this ABC text; numbers: {tunes[0][0]}..{tunes[-1][0]}")


_LETTERS = "CDEFGAB"
_NATURAL_PC = (0, 2, 4, 5, 7, 9, 11)
_SHARP_ORDER = "FCGDAEB"
# Key names by number of sharps (-7..7), major and minor.
# fmt: off
_MAJOR_BY_SHARPS = ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F",
                    "C", "G", "D", "A", "E", "B", "F#", "C#")
_MINOR_BY_SHARPS = ("Ab", "Eb", "Bb", "F", "C", "G", "D",
                    "A", "E", "B", "F#", "C#", "G#", "D#", "A#")
# fmt: on
_C_MAJOR_CHROMATIC = {1: 1, 3: -1, 6: 1, 8: 1, 10: -1}  # C#, Eb, F#, G#, Bb
_ABC_LENGTHS = (16, 12, 8, 6, 4, 3, 2, 1)  # plain and dotted values, in grid steps


def _key_alters(sharps: int) -> dict[str, int]:
    """The alteration the key signature gives each letter."""
    alters = dict.fromkeys(_LETTERS, 0)
    order = _SHARP_ORDER if sharps > 0 else _SHARP_ORDER[::-1]
    for letter in order[: abs(sharps)]:
        alters[letter] = 1 if sharps > 0 else -1
    return alters


def _spellings(sharps: int) -> list[tuple[str, int]]:
    """(letter, alteration) for each pitch class: diatonic first, then natural, then by key."""
    key = _key_alters(sharps)
    table = []
    for pc in range(12):
        cands = []
        for letter, natural in zip(_LETTERS, _NATURAL_PC, strict=True):
            alter = (pc - natural + 6) % 12 - 6
            if abs(alter) <= 1:
                cands.append((letter, alter))
        prefer = 1 if sharps > 0 else -1 if sharps < 0 else _C_MAJOR_CHROMATIC.get(pc, 0)
        cands.sort(key=lambda c: (c[1] != key[c[0]], c[1] != 0, c[1] != prefer))
        table.append(cands[0])
    return table


def _abc_length(ticks: int, unit: int) -> str:
    frac = Fraction(ticks, unit)
    if frac == 1:
        return ""
    if frac.denominator == 1:
        return str(frac.numerator)
    return f"{frac.numerator if frac.numerator != 1 else ''}/{frac.denominator}"


def _abc_pitch(pitch: int, letter: str, alter: int) -> str:
    octave = (pitch - alter) // 12 - 1
    if octave >= 5:
        return letter.lower() + "'" * (octave - 5)
    return letter + "," * (4 - octave)


def _melody(track: Track, grid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quantized monophonic line (top note wins at equal onsets): onsets, ends, pitches."""
    arr = track.notes.numpy()
    onset = np.round(arr["time"].astype(np.int64) / grid).astype(np.int64) * grid
    end = np.round((arr["time"] + arr["duration"]).astype(np.int64) / grid).astype(np.int64) * grid
    end = np.maximum(end, onset + grid)
    pitch = arr["pitch"].astype(np.int64)
    order = np.lexsort((-pitch, onset))
    onset, end, pitch = onset[order], end[order], pitch[order]
    first = np.r_[True, onset[1:] != onset[:-1]]
    onset, end, pitch = onset[first], end[first], pitch[first]
    end = np.minimum(end, np.r_[onset[1:], np.iinfo(np.int64).max])
    return onset, end, pitch


def _bars(score: Score, total: int, grid: int) -> list[tuple[int, int, int, int]]:
    """(start, length, numerator, denominator) of every bar up to `total` ticks.

    Meter changes are snapped to the grid; meters whose bar is shorter than one grid step
    (music21 writes 1/32 bars around repeats) are dropped.
    """
    by_time: dict[int, tuple[int, int]] = {}
    for sig in score.time_signatures:
        if TPQ * 4 * sig.numerator // sig.denominator >= grid:
            by_time[int(round(sig.time / grid)) * grid] = (sig.numerator, sig.denominator)
    sigs = sorted((t, n, d) for t, (n, d) in by_time.items()) or [(0, 4, 4)]
    if sigs[0][0] > 0:
        sigs.insert(0, (0, 4, 4))
    bars = []
    for i, (time, num, den) in enumerate(sigs):
        stop = sigs[i + 1][0] if i + 1 < len(sigs) else None
        length = TPQ * 4 * num // den
        t = time
        while (stop is None and t < total) or (stop is not None and t < stop):
            size = length if stop is None else min(length, stop - t)
            if size == length:
                bars.append((t, size, num, den))
            else:  # a bar cut short by a meter change gets its own meter, e.g. 3/8
                units = (TPQ * 4 // den, TPQ // 2, TPQ // 4, grid)  # its beat, 8ths, 16ths
                unit = next(u for u in units if u > 0 and size % u == 0)
                bars.append((t, size, size // unit, TPQ * 4 // unit))
            t += length
    return bars or [(0, TPQ * 4 * sigs[0][1] // sigs[0][2], sigs[0][1], sigs[0][2])]


def _syllable(text: str) -> str:
    """A lyric event's text as one w: syllable (a trailing '-' joins it to the next)."""
    text = text.strip()
    hyphen = text.endswith("-")
    word = re.sub(r"[\s~]+", "~", re.sub(r"[-*_|\\%\"]", "", text)).strip("~") or "~"
    return word + ("-" if hyphen else "")


def to_abc(
    score: Score,
    title: str = "Untitled",
    chords: list[tuple[int, str]] | None = None,
    lyrics: bool = True,
    *,
    track: int | None = None,
    grid: int = TPQ // 4,
    bars_per_line: int = 4,
) -> str:
    """ABC text of a melody (the first pitched track, or `track`) with chord symbols and lyrics.

    Notes are quantized to `grid` ticks (a 16th) and made monophonic (the top note wins);
    notes crossing a bar line or a chord change are tied; accidentals are written whenever a
    note differs from the key signature, so the text reads the same in every ABC reader.
    """
    if score.tpq != TPQ:
        score = score.resample(TPQ, min_dur=1)
    pitched = [i for i, t in enumerate(score.tracks) if not t.is_drum and t.note_num() > 0]
    if track is None:
        if not pitched:
            raise SymgenError("no pitched notes to write as ABC; give a score with a melody")
        track = pitched[0]
    elif track not in pitched:
        raise SymgenError(f"track {track} has no pitched notes; choose one of {pitched}")
    melody = score.tracks[track]
    onset, end, pitch = _melody(melody, grid)
    chord_at = {int(round(t / grid)) * grid: str(name).replace('"', "") for t, name in chords or []}
    total = max(int(end[-1]), max(chord_at, default=0) + grid)
    bars = _bars(score, total, grid)
    total = bars[-1][0] + bars[-1][1]
    sharps = int(score.key_signatures[0].key) if score.key_signatures else None
    minor = bool(score.key_signatures[0].tonality) if score.key_signatures else False
    if sharps is None:
        tonic, mode = estimate_key(score)
        ks = key_signature(tonic, mode)
        sharps, minor = int(ks.key), mode == "minor"
    key_alter = _key_alters(sharps)
    spell = _spellings(sharps)
    syllables: dict[int, str] = {}
    if lyrics:
        for ev in melody.lyrics:
            syllables.setdefault(int(round(ev.time / grid)) * grid, _syllable(ev.text))

    # Timeline: notes and the rests between them, cut at bar lines and chord changes.
    starts = np.r_[0, end]
    stops = np.r_[onset, total]
    segments = [(int(a), int(b), -1) for a, b in zip(starts, stops, strict=True) if b > a]
    segments += [(int(a), int(b), int(p)) for a, b, p in zip(onset, end, pitch, strict=True)]
    segments.sort()
    cuts = np.array(sorted({b[0] for b in bars} | set(chord_at) | {total}))
    num0, den0 = bars[0][2], bars[0][3]
    unit = TPQ // 2 if num0 / den0 >= 0.75 else TPQ // 4
    body: list[list[str]] = [[] for _ in bars]
    words: list[list[str]] = [[] for _ in bars]
    bar_starts = np.array([b[0] for b in bars])
    for seg_start, seg_end, p in segments:
        inner = cuts[(cuts > seg_start) & (cuts < seg_end)]
        pieces = [seg_start, *inner.tolist(), seg_end]
        for a, b in zip(pieces, pieces[1:], strict=False):
            steps, t = (b - a) // grid, a
            while steps > 0:
                size = next(n for n in _ABC_LENGTHS if n <= steps)
                steps -= size
                bar = int(np.searchsorted(bar_starts, t, side="right") - 1)
                tail = b < seg_end or steps > 0
                self_start = t == seg_start
                body[bar].append(
                    (t, size * grid, p, tail, chord_at.get(t) if t == a else None, self_start)
                )
                t += size * grid
    lines = [
        "X:1",
        f"T:{title}",
        f"M:{num0}/{den0}",
        f"L:1/{TPQ * 4 // unit}",
        f"Q:1/4={round(score.tempos[0].qpm) if score.tempos else 120}",
        f"K:{(_MINOR_BY_SHARPS if minor else _MAJOR_BY_SHARPS)[sharps + 7]}{'m' if minor else ''}",
    ]
    music: list[str] = []
    has_words = bool(syllables)
    for i, ((bar_start, _length, num, den), events) in enumerate(zip(bars, body, strict=True)):
        prefix = f"[M:{num}/{den}] " if i and (num, den) != (bars[i - 1][2], bars[i - 1][3]) else ""
        beat = TPQ * 3 // 2 if den == 8 and num % 3 == 0 else TPQ * 4 // den
        touched: set[str] = set()
        out = []
        for t, dur, p, tie, chord, first in events:
            if p < 0:
                text = "z"
            else:
                letter, alter = spell[p % 12]
                acc = ""
                if alter != key_alter[letter] or letter in touched:
                    acc = {-1: "_", 0: "=", 1: "^"}[alter]
                    touched.add(letter)
                text = acc + _abc_pitch(p, letter, alter)
                if has_words:
                    words[i].append(syllables.get(t, "*") if first else "_")
            text = (f'"{chord}"' if chord else "") + text + _abc_length(dur, unit)
            text += "-" if tie and p >= 0 else ""
            spaced = (t - bar_start) % beat == 0 or dur >= beat or (out and out[-1][1] >= beat)
            out.append((text, dur, spaced and bool(out)))
        music.append(prefix + "".join((" " if sp else "") + tx for tx, _d, sp in out))
    for i in range(0, len(music), bars_per_line):
        last = i + bars_per_line >= len(music)
        chunk = " | ".join(music[i : i + bars_per_line]) + (" |]" if last else " |")
        lines.append(chunk)
        if has_words:
            sung = [w for bar_words in words[i : i + bars_per_line] for w in bar_words]
            lines.append("w: " + re.sub(r"- ", "-", " ".join(sung)))
    return "\n".join(lines) + "\n"


def save_abc(score: Score, path: str | Path, **kwargs) -> Path:
    """Write `to_abc(score, **kwargs)` atomically."""
    return write_atomic(path, to_abc(score, **kwargs))
