"""REMI round trip over real music: the notes, tempos and meters that miditok's own
preprocessing keeps come back from `decode(encode(score))`, and the sampling grammar accepts
every real token sequence.

Sources: every Bach chorale in music21's corpus (converted once with `from_music21`, cached in
pytest's cache folder) and every Nottingham MIDI file. Exclusions (justified):
- `.rntxt` files under music21's `bach/` are Roman-numeral analyses, not scores: no notes.
No chorale or Nottingham file is excluded otherwise.

Parsing ~410 chorales with music21 takes several minutes on one core, so the full chorale set
is marked slow; a fixed sample of chorales runs in the default suite.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from pathlib import Path

import music21
import numpy as np
import pytest
from symusic import Score

from symbolic.paths import data_root
from symbolic.score import from_music21
from symbolic.tokenize import get_tokenizer
from symbolic.tokenize.remi import RemiTokenizer

CHORALES = sorted(
    (p for p in music21.corpus.getComposer("bach") if p.suffix != ".rntxt"), key=lambda p: p.name
)
FAST_CHORALES = CHORALES[::40]
NOTTINGHAM = data_root() / "nottingham" / "midi"
NOTTINGHAM_FILES = sorted(NOTTINGHAM.glob("*.mid")) if NOTTINGHAM.is_dir() else []
BAND = data_root() / "band"
BAND_FILES = sorted(BAND.glob("*/*.mid"))[::4] if BAND.is_dir() else []
GROOVE = data_root() / "groove" / "midi"
GROOVE_FILES = sorted(GROOVE.glob("*/*/*.mid"))[::50] if GROOVE.is_dir() else []


@pytest.fixture(scope="session")
def tok():
    return get_tokenizer("remi")


@pytest.fixture(scope="session")
def chorale_midi(request: pytest.FixtureRequest):
    """MIDI bytes of a chorale, converted once and kept in pytest's cache between runs."""
    folder = Path(request.config.cache.mkdir("chorale_midi"))

    def get(path: Path) -> bytes:
        cached = folder / f"{path.name}.mid"
        if not cached.exists():
            cached.write_bytes(from_music21(music21.corpus.parse(path)).dumps_midi())
        return cached.read_bytes()

    return get


def _notes(score: Score, drum_durations: bool = True) -> np.ndarray:
    """Sorted (program, pitch, onset, duration, velocity) rows; times in 1/tpq-free units.
    Without `drum_durations` a drum row's duration is 0 (a tokenizer that does not encode it
    gives every hit miditok's default length, a 16th of the meter's beat)."""
    rows = []
    for track in score.tracks:
        arr = track.notes.numpy()
        program = -1 if track.is_drum else int(track.program)
        scale = 960 // score.tpq  # both 12 and 24 tpq divide 960
        rows.append(
            np.stack(
                [
                    np.full(len(arr["time"]), program),
                    arr["pitch"].astype(np.int64),
                    arr["time"].astype(np.int64) * scale,
                    arr["duration"].astype(np.int64) * scale,
                    arr["velocity"].astype(np.int64),
                ],
                1,
            )
        )
    out = np.concatenate(rows) if rows else np.zeros((0, 5), dtype=np.int64)
    if not drum_durations:
        out[out[:, 0] == -1, 3] = 0
    return out[np.lexsort(out.T[::-1])]


def _check_round_trip(tok, score: Score) -> None:
    ref = tok.miditok.preprocess_score(tok.prepare(score).copy())
    ids = tok.encode(score)
    dec = tok.decode(ids)
    np.testing.assert_array_equal(_notes(dec, tok.drum_durations), _notes(ref, tok.drum_durations))

    def when(t: int, s: Score) -> Fraction:
        return Fraction(t, s.tpq)

    tempos = [(when(t.time, ref), t.qpm) for t in ref.tempos]
    back = [(when(t.time, dec), t.qpm) for t in dec.tempos]
    assert [t for t, _ in back] == [t for t, _ in tempos]
    np.testing.assert_allclose([q for _, q in back], [q for _, q in tempos], rtol=1e-4)
    meters = [(when(s.time, ref), s.numerator, s.denominator) for s in ref.time_signatures]
    assert [(when(s.time, dec), s.numerator, s.denominator) for s in dec.time_signatures] == meters
    grammar = tok.grammar(role_limits=False)  # the role limits leave out 1-1.5% of band onsets
    grammar.feed(tok.prefix())
    for i in [*ids, tok.eos_id]:
        assert grammar.allowed()[i], f"grammar refuses {tok.id_to_token[i]}"
        grammar.advance(i)


@pytest.mark.parametrize("path", FAST_CHORALES, ids=lambda p: p.name)
def test_remi_round_trip_chorale_sample(tok, chorale_midi, path: Path) -> None:
    _check_round_trip(tok, Score.from_midi(chorale_midi(path)))


@pytest.mark.slow
@pytest.mark.parametrize("path", CHORALES, ids=lambda p: p.name)
def test_remi_round_trip_every_chorale(tok, chorale_midi, path: Path) -> None:
    _check_round_trip(tok, Score.from_midi(chorale_midi(path)))


@pytest.mark.skipif(not NOTTINGHAM_FILES, reason=f"Nottingham MIDI not found in {NOTTINGHAM}")
@pytest.mark.parametrize("path", NOTTINGHAM_FILES or [None], ids=lambda p: p.name if p else "none")
def test_remi_round_trip_nottingham(tok, path: Path) -> None:
    _check_round_trip(tok, Score.from_file(str(path)))


@pytest.mark.parametrize("path", BAND_FILES + GROOVE_FILES, ids=lambda p: p.name)
def test_remi_round_trip_band_and_drums(tok, path: Path) -> None:
    """Band arrangements and drum performances: drums and velocities (in 8 bins) come back,
    drum hits at most a 16th long."""
    from symbolic.score import load

    score = load(path)
    assert tok.has_velocity
    _check_round_trip(tok, score)
    ids = tok.encode(score)
    drums = [t for t in tok.decode(ids).tracks if t.is_drum]
    if any(t.is_drum and t.note_num() for t in score.tracks):
        assert drums
        durations = drums[0].notes.numpy()["duration"]
        assert durations.min() > 0 and durations.max() <= tok.decode(ids).tpq // 4


@pytest.mark.parametrize("path", BAND_FILES[:4], ids=lambda p: p.name)
def test_compact_stream_is_shorter_and_every_bar_names_its_instruments(tok, path: Path) -> None:
    """No repeated Program inside a bar and no drum Duration: fewer tokens, and a window cut at
    any Bar (as training and sampling cut them) decodes to the same instruments and notes."""
    from symbolic.score import load

    assert tok.compact and not tok.drum_durations
    score = load(path)
    ids = np.array(tok.encode(score))
    config = {k: v for k, v in tok.spec["config"].items() if "duration" not in k}
    verbose = RemiTokenizer({**tok.spec, "config": config, "compact_programs": False})
    assert len(ids) < 0.92 * len(verbose.encode(score))
    bars = np.flatnonzero(ids == tok.vocab["Bar_None"])

    def heard(part: np.ndarray) -> Counter:  # (program, pitch, velocity) of each note
        return Counter(map(tuple, _notes(tok.decode(part), drum_durations=False)[:, [0, 1, 4]]))

    for start, end in zip(bars[1::7], bars[8::7], strict=False):
        assert heard(ids[start:end]) == heard(ids[:end]) - heard(ids[:start])
