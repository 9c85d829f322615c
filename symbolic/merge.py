"""The user's own MIDI file, written back with only the notes a task wrote changed.

`infill` and `generate --continue` let the model work on `symbolic.score.load`'s view of a
file (480 ticks per quarter, lyric tracks merged), but what they write is the file itself:
`read_original` keeps it as mido reads it (its resolution, tracks in their order with their
names, empty ones too, every controller, pitch bend, program change, lyric, marker, text,
sysex, tempo and signature event) and finds, for each of the view's tracks, the mido track,
channel and program its notes come from. `merge` then removes the notes of a rewritten track
that start inside the asked window, puts the new notes (converted to the file's ticks) on
that track and channel, appends added tracks at the end, and leaves every other track as the
very `MidiTrack` it read. Only the new notes go through the DAW-ready clean-up: at least a
tick long, velocity 1-127, none starting while a kept note of its pitch sounds on its channel,
each ending by the next onset of its pitch. ABC and MusicXML inputs (and MIDI that mido
cannot parse) are first written as DAW-ready MIDI, which then plays the user's file.
"""

from __future__ import annotations

import io
import tempfile
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np
from symusic import Score

from symbolic.errors import SymgenError
from symbolic.score import MIDI_SUFFIXES, TPQ, daw_ready, load, write_atomic

DRUM_CHANNEL = 9  # channel 10, counted from 1
Notes = dict[str, np.ndarray]  # "time", "duration", "pitch", "velocity", as Track.notes.numpy()
_BIG = np.int64(1) << 40


@dataclass(frozen=True)
class Source:
    """Where a track of the model's view lives in the file: mido track, channel, program."""

    track: int
    channel: int
    program: int


@dataclass
class _Parsed:
    """A mido track's notes (note-on paired with note-off, first in first out per channel and
    pitch, as symusic pairs them): event indices and values, in note-off order."""

    on: np.ndarray
    off: np.ndarray
    channel: np.ndarray
    program: np.ndarray
    time: np.ndarray
    end: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray


@dataclass
class Original:
    """A MIDI file as it was (`midi`, read from `path`), the model's view of it (`score`, 480
    tpq) and, per view track, its `Source` in the file (None for a note-less track)."""

    path: Path
    midi: mido.MidiFile
    score: Score
    sources: list[Source | None]
    parsed: list[_Parsed]
    notes: list[str] = field(default_factory=list)

    @property
    def tpq(self) -> int:
        """The file's ticks per quarter."""
        return int(self.midi.ticks_per_beat)

    def to_file(self, ticks: np.ndarray | int) -> np.ndarray:
        """480-tpq ticks of the view → the file's ticks (rounded half up)."""
        return (np.asarray(ticks, dtype=np.int64) * self.tpq + TPQ // 2) // TPQ


@dataclass
class NewTrack:
    """A track to append: its name, GM program, drum flag and notes (480 tpq)."""

    name: str
    program: int
    is_drum: bool
    notes: Notes


@dataclass
class Merged:
    """The file to write, and the new notes as they went in (file ticks), per edit."""

    midi: mido.MidiFile
    written: list[Notes]

    def note_count(self) -> int:
        """How many new notes the file got."""
        return int(sum(len(n["time"]) for n in self.written))

    def save(self, path: str | Path) -> Path:
        """Write the file atomically."""
        buf = io.BytesIO()
        self.midi.save(file=buf)
        return write_atomic(path, buf.getvalue())


def read_original(path: str | Path) -> Original:
    """The file at `path` kept as it is, with `load`'s view of it and where each view track's
    notes are. Raises `SymgenError` (from `load`) for anything unreadable."""
    path = Path(path)
    score = load(path)
    if path.suffix.lower() in MIDI_SUFFIXES:
        data = path.read_bytes()
        try:
            midi = mido.MidiFile(file=io.BytesIO(data), clip=True)
        except Exception as err:  # mido is stricter than symusic on broken files
            why = str(err).splitlines()[0][:60] if str(err) else type(err).__name__
            note = f"the file's own events could not be kept (mido: {why}); written as read"
            return _from_daw_ready(path, score, note)
        return _original(path, midi, score, Score.from_midi(data))
    return _from_daw_ready(path, score, None)


def _from_daw_ready(path: Path, score: Score, note: str | None) -> Original:
    """An `Original` whose file is `score` written DAW-ready (ABC, MusicXML, broken MIDI)."""
    data = daw_ready(score).dumps_midi()
    with tempfile.TemporaryDirectory() as tmp:
        written = Path(tmp) / "input.mid"
        written.write_bytes(data)
        view = load(written)
    midi = mido.MidiFile(file=io.BytesIO(data))
    original = _original(path, midi, view, Score.from_midi(data))
    original.notes += [note] if note else []
    return original


def _original(path: Path, midi: mido.MidiFile, view: Score, native: Score) -> Original:
    """Match the view's note tracks (`native`: the same tracks at the file's tpq) to the
    (mido track, channel, program) groups of notes they were read from."""
    parsed = [_parse(track) for track in midi.tracks]
    groups: dict[Source, Notes] = {}
    for index, p in enumerate(parsed):
        for channel, program in np.unique(np.stack([p.channel, p.program], 1), axis=0).tolist():
            sel = (p.channel == channel) & (p.program == program)
            groups[Source(index, channel, program)] = {
                "time": p.time[sel],
                "duration": p.end[sel] - p.time[sel],
                "pitch": p.pitch[sel],
                "velocity": p.velocity[sel],
            }
    wanted = [t.notes.numpy() for t in native.tracks if t.note_num()]
    found = _match([_signature(n) for n in wanted], {k: _signature(v) for k, v in groups.items()})
    view_notes = [i for i, t in enumerate(view.tracks) if t.note_num()]
    sources: list[Source | None] = [None] * len(view.tracks)
    for i, source in zip(view_notes, found, strict=False):
        sources[i] = source
    return Original(path, midi, view, sources, parsed)


def _signature(notes: Notes) -> np.ndarray:
    """Notes as sorted rows (time, pitch, duration, velocity), to compare groups exactly."""
    rows = np.stack([notes[k].astype(np.int64) for k in ("time", "pitch", "duration", "velocity")])
    return rows[:, np.lexsort(rows[::-1])].T


def _match(wanted: list[np.ndarray], groups: dict[Source, np.ndarray]) -> list[Source | None]:
    """For each wanted track, the first unused group with exactly its notes, else the unused
    group sharing the most onsets with it (pitch and tick); None when nothing is left."""
    free = list(groups)
    found: list[Source | None] = [None] * len(wanted)
    for i, sig in enumerate(wanted):
        hit = next((k for k in free if np.array_equal(groups[k], sig)), None)
        if hit is not None:
            found[i] = hit
            free.remove(hit)
    for i, sig in enumerate(wanted):
        if found[i] is None and free:
            onsets = sig[:, 0] * 128 + sig[:, 1]

            def shared(k: Source, onsets: np.ndarray = onsets) -> int:
                return len(np.intersect1d(onsets, groups[k][:, 0] * 128 + groups[k][:, 1]))

            found[i] = max(free, key=shared)
            free.remove(found[i])
    return found


def _parse(track: mido.MidiTrack) -> _Parsed:
    """The notes of one mido track (unpaired note-ons, which symusic drops, are left out)."""
    program = [0] * 16
    waiting: dict[tuple[int, int], deque] = defaultdict(deque)
    rows: list[tuple[int, ...]] = []
    tick = 0
    for i, msg in enumerate(track):
        tick += msg.time
        kind = msg.type
        if kind == "program_change":
            program[msg.channel] = msg.program
        elif kind == "note_on" and msg.velocity > 0:
            waiting[msg.channel, msg.note].append((i, tick, program[msg.channel], msg.velocity))
        elif kind in ("note_on", "note_off") and waiting[msg.channel, msg.note]:
            on, start, prog, vel = waiting[msg.channel, msg.note].popleft()
            rows.append((on, i, msg.channel, prog, start, tick, msg.note, vel))
    cols = np.array(rows, dtype=np.int64).reshape(-1, 8).T
    return _Parsed(*cols)


def _ticks(track: mido.MidiTrack) -> np.ndarray:
    """Absolute tick of every event of a track."""
    return np.cumsum([msg.time for msg in track], dtype=np.int64)


def clean_new(new: Notes, kept: Notes) -> Notes:
    """The new notes fit for a DAW beside the kept ones (numpy, no note loop): at least a tick
    long, velocity 1-127, none starting while a kept note of its pitch sounds, each ending by
    the next onset of its pitch (kept or new); of new notes sharing an onset and pitch, one."""
    n_kept = len(kept["time"])
    time = np.r_[kept["time"], new["time"]].astype(np.int64)
    dur = np.r_[kept["duration"], np.maximum(new["duration"], 1)].astype(np.int64)
    pitch = np.r_[kept["pitch"], new["pitch"]].astype(np.int64)
    vel = np.r_[kept["velocity"], new["velocity"]].astype(np.int64)
    is_new = np.r_[np.zeros(n_kept, bool), np.ones(len(new["time"]), bool)]
    order = np.lexsort((is_new, time, pitch))  # by pitch, then onset, kept first
    time, end, pitch, vel, is_new = (
        time[order],
        (time + dur)[order],
        pitch[order],
        vel[order],
        is_new[order],
    )
    # the latest end among the kept notes of the same pitch sorted before (0 for none)
    sounding = np.maximum.accumulate(pitch * _BIG + np.where(is_new, 0, end)) - pitch * _BIG
    keep = ~is_new | (sounding <= time)
    time, end, pitch, vel, is_new = time[keep], end[keep], pitch[keep], vel[keep], is_new[keep]
    same_next = np.r_[pitch[1:] == pitch[:-1], False]
    next_time = np.r_[time[1:], np.iinfo(np.int64).max]
    end = np.where(is_new & same_next, np.minimum(end, next_time), end)
    sel = is_new & (end > time)
    resort = np.lexsort((pitch[sel], time[sel]))
    return {
        "time": time[sel][resort],
        "duration": (end - time)[sel][resort],
        "pitch": pitch[sel][resort],
        "velocity": np.clip(vel[sel][resort], 1, 127),
    }


def _to_file_notes(original: Original, notes: Notes, window: tuple[int, int] | None) -> Notes:
    """480-tpq notes → file ticks, kept to `window` (file ticks: onsets inside, cut at its end)."""
    time = original.to_file(notes["time"])
    end = np.maximum(original.to_file(notes["time"] + notes["duration"]), time + 1)
    inside = np.ones(len(time), bool)
    if window is not None:
        inside = (time >= window[0]) & (time < window[1])
        end = np.minimum(end, window[1])
    return {
        "time": time[inside],
        "duration": (end - time)[inside],
        "pitch": notes["pitch"].astype(np.int64)[inside],
        "velocity": notes["velocity"].astype(np.int64)[inside],
    }


def free_channel(midi: mido.MidiFile, taken: set[int], drum: bool) -> int:
    """Channel 10 for drums; else the lowest channel no event of the file (or `taken`) uses."""
    if drum:
        return DRUM_CHANNEL
    used = {m.channel for t in midi.tracks for m in t if hasattr(m, "channel")} | taken
    for channel in range(16):
        if channel != DRUM_CHANNEL and channel not in used:
            return channel
    raise SymgenError(
        "all 15 pitched MIDI channels of the file are in use, so a new track would play another "
        "one's sound; free a channel (or delete a track) in your DAW first"
    )


def merge(
    original: Original,
    replace: dict[int, Notes],
    window: tuple[int, int] | None = None,
    added: list[NewTrack] | tuple = (),
) -> Merged:
    """The file with, for each view track index in `replace`, its notes starting inside
    `window` (480-tpq ticks; None: none removed) replaced by the given ones (480 tpq, cut at
    the window's end), and `added` tracks appended. Untouched tracks stay the same objects."""
    win = None if window is None else tuple(int(t) for t in original.to_file(np.array(window)))
    edits: dict[int, list[tuple[Source, Notes]]] = defaultdict(list)
    extra = list(added)
    for index, notes in replace.items():
        source = original.sources[index]
        if source is None:  # a note-less track has no notes in the file: write it anew
            track = original.score.tracks[index]
            extra.append(NewTrack(track.name, int(track.program), bool(track.is_drum), notes))
            continue
        edits[source.track].append((source, _to_file_notes(original, notes, win)))
    tracks, written = list(original.midi.tracks), []
    for index, group in sorted(edits.items()):
        tracks[index], notes = _rewrite(original, index, group, win)
        written += notes
    taken: set[int] = set()
    for new in extra:
        channel = free_channel(original.midi, taken, new.is_drum)
        taken.add(channel)
        kept = {k: np.zeros(0, np.int64) for k in ("time", "duration", "pitch", "velocity")}
        notes = clean_new(_to_file_notes(original, new.notes, win), kept)
        tracks.append(_new_track(new, channel, notes))
        written.append(notes)
    midi = mido.MidiFile(
        type=1 if original.midi.type == 0 and len(tracks) > 1 else original.midi.type,
        ticks_per_beat=original.tpq,
        charset=original.midi.charset,
    )
    midi.tracks = tracks
    return Merged(midi, written)


def _rewrite(
    original: Original, index: int, group: list[tuple[Source, Notes]], win: tuple[int, int] | None
) -> tuple[mido.MidiTrack, list[Notes]]:
    """Track `index` with each source's notes inside `win` dropped and its new notes added."""
    track, p = original.midi.tracks[index], original.parsed[index]
    drop = np.zeros(len(track), bool)
    for source, _ in group:
        own = (p.channel == source.channel) & (p.program == source.program)
        own &= (p.time >= win[0]) & (p.time < win[1]) if win is not None else False
        drop[p.on[own]] = drop[p.off[own]] = True
    remaining = ~drop[p.on]
    ticks = _ticks(track)
    events = [(int(t), 1, i, m) for i, (t, m) in enumerate(zip(ticks, track, strict=True))]
    events = [e for e in events if not drop[e[2]] and e[3].type != "end_of_track"]
    written = []
    for n, (source, notes) in enumerate(group):
        mine = remaining & (p.channel == source.channel)
        kept = {
            "time": p.time[mine],
            "duration": p.end[mine] - p.time[mine],
            "pitch": p.pitch[mine],
            "velocity": p.velocity[mine],
        }
        clean = clean_new(notes, kept)
        events += _note_events(clean, source.channel, n)
        written.append(clean)
    eot = int(ticks[-1]) if len(ticks) else 0
    return _track(events, eot), written


def _note_events(
    notes: Notes, channel: int, group: int
) -> list[tuple[int, int, int, mido.Message]]:
    """(tick, rank, order, message) for new notes: at a tick, their note-offs come before the
    file's events there and their note-ons after them."""
    events = []
    for k, (t, d, p, v) in enumerate(
        zip(*(notes[f].tolist() for f in ("time", "duration", "pitch", "velocity")), strict=True)
    ):
        order = (group << 24) + k
        events.append((t, 2, order, mido.Message("note_on", channel=channel, note=p, velocity=v)))
        events.append((t + d, 0, order, mido.Message("note_off", channel=channel, note=p)))
    return events


def _track(events: list, eot: int) -> mido.MidiTrack:
    """A mido track of (tick, rank, order, message) events, sorted, with delta times."""
    events.sort(key=lambda e: e[:3])
    track, now = mido.MidiTrack(), 0
    for tick, _, _, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(eot - now, 0)))
    return track


def _new_track(new: NewTrack, channel: int, notes: Notes) -> mido.MidiTrack:
    """An added track: its name, its GM program (pitched), its notes."""
    head: list[tuple[int, int, int, mido.Message]] = [
        (0, 1, 0, mido.MetaMessage("track_name", name=new.name))
    ]
    if not new.is_drum:
        head.append((0, 1, 1, mido.Message("program_change", channel=channel, program=new.program)))
    return _track(head + _note_events(notes, channel, 0), 0)


def sounding_bars(arrays: list[Notes], edges: np.ndarray) -> np.ndarray:
    """Which of the bars between `edges` (bar starts, then the end, in the notes' ticks) have a
    note of `arrays` (as `Track.notes.numpy()`) sounding in them."""
    count = np.zeros(len(edges), np.int64)  # +1 at a note's first bar, -1 after its last
    for notes in arrays:
        start, end = notes["time"], notes["time"] + np.maximum(notes["duration"], 1)
        inside = (end > edges[0]) & (start < edges[-1])
        first = np.searchsorted(edges, start[inside], side="right") - 1
        last = np.searchsorted(edges, end[inside] - 1, side="right") - 1
        np.add.at(count, np.clip(first, 0, len(edges) - 2), 1)
        np.add.at(count, np.clip(last, 0, len(edges) - 2) + 1, -1)
    return np.cumsum(count)[:-1] > 0
