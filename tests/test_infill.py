"""`symgen infill` with the shipped model on real files: what is not asked to change stays
note-for-note identical (POP909, a Bach chorale, a Nottingham tune, a Weimar jazz solo, a file
with more tracks than the model has rows), `--bars` only touches those bars, `--add` creates
named GM tracks (drums on channel 10), `--chords` is accepted, the same seed gives the same
bytes, and bad requests fail with a `SymgenError` before anything is written.

The expected untouched content is the input as `load` reads it: infill writes into the user's
own file (`symbolic.merge`), so its resolution, tracks and notes stay as they were (the event
level is checked in `tests/test_untouched.py`). Few diffusion steps keep the tests fast.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import music21
import numpy as np
import pytest
from symusic import Note, Score, Tempo, TimeSignature, Track

from symbolic.data.sources import list_items, load_piece
from symbolic.errors import SymgenError
from symbolic.paths import data_root
from symbolic.score import from_music21, load
from symbolic.tasks.infill import InfillRequest, infill
from symbolic.theory.gm import DRUM_NAMES

ROOT = data_root()
POP = ROOT / "pop909" / "004" / "004.mid"
NOTT = ROOT / "nottingham" / "midi" / "ashover1.mid"
REPO = Path(__file__).resolve().parents[1]
FIELDS = ("time", "duration", "pitch", "velocity")


def _same(a: Track, b: Track) -> bool:
    x, y = a.notes.numpy(), b.notes.numpy()
    return (
        a.name == b.name
        and a.program == b.program
        and a.is_drum == b.is_drum
        and all(np.array_equal(x[k], y[k]) for k in FIELDS)
    )


def _notes_outside(track: Track, lo: int, hi: int) -> dict[str, np.ndarray]:
    arr = track.notes.numpy()
    keep = (arr["time"] < lo) | (arr["time"] >= hi)
    return {k: arr[k][keep] for k in FIELDS}


def _check_untouched(src: Path, out: Path, changed: set[int], added: int = 0) -> Score:
    before, after = load(src), load(out)
    assert len(after.tracks) == len(before.tracks) + added
    for i, track in enumerate(before.tracks):
        if i not in changed:
            assert _same(track, after.tracks[i]), f"track {i} ({track.name}) changed"
    assert [(t.time, t.qpm) for t in after.tempos] == [(t.time, t.qpm) for t in before.tempos]
    assert [(t.numerator, t.denominator) for t in after.time_signatures] == [
        (t.numerator, t.denominator) for t in before.time_signatures
    ]
    assert Score(str(out)).tpq == Score(str(src)).tpq
    return after


def _chorale(tmp_path: Path) -> Path:
    path = tmp_path / "bwv66.6.mid"
    path.write_bytes(from_music21(music21.corpus.parse("bach/bwv66.6")).dumps_midi())
    return path


needs_pop = pytest.mark.skipif(not POP.exists(), reason="POP909 not in the shared data folder")


@needs_pop
def test_pop909_piano_regenerated_melody_bridge_identical(tmp_path: Path) -> None:
    out = tmp_path / "out.mid"
    result = infill(InfillRequest(POP, "piano", out=out, steps=4, bars="1-24"))
    assert result["tracks"] == ["PIANO"]
    after = _check_untouched(POP, out, {2})
    assert after.tracks[2].note_num() > 0


@needs_pop
def test_bars_only_change_those_bars(tmp_path: Path) -> None:
    out = tmp_path / "out.mid"
    infill(InfillRequest(POP, "PIANO", bars="9-16", out=out, steps=4))
    before, after = load(POP), load(out)
    bar = 480 * 2  # the file says 2/4
    lo, hi = 8 * bar, 16 * bar
    old, new = _notes_outside(before.tracks[2], lo, hi), _notes_outside(after.tracks[2], lo, hi)
    assert all(np.array_equal(old[k], new[k]) for k in FIELDS)
    arr = after.tracks[2].notes.numpy()
    inside = (arr["time"] >= lo) & (arr["time"] < hi)
    assert inside.any()
    assert (arr["time"] + arr["duration"])[inside].max() <= hi  # new notes end by bar 17
    _check_untouched(POP, out, {2})


def test_chorale_alto_tenor(tmp_path: Path) -> None:
    src = _chorale(tmp_path)
    out = tmp_path / "out.mid"
    result = infill(InfillRequest(src, "alto,tenor", out=out, steps=4, seed=3))
    assert result["tracks"] == ["Alto", "Tenor"]
    _check_untouched(src, out, {1, 2})


@pytest.mark.skipif(not NOTT.exists(), reason="Nottingham not in the shared data folder")
def test_nottingham_add_bass_and_drums(tmp_path: Path) -> None:
    out = tmp_path / "out.mid"
    result = infill(InfillRequest(NOTT, add="bass,drums", chords="G D7", out=out, steps=4))
    assert result["added"] == ["Bass", "Drums"]
    assert result["harmony"] == 0.0  # given chords: no recogniser, no harmonic prior
    after = _check_untouched(NOTT, out, set(), added=2)
    bass, drums = after.tracks[-2], after.tracks[-1]
    assert (bass.name, bass.program, bass.is_drum) == ("Bass", 33, False)
    assert (drums.name, drums.is_drum) == ("Drums", True)
    assert set(drums.notes.numpy()["pitch"].tolist()) <= set(DRUM_NAMES)
    assert 28 <= np.median(bass.notes.numpy()["pitch"]) <= 55


@pytest.mark.skipif(not (ROOT / "wjazzd").is_dir(), reason="wjazzd not in the shared data folder")
def test_jazz_bass_regenerated(tmp_path: Path) -> None:
    piece = load_piece("wjazzd", list_items("wjazzd", ROOT)[0], ROOT)
    src = tmp_path / "solo.mid"
    src.write_bytes(piece.score.dumps_midi())
    out = tmp_path / "out.mid"
    infill(InfillRequest(src, "bass", bars="1-8", out=out, steps=4))
    changed = {i for i, t in enumerate(load(src).tracks) if t.name.lower() == "bass"}
    _check_untouched(src, out, changed)


def test_more_tracks_than_rows(tmp_path: Path) -> None:
    score = Score(480)
    score.tempos.append(Tempo(0, 100))
    score.time_signatures.append(TimeSignature(0, 3, 4))
    for i in range(11):
        track = Track(f"Part {i}", (i * 7) % 120)
        track.notes.extend([Note(j * 480, 480, 48 + i * 3 + j % 4, 70) for j in range(24)])
        score.tracks.append(track)
    src, out = tmp_path / "many.mid", tmp_path / "out.mid"
    src.write_bytes(score.dumps_midi())
    result = infill(InfillRequest(src, "Part 10", out=out, steps=4))
    beyond = [n for n in result["notes"] if "beyond the model's 8 rows" in n]
    assert len(beyond) == 3  # three tracks beyond the 8 rows, kept as they are
    assert any(n.startswith("chords recognised from all tracks") for n in result["notes"])
    assert result["harmony"] > 0  # the recogniser's tone probabilities lean the pitches
    assert len(result["chords_used"].split(" | ")) == 24 * 480 // 1440  # one entry per bar
    _check_untouched(src, out, {10})


def test_chords_kept_from_the_rewritten_tracks_unless_reharmonized(tmp_path: Path) -> None:
    src = _chorale(tmp_path)
    kept = infill(InfillRequest(src, "alto,tenor", out=tmp_path / "kept.mid", steps=2))
    free = infill(
        InfillRequest(src, "alto,tenor", out=tmp_path / "free.mid", steps=2, reharmonize=True)
    )
    assert kept["chords_from"] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert free["chords_from"] == ["Soprano", "Bass"]
    assert any("from all tracks" in n for n in kept["notes"])
    assert any("from the other tracks" in n for n in free["notes"])
    assert kept["chords_used"] != free["chords_used"]


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    src = _chorale(tmp_path)
    runs = [
        infill(InfillRequest(src, "tenor", out=tmp_path / f"{i}.mid", steps=4, seed=7))
        for i in range(2)
    ]
    other = infill(InfillRequest(src, "tenor", out=tmp_path / "other.mid", steps=4, seed=8))
    first, second = (Path(r["outputs"][0]).read_bytes() for r in runs)
    assert first == second
    assert Path(other["outputs"][0]).read_bytes() != first


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tracks": "viola"}, "no track 'viola'"),
        ({"tracks": "9"}, "no track '9'"),
        ({"tracks": "alto", "bars": "5-2"}, "bar range"),
        ({"tracks": "alto", "bars": "200-210"}, "bars"),
        ({"tracks": "alto", "bars": "x"}, "bar range"),
        ({"tracks": "alto", "chords": "C Hm7"}, "cannot read the chord"),
        ({"add": "kazoo"}, "unknown instrument"),
        ({}, "--tracks"),
        ({"tracks": "alto", "steps": 0}, "--steps"),
    ],
)
def test_bad_requests(tmp_path: Path, kwargs: dict, message: str) -> None:
    src = _chorale(tmp_path)
    data = src.read_bytes()
    out = tmp_path / "out.mid"
    with pytest.raises(SymgenError, match=message):
        infill(InfillRequest(src, out=out, **kwargs))
    assert not out.exists()
    assert src.read_bytes() == data


def test_cli_bad_track_exit_1(tmp_path: Path) -> None:
    src = _chorale(tmp_path)
    out = tmp_path / "out.mid"
    proc = subprocess.run(
        [sys.executable, "-m", "symbolic.cli", "infill", str(src), "--tracks", "viola", "-o", out],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not out.exists()
