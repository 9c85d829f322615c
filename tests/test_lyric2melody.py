"""lyric2melody: tokens and grammar, then `symgen lyric2melody` end to end on our own lyrics."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from symbolic.cli import main
from symbolic.lyrics import parse_lyrics
from symbolic.tasks.lyric2melody import lyric_slots
from symbolic.theory.meter import Meter
from symbolic.tokenize.lyric import (
    EXTRA_BARS,
    PITCH_SPAN,
    LyricGrammar,
    LyricSong,
    load_lyric_tokenizer,
)

VERSE = """Under the lantern the river is slow,
paper boats drifting wherever they go.
Count every window and call out the light,
somebody's singing it into the night."""
SHORT = "Rain on the rooftop, humming along"


@pytest.fixture(scope="module")
def tok():
    return load_lyric_tokenizer()


def test_encode_decode_round_trip(tok) -> None:
    slots = lyric_slots(parse_lyrics("hello little star\nshine on"))
    onset = np.array([0, 4, 8, 10, 12, 20, 24])
    dur = np.array([4, 4, 2, 2, 8, 4, 12])
    pitch = np.array([0, 2, 4, 5, 7, 4, 0])
    chords = [(0, False), (7, False)]
    body = tok.encode(LyricSong(slots, onset, dur, pitch, pitch > 3, chords))
    assert tok.prefix("major") == [tok.bos_id, tok.id("mode", "major"), tok.id("meter", "4/4")]
    timeline = tok.decode(body)
    assert timeline.onset == onset.tolist()
    assert timeline.duration == dur.tolist()
    assert timeline.pitch == pitch.tolist()
    assert timeline.chords == chords
    assert body.count(tok.id("line", 5)) == 1 and body.count(tok.id("line", 2)) == 1
    plans = [tok.tokens[i] for i in body if tok.kinds[i][0] == "bars"]
    assert plans == ["Bars_1", "Bars_2"]  # bar 0, then bars 1-2 (the last note ends in bar 2)
    assert (timeline.line_start, timeline.plan_end) == (1, 3)


@pytest.mark.parametrize("keep_plan", [True, False])
def test_lines_keep_their_planned_bars(tok, keep_plan: bool) -> None:
    """Whatever the model picks, a line's first note starts in its planned first bar and its
    other notes before the next line's, unless the notes so far make that impossible."""
    slots = lyric_slots(parse_lyrics(VERSE))
    bar = 16
    broken = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        grammar = LyricGrammar(tok, slots, Meter(4, 4).weights(), keep_plan=keep_plan)
        plans = []
        while not grammar.finished:
            phase = grammar.phase
            grammar.advance(int(rng.choice(np.flatnonzero(grammar.allowed()))))
            if phase == "bars":  # (first note, planned bars, end of the notes before)
                t = grammar.timeline
                plans.append((len(t.onset), t.line_start, t.plan_end, t.end))
        t = grammar.timeline
        onsets, ends = np.array(t.onset), np.array(t.onset) + np.array(t.duration)
        starts = [p[0] for p in plans] + [len(onsets)]
        for (first, start, end_bar, prev_end), stop in zip(plans, starts[1:], strict=True):
            if onsets[first] // bar != start and start <= prev_end // bar + EXTRA_BARS:
                broken += 1
            for k in range(first + 1, stop):
                broken += onsets[k] // bar >= end_bar and ends[k - 1] < end_bar * bar
    assert (broken == 0) == keep_plan


def test_plan_temperature_only_at_a_lines_bars(tok) -> None:
    """The grammar asks for its plan temperature exactly when a line's Bars_k comes next."""
    grammar = LyricGrammar(
        tok, lyric_slots(parse_lyrics(VERSE)), Meter(3, 4).weights(), plan_temperature=0.25
    )
    rng = np.random.default_rng(0)
    asked = []
    while not grammar.finished:
        asked.append((grammar.phase, grammar.temperature()))
        grammar.advance(int(rng.choice(np.flatnonzero(grammar.allowed()))))
    assert {t for phase, t in asked if phase == "bars"} == {0.25}
    assert {t for phase, t in asked if phase != "bars"} == {None}
    assert sum(phase == "bars" for phase, _ in asked) == VERSE.count("\n") + 1


def test_plan_prior_pulls_the_song_back_to_its_rate(tok) -> None:
    """After a line that took far more bars than its syllables need, the prior favours
    shorter plans for the next line than that line's own share, and none after one on rate."""
    slots = lyric_slots(parse_lyrics(VERSE))
    rate = 3.0
    bars_ids = tok.class_ids["bars"]

    def favoured_second_plan(first: int) -> tuple[int, float]:
        grammar = LyricGrammar(tok, slots, Meter(4, 4).weights(), plan_rate=rate, plan_prior=1.0)
        lines = 0
        while True:
            if grammar.phase == "bars":
                lines += 1
                if lines == 2:
                    best = bars_ids[int(np.argmax(grammar.bias()[bars_ids]))]
                    own = (grammar._line_ends[grammar.k] - grammar.k) / rate
                    return tok.kinds[best][1], own
                grammar.advance(tok.id("bars", first))
            else:
                grammar.advance(int(np.flatnonzero(grammar.allowed())[0]))

    first_line = next(i for i, s in enumerate(slots[1:], 1) if s.line_start)
    on_rate, own = favoured_second_plan(round(first_line / rate))
    overran, _ = favoured_second_plan(8)
    assert abs(on_rate - own) <= 1
    assert overran < on_rate and overran <= own / 2 + 1


def test_training_record_of_a_made_up_song(tok) -> None:
    """The shard builder's view of a lyrics_melody record: lines, stress, one note each."""
    from symbolic.data.lyric_shards import song_tokens

    song = {
        "id": "made-up",
        "lines": [
            [
                {
                    "word": "paper",
                    "syllables": ["pa", "per"],
                    "notes": [[67, 1, 0.5], [69, 0.5, 0]],
                },
                {"word": "boats", "syllables": ["boats"], "notes": [[71, 2, 0]]},
            ],
            [{"word": "sailing", "syllables": ["sail", "ing"], "notes": [[72, 1, 1], [71, 1, 0]]}],
        ],
    }
    prefix, body, meta = song_tokens(tok, song)
    assert meta["id"] == "lyrics_melody/made-up" and meta["syllables"] == 5
    timeline = tok.decode(body)
    assert np.diff(timeline.pitch).tolist() == [2, 2, 1, -1]
    assert np.diff(timeline.onset).tolist()[:2] == [4, 2]  # 16ths within the first line
    names = [tok.tokens[i] for i in body if tok.kinds[i][0] in ("line", "syl")]
    assert names == ["Line_3", "Syl_1b", "Syl_0e", "Syl_1sE", "Line_2", "Syl_1b", "Syl_0eE"]


@pytest.mark.parametrize("meter", ["4/4", "3/4", "6/8", "5/4"])
def test_grammar_any_choice_gives_a_valid_melody(tok, meter: str) -> None:
    """Random choices among the allowed tokens always end in a melody sung in order."""
    slots = lyric_slots(parse_lyrics(VERSE))
    m = Meter.parse(meter)
    rng = np.random.default_rng(0)
    grammar = LyricGrammar(tok, slots, m.weights())
    forced = []
    for _ in range(20 * len(slots)):
        mask = grammar.allowed()
        assert mask.any()
        if grammar.phase == "cond":
            forced.append(int(np.flatnonzero(mask)[0]))
        grammar.advance(int(rng.choice(np.flatnonzero(mask))))
        if grammar.finished:
            break
    assert grammar.finished
    t = grammar.timeline
    assert len(t.onset) == len(slots)
    ends = np.array(t.onset) + np.array(t.duration)
    assert np.all(np.array(t.onset[1:]) >= ends[:-1])  # one note at a time, in order
    assert max(t.pitch) - min(t.pitch) <= PITCH_SPAN
    assert len(t.chords) == t.onset[-1] // m.bar_16ths + 1  # a chord for every bar
    assert forced == [i for s in slots for i in tok.condition_ids(s)]


def test_priors_favour_strong_positions_and_moving_pitch(tok) -> None:
    slots = lyric_slots(parse_lyrics("river"))  # RIV-er
    grammar = LyricGrammar(tok, slots, Meter(4, 4).weights(), stress_bias=1.0, repeat_penalty=0.7)
    for _ in range(2):  # Syl, Skel
        grammar.advance(int(np.flatnonzero(grammar.allowed())[0]))
    grammar.advance(tok.id("bar"))
    grammar.advance(tok.id("chord", (0, False)))
    bias = grammar.bias()
    assert bias[tok.id("pos", 0)] > bias[tok.id("pos", 4)] > bias[tok.id("pos", 1)] == 0
    for token in (("pos", 0), ("pitch", 5), ("dur", 4), ("syl", ("0", "e", True)), ("skel", 0)):
        grammar.advance(tok.id(*token))
    assert grammar.bias()[tok.id("pos", 4)] < 0  # unstressed: off the beat
    grammar.advance(tok.id("pos", 6))
    assert grammar.bias()[tok.id("pitch", 5)] == pytest.approx(-0.7)


def test_meter_tokens(tok) -> None:
    """Each meter gets its own header token; one the vocabulary lacks gets the nearest."""
    named = {m: tok.meter_token(Meter.parse(m)) for m in ("3/4", "6/8", "2/2", "7/8", "4/8", "9/4")}
    assert named == {"3/4": "3/4", "6/8": "6/8", "2/2": "2/2", "7/8": "4/4", "4/8": "2/4",
                     "9/4": "4/4"}  # fmt: skip
    assert tok.prefix("minor", "3/4")[-1] == tok.id("meter", "3/4")


def test_sung_lines() -> None:
    from symbolic.tasks.lyric2melody import sung_lines

    long_line = "Walking by the water with my pockets full of stones, counting every little wave"
    lines = sung_lines(parse_lyrics(f"Hello\n{long_line}\nGoodbye"))
    assert lines[0] == 0 and lines[-1] == max(lines) >= 3  # the long line became 2+ lines
    assert max(np.bincount(lines)) <= 16


# ------------------------------------------------------------------ end to end (shipped model)


def _midi(path: Path):
    from symbolic.score import load

    return load(path)


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> tuple[Path, dict]:
    """One verse set in Eb, 3/4, 84 bpm with chords, as MIDI and ABC (the library call)."""
    from symbolic.tasks.lyric2melody import LyricRequest, lyric2melody

    folder = tmp_path_factory.mktemp("l2m")
    (folder / "verse.txt").write_text(VERSE, encoding="utf-8")
    result = lyric2melody(
        LyricRequest(
            lyrics_file=folder / "verse.txt",
            key="Eb",
            tempo=84,
            meter="3/4",
            chords=True,
            out=folder / "verse.mid",
            abc=folder / "verse.abc",
            seed=3,
        )
    )
    return folder, result


def test_alignment_key_meter_tempo(song) -> None:
    folder, result = song
    score = _midi(folder / "verse.mid")
    voice = score.tracks[0]
    assert voice.name == "Voice" and voice.program == 53
    syllables = parse_lyrics(VERSE).syllables
    texts = [ev.text for ev in voice.lyrics]
    assert [t.rstrip("-") for t in texts] == [s.text for s in syllables]
    onsets = voice.notes.numpy()["time"]
    assert len(onsets) == len(syllables) == result["notes"]
    assert [ev.time for ev in voice.lyrics] == onsets.tolist()
    assert score.tempos[0].qpm == pytest.approx(84)
    sig = score.time_signatures[0]
    assert (sig.numerator, sig.denominator) == (3, 4)
    assert result["key"] == "Eb major"
    ks = score.key_signatures[0]
    assert (ks.key, ks.tonality) == (-3, 0)
    chords = score.tracks[1]
    assert chords.name == "Chords"
    bars = -(-int(voice.end()) // 1440)
    assert chords.note_num() == 3 * bars == 3 * len(result["chords"])


def test_abc_parses_in_music21_with_every_syllable(song) -> None:
    """music21 reads the notes (it ignores w: lines); the w: lines hold every syllable in order."""
    from music21 import converter

    folder, _ = song
    text = (folder / "verse.abc").read_text()
    assert "M:3/4" in text and "K:Eb" in text
    parsed = converter.parse(text, format="abc")
    notes = parsed.recurse().getElementsByClass("Note")
    starts = [n for n in notes if n.tie is None or n.tie.type == "start"]
    syllables = [s.text for s in parse_lyrics(VERSE).syllables]
    assert len(starts) == len(syllables)
    words = " ".join(line[2:] for line in text.splitlines() if line.startswith("w:"))
    assert [w for w in re.split(r"[\s-]+", words) if w not in ("", "_", "*")] == syllables


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path, capsys) -> None:
    def run(name: str, seed: int) -> bytes:
        out = tmp_path / name
        assert main(["lyric2melody", SHORT, "-o", str(out), "--seed", str(seed)]) == 0
        return out.read_bytes()

    assert run("a.mid", 7) == run("b.mid", 7)
    assert run("c.mid", 8) != run("a.mid", 7)
    capsys.readouterr()


def test_default_output_name_from_the_lyrics(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["lyric2melody", SHORT]) == 0
    assert (tmp_path / "rain-on-the-rooftop-humming-along.mid").exists()
    capsys.readouterr()


@pytest.mark.parametrize(
    "args, message",
    [
        (["  \n "], "no words"),
        (["--lyrics-file", "/no/such/lyrics.txt"], "no such lyrics file"),
        ([SHORT, "--key", "H"], "unknown key"),
        ([SHORT, "--meter", "3/5"], "bad meter"),
        ([SHORT, "--meter", "17/4"], "not supported"),
        ([SHORT, "--tempo", "0"], "--tempo"),
        ([], "give the lyrics"),
    ],
)
def test_bad_input_exits_1_with_one_line(args: list[str], message: str, capsys) -> None:
    assert main(["lyric2melody", *args]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("meter, low, high", [("3/4", 8, 36), ("2/2", 5, 24), ("6/8", 6, 30)])
def test_phrases_fill_their_bars(tmp_path: Path, meter: str, low: int, high: int) -> None:
    """The 4-line verse (10 syllables a line) takes bars as lead sheets in that meter do: a
    line of 8 syllables spans a median 3.7 bars in 3/4, 2.4 in 2/2, 3.3 in 6/8 (10th-90th
    percentile about 1-7); a model stretched onto 4/4 sang one syllable every 2-3 bars."""
    from symbolic.tasks.lyric2melody import LyricRequest, lyric2melody

    bars = [
        lyric2melody(LyricRequest(VERSE, meter=meter, out=tmp_path / f"{s}.mid", seed=s))["bars"]
        for s in range(3)
    ]
    assert all(low <= b <= high for b in bars), bars


@pytest.mark.parametrize("voice", ["soprano", "alto", "tenor", "bass", "middle"])
@pytest.mark.parametrize("key", ["C", "F#m", "Bb"])
def test_the_melody_stays_in_the_singers_range(tmp_path: Path, voice: str, key: str) -> None:
    from symbolic.tasks.lyric2melody import LyricRequest, lyric2melody
    from symbolic.theory.voicing import VOICE_RANGES

    out = tmp_path / "v.mid"
    result = lyric2melody(LyricRequest(VERSE, key=key, voice=voice, out=out, seed=1))
    pitches = _midi(out).tracks[0].notes.numpy()["pitch"]
    lo, hi = VOICE_RANGES[voice]
    assert lo <= pitches.min() and pitches.max() <= hi, (voice, key, result["range"])
    assert pitches.max() - pitches.min() <= PITCH_SPAN
    assert result["voice"] == voice


@pytest.mark.parametrize(
    "language, text",
    [("de", "Müde bin ich, geh zur Ruh, schließe beide Äuglein zu"),
     ("fr", "Frère Jacques, dormez-vous? Sonnez les matines, ding dang dong")],
)  # fmt: skip
def test_other_languages_sing_every_word(tmp_path: Path, language: str, text: str) -> None:
    from symbolic.tasks.lyric2melody import LyricRequest, lyric2melody

    out = tmp_path / "l.mid"
    lyric2melody(LyricRequest(text, language=language, out=out))
    voice = _midi(out).tracks[0]
    sung = "".join(t[:-1] if t.endswith("-") else t + " " for t in (x.text for x in voice.lyrics))
    assert sung.split() == re.sub(r"[,?.]", "", text).replace("-", " ").split()
    assert len(voice.lyrics) == voice.note_num()
