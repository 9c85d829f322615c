"""The band sources: Groove drums, Freedoom/OpenMSX band arrangements, OpenEWLD lead sheets.

Tests that read a shared data set skip when the data folder lacks it; the bad-input and
voicing tests write their own files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from symusic import Note, Score, Track

from symbolic.cli import main
from symbolic.data.build import build
from symbolic.data.sources import band, groove, list_items, load_piece, openewld
from symbolic.data.sources.base import Piece
from symbolic.data.split import piece_split, split_of
from symbolic.paths import data_root
from symbolic.theory.chords import parse_chord
from symbolic.theory.gm import DRUM_NAMES, TD11_TO_GM
from symbolic.theory.voicing import lead_sheet_voicing, upper_tones

ROOT = data_root()


def needs(folder: str) -> Path:
    if not (ROOT / folder).is_dir():
        pytest.skip(f"the shared data folder {ROOT} has no {folder}/")
    return ROOT


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Parse-cache entries of these tests go to their tmp folder, not data_cache/."""
    monkeypatch.setenv("SYMGEN_CACHE", str(tmp_path / "parsed"))


# ---- no shared data needed --------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "pitches"),
    [
        ("C7", [36, 55, 58, 60, 64]),
        ("G/B", [47, 55, 59, 62]),
        ("F", [41, 57, 60, 65]),
        ("C13", [36, 57, 58, 62, 64]),  # third, seventh, ninth, thirteenth: no root or fifth
    ],
)
def test_lead_sheet_voicing(symbol, pitches):
    chord = parse_chord(symbol)
    voiced = lead_sheet_voicing(chord)
    assert voiced == pitches
    assert 36 <= voiced[0] <= 47 and all(55 <= p <= 66 for p in voiced[1:])
    assert {p % 12 for p in voiced} <= chord.tones
    assert len(upper_tones(chord)) <= 4


def test_piece_split_honours_the_source():
    assert piece_split(Piece("x/1", "x", "pop", {"split": "val"})) == "val"
    assert piece_split(Piece("x/1", "x", "pop", {"split": "train"})) == "train"
    for pid in ("pop909/001", "groove/a", "band/freedoom/d_e1m1"):
        assert piece_split(Piece(pid, "x", "pop", {})) == split_of(pid)
    with pytest.raises(ValueError):
        piece_split(Piece("x/1", "x", "pop", {"split": "validation"}))


def test_style_tables():
    assert groove.groove_style("jazz/funk") == "jazz"
    assert groove.groove_style("neworleans/secondline") == "jazz"
    assert groove.groove_style("neworleans/funk") == "funk"
    assert groove.groove_style("hiphop") == "hip-hop"
    assert groove.groove_style("dance/disco") == "electronic"
    assert groove.groove_style("afrocuban/bembe") == "latin"
    assert groove.groove_style("punk") == "rock"
    assert openewld.ewld_style("Jazz", "Swing") == "swing"
    assert openewld.ewld_style("Jazz", "Vocal") == "jazz"  # an uninformative style: the genre
    assert openewld.ewld_style("Stage & Screen", "Musical") == "song"
    assert openewld.ewld_style(None, None) == "pop"


def test_style_labels_are_control_tokens():
    from symbolic.tokenize.remi import load_remi_tokenizer

    styles = set(load_remi_tokenizer().styles)
    labels = {*groove.STYLE_OF.values(), *groove.STYLE_OVERRIDES.values()}
    labels |= {band.VOCABULARY.get(s, s) for s in ("rock", "metal", "electronic", "jazz")}
    labels |= {*band.VOCABULARY.values(), *openewld.STYLE_OF_STYLE.values()}
    labels |= {*openewld.STYLE_OF_GENRE.values()}
    assert labels <= styles, labels - styles


def test_freedoom_credits_name_the_music_lumps():
    text = (
        '--Phase 1--\n\nTitle: "Fight for Freedom" by Korp\n\nEpisode 1\n'
        '\tE1M1: "Steel and Brass" by J.Astartes and Mr795\n'
        '--Phase 2--\nStory: dave3d07.mid by jute\n\tMAP01: "Rodeo" by Lola\n'
        '--Previously Featured in 0.13.0--\nE1M1: "Old" by Someone\n'
    )
    credits = band.freedoom_credits(text)
    assert credits["d_intro"] == ("Fight for Freedom", "Korp")
    assert credits["d_e1m1"] == ("Steel and Brass", "J.Astartes and Mr795")
    assert credits["d_read_m"] == ("dave3d07.mid", "jute")
    assert credits["d_map01"] == ("Rodeo", "Lola")


def test_band_track_names():
    assert band.track_name("Rhythm Guitar", 30) == "Rhythm Guitar"
    assert band.track_name("Pick Bass", 34) == "Pick Bass"
    assert band.track_name("MIDI out #3", 30) == "Distortion Guitar"
    assert band.track_name("Piano", 25) == "Acoustic Guitar (steel)"  # names another instrument
    assert band.track_name("", 33) == "Electric Bass (finger)"


def _band_midi(path: Path, drums: bool = True) -> None:
    """Four bars of bass (and drums): a file for a made-up band/ folder."""
    score = Score(480)
    bass = Track(name="Bass", program=33)
    bass.notes = Note.from_numpy(
        time=np.arange(16, dtype=np.int32) * 480,
        duration=np.full(16, 400, dtype=np.int32),
        pitch=np.array([40, 40, 43, 45] * 4, dtype=np.int8),
        velocity=np.full(16, 90, dtype=np.int8),
    )
    score.tracks.append(bass)
    if drums:
        kit = Track(name="Kit", program=0, is_drum=True)
        kit.notes = Note.from_numpy(
            time=np.arange(32, dtype=np.int32) * 240,
            duration=np.full(32, 60, dtype=np.int32),
            pitch=np.array([36, 42, 38, 42] * 8, dtype=np.int8),
            velocity=np.full(32, 100, dtype=np.int8),
        )
        score.tracks.append(kit)
    score.dump_midi(str(path))


def _lead_sheet(path: Path) -> None:
    """Two bars in F with chord symbols and a sung word: a file for a made-up openewld/."""
    from music21 import harmony, key, meter, note, stream

    part = stream.Part()
    words = [("hel", "begin"), ("lo", "end"), ("my", "single"), ("dear", "single")]
    for number, symbol in ((1, "F"), (2, "C7")):
        m = stream.Measure(number=number)
        if number == 1:
            m.append([meter.TimeSignature("4/4"), key.Key("F")])
        m.insert(0, harmony.ChordSymbol(symbol))
        for i, pitch in enumerate(("F4", "A4") if number == 1 else ("G4", "E4")):
            n = note.Note(pitch, quarterLength=2)
            text, syllabic = words[2 * (number - 1) + i]
            n.lyric = text
            n.lyrics[0].syllabic = syllabic
            m.insert(2 * i, n)
        part.append(m)
    score = stream.Score([part])
    path.parent.mkdir(parents=True, exist_ok=True)
    score.write("mxl", fp=str(path))


def test_bad_files_are_skipped_with_a_reason(tmp_path):
    root = tmp_path / "data"
    (root / "band" / "freedoom").mkdir(parents=True)
    (root / "band" / "freedoom" / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06 not midi")
    _band_midi(root / "band" / "freedoom" / "good.mid")
    _band_midi(root / "band" / "freedoom" / "nodrums.mid", drums=False)
    sheets = root / "openewld" / "dataset" / "Some_One"
    (sheets / "Broken").mkdir(parents=True)
    (sheets / "Broken" / "Broken.mxl").write_bytes(b"PK\x03\x04 this is no zip archive")
    _lead_sheet(sheets / "Hello" / "Hello.mxl")
    (sheets / "Hello" / "Hello.txt").write_text("hello my dear")
    summary = build("band,openewld", tmp_path / "out", workers=1, data_root=root)
    per = summary["per_source"]
    assert per["band"]["items"] == 3 and per["band"]["pieces"] == 2 and per["band"]["errors"] == 1
    assert per["band"]["flagged"] == {"no drums": 1}
    assert per["openewld"]["pieces"] == 1 and per["openewld"]["errors"] == 1
    reasons = "\n".join(summary["errors"])
    assert "broken.mid" in reasons and "not a readable MIDI file" in reasons
    assert "Broken.mxl: not a readable MusicXML file" in reasons
    assert all("\n" not in line for line in summary["errors"])
    sheet = load_piece("openewld", list_items("openewld", root)[1], root)
    assert [t.name for t in sheet.score.tracks] == ["Voice", "Chords"]
    assert [s[3:] for s in sheet.meta["syllables"]] == [list(w) for w in
        [("hel", "begin"), ("lo", "end"), ("my", "single"), ("dear", "single")]]  # fmt: skip
    assert [c[2] for c in sheet.meta["chords"]] == ["F", "C7"]
    assert sheet.meta["key"] == "F" and sheet.meta["lyrics_text"]


# ---- shared data ------------------------------------------------------------------------


def test_groove_drums_in_the_gm_map():
    root = needs("groove")
    items = list_items("groove", root)
    assert len(items) >= 1000
    td11_only = set(TD11_TO_GM) - set(DRUM_NAMES) | {22, 26, 58}
    checked_remap = False
    for item in items[:12]:
        piece = load_piece("groove", item, root)
        (track,) = piece.score.tracks
        assert (track.name, track.is_drum, track.program) == ("Drums", True, 0)
        pitches = track.notes.numpy()["pitch"]
        assert set(pitches.tolist()) <= set(DRUM_NAMES) and not set(pitches.tolist()) & td11_only
        raw = Score.from_file(item[0]).tracks[0].notes.numpy()
        edge = raw["time"][raw["pitch"] == 22]  # closed hi-hat edge: 42 in GM
        if len(edge):
            kept = track.notes.numpy()
            assert np.isin(edge, kept["time"][kept["pitch"] == 42]).all()
            checked_remap = True
        assert piece.meta["groove_style"] and piece.meta["beat_type"] in ("beat", "fill")
        assert abs(piece.score.tempos[0].qpm - piece.meta["bpm"]) < 0.5
    assert checked_remap


def test_groove_split_follows_info_csv():
    root = needs("groove")
    import csv

    with (root / "groove" / "info.csv").open(newline="") as handle:
        want = {f"groove/{r['id']}": r["split"] for r in csv.DictReader(handle)}
    items = list_items("groove", root)
    val = [i for i in items if i[8] == "validation"][:3]
    train = [i for i in items if i[8] == "train"][:3]
    for item in val + train:
        piece = load_piece("groove", item, root)
        assert piece_split(piece) == {"train": "train", "validation": "val"}[want[piece.id]]
    assert sum(groove.SPLITS[i[8]] == "val" for i in items) == sum(
        s == "validation" for s in want.values()
    )


def test_band_songs_have_drums_and_bass():
    root = needs("band")
    items = list_items("band", root)
    assert len(items) >= 120
    pieces = [load_piece("band", item, root) for item in items[::12]]
    pieces = [p for p in pieces if p is not None]
    for piece in pieces:
        tracks = piece.score.tracks
        assert all(t.note_num() > 0 and t.name.strip() for t in tracks)
        drums = [t for t in tracks if t.is_drum]
        assert len(drums) <= 1
        if drums:
            assert drums[0].name == "Drums" and tracks[0].is_drum
        assert piece.style in {"rock", "metal", "electronic", "jazz", "blues", "classical"}
    kits = [p for p in pieces if p.score.tracks[0].is_drum]
    kick_snare = [
        p for p in kits if {35, 36, 38, 40} & set(p.score.tracks[0].notes.numpy()["pitch"].tolist())
    ]
    assert len(kick_snare) >= 0.8 * len(kits)  # a few play hand percussion only
    with_bass = [p for p in pieces if any(32 <= t.program <= 39 and not t.is_drum
                                          for t in p.score.tracks)]  # fmt: skip
    assert len(with_bass) >= 0.6 * len(pieces)
    assert sum(bool(p.meta.get("flags")) for p in pieces) <= len(pieces) // 4


def test_openewld_melody_chords_and_syllables():
    root = needs("openewld")
    items = list_items("openewld", root)
    assert len(items) >= 450
    pieces = [load_piece("openewld", item, root) for item in items[::60]]
    for piece in pieces:
        names = [t.name for t in piece.score.tracks]
        assert names[0] in ("Voice", "Melody") and names[1:] == ["Chords"]
        chords = piece.score.tracks[1].notes.numpy()
        for on, _, symbol in piece.meta["chords"]:
            chord = parse_chord(symbol)
            tick = round(on * 480)
            pcs = chords["pitch"][chords["time"] == tick] % 12
            assert set(pcs.tolist()) <= chord.tones, (piece.id, symbol)
            bass = chords["pitch"][(chords["time"] == tick)].min()
            assert 36 <= bass <= 47 and bass % 12 == (chord.bass if chord.bass is not None
                                                       else chord.root)  # fmt: skip
        if piece.meta["lyrics_text"]:
            assert piece.meta["syllables"], piece.id
            assert names[0] == "Voice" and len(piece.score.tracks[0].lyrics) > 0
        assert piece.meta["key"] and piece.meta["title"]


def test_build_of_the_three_sources(tmp_path):
    needs("groove"), needs("band"), needs("openewld")
    outs = []
    for run in ("cold", "warm"):
        out = tmp_path / run
        args = ["data", "build", "groove,band,openewld", "--limit", "3", "--workers", "1"]
        assert main([*args, "--out", str(out)]) == 0
        outs.append(out)
    summary = json.loads((outs[0] / "build.json").read_text())
    for name in ("groove", "band", "openewld"):
        assert summary["per_source"][name]["pieces"] == 3, summary["per_source"][name]
        assert summary["per_source"][name]["tokens"] > 0
    for name in ("train.bin", "val.bin", "meta.jsonl"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()
