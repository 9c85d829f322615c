"""ABC tokenizer: exact round trip over the folk corpora, music kept, sampler grammar, bad input."""

from __future__ import annotations

import random
import re
from fractions import Fraction
from functools import cache

import numpy as np
import pytest

from symbolic.data.abc_corpus import COLLECTIONS, AbcTune, iter_tunes
from symbolic.errors import SymgenError
from symbolic.paths import data_root
from symbolic.tokenize.abc import AbcTokenizer, load_abc_tokenizer

NOTTINGHAM = data_root() / "nottingham" / "abc"

# Tunes the tokenizer rejects, each because the source itself is broken. All five are Essen
# transcriptions with "K: H"/garbled lines in which digits ran into note lengths ("d24", "c22",
# "G62"): lengths of 22 or 62 units in a 4/4 bar are not music, so SymgenError is the answer.
EXCLUDED: dict[str, str] = {
    "essen/dva0/27": "garbled digits in note lengths (c22)",
    "essen/folkHaydn/13": "garbled digits in note lengths (22)",
    "essen/han2/374": "garbled digits in note lengths (62), K: H",
    "essen/han2/445": "garbled digits in note lengths (22), K: H",
    "essen/lot/107": "garbled digits in note lengths (22)",
}

# Left out of the music-kept comparison, because music21 misreads the source, not normalize():
# - quoted annotations containing > or < ("^>" accents, ">"): music21 applies them as broken
#   rhythm; normalize() drops annotations, so music21 reads the normalized text correctly.
# - ryan/HeadlightJig/1 has the typo "^3^FGA" (a sharp before a tuplet number) that music21
#   turns into F##; normalize() drops the stray sharp.
MUSIC_SKIP_IDS = {"ryan/HeadlightJig/1"}
_QUOTED_ANGLE = re.compile(r'"[^"\n]*[<>][^"\n]*"')


@pytest.fixture(scope="module")
def tok() -> AbcTokenizer:
    return load_abc_tokenizer()


@cache
def _tunes(collection: str) -> tuple[AbcTune, ...]:
    return tuple(iter_tunes(collection))


def _skip_if_absent(collection: str) -> None:
    if collection == "nottingham" and not NOTTINGHAM.is_dir():
        pytest.skip(f"Nottingham ABC files not found in {NOTTINGHAM} (set SYMGEN_DATA)")


# ---------------------------------------------------------------------- corpus reader
@pytest.mark.parametrize("collection", COLLECTIONS)
def test_corpus_reader(collection: str) -> None:
    _skip_if_absent(collection)
    tunes = _tunes(collection)
    assert len(tunes) > 900
    assert len({t.id for t in tunes}) == len(tunes)
    assert all(t.id.startswith(f"{collection}/") and t.text.startswith("X:") for t in tunes)
    assert all("file" in t.meta for t in tunes)
    if collection == "nottingham":
        rhythms = {t.meta.get("rhythm") for t in tunes}
        assert {"jig", "reel", "hornpipe", "waltz"} <= rhythms
    if collection in ("oneill", "ryan"):
        assert sum(t.meta.get("rhythm") == "reel" for t in tunes) > 200


def test_corpus_reader_unknown_collection() -> None:
    with pytest.raises(SymgenError):
        list(iter_tunes("nope"))


# ---------------------------------------------------------------------- vocabulary
def test_vocabulary_is_fixed(tok: AbcTokenizer) -> None:
    again = AbcTokenizer.from_spec()
    assert again.id_to_token == tok.id_to_token
    assert (tok.pad_id, tok.bos_id, tok.eos_id, tok.vocab["<body>"]) == (0, 1, 2, 3)
    assert 300 < tok.vocab_size < 700
    assert len(set(tok.id_to_token)) == tok.vocab_size
    assert all(tok.vocab[t] == i for i, t in enumerate(tok.id_to_token))


def test_save_load(tok: AbcTokenizer, tmp_path) -> None:
    path = tmp_path / "abc_tokenizer.json"
    tok.save(path)
    assert AbcTokenizer.load(path).id_to_token == tok.id_to_token


# ---------------------------------------------------------------------- round trip
@pytest.mark.parametrize("collection", COLLECTIONS)
def test_round_trip_corpus(tok: AbcTokenizer, collection: str) -> None:
    """decode(encode(normalize(x))) == normalize(x), and normalize(normalize(x)) == normalize(x).

    ``normalize`` is ``detokenize(tokenize(.))``, so ``detokenize(tokenize(y)) == y`` below is
    the idempotence check.
    """
    _skip_if_absent(collection)
    failures = []
    for tune in _tunes(collection):
        if tune.id in EXCLUDED:
            with pytest.raises(SymgenError):
                tok.normalize(tune.text)
            continue
        y = tok.normalize(tune.text)
        tokens = tok.tokenize(y)
        ids = [tok.bos_id, *(tok.vocab[t] for t in tokens), tok.eos_id]
        if tok.decode(ids) != y or tok.detokenize(tokens) != y:
            failures.append((tune.id, "round trip or idempotence broken"))
    assert not failures, failures[:5]


def test_encode_decode_and_idempotence_small(tok: AbcTokenizer) -> None:
    tune = _tunes("oneill")[2]
    y = tok.normalize(tune.text)
    assert tok.normalize(y) == y
    assert tok.decode(tok.encode(tune.text)) == y
    assert tok.encode(y)[0] == tok.bos_id and tok.encode(y)[-1] == tok.eos_id


def _notes(text: str) -> list[tuple]:
    from music21 import converter, harmony

    score = converter.parse(text, format="abc")
    out = []
    for n in score.flatten().notesAndRests:
        if isinstance(n, harmony.Harmony):
            continue
        pitch = "r" if n.isRest else tuple(sorted(p.nameWithOctave for p in n.pitches))
        out.append((pitch, Fraction(n.quarterLength).limit_denominator(96)))
    return out


def test_normalize_keeps_the_music(tok: AbcTokenizer) -> None:
    rng = random.Random(7)
    checked = 0
    for collection in COLLECTIONS:
        if collection == "nottingham" and not NOTTINGHAM.is_dir():
            continue
        pool = [
            t
            for t in _tunes(collection)
            if t.id not in EXCLUDED
            and t.id not in MUSIC_SKIP_IDS
            and not _QUOTED_ANGLE.search(t.text)
        ]
        for tune in rng.sample(pool, 25):
            assert _notes(tok.normalize(tune.text)) == _notes(tune.text), tune.id
            checked += 1
    assert checked >= 75


# ---------------------------------------------------------------------- normalization rules
def test_normalize_canonical_form(tok: AbcTokenizer) -> None:
    text = (
        "X: 12\nT:Some Tune\nN:a note\nR:Reel\nM:C|\nK:Ador\n"
        '% a comment\n|:"Am"A2 (3Bcd  e2 "^SEGUE"e>f | g4 [CEG]2 {g}a2 :|\\\n'
        "[K:G] |1 d4 z4 :|2 d8 |]\n"
    )
    y = tok.normalize(text)
    assert y.startswith("X:1\nM:C|\nL:1/8\nR:reel\nK:Ador\n")
    assert "T:" not in y and "%" not in y and "SEGUE" not in y
    assert '"Am"A2 (3Bcd e2 e>f|' in y
    assert "\nK:G\n|[1d4 z4:|[2d8|]\n" in y


def test_default_unit_length(tok: AbcTokenizer) -> None:
    assert "L:1/16" in tok.normalize("X:1\nM:2/4\nK:G\nABcd|\n")
    assert "L:1/8" in tok.normalize("X:1\nM:3/4\nK:G\nABcd|\n")
    assert "L:1/8" in tok.normalize("X:1\nK:G\nABcd|\n")
    assert "L:1/4" in tok.normalize("X:1\nM:2/4\nL:1/4\nK:G\nAB|\n")


def test_prefix(tok: AbcTokenizer) -> None:
    ids = tok.prefix("M:6/8\nK:D\nR:jig")
    assert [tok.id_to_token[i] for i in ids] == [
        "<bos>",
        "M:6/8",
        "L:1/8",
        "R:jig",
        "K:D",
        "<body>",
    ]
    tokens = [tok.id_to_token[i] for i in tok.prefix("M:2/4")]
    assert "L:1/16" in tokens and "K:C" in tokens


def test_unseen_values(tok: AbcTokenizer) -> None:
    with pytest.raises(SymgenError, match="meter"):
        tok.normalize("X:1\nM:13/8\nK:C\nABc|\n")
    y = tok.normalize("X:1\nM:3/4\nR:Liebes - Lied\nK:Ddor ^c\nABc|\n")
    assert "R:" not in y and "K:Ddor\n" in y
    assert '"Cm7"' not in tok.normalize('X:1\nK:C\n"Cxyz"ABc|\n')


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "text",
    [
        "hello world, this is not music",
        "X:1\nT:no key\nabc|\n",
        "X:1\nK:C\n\n",
        "X:1\nK:C\n@@@ ### $$$ ;;; &&& ??? @@@ ### $$$ ;;; a\n",
        "X:1\nK:C\nc99|\n",
    ],
)
def test_bad_input_raises(tok: AbcTokenizer, text: str) -> None:
    with pytest.raises(SymgenError):
        tok.encode(text)


def test_bad_ids_raise(tok: AbcTokenizer) -> None:
    with pytest.raises(SymgenError):
        tok.decode([tok.vocab_size + 5])


# ---------------------------------------------------------------------- grammar
def _sample(tok: AbcTokenizer, rng: np.random.Generator, prompt=None, **kw) -> tuple[list, object]:
    g = tok.grammar(max_body_tokens=160, **kw)
    ids = list(prompt or [])
    g.feed(ids)
    while not g.finished and len(ids) < 400:
        allowed = np.flatnonzero(g.allowed())
        assert allowed.size > 0
        i = int(rng.choice(allowed))
        ids.append(i)
        g.advance(i)
    return ids, g


def _bar_check(tok: AbcTokenizer, tokens: list[str]) -> list[str]:
    """Independent bar arithmetic: every bar ended by | or |: is full, except the first."""
    cls = tok.token_class
    meter = next((t[2:] for t in tokens if cls[t] == "meter"), "none")
    unit = next(Fraction(t[2:]) for t in tokens if cls[t] == "unit")
    if meter == "none":
        return []
    bar = Fraction(1) if meter in ("C", "C|") else Fraction(meter)
    body = tokens[tokens.index("<body>") + 1 :]
    problems, t, first = [], Fraction(0), True
    tup_left, tup_mult, broken, prev_len = 0, Fraction(1), None, Fraction(0)
    depth_chord = depth_grace = 0
    note: Fraction | None = None

    def close_note() -> None:
        nonlocal note, t, tup_left, broken, prev_len
        if note is None:
            return
        length = note * unit
        mult = tup_mult if tup_left else Fraction(1)
        if broken:
            mult *= Fraction(1, 2) if broken == ">" else Fraction(3, 2)
            broken = None
        t += length * mult
        prev_len = length * mult
        if tup_left:
            tup_left -= 1
        note = None

    for x in body:
        c = cls[x]
        if c == "numerator" and note is not None:
            note *= int(x)
            continue
        if c == "denominator" and note is not None:
            note /= int(x[1:])
            continue
        if depth_grace and c in ("pitch", "accidental", "grace"):
            depth_grace = 0 if x == "}" else depth_grace
            continue
        if depth_chord and c in ("pitch", "accidental"):
            continue
        close_note()
        if c == "grace":
            depth_grace = 1 if x != "}" else 0
        elif c == "chord":
            if x == "[":
                depth_chord = 1
            else:
                depth_chord = 0
                note = Fraction(1)
        elif c in ("pitch", "rest"):
            note = Fraction(1)
        elif c == "tuplet":
            p = int(x[1:])
            tup_left, tup_mult = p, Fraction({2: 3, 3: 2, 4: 3}[p], p)
        elif c == "broken":
            # the previous note becomes 3/2 (or 1/2) of itself
            t += prev_len / 2 if x == ">" else -prev_len / 2
            broken = x
        elif c == "bar":
            if t > bar:
                problems.append(f"bar over full: {t} > {bar}")
            if x in ("|", "|:") and t != bar and not (first and t > 0) and t != 0:
                problems.append(f"short bar {t} < {bar} before {x}")
            if t > 0:
                first = False
            t = Fraction(0)
    return problems


def test_grammar_random_sequences_parse_and_fill_bars(tok: AbcTokenizer) -> None:
    from music21 import converter

    rng = np.random.default_rng(0)
    closers = {"||", "|]", ":|"}
    for _ in range(200):
        ids, g = _sample(tok, rng)
        assert g.finished and ids[-1] == tok.eos_id
        tokens = [tok.id_to_token[i] for i in ids]
        assert tokens[-2] in closers
        assert tokens.count("[") == tokens.count("]")
        assert tokens.count("{") + tokens.count("{/") == tokens.count("}")
        assert tokens.count("(") == tokens.count(")")
        text = tok.decode(ids)
        assert _bar_check(tok, tokens) == [], text
        converter.parse(text, format="abc")


def test_grammar_constraints_and_prompt(tok: AbcTokenizer) -> None:
    rng = np.random.default_rng(1)
    for _ in range(5):
        ids, g = _sample(tok, rng, meter="6/8", key="D")
        tokens = [tok.id_to_token[i] for i in ids]
        assert "M:6/8" in tokens and "K:D" in tokens
        assert _bar_check(tok, tokens) == []
    prompt = tok.prefix("M:3/4\nK:G\nR:waltz")
    ids, g = _sample(tok, rng, prompt=prompt)
    assert ids[: len(prompt)] == prompt and g.finished
    assert _bar_check(tok, [tok.id_to_token[i] for i in ids]) == []


def test_grammar_masks_overflowing_lengths(tok: AbcTokenizer) -> None:
    g = tok.grammar()
    g.feed(tok.prefix("M:3/4\nL:1/8\nK:C"))
    for t in ["c", "4"]:  # c4: four of six eighths used
        assert g.allowed()[tok.vocab[t]]
        g.advance(tok.vocab[t])
    g.advance(tok.vocab["d"])
    mask = g.allowed()
    assert not mask[tok.vocab["4"]] and not mask[tok.vocab["5"]]
    assert mask[tok.vocab["2"]] and not mask[tok.vocab["<eos>"]]
    g.advance(tok.vocab["3"])  # d3 would overflow: only d3/2 (or d3/4 ...) may follow
    mask = g.allowed()
    assert mask[tok.vocab["/2"]] and not mask[tok.vocab[" "]]
    assert not mask[tok.vocab["|"]]


def test_grammar_is_fast(tok: AbcTokenizer) -> None:
    import time

    rng = np.random.default_rng(2)
    g = tok.grammar()
    n, start = 0, time.perf_counter()
    while not g.finished and n < 300:
        i = int(rng.choice(np.flatnonzero(g.allowed())))
        g.advance(i)
        n += 1
    per_call = (time.perf_counter() - start) / n
    assert per_call < 1e-3  # measured ~70 us on a shared 2-core machine
