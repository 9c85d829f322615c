"""Lyrics → syllables and stress (lyrics here are written for these tests)."""

from __future__ import annotations

import time

import pytest

from symbolic.errors import SymgenError
from symbolic.lyrics import number_to_words, parse_lyrics, spell_number_token

VERSE = """Paper boats are sailing down the gutter,
morning light is climbing up the wall;

Somewhere in the city someone whistles —
hold the door, I'm coming after all!"""


def _words(lyrics):
    return [
        (w.text, [s.text for s in w.syllables], [s.stress for s in w.syllables])
        for w in lyrics.words
    ]


def test_verse_structure_and_stress():
    lyr = parse_lyrics(VERSE)
    assert [line.stanza_index for line in lyr.lines] == [0, 0, 1, 1]
    assert [line.is_stanza_end for line in lyr.lines] == [False, True, False, True]
    words = {w: (pieces, stress) for w, pieces, stress in _words(lyr)}
    assert words["Paper"] == (["Pa", "per"], [1, 0])
    assert words["sailing"][1] == [1, 0]
    assert words["gutter"][1] == [1, 0]
    assert words["the"][1] == [0]  # function word
    assert words["Somewhere"][1] == [1, 2]
    assert words["city"][1] == [1, 0]
    syl = lyr.syllables
    assert len(lyr) == len(syl) == sum(len(w.syllables) for w in lyr.words)
    assert "".join(s.text for s in syl if s.line_index == 0) == "Paperboatsaresailingdownthegutter"
    line_ends = [s for s in syl if s.is_line_end]
    assert [s.line_index for s in line_ends] == [0, 1, 2, 3]
    assert all(s.is_phrase_end for s in line_ends)
    # the comma after "door" ends a phrase inside the last line
    door = next(w for w in lyr.words if w.text == "door")
    assert door.syllables[-1].is_phrase_end and not door.syllables[-1].is_line_end
    assert [s.is_stanza_end for s in line_ends] == [False, True, False, True]
    first = syl[0]
    assert (first.word_index, first.index_in_word, first.word_len) == (0, 0, 2)
    assert syl[1].is_word_end and not first.is_word_end


def test_numbers():
    assert number_to_words(0) == "zero"
    assert number_to_words(21) == "twenty-one"
    assert number_to_words(1000001) == "one million one"
    assert spell_number_token("1999") == "nineteen ninety-nine"
    assert spell_number_token("2005") == "two thousand five"
    assert spell_number_token("1900") == "nineteen hundred"
    assert spell_number_token("21st") == "twenty-first"
    assert spell_number_token("3rd") == "third"
    assert spell_number_token("12th") == "twelfth"
    assert spell_number_token("80s") == "eighties"
    lyr = parse_lyrics("We met in 1999 on the 21st, 3 times, 1,500 miles and 2.5 days")
    texts = [w.text for w in lyr.words]
    assert texts[3:6] == ["nineteen", "ninety", "nine"]
    assert {w.token for w in lyr.words[3:6]} == {"1999"}
    assert "first" in texts and "three" in texts and "hundred" in texts
    assert texts[-4:] == ["two", "point", "five", "days"]


def test_contractions():
    lyr = parse_lyrics("Don't you know I'm fine, y'all? We couldn't stop the rock'n'roll")
    words = {w: (pieces, stress) for w, pieces, stress in _words(lyr)}
    assert words["Don't"] == (["Don't"], [1])
    assert words["I'm"] == (["I'm"], [1])
    assert words["y'all"] == (["y'all"], [1])
    assert words["couldn't"] == (["could", "n't"], [1, 0])
    assert words["rock'n'roll"][0] == ["rock", "'n'", "roll"]
    assert all(w.in_dictionary for w in lyr.words)


def test_hyphenated_words_split_into_parts():
    lyr = parse_lyrics("a well-known sing-along")
    assert [w.text for w in lyr.words] == ["a", "well", "known", "sing", "along"]
    assert lyr.words[1].token == lyr.words[2].token == "well-known"
    assert lyr.words[1].token_index == lyr.words[2].token_index == 1
    assert [s.stress for s in lyr.words[4].syllables] == [0, 1]


def test_unknown_words():
    lyr = parse_lyrics("blorfing zandwickle snarked")
    words = {w: (pieces, stress) for w, pieces, stress in _words(lyr)}
    assert words["blorfing"] == (["blorf", "ing"], [1, 0])
    assert len(words["zandwickle"][1]) == 3 and words["zandwickle"][1][0] == 1
    assert words["snarked"] == (["snarked"], [1])
    assert not any(w.in_dictionary for w in lyr.words)


def test_non_ascii_and_stray_symbols():
    lyr = parse_lyrics("Café au lait, naïve!! 🎸🎶 ... (über) * & #")
    words = {w: (pieces, stress) for w, pieces, stress in _words(lyr)}
    assert words["Café"] == (["Ca", "fé"], [0, 1])
    assert "".join(words["naïve"][0]) == "naïve" and len(words["naïve"][0]) == 2
    assert "".join(words["über"][0]) == "über"
    assert [w.text for w in lyr.words] == ["Café", "au", "lait", "naïve", "über"]


def test_every_syllable_has_text():
    lyr = parse_lyrics("TV idea every fire hour beautiful")
    assert all(s.text for s in lyr.syllables)
    for w in lyr.words:
        assert "".join(s.text for s in w.syllables).replace("~", "") == w.text


@pytest.mark.parametrize("text", ["", "   \n\n  ", "🎸 🎶 !!! ..."])
def test_empty_text_is_a_plain_error(text):
    with pytest.raises(SymgenError, match="no words"):
        parse_lyrics(text)


def test_long_input_is_fast():
    parse_lyrics("warm up the dictionary")  # loading CMU once takes about a second
    base = (
        "Tangerine umbrellas drift along the harbor, 42 gulls are circling home;\n"
        "quiet engines whisper under copper bridges, glimmering and slow.\n\n"
    )
    text = "".join(f"{base.strip()} verse {i}!\n" for i in range(200))[:5000]
    t = time.perf_counter()
    lyr = parse_lyrics(text)
    assert time.perf_counter() - t < 0.5
    assert len(lyr) > 1000


@pytest.mark.parametrize(
    "language, text, sung",
    [
        ("fr", "Frère Jacques, dormez-vous? Sonnez les matines",
         "Frè-re Jac-ques dor-mez vous Son-nez les ma-ti-nes"),
        ("de", "Müde bin ich, geh zur Ruh, schließe beide Äuglein zu",
         "Mü-de bin ich geh zur Ruh schlie-ße bei-de Äug-lein zu"),
        ("es", "Cumpleaños feliz, señorita", "Cum-plea-ños fe-liz se-ño-ri-ta"),
        ("it", "Nel blu dipinto di blu, felice", "Nel blu di-pin-to di blu fe-li-ce"),
    ],
)  # fmt: skip
def test_other_languages_keep_every_word_and_syllable(language, text, sung) -> None:
    lyrics = parse_lyrics(text, language)
    got = " ".join(s.text + ("" if s.is_word_end else "-") for s in lyrics.syllables).replace(
        "- ", "-"
    )
    assert got == sung


@pytest.mark.parametrize(
    "language, word, stressed",
    [("de", "Äuglein", 0), ("de", "Verstand", 1), ("fr", "matines", 1), ("fr", "dormez", 1),
     ("es", "canción", 1), ("es", "señorita", 2), ("es", "feliz", 1), ("it", "città", 1),
     ("it", "felice", 1)],
)  # fmt: skip
def test_stress_follows_the_languages_rule(language, word, stressed) -> None:
    stresses = [s.stress for s in parse_lyrics(word, language).syllables]
    assert stresses.index(1) == stressed and stresses.count(1) == 1


def test_an_unknown_language_is_a_plain_error() -> None:
    with pytest.raises(SymgenError, match="choose one of en, de, fr, es, it"):
        parse_lyrics("hola", "xx")
