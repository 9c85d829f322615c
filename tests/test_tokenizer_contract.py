"""Every tokenizer keeps the one contract (`symbolic.tokenize.base`): it is a `Tokenizer` (the
language-model ones a `SequenceTokenizer`), round-trips a small real input, and its grammar is
a `Grammar` whose masks cover the whole vocabulary."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from symusic import Score

from symbolic.theory.meter import Meter
from symbolic.tokenize import NAMES, get_tokenizer
from symbolic.tokenize.base import Grammar, SequenceTokenizer, Tokenizer
from symbolic.tokenize.lyric import LyricSong, SyllableSlot, syllable_slots

TUNE = """X:1
T:Contract Reel
M:4/4
L:1/8
K:G
|:GABc dedB|dedB dedB|c2ec B2dB|c2A2 A2BA|
GABc dedB|dedB dedB|c2ec B2dB|A2F2 G4:|
"""


@pytest.fixture(scope="module")
def chorale() -> Score:
    """Bach's BWV 66.6 from the music21 corpus, four voices."""
    import music21

    from symbolic.score import from_music21

    return from_music21(music21.corpus.parse("bach/bwv66.6"))


def _slots() -> list[SyllableSlot]:
    """ "twinkle twinkle little star / how I wonder": stress, place in word, line."""
    return syllable_slots(
        stress=[1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 0],
        index_in_word=[0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1],
        word_len=[2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2],
        line_index=[0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
    )


def _song() -> LyricSong:
    onset = np.array([0, 2, 4, 6, 8, 10, 12, 16, 20, 24, 28])
    dur = np.array([2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4])
    pitch = np.array([0, 0, 7, 7, 9, 9, 7, 5, 5, 4, 4])
    return LyricSong(_slots(), onset, dur, pitch, pitch > 6, [(0, False), (5, False)])


def _notes(score: Score) -> list[list[tuple[int, int, int]]]:
    """Per track, the sorted (onset, pitch, duration) of its notes."""
    return [
        sorted(zip(n["time"].tolist(), n["pitch"].tolist(), n["duration"].tolist(), strict=True))
        for n in (t.notes.numpy() for t in score.tracks)
    ]


def _constraints(name: str) -> dict[str, Any]:
    """What each grammar needs to start (only lyric2melody needs something: the syllables)."""
    if name == "lyric2melody":
        return {"slots": _slots(), "weights": Meter(4, 4).weights()}
    return {}


def test_all_four_tokenizers_are_named() -> None:
    assert set(NAMES) == {"remi", "abc", "lyric2melody", "grid"}


@pytest.mark.parametrize("name", NAMES)
def test_is_a_tokenizer_with_a_grammar(name: str) -> None:
    tok = get_tokenizer(name)
    assert isinstance(tok, Tokenizer)
    assert tok.name == name
    assert isinstance(tok, SequenceTokenizer) == (name != "grid")
    assert len(tok.vocab) == tok.vocab_size
    assert sorted(tok.vocab.values()) == list(range(tok.vocab_size))
    grammar = tok.grammar(**_constraints(name))
    assert isinstance(grammar, Grammar)
    mask = grammar.allowed()
    assert mask.dtype == bool and mask.shape == (len(tok.vocab),) and mask.any()
    bias = grammar.bias()
    assert bias is None or bias.shape == (len(tok.vocab),)
    assert grammar.finished is False


@pytest.mark.parametrize("name", ["remi", "abc", "lyric2melody"])
def test_sequence_specials(name: str) -> None:
    tok = get_tokenizer(name)
    specials = (tok.pad_id, tok.bos_id, tok.eos_id)
    assert len(set(specials)) == 3 and all(0 <= i < tok.vocab_size for i in specials)
    assert tok.bar_ids and all(0 <= i < tok.vocab_size for i in tok.bar_ids)
    prefix = tok.prefix(**({"mode": "major"} if name == "lyric2melody" else {}))
    assert prefix[0] == tok.bos_id


def test_remi_round_trip(chorale: Score) -> None:
    tok = get_tokenizer("remi")
    ids = tok.encode(chorale)
    back = tok.decode(ids)  # REMI merges same-program voices: their unisons become one note
    assert back.note_num() == tok.miditok.preprocess_score(chorale.copy()).note_num()
    assert tok.encode(back) == ids


def test_abc_round_trip() -> None:
    tok = get_tokenizer("abc")
    ids = tok.encode(TUNE)
    assert ids[0] == tok.bos_id and ids[-1] == tok.eos_id
    text = tok.decode(ids)
    assert text == tok.normalize(TUNE)
    assert tok.encode(text) == ids


def test_lyric_round_trip() -> None:
    tok = get_tokenizer("lyric2melody")
    song = _song()
    timeline = tok.decode(tok.encode(song))
    assert timeline.onset == song.onset16.tolist()
    assert timeline.duration == song.dur16.tolist()
    assert timeline.pitch == song.pitch.tolist()
    assert timeline.skeleton == song.skeleton.astype(int).tolist()
    assert timeline.chords == list(song.chords)


def test_grid_round_trip(chorale: Score) -> None:
    from symbolic.tokenize.grid import quantize

    tok = get_tokenizer("grid")
    grid = tok.encode(chorale)
    assert grid.rows == 4
    assert _notes(tok.decode(grid)) == _notes(quantize(chorale))


def test_grid_grammar_walks_a_real_grid(chorale: Score) -> None:
    """Every slot of the chorale's grid, read as flat ids, is one the grid grammar allows."""
    tok = get_tokenizer("grid")
    grid = tok.encode(chorale)
    cells = np.stack([grid.pitch, grid.duration, grid.velocity], -1).reshape(-1, 3)
    offsets = [tok.offsets[f] for f in ("pitch", "duration", "velocity")]
    flat = (cells[:400] + offsets).ravel()
    grammar = tok.grammar()
    for idx in flat:
        assert grammar.allowed()[idx], tok.id_to_token[idx]
        grammar.advance(int(idx))
    assert not grammar.allowed()[tok.vocab["Pitch_mask"]]


def test_lyric_grammar_forces_the_syllables() -> None:
    """The lyric grammar from the contract's `grammar(**constraints)` forces the lyric tokens
    and, after a line's first token, offers exactly the line's bar plans."""
    tok = get_tokenizer("lyric2melody")
    slots = _slots()
    grammar = tok.grammar(slots=slots, weights=Meter(4, 4).weights())
    first = tok.condition_ids(slots[0], bars=2)
    for idx in first:
        allowed = np.flatnonzero(grammar.allowed()).tolist()
        if tok.kinds[idx][0] == "bars":
            assert allowed == sorted(tok.class_ids["bars"])
        else:
            assert allowed == [idx]
        grammar.advance(idx)
