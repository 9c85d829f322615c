"""Band measures on parts built here: a rock beat, random hand percussion, a walking bass,
a bass played as chords, flat and shaped velocities."""

from __future__ import annotations

import numpy as np
from symusic import Note, Score, TimeSignature, Track

from symbolic.eval.band import bass_measures, bass_root_share, drum_measures, velocity_spread

TPQ, BAR = 480, 4 * 480


def _score(track: Track) -> Score:
    score = Score(TPQ)
    score.time_signatures.append(TimeSignature(0, 4, 4))
    score.tracks.append(track)
    return score


def _track(notes: list[tuple[int, int, int, int]], drum: bool = False) -> Track:
    track = Track("Drums" if drum else "Bass", 0 if drum else 33, drum)
    for time, dur, pitch, vel in notes:
        track.notes.append(Note(time, dur, pitch, vel))
    return track


def rock_beat(bars: int = 4) -> Track:
    notes = []
    for b in range(bars):
        for eighth in range(8):
            notes.append((b * BAR + eighth * 240, 60, 42, 70))  # closed hi-hat
        notes += [(b * BAR, 60, 36, 100), (b * BAR + 960, 60, 36, 100)]  # kick on 1 and 3
        notes += [(b * BAR + 480, 60, 38, 110), (b * BAR + 1440, 60, 38, 110)]  # snare 2, 4
    return _track(notes, drum=True)


def test_a_rock_beat_is_a_kit_groove():
    track = rock_beat()
    m = drum_measures(_score(track), track)
    assert m["kit_share"] == 1.0
    assert m["kick_snare_share"] == 4 / 12
    assert m["hits_per_bar"] == 12
    assert m["groove_consistency"] == 1.0


def test_random_hand_percussion_scores_low():
    rng = np.random.default_rng(0)
    notes = [
        (int(t) * 120, 60, int(p), 80)
        for t, p in zip(rng.integers(0, 64, 12), rng.integers(60, 82, 12), strict=True)
    ]
    track = _track(notes, drum=True)
    m = drum_measures(_score(track), track)
    assert m["kit_share"] == 0.0 and m["kick_snare_share"] == 0.0
    assert m["groove_consistency"] < 0.3
    assert drum_measures(_score(track), track, bars=(1, 2))["hits"] < 12


def test_bass_register_and_one_note_share():
    walking = _track([(i * 480, 480, 28 + (i * 5) % 12, 90) for i in range(16)])
    assert bass_measures(walking) == {"notes": 16, "median_pitch": 33.0, "one_note_share": 1.0}
    chords = _track([(i * 960, 960, p, 90) for i in range(4) for p in (60, 64, 67)])
    m = bass_measures(chords)
    assert m["median_pitch"] == 64 and m["one_note_share"] == 0.0
    assert bass_measures(chords, window=(0, 960))["notes"] == 3


def test_velocity_spread():
    assert velocity_spread([_track([(i * 480, 480, 40, 80) for i in range(8)])]) == 0.0
    shaped = _track([(i * 480, 480, 40, 60 + 10 * (i % 4)) for i in range(8)])
    assert velocity_spread([shaped]) > 6
    assert velocity_spread([]) == 0.0


def test_bass_roots_follow_the_first_note_of_each_bar():
    # C, F, G, C bars; the bass plays root then fifth, except bar 3 starts on its third (B)
    firsts = [36, 41, 47, 36]
    notes = []
    for b, first in enumerate(firsts):
        notes += [(b * BAR, 960, first, 90), (b * BAR + 960, 960, first + 7, 90)]
    track = _track(notes)
    score = _score(track)
    assert bass_root_share(score, track, [0, 5, 7, 0]) == 0.75
    assert bass_root_share(score, track, [0, None, None, 0]) == 1.0
    assert np.isnan(bass_root_share(score, track, [None] * 4))


def swing_ride(bars: int = 4) -> Track:
    """A jazz ride pattern: quarters with the swung "and" of 2 and 4 (a triplet's last third)."""
    notes = []
    for b in range(bars):
        notes += [(b * BAR + beat * 480, 60, 51, 80) for beat in range(4)]
        notes += [(b * BAR + beat * 480 + 320, 60, 51, 60) for beat in (1, 3)]
        notes += [(b * BAR + beat * 480, 60, 44, 70) for beat in (1, 3)]  # hi-hat foot on 2, 4
    return _track(notes, drum=True)


def test_style_features_tell_a_backbeat_from_a_swing_ride():
    """The drum features see what the pitched ones cannot: kit pieces, straight against swung
    onsets, where kick and snare fall; a classifier fitted on them tells the two apart."""
    from symbolic.eval.text2midi import StyleClassifier, drum_features, style_features

    rock, swing = drum_features(_score(rock_beat())), drum_features(_score(swing_ride()))
    assert rock[0] == swing[0] == 1.0
    assert not np.allclose(rock, swing)
    grid = slice(2 + 5 + 1, 2 + 5 + 1 + 12)  # hits in 12ths of a beat
    assert rock[grid][6] > 0 and swing[grid][6] == 0  # straight eighths on the half beat
    assert swing[grid][8] > 0 and rock[grid][8] == 0  # the swung eighth on the triplet's third
    kick = slice(2 + 5 + 1 + 12, 2 + 5 + 1 + 12 + 16)
    assert rock[kick][[0, 8]].all() and not swing[kick].any()
    assert not drum_features(Score(TPQ)).any()
    scores = [_score(rock_beat(b)) for b in range(2, 8)] + [
        _score(swing_ride(b)) for b in range(2, 8)
    ]
    labels = ["rock"] * 6 + ["swing"] * 6
    assert style_features(scores[0]).shape == style_features(Score(TPQ)).shape
    clf = StyleClassifier().fit(scores * 10, labels * 10)  # trees need 20 pieces a leaf
    assert clf.predict([_score(rock_beat(9)), _score(swing_ride(9))]) == ["rock", "swing"]
