"""Skeleton and template extraction on hand-made melodies, and the lyrics_melody reader."""

from __future__ import annotations

import numpy as np
import pytest

from symbolic.data.lyric_songs import (
    corpus_statistics,
    iter_songs,
    lyrics_melody_path,
    song_to_melody,
    syllable_stresses,
)
from symbolic.errors import SymgenError
from symbolic.melody import Melody, metrical_features, skeleton, skeleton_ranks, template
from symbolic.theory.keys import parse_key
from symbolic.theory.meter import Meter


def _mel(onsets, durations, pitches=None):
    return Melody.from_sixteenths(onsets, durations, pitches or [60] * len(onsets))


def test_meter_weights():
    assert Meter.parse("4/4").weights().tolist() == [4, 0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0]
    assert Meter.parse("3/4").weights().tolist() == [4, 0, 1, 0, 2, 0, 1, 0, 2, 0, 1, 0]
    assert Meter.parse((6, 8)).weights().tolist() == [4, 0, 1, 0, 1, 0, 3, 0, 1, 0, 1, 0]
    with pytest.raises(SymgenError):
        Meter.parse("4/5")


def test_four_four_with_syncopations():
    # bar 1: quarter, eighth, quarter across beat 3 (syncopation), eighth, quarter
    # bar 2: quarter, 16th, 16th-8th anticipation, 16th, half on beat 3
    mel = _mel([0, 4, 6, 10, 12, 16, 20, 21, 23, 24], [4, 2, 4, 2, 4, 4, 1, 2, 1, 8])
    f = metrical_features(mel, "4/4")
    assert f["syncopation"].tolist() == [0, 0, 1, 0, 0, 0, 0, 1, 0, 0]
    # the half note on beat 3 loses its accent: a syncopation starts two 16ths before
    assert f["accent"].tolist() == [1, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert skeleton_ranks(mel, "4/4").tolist() == [1, 0, 2, 0, 0, 3, 0, 0, 0, 0]


def test_thinning_keeps_the_stronger_of_neighbours():
    mel = _mel([0, 8, 16], [8, 8, 16])  # two halves then a whole note, all legato
    assert skeleton(mel, "4/4").tolist() == [True, False, True]


def test_three_four_waltz():
    mel = _mel([0, 8, 12, 16, 20, 24], [8, 4, 4, 4, 4, 12], [67, 64, 65, 67, 69, 67])
    assert skeleton(mel, "3/4").tolist() == [True, False, True, False, False, True]


def test_six_eight_jig():
    onsets = [0, 2, 4, 6, 8, 10, 12, 16, 18, 24, 26, 28, 32, 34]
    durations = [2] * 6 + [4, 2, 6, 2, 2, 4, 2, 2]
    mel = _mel(onsets, durations)
    f = metrical_features(mel, "6/8")
    assert f["syncopation"].tolist() == [0] * 11 + [1, 0, 0]
    assert skeleton_ranks(mel, "6/8").tolist() == [1, 0, 0, 1, 0, 0, 3, 0, 1, 0, 0, 2, 0, 0]


def test_array_input_and_empty_bars():
    arr = np.array([[0, 1, 60], [8, 4, 62]])  # beats: bar 1, then bar 3
    assert skeleton(arr, "4/4").tolist() == [True, True]


def test_template_c_major_scale():
    mel = _mel(list(range(0, 32, 4)) + [32], [4] * 8 + [16], [60, 62, 64, 65, 67, 69, 71, 72, 60])
    t = template(mel, "4/4")
    assert t["key"]["name"] == "C major"
    assert t["bars"] == 3 and len(t["chords"]) == 3
    assert t["chords"][-1] == "C"
    assert t["rhythm"] == [[0, 4, 8, 12], [0, 4, 8, 12], [0]]
    assert t["cadences"] == [{"note": 8, "bar": 2, "degree": 1, "type": "authentic"}]


def test_template_given_key_chords_and_half_cadence():
    # A minor arpeggio bar, then E major arpeggio bar ending on E (degree 5 in A minor)
    mel = _mel([0, 4, 8, 12, 16, 20, 24], [4, 4, 4, 4, 4, 4, 8], [57, 60, 64, 60, 56, 59, 64])
    t = template(mel, "4/4", key="Am")
    assert t["key"]["name"] == "A minor"
    assert t["chords"] == ["Am", "E"]
    assert t["cadences"][-1]["type"] == "half"
    assert template(mel, "4/4", phrase_ends=[3, 6])["cadences"][0]["note"] == 3
    assert parse_key("F# minor") == (6, "minor") and parse_key("Bb") == (10, "major")
    with pytest.raises(SymgenError):
        parse_key("H major")


def test_song_to_melody_on_a_made_up_record():
    song = {
        "id": "x",
        "lines": [
            [
                {
                    "word": "paper",
                    "syllables": ["pa", "per"],
                    "notes": [[60, 1, 0.5], [62, 0.5, 0]],
                },
                {"word": "boats", "syllables": ["boats"], "notes": [[64, 2, 0]]},
            ],
            [{"word": "sailing", "syllables": ["sail", "ing"], "notes": [[65, 1, 1], [64, 1, 0]]}],
        ],
    }
    mel, info = song_to_melody(song)
    assert mel.onset.tolist() == [0.5, 1.5, 2.0, 5.0, 6.0]
    assert info.line_index.tolist() == [0, 0, 0, 1, 1]
    assert info.word_index.tolist() == [0, 0, 1, 2, 2]
    assert info.is_line_end.tolist() == [False, False, True, False, True]
    assert info.is_word_end.tolist() == [False, True, True, False, True]
    assert syllable_stresses(song).tolist() == [1, 0, 1, 1, 0]
    aligned, _ = song_to_melody(song, align="line")
    assert np.all(np.diff(aligned.onset) > 0)
    assert np.all(aligned.onset >= mel.onset)


needs_data = pytest.mark.skipif(
    not lyrics_melody_path().exists(), reason="lyrics_melody data set not found (SYMGEN_DATA)"
)


@needs_data
def test_iter_songs_five(capsys):
    songs = list(iter_songs(limit=5))
    assert len(songs) == 5
    for song in songs:
        try:
            mel, info = song_to_melody(song, align="line")
        except SymgenError:
            continue  # a few records carry no notes
        assert len(mel) == len(info.line_index) == len(syllable_stresses(song))
        assert np.all(np.diff(mel.onset) >= 0)
        assert skeleton(mel).any()
        assert template(mel)["bars"] >= 1
    assert capsys.readouterr().out == ""  # nothing of the lyrics printed


@needs_data
@pytest.mark.slow
def test_corpus_statistics_sanity():
    stats = corpus_statistics(list(iter_songs(limit=300)), align="line")
    print({k: v for k, v in stats.items()})  # figures only, no text
    assert stats["songs"] > 250
    assert stats["stress_known_share"] > 0.9
    assert 0.3 < stats["skeleton_share_mean"] < 0.7
    assert 8 <= stats["range_semitones_median"] <= 24
    assert stats["stressed_on_accent"] >= stats["unstressed_on_accent"]
