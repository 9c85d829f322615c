"""Data sources, split, shard building: small and fast (every test uses `limit`)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from symbolic.data.build import Shards, build, parse_transpose, transposed
from symbolic.data.meta import FIELDS, normalize, read_key
from symbolic.data.sources import REGISTRY, SOURCES, list_items, load_piece
from symbolic.data.split import split_of
from symbolic.errors import SymgenError
from symbolic.paths import data_root
from symbolic.theory.keys import key_label
from symbolic.theory.voicing import close_voicing, comping_tones

ROOT = data_root()
needs_data = pytest.mark.skipif(
    not ROOT.is_dir(), reason=f"shared data folder {ROOT} absent (set SYMGEN_DATA)"
)


def _check_meta(piece) -> dict:
    meta = normalize(piece.id, piece.source, piece.style, piece.meta, piece.score)
    assert set(FIELDS) <= set(meta)
    assert meta["id"] == piece.id and meta["style"] == piece.style
    if piece.score is not None:
        assert meta["notes"] > 0 and meta["bars"] > 0 and meta["density"] > 0
        assert read_key(meta["key"]) is not None
        assert "/" in meta["meter"] and meta["tempo"] > 0 and meta["programs"]
        assert piece.score.key_signatures, "normalize puts a key signature into the score"
        assert all(t.name for t in piece.score.tracks)
    return meta


@pytest.mark.parametrize("name", ["chorales", "palestrina", "monteverdi"])
def test_corpus_vocal_sources(name: str) -> None:
    pieces = list(SOURCES[name](ROOT, limit=1))
    assert len(pieces) == 1
    meta = _check_meta(pieces[0])
    assert meta["programs"] == [52]


def test_chorale_voices_and_lyrics() -> None:
    items = [i for i in list_items("chorales", ROOT) if i[0].endswith("bwv10.7.mxl")]
    piece = load_piece("chorales", items[0], ROOT)
    assert [t.name for t in piece.score.tracks] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert len(piece.score.tracks[0].lyrics) > 0
    assert all(len(t.lyrics) == 0 for t in piece.score.tracks[1:])


def test_quartet_programs_by_part() -> None:
    items = [i for i in list_items("quartets", ROOT) if "haydn/opus1no1/movement2" in i[0]]
    piece = load_piece("quartets", items[0], ROOT)
    meta = _check_meta(piece)
    assert meta["programs"] == [40, 41, 42] and meta["style"] == "classical"
    assert not any("k545" in i[0] for i in list_items("quartets", ROOT))


def test_parse_cache_warm_equals_cold_and_changed_file_reparsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm cache gives the piece the cold one parsed (notes, lyrics, meta); a file whose
    modification time changed is parsed again."""
    (path,) = next(i for i in list_items("chorales", ROOT) if i[0].endswith("bwv10.7.mxl"))
    copy = tmp_path / "corpus" / "bach" / "bwv10.7.mxl"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(path, copy)
    source = REGISTRY["chorales"]
    parsed = []

    def counting_load(item, root, content):
        parsed.append(item)
        return source.load(item, root, content)

    monkeypatch.setitem(REGISTRY, "chorales", dataclasses.replace(source, load=counting_load))
    cache = tmp_path / "cache"
    cold = load_piece("chorales", (str(copy),), ROOT, cache=cache)
    warm = load_piece("chorales", (str(copy),), ROOT, cache=cache)
    assert len(parsed) == 1
    assert sorted(p.suffix for p in (cache / "chorales").iterdir()) == [".json", ".npz"]
    fields = [(p.id, p.source, p.style, p.meta, p.abc) for p in (cold, warm)]
    assert fields[0] == fields[1] and warm.id == "chorales/bach/bwv10.7"
    assert warm.score == cold.score and len(warm.score.tracks[0].lyrics) > 0
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    again = load_piece("chorales", (str(copy),), ROOT, cache=cache)
    assert len(parsed) == 2 and again.score == cold.score


def test_folk_abc_and_score() -> None:
    abc_only = next(SOURCES["folk"](ROOT, limit=1, content="abc"))
    assert abc_only.score is None and "K:" in abc_only.abc
    piece = next(SOURCES["folk"](ROOT, limit=1))
    meta = _check_meta(piece)
    assert meta["programs"] == [73] and meta["region"]


@needs_data
@pytest.mark.parametrize("name", ["pop909", "nottingham", "wjazzd", "lyrics_melody"])
def test_data_sources(name: str) -> None:
    pieces = list(SOURCES[name](ROOT, limit=2))
    assert len(pieces) == 2
    for piece in pieces:
        _check_meta(piece)


@needs_data
def test_source_specifics() -> None:
    pop = next(SOURCES["pop909"](ROOT, limit=1))
    assert [t.name for t in pop.score.tracks] == ["MELODY", "BRIDGE", "PIANO"]
    assert pop.meta["key"] and pop.meta["chords"] and len(pop.meta["chords"][0]) == 3
    nott = next(SOURCES["nottingham"](ROOT, limit=1))
    assert [t.name for t in nott.score.tracks] == ["Melody", "Chords"]
    assert nott.abc and nott.id.startswith("nottingham/")
    song = next(SOURCES["lyrics_melody"](ROOT, limit=1))
    voice = song.score.tracks[0]
    assert voice.name == "Voice" and len(voice.lyrics) == voice.note_num()
    assert song.meta["syllables"] == voice.note_num() == sum(map(sum, song.meta["structure"]))


@needs_data
def test_wjazzd_trio_bass_on_beats() -> None:
    piece = next(SOURCES["wjazzd"](ROOT, limit=1))
    score = piece.score
    assert [t.name for t in score.tracks] == ["Solo", "Bass", "Comping"]
    assert [t.program for t in score.tracks[1:]] == [32, 0]
    bass = score.tracks[1].notes.numpy()
    assert len(bass["time"]) > 16
    assert np.all(bass["time"] % 480 == 0) and np.all(bass["duration"] == 480)
    solo = score.tracks[0].notes.numpy()
    assert np.all(solo["time"] % 40 == 0)
    comp = score.tracks[2].notes.numpy()
    assert np.all((comp["pitch"] >= 55) & (comp["pitch"] <= 66))
    assert 60 < score.tempos[0].qpm < 400


def test_chord_symbols() -> None:
    assert comping_tones("C7") == [0, 4, 7, 10]
    assert comping_tones("C-7") == [0, 3, 7, 10]
    assert comping_tones("Ebj7") == [3, 7, 10, 2]
    assert comping_tones("Dm7b5") == [2, 5, 8, 0]
    assert comping_tones("Bb6") == [10, 2, 5, 7]
    assert comping_tones("Bo7") == [11, 2, 5, 8]
    assert sorted(comping_tones("G7alt")) == sorted({11, 5, 10, 3})
    assert comping_tones("NC") is None and comping_tones("") is None
    voicing = close_voicing(comping_tones("F7"))
    assert len(voicing) == 4 and voicing[-1] - voicing[0] < 12


def test_split_is_deterministic_and_about_five_percent() -> None:
    ids = [f"src/piece-{i}" for i in range(20000)]
    first = [split_of(i) for i in ids]
    assert first == [split_of(i) for i in ids]
    share = first.count("val") / len(ids)
    assert 0.04 < share < 0.06


def test_missing_data_folder(tmp_path: Path) -> None:
    with pytest.raises(SymgenError, match="SYMGEN_DATA"):
        list(SOURCES["pop909"](tmp_path / "nowhere", limit=1))


@needs_data
def test_build_leaves_out_a_missing_corpus_and_says_so(tmp_path: Path) -> None:
    """Of several sources, one absent folder is left out with its reason; all absent: an error."""
    from symbolic.data.build import summary_line

    root = tmp_path / "data"
    (root / "nottingham").mkdir(parents=True)
    (root / "nottingham" / "midi").symlink_to(ROOT / "nottingham" / "midi")
    summary = build("nottingham,groove", tmp_path / "out", workers=1, limit=2, data_root=root)
    assert [n for n, st in summary["per_source"].items() if "missing" in st] == ["groove"]
    assert "not found" in summary["per_source"]["groove"]["missing"]
    assert summary["per_source"]["nottingham"]["pieces"] == 2
    assert summary_line(summary, "out").endswith("(groove not found, left out)")
    with pytest.raises(SymgenError, match="none of groove, band was found"):
        build("groove,band", tmp_path / "out2", workers=1, limit=2, data_root=root)
    assert not (tmp_path / "out2").exists()


def test_keys_and_transpose_parsing() -> None:
    assert parse_transpose("0") == [0]
    assert parse_transpose("-3..3") == [-3, -2, -1, 0, 1, 2, 3]
    assert parse_transpose("2,-2") == [-2, 0, 2]
    assert read_key("Gb:maj") == (6, "major")
    assert read_key("E:min") == (4, "minor")
    assert read_key("Ador") == (9, "minor")
    assert read_key("Dmix") == (2, "major")
    assert key_label(11, "minor") == "Bm" and key_label(1, "major") == "Db"


def test_build_remi_shards_decode(tmp_path: Path) -> None:
    from symbolic.tokenize.remi import load_remi_tokenizer

    summary = build("chorales", tmp_path, tokenizer="remi", workers=1, limit=3)
    assert summary["per_source"]["chorales"]["pieces"] == 3
    records = [json.loads(line) for line in (tmp_path / "meta.jsonl").read_text().splitlines()]
    tok = load_remi_tokenizer()
    seen = 0
    for split in ("train", "val"):
        shards = Shards(tmp_path, split)
        assert isinstance(shards.tokens, np.memmap) or len(shards) == 0
        mine = [r for r in records if r["split"] == split]
        assert len(shards) == len(mine)
        for i, record in enumerate(mine):
            prefix, body = shards.piece(i)
            assert prefix[0] == tok.bos_id and shards.sequence(i)[-1] == tok.eos_id
            assert len(prefix) + len(body) + 1 == record["tokens"]
            decoded = tok.decode([int(x) for x in body])
            assert 0.8 * record["notes"] <= decoded.note_num() <= record["notes"]
            seen += 1
    assert seen == 3


def test_transposed_copies_update_key(tmp_path: Path) -> None:
    piece = next(SOURCES["chorales"](ROOT, limit=1))
    up = transposed(piece.score, 2)
    assert up is not None
    assert up.tracks[0].notes[0].pitch == piece.score.tracks[0].notes[0].pitch + 2
    assert transposed(piece.score, 40) is None  # leaves 21-108
    build("chorales", tmp_path, tokenizer="remi", transpose="-1..1", workers=1, limit=4)
    records = [json.loads(line) for line in (tmp_path / "meta.jsonl").read_text().splitlines()]
    originals = {r["id"]: r for r in records if r["transpose"] == 0}
    copies = [r for r in records if r["transpose"]]
    assert copies and all(r["split"] == "train" for r in copies)
    for copy in copies:
        tonic, mode = read_key(originals[copy["original"]]["key"])
        assert copy["key"] == key_label(tonic + copy["transpose"], mode)
    assert not any(originals[r["original"]]["split"] == "val" for r in copies)


def test_build_abc(tmp_path: Path) -> None:
    from symbolic.tokenize.abc import load_abc_tokenizer

    summary = build("folk", tmp_path, tokenizer="abc", workers=1, limit=4)
    assert summary["tokenizer"] == "abc" and summary["per_source"]["folk"]["pieces"] == 4
    tok = load_abc_tokenizer()
    shards = Shards(tmp_path, "train")
    prefix, body = shards.piece(0)
    assert prefix[-1] == tok.body_id and len(body) > 10
    with pytest.raises(SymgenError, match="no ABC"):
        build("chorales", tmp_path, tokenizer="abc", limit=1)
