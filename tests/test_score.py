"""Score I/O: DAW-ready MIDI (checked with mido, as a DAW would read it), atomic and
deterministic writes, first-tune ABC loading, and the ABC writer read back by music21."""

from __future__ import annotations

import os
from pathlib import Path

import mido
import music21
import numpy as np
import pytest
from symusic import Note, Score, Tempo, TextMeta, TimeSignature, Track

from symbolic.errors import SymgenError
from symbolic.score import (
    _melody,
    check_output,
    from_music21,
    load,
    save_abc,
    save_midi,
    to_abc,
    write_atomic,
)


def _band(tpq: int = 960) -> Score:
    """Voice with lyrics, bass, drums and an unnamed organ; with flaws a DAW would dislike."""
    score = Score(tpq)
    score.tempos.append(Tempo(0, 100))
    score.time_signatures.append(TimeSignature(0, 3, 4))
    voice = Track("Voice", 52)
    for i, (pitch, text) in enumerate(zip([67, 69, 71, 72], ["la", "la", "lu", "li"], strict=True)):
        voice.notes.append(Note(i * tpq, tpq, pitch, 90))
        voice.lyrics.append(TextMeta(i * tpq, text))
    bass = Track("Bass", 33)
    bass.notes.extend([Note(0, 2 * tpq, 43, 80), Note(tpq, 2 * tpq, 43, 80)])  # overlap
    bass.notes.append(Note(3 * tpq, 0, 45, 80))  # zero length
    drums = Track("", 0, is_drum=True)
    drums.notes.extend([Note(i * tpq // 2, tpq // 4, 36 + (i % 2) * 2, 100) for i in range(8)])
    organ = Track("", 19)
    organ.notes.append(Note(0, 3 * tpq, 60, 70))
    score.tracks.extend([voice, bass, drums, organ])
    return score


@pytest.fixture()
def band_midi(tmp_path: Path) -> Path:
    return save_midi(_band(), tmp_path / "band.mid")


def test_daw_ready_midi(band_midi: Path) -> None:
    mid = mido.MidiFile(band_midi)
    assert mid.type == 1 and mid.ticks_per_beat == 480
    # symusic writes the global meta events into the first track, as many DAWs do.
    meta_at_zero = {m.type for t in mid.tracks for m in _absolute(t) if m.time == 0}
    assert {"set_tempo", "time_signature", "key_signature"} <= meta_at_zero
    named = {}
    for track in mid.tracks:
        msgs = _absolute(track)
        names = [m.name for m in msgs if m.type == "track_name"]
        channels = {m.channel for m in msgs if hasattr(m, "channel")}
        programs = [m.program for m in msgs if m.type == "program_change"]
        assert names and names[0].strip(), "every track is named"
        named[names[0]] = (channels, programs, msgs)
    assert set(named) == {"Voice", "Bass", "Drums", "Church Organ"}
    assert named["Drums"][0] == {9}, "drums on channel 10"
    assert 9 not in set().union(*(named[n][0] for n in ("Voice", "Bass", "Church Organ")))
    assert (
        named["Voice"][1] == [52] and named["Bass"][1] == [33] and named["Church Organ"][1] == [19]
    )
    voice = named["Voice"][2]
    onsets = [m.time for m in voice if m.type == "note_on" and m.velocity > 0]
    assert [m.time for m in voice if m.type == "lyrics"] == onsets
    assert [m.text for m in voice if m.type == "lyrics"] == ["la", "la", "lu", "li"]


def _absolute(track: mido.MidiTrack) -> list[mido.Message]:
    """Messages with absolute times."""
    now, out = 0, []
    for msg in track:
        now += msg.time
        out.append(msg.copy(time=now))
    return out


def test_no_zero_length_or_overlapping_notes(band_midi: Path) -> None:
    score = Score.from_file(str(band_midi))
    for track in score.tracks:
        arr = track.notes.numpy()
        assert (arr["duration"] > 0).all()
        order = np.lexsort((arr["time"], arr["pitch"]))
        time, end, pitch = (arr[k][order] for k in ("time", "duration", "pitch"))
        end = time + end
        same = pitch[1:] == pitch[:-1]
        assert (end[:-1][same] <= time[1:][same]).all(), track.name


def test_same_input_same_bytes(tmp_path: Path) -> None:
    a = save_midi(_band(), tmp_path / "a.mid").read_bytes()
    b = save_midi(_band(), tmp_path / "b.mid").read_bytes()
    assert a == b
    assert save_abc(_band(), tmp_path / "a.abc").read_bytes() == to_abc(_band()).encode()


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path, monkeypatch) -> None:
    target = write_atomic(tmp_path / "out.mid", b"old")
    assert oct(target.stat().st_mode & 0o777) != oct(0o600), "not left private like mkstemp"

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.mid"], "no temp file left behind"


def test_output_never_overwrites_input(band_midi: Path) -> None:
    with pytest.raises(SymgenError):
        check_output(band_midi, band_midi)


def test_multi_tune_abc_reads_only_the_first_tune(tmp_path: Path) -> None:
    one = "X:1\nT:One\nM:4/4\nL:1/4\nK:G\nGABc|d4|]\n"
    two = "X:2\nT:Two\nM:3/4\nL:1/4\nK:D\nDEF|A3|]\n"
    path = tmp_path / "book.abc"
    path.write_text("% a collection\n\n" + one + "\n" + two)
    assert load(path).note_num() == 5
    assert load(path, tune=2).note_num() == 4
    with pytest.raises(SymgenError):
        load(path, tune=7)


def _roundtrip(score: Score, **kwargs) -> tuple[np.ndarray, np.ndarray, music21.stream.Score]:
    """(expected quantized melody, melody music21 reads back from our ABC, the parsed stream)."""
    text = to_abc(score, **kwargs)
    stream = music21.converter.parse(text, format="abc")
    back = from_music21(stream).tracks[0].notes.numpy()
    onset, end, pitch = _melody(score.tracks[kwargs.get("track") or 0], 120)
    want = np.stack([onset, end - onset, pitch], 1)
    got = np.stack([back["time"], back["duration"], back["pitch"]], 1).astype(np.int64)
    return want, got, stream


# Folk tunes with accidentals, pickups, 6/8 and 9/8, ties and rests; a chorale in F# minor.
FOLK = ["ryansMammoth/42dHighlandRegimentStrathspey.abc", "airdsAirs/book1.abc"]


@pytest.mark.parametrize("name", FOLK, ids=lambda n: Path(n).stem)
def test_abc_writer_round_trip_folk(name: str) -> None:
    path = next(p for p in music21.corpus.getPaths(fileExtensions=["abc"]) if str(p).endswith(name))
    want, got, _ = _roundtrip(load(path), title=Path(name).stem)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("part", range(4))
def test_abc_writer_round_trip_chorale_parts(part: int) -> None:
    score = from_music21(music21.corpus.parse("bach/bwv66.6"))
    want, got, _ = _roundtrip(score, track=part)
    np.testing.assert_array_equal(got, want)


def test_abc_writer_chromatic_and_ties() -> None:
    """Every pitch class in a flat key, notes across bar lines, odd lengths, 16ths and rests."""
    score = Score(480)
    score.time_signatures.append(TimeSignature(0, 4, 4))
    score.key_signatures.append(__import__("symusic").KeySignature(0, -3, 0))
    track = Track("Flute", 73)
    t = 0
    for i, length in enumerate([120, 360, 600, 240, 1320, 120, 120, 480, 840]):
        track.notes.append(Note(t, length, 55 + i * 5 % 24, 80))
        t += length + (240 if i % 3 == 2 else 0)
    score.tracks.append(track)
    want, got, _ = _roundtrip(score)
    np.testing.assert_array_equal(got, want)


def test_abc_lead_sheet_chords_and_lyrics() -> None:
    score = _band(480)
    chords = [(0, "G"), (960, "D7"), (1440, "Em")]
    text = to_abc(score, title="Lead sheet", chords=chords)
    header = text.splitlines()[:6]
    assert header == ["X:1", "T:Lead sheet", "M:3/4", "L:1/8", "Q:1/4=100", "K:C"]
    lyric_lines = [line for line in text.splitlines() if line.startswith("w:")]
    assert lyric_lines == ["w: la la lu li"]
    _, _, stream = _roundtrip(score, title="Lead sheet", chords=chords)
    symbols = [
        (float(c.getOffsetInHierarchy(stream)), c.figure)
        for c in stream.recurse().getElementsByClass("ChordSymbol")
    ]
    assert symbols == [(0.0, "G"), (2.0, "D7"), (3.0, "Em")]
