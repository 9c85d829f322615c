"""`symgen plot` and `--png`: piano rolls with named lanes, kit rows, bar numbers and chords."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest
from symusic import Note, Score, TextMeta, TimeSignature, Track

from symbolic.cli import main
from symbolic.plot import figure, plot_score
from symbolic.score import save_midi


def band(bars: int = 8) -> Score:
    """Piano chords, a bass line and a rock beat, with chord markers on bars 1 and 2."""
    score = Score(480)
    score.time_signatures.append(TimeSignature(0, 4, 4))
    bar = 4 * 480
    keys, bass, kit = Track("Keys", 0), Track("Bass", 33), Track("Kit", 0, is_drum=True)
    for b in range(bars):
        for p in (60, 64, 67):
            keys.notes.append(Note(b * bar, bar, p, 40 + 10 * (b % 8)))
        bass.notes.append(Note(b * bar, bar // 2, 36, 90))
        for beat in range(4):
            kit.notes.append(Note(b * bar + beat * 480, 60, 36 if beat % 2 == 0 else 38, 100))
            kit.notes.append(Note(b * bar + beat * 480, 60, 42, 70))
    score.tracks.extend([keys, bass, kit])
    score.markers.extend([TextMeta(0, "C"), TextMeta(bar, "Am7"), TextMeta(2 * bar, "Verse")])
    return score


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_lanes_are_named_drums_are_kit_rows_and_chords_are_labelled() -> None:
    fig = figure(band(), bars="1-4")
    axes = fig.axes
    assert len(axes) == 3
    labels = [ax.get_ylabel() for ax in axes]
    assert "Keys\nAcoustic Grand Piano" in labels[0]
    assert "Electric Bass (finger)" in labels[1] and "Drums" in labels[2]
    kit = [t.get_text() for t in axes[2].get_yticklabels()]
    assert kit == ["Bass Drum 1", "Acoustic Snare", "Closed Hi-Hat"]
    chords = [t.get_text() for t in axes[0].texts]
    assert chords == ["C", "Am7"]  # "Verse" is a marker, not a chord
    assert [t.get_text() for t in axes[-1].get_xticklabels()] == ["1", "2", "3", "4"]
    assert axes[-1].get_xlim() == (0.0, 16.0)


def test_a_png_is_wide_and_the_same_bytes_every_time(tmp_path: Path) -> None:
    a = plot_score(band(), tmp_path / "a.png")
    b = plot_score(band(), tmp_path / "b.png")
    width, height = png_size(a)
    assert width >= 800 and height > 200
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_plot_command(tmp_path: Path, capsys) -> None:
    song = save_midi(band(), tmp_path / "song.mid")
    before = song.read_bytes()
    assert main(["plot", str(song), "--bars", "2-3"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "song.png")
    assert png_size(tmp_path / "song.png")[0] >= 800
    assert main(["plot", str(song), "-o", str(tmp_path / "roll.png")]) == 0
    assert song.read_bytes() == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["--bars", "20-24"], "the song has 8 bars"),
        (["--bars", "x"], "cannot read the bar range"),
        (["-o", "{song}"], "is also the input"),
    ],
)
def test_plot_refuses_with_one_line(tmp_path: Path, capsys, args, message) -> None:
    song = save_midi(band(), tmp_path / "song.mid")
    argv = ["plot", str(song), *[a.format(song=song) for a in args]]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("symgen plot:") and message in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.mid"]


def test_png_beside_the_outputs_of_text2midi_and_infill(tmp_path: Path, capsys) -> None:
    out = tmp_path / "t.mid"
    assert main(["text2midi", "a folk tune in D", "--bars", "2", "-o", str(out), "--png"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(out), str(tmp_path / "t.png")]
    infilled = tmp_path / "i.mid"
    argv = ["infill", str(out), "--add", "bass", "--steps", "2", "-o", str(infilled), "--png"]
    assert main(argv) == 0
    assert png_size(tmp_path / "i.png")[0] >= 800
