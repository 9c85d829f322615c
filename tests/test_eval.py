"""`symgen eval`: the measures of a file, and where they fall in a reference set."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from symusic import Note, Score, Track
from test_plot import band

from symbolic.cli import main
from symbolic.eval.measures import MEASURES, measures, percentile, reference
from symbolic.score import save_midi


def test_measures_of_a_band_with_known_answers() -> None:
    m = measures(band())
    assert set(m) == set(MEASURES)
    # per bar C E G in the keys and a C in the bass: pitch classes C 2, E 1, G 1
    assert m["pitch_class_entropy"] == pytest.approx(1.5, abs=1e-3)
    assert m["scale_consistency"] == 1.0
    assert m["pitch_range"] == 67 - 36
    assert m["drum_kit_share"] == 1.0 and m["drum_kick_snare_share"] == 0.5
    assert m["drum_hits_per_bar"] == 8 and m["drum_groove_consistency"] == 1.0
    assert m["bass_median_pitch"] == 36 and m["bass_one_note_share"] == 1.0
    assert m["velocity_spread"] > 10


def test_what_does_not_apply_is_none() -> None:
    score = Score(480)
    flute = Track("Flute", 73)
    flute.notes.extend([Note(i * 480, 480, 72 + i % 5, 80) for i in range(16)])
    score.tracks.append(flute)
    m = measures(score)
    assert m["drum_kit_share"] is None and m["bass_median_pitch"] is None
    assert m["velocity_spread"] == 0.0 and m["polyphony"] == 1.0


def test_percentile_places_a_value_in_the_reference() -> None:
    values = reference([{"measures": {**dict.fromkeys(MEASURES), "polyphony": v}}
                        for v in (1.0, 2.0, 3.0, 4.0)])["polyphony"]  # fmt: skip
    assert values["n"] == 4 and values["mean"] == 2.5 and values["p50"] == 2.5
    assert percentile(0.5, values["values"]) == 0 and percentile(9, values["values"]) == 100
    assert percentile(2.0, values["values"]) == 37.5


def test_eval_command_against_a_folder(tmp_path: Path, capsys) -> None:
    refs = tmp_path / "refs"
    for bars in (2, 4, 8):
        save_midi(band(bars), refs / f"band-{bars}.mid")
    (refs / "notes.txt").write_text("not music")  # ignored: not a music file
    song = save_midi(band(3), tmp_path / "song.mid")
    assert main(["eval", str(song), "--against", str(refs), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    (row,) = result["files"]
    assert row["info"]["bars"] == 3 and row["measures"]["drum_kit_share"] == 1.0
    assert result["reference"]["drum_kit_share"]["n"] == 3
    assert row["against"]["drum_kit_share"]["percentile"] == 50.0
    assert main(["eval", str(song)]) == 0
    text = capsys.readouterr().out
    assert "3 bars" in text and "drum kick snare share: 0.5" in text


def test_eval_reports_an_unreadable_file_and_refuses_when_nothing_is_read(
    tmp_path: Path, capsys
) -> None:
    folder = tmp_path / "set"
    save_midi(band(2), folder / "good.mid")
    (folder / "bad.mid").write_bytes(b"MThd broken")
    assert main(["eval", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "bad.mid: not read" in out and "good.mid: 2 bars" in out
    assert main(["eval", str(folder / "bad.mid")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("symgen eval:")
    assert main(["eval", str(tmp_path / "missing")]) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_measures_are_finite_on_real_band_songs() -> None:
    from symbolic.paths import data_root

    folder = data_root() / "band" / "freedoom"
    if not folder.is_dir():
        pytest.skip("the shared data folder is not here")
    from symbolic.score import load

    m = measures(load(sorted(folder.glob("*.mid"))[0]))
    assert all(v is None or math.isfinite(v) for v in m.values())
    assert m["drum_kit_share"] is not None and m["pitch_class_entropy"] > 1
