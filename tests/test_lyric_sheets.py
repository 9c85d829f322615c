"""OpenEWLD lead sheets as lyric songs (`symbolic.data.lyric_sheets`) and their tokens.

The unit tests build their own sheet; the round-trip tests read the shared OpenEWLD scores
(public domain) and skip where the data folder lacks them."""

from __future__ import annotations

import numpy as np
import pytest
from symusic import Note, Score, TimeSignature, Track

from symbolic.data.lyric_shards import SPLITS, lyric_split, sung_tokens, tonic_reference
from symbolic.data.lyric_sheets import (
    MAX_LINE,
    bar_chord_values,
    line_ends,
    sheet_song,
    sung_durations,
    word_spans,
)
from symbolic.data.sources.base import Piece
from symbolic.data.split import split_of
from symbolic.paths import data_root
from symbolic.score import TPQ
from symbolic.tokenize.lyric import load_lyric_tokenizer

# A made-up waltz: onset and length in beats, pitch, text, syllabic. "to" is held over a
# melisma of two notes; a rest of a beat ends the first line.
ROWS = [
    [2.0, 1.0, 67, "Sing", "single"],
    [3.0, 1.0, 69, "to", "single"],
    [5.0, 1.0, 71, "me", "single"],
    [6.0, 0.5, 72, "mor", "begin"],
    [6.5, 0.5, 71, "ning", "end"],
    [7.0, 2.0, 69, "light,", "single"],
    [12.0, 1.0, 67, "sing", "single"],
    [13.0, 1.0, 65, "it", "single"],
    [14.0, 1.0, 64, "once", "single"],
    [15.0, 1.0, 65, "a", "single"],
    [16.0, 2.0, 67, "gain", "single"],
    [18.0, 1.0, 69, "and", "single"],
    [19.0, 1.0, 71, "sing", "single"],
    [20.0, 1.0, 72, "it", "single"],
    [21.0, 1.0, 74, "for", "single"],
    [22.0, 2.0, 72, "ev", "begin"],
    [24.0, 3.0, 72, "er", "end"],
]
MELISMA = [(4.0, 1.0, 67)]  # sung on "to" after its first note


def waltz() -> Piece:
    score = Score(TPQ)
    score.time_signatures.append(TimeSignature(0, 3, 4))
    voice = Track("Voice", 53, False)
    for on, dur, pitch in [(r[0], r[1], r[2]) for r in ROWS] + MELISMA:
        voice.notes.append(Note(int(on * TPQ), int(dur * TPQ), pitch, 90))
    voice.notes.sort()
    score.tracks.append(voice)
    meta = {
        "syllables": ROWS,
        "key": "C",
        "language": "English",
        "chords": [[0.0, 6.0, "C"], [6.0, 9.0, "Am7"], [9.0, 27.0, "G7"]],
    }
    return Piece("openewld/Some_One/Waltz", "openewld", "pop", meta, score)


def test_words_from_syllabic_marks() -> None:
    marks = ["single", "begin", "middle", "end", "single", "middle", "begin", "end", "begin"]
    assert word_spans(marks) == [(0, 1), (1, 4), (4, 5), (5, 6), (6, 8), (8, 9)]


def test_a_melisma_lengthens_its_syllable() -> None:
    song = sheet_song(waltz())
    assert song.melody.duration[1] == pytest.approx(2.0)  # "to" sings on to beat 5
    assert song.melody.duration[0] == pytest.approx(1.0)


def test_lines_end_at_rests_and_held_punctuation() -> None:
    song = sheet_song(waltz())
    # "light," is held two beats and a rest follows; the second line has 11 syllables
    assert song.info.line_index.tolist() == [0] * 6 + [1] * 11
    assert song.info.is_line_end.tolist() == [i in (5, 16) for i in range(17)]
    assert song.info.word_len.tolist()[3:5] == [2, 2] and song.info.index_in_word[4] == 1
    assert song.stress[3:5].tolist() == [1, 0]  # MOR-ning


def test_long_lines_are_cut_at_word_ends() -> None:
    n = 3 * MAX_LINE
    onset = np.arange(n, dtype=float)
    duration = np.where(np.arange(n) % 5 == 4, 1.0, 0.9)
    spans = [(i, i + 1) for i in range(n)]
    ends = line_ends(onset, duration, ["la"] * n, spans, beat=1.0)
    sizes = np.diff(np.r_[-1, ends])
    assert ends[-1] == n - 1 and sizes.max() <= MAX_LINE and sizes.min() >= 3


def test_bar_chords_take_the_longest_symbol() -> None:
    spans = [[0.0, 1.0, "C"], [1.0, 6.0, "Am7"], [9.0, 12.0, "Bdim"]]
    values = bar_chord_values(spans, 4, 3.0, 0, "major")
    assert values == [(9, True), (9, True), (9, True), (11, True)]  # bar 2 has none: keeps Am
    assert sung_durations(np.array([0.0]), np.array([1.0]), np.array([[0.0, 1.0]])) == [1.0]


def test_sheet_tokens_keep_the_meter_and_bars() -> None:
    tok = load_lyric_tokenizer()
    song = sheet_song(waltz())
    prefix, body, meta = sung_tokens(tok, song, "openewld/Some_One/Waltz")
    assert prefix == tok.prefix("major", "3/4") and meta["meter"] == "3/4"
    timeline = tok.decode(body, 12)
    assert timeline.onset[:3] == [8, 12, 20]  # the pickup on beat 3 of bar 0
    assert timeline.chords[:3] == [(0, False), (0, False), (9, True)]
    assert meta["bars"] == 9


def test_splits_hold_out_dev_and_validation() -> None:
    ids = [f"openewld/x/{i}" for i in range(2000)]
    counts = {s: sum(lyric_split(i) == s for i in ids) for s in ("train", "dev", "val")}
    val, dev = SPLITS["openewld"]
    assert abs(counts["val"] / 2000 - val) < 0.03 and abs(counts["dev"] / 2000 - dev) < 0.03
    assert all(lyric_split(i) == "val" for i in ids if split_of(i) == "val")  # remi's val too


@pytest.fixture(scope="module")
def sheets() -> list[Piece]:
    from symbolic.data.sources import list_items, load_piece

    root = data_root()
    if not (root / "openewld").is_dir():
        pytest.skip(f"the shared data folder {root} has no openewld/")
    items = list_items("openewld", root)[::12]
    return [p for p in (load_piece("openewld", item, root) for item in items) if p is not None]


def test_real_sheets_round_trip_through_the_tokens(sheets: list[Piece]) -> None:
    """Every sung sheet: one note per syllable in time order, lines of at most MAX_LINE, and
    its tokens decode to the same onsets (from its first bar) and relative pitches."""
    tok = load_lyric_tokenizer()
    meters, sung = set(), 0
    for piece in sheets:
        song = sheet_song(piece)
        if song is None:
            continue
        sung += 1
        meters.add(str(song.meter))
        assert np.bincount(song.info.line_index).max() <= MAX_LINE
        prefix, body, meta = sung_tokens(tok, song, piece.id)
        bar = song.meter.bar_16ths
        on16, dur16 = song.melody.grid()
        timeline = tok.decode(body, bar)
        assert len(timeline.onset) == len(song.texts) == meta["syllables"]
        assert np.all(np.diff(timeline.onset) > 0)
        if np.all(on16[1:] >= on16[:-1] + dur16[:-1]):  # no rest shortened, no overlap
            gaps = np.diff(on16) - dur16[:-1]
            if gaps.max() < 2 * bar:
                assert timeline.onset == (on16 - on16[0] // bar * bar).tolist()
        relative = song.melody.pitch - tonic_reference(song.tonic, np.median(song.melody.pitch))
        assert timeline.pitch == np.clip(relative, *tok.pitch_range).tolist()
    assert sung >= 20 and {"4/4", "3/4", "2/2"} <= meters
