"""Untouched means untouched: `symgen infill` and `symgen generate --continue` write into the
user's own file, so at the tick level (events as mido reads them) every track they were not
asked to change is the same list of events, a rewritten track keeps its notes outside the
asked bars and all its other events, the resolution, the track count, order and names stay,
and added tracks come last with a name, a GM program and their own channel (drums on 10).

Inputs: POP909 songs whose tracks hold overlapping same-pitch notes (skipped without the shared
data), and files built here with mido at 384 and 96 ticks per quarter with tempo changes,
controllers, pitch bends, sysex, an empty unnamed first track, lyrics, markers and a drum
track on channel 10 with notes exactly on the bar lines. Also: a take that writes nothing (or
too few bars) is refused with one line.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import mido
import numpy as np
import pytest
from symusic import Score

from symbolic.cli import main
from symbolic.paths import checkpoint_dir, data_root
from symbolic.score import bar_lines

ROOT = data_root()
# POP909 songs with overlapping same-pitch notes in MELODY or BRIDGE (and PIANO)
POP_SONGS = ("006", "032", "027")
BAND_ROCK = ROOT / "band" / "freedoom" / "d_dm16.mid"  # rock: drums, guitars, bass, strings
needs_models = pytest.mark.skipif(
    not (checkpoint_dir("infill") / "config.json").exists()
    or not (checkpoint_dir("remi-multi") / "config.json").exists(),
    reason="the shipped models are not in symbolic/checkpoints",
)
pytestmark = needs_models
Event = tuple[int, str, tuple]


def events(path: Path) -> tuple[int, list[list[Event]]]:
    """(ticks per quarter, per track the (tick, type, fields) of every event) as mido reads."""
    mid = mido.MidiFile(str(path))
    tracks = []
    for track in mid.tracks:
        tick, rows = 0, []
        for msg in track:
            tick += msg.time
            fields = msg.dict()
            fields.pop("time")
            rows.append((tick, fields.pop("type"), tuple(sorted(fields.items()))))
        tracks.append(rows)
    return mid.ticks_per_beat, tracks


def name(track: list[Event]) -> str | None:
    return next((dict(f)["name"] for _, kind, f in track if kind == "track_name"), None)


def notes(track: list[Event]) -> list[tuple[int, int, int, int, int]]:
    """(onset, end, channel, pitch, velocity) of a track's notes, paired first in first out."""
    waiting: dict[tuple[int, int], list] = {}
    out = []
    for tick, kind, f in track:
        d = dict(f)
        if kind == "note_on" and d["velocity"] > 0:
            waiting.setdefault((d["channel"], d["note"]), []).append((tick, d["velocity"]))
        elif kind in ("note_on", "note_off") and waiting.get((d["channel"], d["note"])):
            start, vel = waiting[d["channel"], d["note"]].pop(0)
            out.append((start, tick, d["channel"], d["note"], vel))
    return sorted(out)


def others(track: list[Event]) -> list[Event]:
    """A track's events that are not notes (and not its end, which moves with added notes)."""
    return [e for e in track if e[1] not in ("note_on", "note_off", "end_of_track")]


def check(
    src: Path, out: Path, rewritten: dict[int, tuple[int, int] | None], added: int = 0
) -> list[list[Event]]:
    """The output keeps the input's resolution, tracks and order; tracks not in `rewritten`
    (mido index → the window of file ticks whose notes were replaced, None: notes only added)
    are equal event for event; rewritten ones keep every other event and the notes outside
    the window; new notes are clean (a tick or longer, no same-pitch overlap among them)."""
    (tpq_a, before), (tpq_b, after) = events(src), events(out)
    assert tpq_b == tpq_a
    assert len(after) == len(before) + added
    assert [name(t) for t in after[: len(before)]] == [name(t) for t in before]
    for i, (old, new) in enumerate(zip(before, after, strict=False)):
        if i not in rewritten:
            assert new == old, f"track {i} ({name(old)}) changed"
            continue
        assert others(new) == others(old), f"track {i}: its other events changed"
        window = rewritten[i]
        lo, hi = window if window else (np.inf, np.inf)
        kept = Counter(n for n in notes(old) if not lo <= n[0] < hi)
        got = Counter(notes(new))
        assert not kept - got, f"track {i}: notes outside the bars changed"
        fresh = sorted((got - kept).elements())
        assert all(n[1] > n[0] and 1 <= n[4] <= 127 for n in fresh)
        if window:
            assert all(lo <= n[0] < hi and n[1] <= hi for n in fresh)
        else:
            assert all(n[0] >= max((m[1] for m in notes(old)), default=0) for n in fresh)
        by_pitch: dict[tuple[int, int], int] = {}
        for start, end, channel, pitch, _ in fresh:
            assert start >= by_pitch.get((channel, pitch), -1), "new notes overlap"
            by_pitch[channel, pitch] = end
    return after


def run(*args: str) -> int:
    return main([str(a) for a in args])


# --- real files -------------------------------------------------------------------------------


def _pop(song: str) -> Path:
    path = ROOT / "pop909" / song / f"{song}.mid"
    if not path.exists():
        pytest.skip(f"POP909 song {song} is not in the shared data folder")
    return path


def _track_index(path: Path, wanted: str) -> int:
    return next(i for i, t in enumerate(events(path)[1]) if name(t) == wanted)


def _overlaps(track: list[Event]) -> int:
    """Same-pitch notes of a track that start before the one before them ends."""
    last: dict[tuple[int, int], int] = {}
    count = 0
    for start, end, channel, pitch, _ in notes(track):
        count += start < last.get((channel, pitch), -1)
        last[channel, pitch] = max(end, last.get((channel, pitch), -1))
    return count


@pytest.mark.parametrize("song", POP_SONGS[:2])
def test_pop909_piano_whole_song(song: str, tmp_path: Path) -> None:
    src, out = _pop(song), tmp_path / "out.mid"
    tracks = events(src)[1]
    assert sum(_overlaps(tracks[_track_index(src, n)]) for n in ("MELODY", "BRIDGE")) > 0
    assert run("infill", src, "--tracks", "PIANO", "--steps", "4", "-o", out) == 0
    after = check(src, out, {_track_index(src, "PIANO"): (0, 1 << 40)})
    assert notes(after[_track_index(src, "PIANO")]) != notes(tracks[_track_index(src, "PIANO")])


@pytest.mark.parametrize("song", POP_SONGS)
def test_pop909_piano_bars_5_to_8(song: str, tmp_path: Path) -> None:
    src, out = _pop(song), tmp_path / "out.mid"
    assert run("infill", src, "--tracks", "PIANO", "--bars", "5-8", "--steps", "4", "-o", out) == 0
    lines = bar_lines(Score(str(src)))
    piano = _track_index(src, "PIANO")
    check(src, out, {piano: (int(lines[4]), int(lines[8]))})


# --- files built here -------------------------------------------------------------------------


def _msg(kind: str, **kw) -> mido.Message:
    return mido.Message(kind, **kw)


def _build(path: Path, tpq: int) -> Path:
    """16 bars of 4/4: an empty unnamed first track; a conductor track (tempo 100, 132 from
    bar 3, meter, key, markers, a GM-reset sysex); keys with CC7, sustain and pitch bends;
    a vocal line with lyrics; a bass with overlapping same-pitch notes; drums on channel 10
    with a kick on every bar line."""
    bar = 4 * tpq
    mid = mido.MidiFile(type=1, ticks_per_beat=tpq)
    conductor = [
        (0, mido.MetaMessage("track_name", name="Conductor")),
        (0, _msg("sysex", data=[0x7E, 0x7F, 0x09, 0x01])),
        (0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100))),
        (0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
        (0, mido.MetaMessage("key_signature", key="D")),
        (0, mido.MetaMessage("marker", text="Verse")),
        (2 * bar, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(132))),
        (8 * bar, mido.MetaMessage("marker", text="Chorus")),
    ]
    chords = [(50, 54, 57), (55, 59, 62), (57, 61, 64), (50, 54, 57)]
    keys = [(0, mido.MetaMessage("track_name", name="Keys"))]
    keys += [(0, _msg("program_change", channel=0, program=4))]
    vocal = [(0, mido.MetaMessage("track_name", name="Vocal"))]
    vocal += [(0, _msg("program_change", channel=1, program=53))]
    bass = [(0, mido.MetaMessage("track_name", name="Bass"))]
    bass += [(0, _msg("program_change", channel=2, program=33))]
    drums = [(0, mido.MetaMessage("track_name", name="Drums"))]
    for b in range(16):
        t = b * bar
        keys += [(t, _msg("control_change", channel=0, control=7, value=90 + b % 5))]
        keys += [(t, _msg("control_change", channel=0, control=64, value=127))]
        keys += [(t + bar - 1, _msg("control_change", channel=0, control=64, value=0))]
        keys += [(t + tpq, _msg("pitchwheel", channel=0, pitch=512 * (b % 3)))]
        for p in chords[b % 4]:
            keys += [(t, _msg("note_on", channel=0, note=p, velocity=70 + b))]
            keys += [(t + bar - tpq // 2, _msg("note_off", channel=0, note=p))]
        for q in range(4):
            p = chords[b % 4][q % 3] + 12
            vocal += [(t + q * tpq, _msg("note_on", channel=1, note=p, velocity=80))]
            vocal += [(t + q * tpq, mido.MetaMessage("lyrics", text=f"la{q}"))]
            vocal += [(t + (q + 1) * tpq - 1, _msg("note_off", channel=1, note=p))]
        root = chords[b % 4][0] - 12
        bass += [(t, _msg("note_on", channel=2, note=root, velocity=90))]
        bass += [(t + tpq, _msg("note_on", channel=2, note=root, velocity=60))]  # overlaps
        bass += [(t + 2 * tpq, _msg("note_off", channel=2, note=root))]
        bass += [(t + 3 * tpq, _msg("note_off", channel=2, note=root))]
        for e in range(8):
            hit = 36 if e % 4 == 0 else 38 if e % 4 == 2 else 42
            drums += [(t + e * tpq // 2, _msg("note_on", channel=9, note=hit, velocity=100))]
            drums += [
                (t + e * tpq // 2 + tpq // 4, _msg("note_on", channel=9, note=hit, velocity=0))
            ]
    drums += [(16 * bar, _msg("note_on", channel=9, note=49, velocity=110))]  # on bar 17's line
    drums += [(16 * bar + tpq // 4, _msg("note_off", channel=9, note=49))]
    mid.tracks.append(mido.MidiTrack())  # empty and unnamed
    for rows in (conductor, keys, vocal, bass, drums):
        rows.sort(key=lambda r: r[0])  # stable: same-tick events keep their order
        track, now = mido.MidiTrack(), 0
        for tick, msg in rows:
            track.append(msg.copy(time=tick - now))
            now = tick
        mid.tracks.append(track)
    mid.save(str(path))
    return path


@pytest.fixture(params=[384, 96], ids=["384tpq", "96tpq"])
def built(request, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp(f"built{request.param}")
    return _build(folder / f"band{request.param}.mid", request.param)


DRUMS, BASS = 5, 4  # mido track indices in the built file


def test_built_file_reads_as_built(built: Path) -> None:
    tpq, tracks = events(built)
    assert tracks[0] == [(0, "end_of_track", ())]
    assert [name(t) for t in tracks] == [None, "Conductor", "Keys", "Vocal", "Bass", "Drums"]
    assert _overlaps(tracks[BASS]) == 16
    assert sum(n[0] % (4 * tpq) == 0 for n in notes(tracks[DRUMS])) == 16 + 1


def test_drums_bars_5_to_12(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mid"
    args = ("infill", built, "--tracks", "drums", "--bars", "5-12", "--steps", "4", "-o", out)
    assert run(*args) == 0
    bar = 4 * events(built)[0]
    after = check(built, out, {DRUMS: (4 * bar, 12 * bar)})
    inside = [n for n in notes(after[DRUMS]) if 4 * bar <= n[0] < 12 * bar]
    assert inside and all(n[2] == 9 for n in inside)


def test_add_bass_and_drums(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mid"
    args = ("infill", built, "--add", "bass,drums", "--bars", "1-8", "--steps", "4", "-o", out)
    assert run(*args, "--json") == 0
    after = check(built, out, {}, added=2)
    bass, drums = after[-2], after[-1]
    assert (name(bass), name(drums)) == ("Bass", "Drums")
    programs = [dict(f) for _, kind, f in bass if kind == "program_change"]
    assert [(p["channel"], p["program"]) for p in programs] == [(3, 33)]  # the first free one
    assert {n[2] for n in notes(bass)} == {3} and {n[2] for n in notes(drums)} == {9}
    assert notes(bass) and notes(drums)


def test_continue_two_bars(built: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.mid"
    args = ("generate", "--model", "remi-multi", "--continue", built, "--bars", "2")
    assert run(*args, "--seed", "1", "-o", out, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bars_added"] == 2
    before, after = events(built)[1], events(out)[1]
    grown = {i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b}
    assert grown
    check(built, out, dict.fromkeys(grown))


def test_same_seed_same_bytes(built: Path, tmp_path: Path) -> None:
    outs = [tmp_path / f"{i}.mid" for i in range(2)]
    for out in outs:
        args = ("infill", built, "--tracks", "keys", "--bars", "2-3", "--steps", "2", "-o", out)
        assert run(*args, "--seed", "5") == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()


# --- no silent success --------------------------------------------------------------------------


def test_continuation_that_writes_nothing_exits_1(built: Path, tmp_path: Path, monkeypatch, capsys):
    import symbolic.tasks.generate as generate

    def empty_bars(lm, controls, context, bars, *args, **kwargs):
        return [lm.tokenizer.vocab["Bar_None"]] * bars

    monkeypatch.setattr(generate, "sample_bars", empty_bars)
    out = tmp_path / "out.mid"
    args = ("generate", "--model", "remi-multi", "--continue", built, "--bars", "4")
    assert run(*args, "--style", "pop", "-o", out) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "0 of the 4 bars" in err[0] and "Traceback" not in err[0]
    assert not out.exists()


def test_infill_that_writes_nothing_exits_1(built: Path, tmp_path: Path, monkeypatch, capsys):
    import symbolic.tasks.infill as infill

    def silent(net, grid, target, **kwargs):
        grid.pitch[:] = 0
        return grid

    monkeypatch.setattr(infill, "fill", silent)
    out = tmp_path / "out.mid"
    assert run("infill", built, "--tracks", "keys", "--bars", "2-3", "--steps", "2", "-o", out) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no notes" in err[0]
    assert not out.exists()


def test_rock_opening_continued_adds_notes_or_says_it_could_not(tmp_path: Path, capsys) -> None:
    if not BAND_ROCK.exists():
        pytest.skip("the band data set is not in the shared data folder")
    song = Score(str(BAND_ROCK))
    src, out = tmp_path / "opening.mid", tmp_path / "out.mid"
    src.write_bytes(song.clip(0, int(bar_lines(song)[8])).dumps_midi())
    args = ("generate", "--model", "remi-multi", "--continue", src, "--bars", "8", "-o", out)
    code = run(*args, "--json")
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert any("guessed from the music" in line and "chorale" not in line for line in err)
    if code == 0:
        result = json.loads(captured.out)
        assert result["bars_added"] == 8 and result["style"] == "pop"
        _, before = events(src)
        _, after = events(out)
        assert sum(len(notes(t)) for t in after) > sum(len(notes(t)) for t in before)
    else:
        assert code == 1 and "of the 8 bars asked" in err[-1] and not out.exists()
