"""`symgen lyric2melody "LYRICS"`: a singable melody for English lyrics, one note per syllable.

Condition → tokens → sample → score: the lyrics become syllables with stress and their place in
the word and line (`symbolic.lyrics`), these become the lyric tokens the grammar forces
(`symbolic.tokenize.lyric`), the `lyric2melody` model plans per line the bars it takes (as the
songs it learned from do in that meter; sampled cooler than the notes and nudged toward the
bars its syllables take at the meter's usual rate) and writes per syllable a skeleton flag, bar
chords, onset, pitch and duration, with each line kept inside its planned bars and the
stress-to-beat and repetition priors added to its logits, and the score gets a "Voice" track
(GM 53, Voice Oohs) whose lyric events sit on the note onsets (one syllable per note, so no
melismas), the asked key, meter and tempo, and optionally a "Chords" track (GM 0) from the
sampled chords, one per bar. The header names the meter (the lead sheets it learned from have
4/4, 2/2, 3/4, 6/8 and 2/4), and onsets count in its bars. Long lyrics are sampled in windows
of the training length, each starting with the previous line.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from symbolic.errors import SymgenError
from symbolic.lyrics import Lyrics, parse_lyrics
from symbolic.plot import plot_outputs
from symbolic.tasks.requests import LyricRequest
from symbolic.theory.chords import chord
from symbolic.theory.keys import key_name, parse_key
from symbolic.theory.limits import TEMPO_RANGE
from symbolic.theory.meter import Meter
from symbolic.theory.voicing import VOICE_RANGES
from symbolic.tokenize.lyric import LyricGrammar, LyricTokenizer, SyllableSlot, syllable_slots

VOICE_PROGRAM = 53  # GM Voice Oohs
CHORD_PROGRAM = 0  # GM Acoustic Grand Piano
WINDOW = 256  # tokens per sampling window: the training length
CONTEXT = 64  # tokens of earlier syllables a window starts with
MAX_SYLLABLES = 2000
LONG_LINE = 16  # syllables: longer lyric lines are sung as several lines
STRESS_BIAS = 0.5
REPEAT_PENALTY = 0.7
TEMPERATURE = LyricRequest.temperature  # why 1.1: `symbolic.tasks.requests`
PLAN_TEMPERATURE = 0.5  # of a line's Bars_k: chosen on the dev lead sheets (bench_lyric2melody)
PLAN_PRIOR = 1.0  # nats per doubling off the plan that keeps the song at `syllable_rate`: dev too
# Median syllables per bar of the OpenEWLD training lead sheets by meter (the other meters
# have under ten songs), measured by `python benchmarks/bench_lyric2melody.py --rates`.
SYLLABLES_PER_BAR = {"4/4": 3.26, "2/2": 2.69, "3/4": 1.96, "6/8": 3.35, "2/4": 2.38}
TPQ = 480


def sung_lines(lyrics: Lyrics) -> list[int]:
    """Per syllable, the line the model is told it belongs to: the lyric line, or for lines
    longer than `LONG_LINE` syllables (the songs' lines are shorter), pieces of it cut at
    phrase ends, then at the first word start after every `LONG_LINE` // 2 + 1 syllables."""
    out: list[int] = []
    count = 0
    for line in lyrics.lines:
        syl = [s for w in line.words for s in w.syllables]
        pieces = [[]]
        for s in syl:
            pieces[-1].append(s)
            if s.is_phrase_end and len(syl) > LONG_LINE:
                pieces.append([])
        for piece in filter(None, pieces):
            size = LONG_LINE // 2 + 1 if len(piece) > LONG_LINE else len(piece)
            run = 0
            for s in piece:
                if run >= size and s.index_in_word == 0:
                    count, run = count + 1, 0
                out.append(count)
                run += 1
            count += 1
    return out


def lyric_slots(lyrics: Lyrics) -> list[SyllableSlot]:
    """The model's view of parsed lyrics (with `sung_lines`)."""
    syl = lyrics.syllables
    return syllable_slots(
        [s.stress for s in syl],
        [s.index_in_word for s in syl],
        [s.word_len for s in syl],
        sung_lines(lyrics),
    )


def syllable_rate(meter: Meter) -> float:
    """Syllables per bar a song in `meter` usually sings (`SYLLABLES_PER_BAR`; other meters
    scale 4/4's by their bar length)."""
    rate = SYLLABLES_PER_BAR.get(str(meter))
    return rate if rate is not None else SYLLABLES_PER_BAR["4/4"] * meter.bar_16ths / 16


def tonic_pitch(tonic: int, voice: str = "middle") -> int:
    """The tonic's MIDI pitch the relative pitches count from: the one whose upper sixth (a
    melody's usual middle) lies nearest the middle of the voice's range."""
    lo, hi = VOICE_RANGES[voice]
    target = (lo + hi) / 2 - 6
    return int(target + ((tonic - target + 6) % 12) - 6)


def voice_window(tonic: int, voice: str) -> tuple[int, int]:
    """The relative pitches (from `tonic_pitch`) that lie inside the voice's range."""
    base = tonic_pitch(tonic, voice)
    lo, hi = VOICE_RANGES[voice]
    return lo - base, hi - base


def _context(tok: LyricTokenizer, ids: list[int]) -> list[int]:
    """The latest whole syllables (from a line or syllable token) within `CONTEXT` tokens."""
    kinds = [tok.kinds[i][0] for i in ids]
    for start in range(max(len(ids) - CONTEXT, 0), len(ids)):
        if kinds[start] == "line" or (kinds[start] == "syl" and kinds[start - 1] == "dur"):
            return ids[start:]
    return []


def compose(
    lm,
    slots: Sequence[SyllableSlot],
    mode: str,
    meter: Meter,
    seed: int = 0,
    temperature: float = TEMPERATURE,
    top_p: float = 0.95,
    stress_bias: float = STRESS_BIAS,
    repeat_penalty: float = REPEAT_PENALTY,
    window: tuple[int, int] | None = None,
    keep_plan: bool = True,
    plan_temperature: float | None = PLAN_TEMPERATURE,
    plan_prior: float = PLAN_PRIOR,
):
    """Sample the melody tokens for `slots`, relative pitches inside `window` (a voice's),
    each line inside the bars the model planned for it unless `keep_plan` is off; returns the
    `Timeline` (notes, and the chord of each bar)."""
    from symbolic.models.sampling import SampleConfig, sample

    tok: LyricTokenizer = lm.tokenizer
    grid = meter.bar_16ths
    weights = meter.weights()
    prefix = tok.prefix(mode, meter)
    ids: list[int] = []
    done, step = 0, 0
    while done < len(slots):
        prompt = prefix + _context(tok, ids)
        timeline = tok.decode(ids, grid)
        grammar = LyricGrammar(
            tok,
            slots[done:],
            weights,
            stress_bias,
            repeat_penalty,
            timeline,
            window,
            keep_plan,
            plan_temperature,
            syllable_rate(meter),
            plan_prior,
            done,
        )
        config = SampleConfig(
            temperature=temperature,
            top_p=top_p,
            seed=seed + 1000 * step,
            max_new_tokens=WINDOW - len(prompt),
        )
        out = sample(lm.decoder, prompt, [grammar], config)[0]
        if grammar.k == 0:
            raise SymgenError("a window held no whole syllable (a bug); try another --seed")
        durations = np.flatnonzero(np.isin(out, tok.class_ids["dur"]))
        ids += out[: durations[grammar.k - 1] + 1]
        done += grammar.k
        step += 1
    return tok.decode(ids, grid)


def melody_score(
    onset16: Sequence[int],
    dur16: Sequence[int],
    pitch: Sequence[int],
    texts: Sequence[str],
    tonic: int,
    mode: str,
    meter: Meter,
    tempo: float,
    chords: Sequence[tuple[int, bool]] = (),
    chord_16ths: int = 16,
):
    """A symusic Score: the "Voice" track with one lyric event per note onset, key, meter and
    tempo at tick 0, and for `chords` (root relative to the tonic, minor) a "Chords" track of
    block triads, one every `chord_16ths`."""
    from symusic import Note, Score, Tempo, TextMeta, TimeSignature, Track

    from symbolic.score import key_signature

    step = TPQ // 4
    score = Score(TPQ)
    voice = Track("Voice", VOICE_PROGRAM, False)
    for on, dur, p, text in zip(onset16, dur16, pitch, texts, strict=True):
        voice.notes.append(Note(int(on) * step, int(dur) * step, int(p), 90))
        voice.lyrics.append(TextMeta(int(on) * step, text))
    score.tracks.append(voice)
    bar = chord_16ths * step
    if chords:
        track = Track("Chords", CHORD_PROGRAM, False)
        for b, (root, minor) in enumerate(chords):
            low = 48 + (tonic + root) % 12
            for interval in (0, 3 if minor else 4, 7):
                track.notes.append(Note(b * bar, bar, low + interval, 60))
        score.tracks.append(track)
    score.tempos.append(Tempo(0, float(tempo)))
    score.time_signatures.append(TimeSignature(0, meter.numerator, meter.denominator))
    score.key_signatures.append(key_signature(tonic, mode))
    return score


def chord_labels(timeline, tonic: int) -> list[tuple[int, str]]:
    """(tick, name) of each chord of the timeline."""
    bar = timeline.bar * TPQ // 4
    return [
        (b * bar, chord(tonic + root, "min" if minor else "maj").symbol)
        for b, (root, minor) in enumerate(timeline.chords)
    ]


def read_lyrics(text: str | None, path: str | Path | None) -> str:
    """The lyrics from the argument or a UTF-8 file (exactly one of them)."""
    if (text is None) == (path is None):
        raise SymgenError('give the lyrics as one argument ("LYRICS") or with --lyrics-file')
    if path is None:
        return text
    path = Path(path)
    if not path.is_file():
        raise SymgenError(f"{path}: no such lyrics file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise SymgenError(f"{path}: not UTF-8 text; save the lyrics as UTF-8") from err


def lyric2melody(request: LyricRequest) -> dict:
    """Write the MIDI (and ABC) of a melody for the lyrics; returns what `--json` prints."""
    r = request
    lyrics, lyrics_file, key, tempo, meter = r.lyrics, r.lyrics_file, r.key, r.tempo, r.meter
    chords, out, abc, model = r.chords, r.out, r.abc, r.model
    seed, temperature, top_p = r.seed, r.temperature, r.top_p
    t0 = time.perf_counter()
    tonic, mode = parse_key(key)
    m = Meter.parse(meter)
    if not TEMPO_RANGE[0] <= tempo <= TEMPO_RANGE[1]:
        low, high = TEMPO_RANGE
        raise SymgenError(f"--tempo {tempo:g}: give beats per minute from {low:g} to {high:g}")
    parsed = parse_lyrics(read_lyrics(lyrics, lyrics_file), r.language)
    if len(parsed) > MAX_SYLLABLES:
        raise SymgenError(f"the lyrics have {len(parsed)} syllables; keep them to {MAX_SYLLABLES}")
    from symbolic.models.checkpoint import load_model
    from symbolic.score import check_output, save_abc, save_midi
    from symbolic.tasks.text2midi import default_name

    lm = load_model(model)
    if m.bar_16ths > lm.tokenizer.spec["max_position"]:
        longest = lm.tokenizer.spec["max_position"] // 4
        raise SymgenError(f"meter {m}: bars longer than {longest} quarter notes are not supported")
    t1 = time.perf_counter()
    window = voice_window(tonic, r.voice)
    timeline = compose(lm, lyric_slots(parsed), mode, m, seed, temperature, top_p, window=window)
    t2 = time.perf_counter()
    bars = -(-(timeline.onset[-1] + timeline.duration[-1]) // timeline.bar)
    timeline.chords += timeline.chords[-1:] * (bars - len(timeline.chords))  # a held last note
    texts = [s.text + ("" if s.is_word_end else "-") for s in parsed.syllables]
    pitches = tonic_pitch(tonic, r.voice) + np.asarray(timeline.pitch)
    score = melody_score(
        timeline.onset,
        timeline.duration,
        pitches,
        texts,
        tonic,
        mode,
        m,
        tempo,
        timeline.chords if chords else (),
        timeline.bar,
    )
    first_words = " ".join(w.text for w in parsed.lines[0].words)
    out = check_output(Path(out) if out else default_name(first_words), lyrics_file)
    outputs = {"midi": str(save_midi(score, out))}
    labels = chord_labels(timeline, tonic)
    if abc:
        title = " ".join(w.token for w in parsed.lines[0].words[:8])
        target = check_output(abc, lyrics_file)
        saved = save_abc(score, target, title=title, track=0, chords=labels if chords else None)
        outputs["abc"] = str(saved)
    if r.png:
        outputs["png"] = plot_outputs([outputs["midi"]])[0]
    return {
        "outputs": outputs,
        "seed": seed,
        "key": key_name(tonic, mode),
        "meter": str(m),
        "tempo": tempo,
        "lines": len(parsed.lines),
        "syllables": len(parsed),
        "notes": len(timeline.pitch),
        "bars": bars,
        "range": [int(pitches.min()), int(pitches.max())],
        "voice": r.voice,
        "chords": [name for _, name in labels],
        "voice_program": VOICE_PROGRAM,
        "model": lm.folder.name,
        "timings": {
            "parse_load": round(t1 - t0, 3),
            "sample": round(t2 - t1, 3),
            "write": round(time.perf_counter() - t2, 3),
        },
    }
