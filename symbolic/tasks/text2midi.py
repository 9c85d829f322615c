"""`symgen text2midi "PROMPT"`: a multi-track MIDI that honours what the prompt names.

Condition → tokens → sample → score, like every task: the prompt becomes attributes
(`symbolic.prompt`), the attributes become control tokens (style, key, instruments,
length) and grammar constraints (meter, tempo, every asked instrument in every bar), the
prompt's sentence embedding becomes the text prefix of the `text2midi` model, the asked key
becomes a soft pitch prior (its key profile added to the pitch logits), the REMI model samples
bar by bar, and the score gets the exact tempo, key signature and track names.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
from symusic import Score, Tempo, TimeSignature

from symbolic.errors import SymgenError
from symbolic.plot import plot_outputs
from symbolic.tasks.requests import DEFAULT_BARS, Text2MidiRequest
from symbolic.theory.gm import program_name
from symbolic.theory.keys import KEY_PROFILES, key_fits, key_label, parse_key
from symbolic.theory.limits import MAX_BARS

MAX_PROMPT_CHARS = 5000
# A style the model has not learned → the learned styles nearest to it, in order of preference
# (the first one the model's card lists is used, else pop).
TRAINED_FALLBACK: dict[str, tuple[str, ...]] = {
    "classical": ("chorale",), "song": ("pop",), "swing": ("jazz",), "latin": ("jazz",),
    "gospel": ("soul", "chorale"), "world": ("latin", "folk"), "metal": ("rock", "pop"),
    "blues": ("rock", "jazz", "pop"), "country": ("folk", "pop"), "reggae": ("latin", "pop"),
    "ballad": ("pop",), "rock": ("pop",), "funk": ("soul", "pop"), "soul": ("pop",),
    "hip-hop": ("funk", "pop"), "electronic": ("pop",),
}  # fmt: skip


def fallback_style(style: str | None, trained: list[str]) -> str:
    """`style` if the model learned it, else its first learned stand-in (`TRAINED_FALLBACK`)."""
    if style in trained:
        return style
    return next((s for s in TRAINED_FALLBACK.get(style or "", ()) if s in trained), "pop")


def default_name(prompt: str) -> Path:
    """Output name from the prompt: "jazz in C minor" → jazz-in-c-minor.mid."""
    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:48].strip("-")
    return Path(f"{slug or 'symgen'}.mid")


def _to_key(score: Score, tonic: int, mode: str) -> int:
    """Transpose pitched tracks by the shift (-5..+6) that best fits the asked key, so the
    music, not only the key signature, is in that key; return where the asked key then ranks
    (0 = first of 24) by the key finder music21's analyze("key") uses: Aarden-Essen profiles
    correlated with duration-weighted pitch classes."""
    from symbolic.score import sounding_pitch_classes

    hist = sounding_pitch_classes(score)
    if hist.sum() == 0:
        return 0
    fits = key_fits(hist, "aarden")
    # shifting the music up by k makes it fit the key k semitones below as it was
    shift = max(range(-5, 7), key=lambda k: fits[((tonic - k) % 12, mode)])
    for track in score.tracks:
        if not track.is_drum and shift:
            track.shift_pitch(shift, inplace=True)
    return sum(f > fits[((tonic - shift) % 12, mode)] for f in fits.values())


KEY_TRIES = 3  # samples drawn at most until the key finder hears the asked key
KEY_PRIOR = 0.6  # weight of the key profile's log-probabilities added to pitch logits


def key_bias(tok, tonic: int, mode: str, weight: float = KEY_PRIOR) -> np.ndarray:
    """Additive logits (vocab,) for pitch tokens: `weight` × log of the asked key's Aarden-Essen
    profile (scaled to 1 at its peak). A soft tonal prior: the tonic triad is favoured, notes
    outside the scale become rare, and nothing is forbidden."""
    profile = np.roll(KEY_PROFILES["aarden"][mode], tonic)
    log_p = weight * np.log(profile / profile.max())
    bias = np.zeros(len(tok.id_to_token), dtype=np.float32)
    for idx, token in enumerate(tok.id_to_token):
        if token.startswith("Pitch_"):
            bias[idx] = log_p[int(token[6:]) % 12]
    return bias


def _sampling_meter(num: int, den: int, vocab: dict) -> str:
    """The meter to sample in: the asked one if the tokenizer has it, else one on the same
    beat grid (3/2 → 6/4), else 4/4; the file is written in the asked meter either way."""
    for candidate in (f"{num}/{den}", f"{num * 4 // den}/4" if 4 % den == 0 else ""):
        if f"TimeSig_{candidate}" in vocab:
            return candidate
    return "4/4"


def text2midi(request: Text2MidiRequest) -> dict:
    """Write MIDI (and optionally WAV) for a prompt; returns what `--json` prints."""
    r = request
    prompt, out, bars, wav, model = r.prompt, r.out, r.bars, r.wav, r.model
    num_samples, seed, temperature, top_p = r.num_samples, r.seed, r.temperature, r.top_p
    from symbolic.prompt import parse_prompt
    from symbolic.tasks.text_match import nearest

    if len(prompt) > MAX_PROMPT_CHARS:
        raise SymgenError(
            f"the prompt is {len(prompt)} characters; keep it under {MAX_PROMPT_CHARS}"
        )
    if bars is not None and not 1 <= bars <= MAX_BARS:
        raise SymgenError(f"--bars must be between 1 and {MAX_BARS}")
    if num_samples < 1:
        raise SymgenError("--num-samples must be at least 1")
    t0 = time.perf_counter()
    attrs = parse_prompt(prompt, nearest=nearest)
    if bars is not None:
        attrs.bars = bars
        attrs.notes = [n for n in attrs.notes if not n.startswith("length")]
    attrs.bars = min(attrs.bars or DEFAULT_BARS, MAX_BARS)
    t_parse = time.perf_counter()
    from symbolic.models.checkpoint import load_model
    from symbolic.models.sampling import SampleConfig
    from symbolic.score import daw_ready, key_signature, save_midi
    from symbolic.tasks.common import sample_bars

    lm = load_model(model)
    tok = lm.tokenizer
    prefix = None
    if lm.decoder.text_proj:
        from symbolic.tasks.text_match import embed

        prefix = lm.decoder.text_prefix(embed([prompt])[0])
    t_load = time.perf_counter()
    trained = lm.card.get("styles") or list(tok.styles)
    style = fallback_style(attrs.style, trained)
    if style != attrs.style:
        attrs.notes.append(f"the model has not learned '{attrs.style}' yet; using {style}")
    mode = attrs.mode or "major"
    tonic = parse_key(attrs.key)[0] if attrs.key else 0
    num, den = map(int, (attrs.meter or "4/4").split("/"))
    meter = _sampling_meter(num, den, tok.vocab)
    if meter != f"{num}/{den}":
        attrs.notes.append(f"sampled in {meter} and written in {num}/{den} (same beat grid)")
    bar_ticks = 4 * 480 * num // den
    sample_num, sample_den = map(int, meter.split("/"))
    sample_bars_n = -(-attrs.bars * bar_ticks // (4 * 480 * sample_num // sample_den))
    controls = tok.prefix(
        style=style,
        key=key_label(tonic, mode) if attrs.key else None,
        programs=attrs.instruments,
        bars=attrs.bars,
    )
    grammar = {
        "programs": attrs.instruments,
        "meter": meter,
        "tempo": attrs.tempo,
        "require_programs": True,
        "role_limits": not r.raw,
    }
    out = Path(out) if out else default_name(prompt)
    outs = (
        [out]
        if num_samples == 1
        else [out.with_name(f"{out.stem}-{i + 1}{out.suffix}") for i in range(num_samples)]
    )
    bias = key_bias(tok, tonic, mode) if attrs.key and not r.raw else None
    tries = KEY_TRIES if attrs.key and not r.raw else 1
    outputs, wavs, sample_s, write_s = [], [], 0.0, 0.0
    for i, target in enumerate(outs):
        t1 = time.perf_counter()
        best = None
        for attempt in range(tries):
            cfg = SampleConfig(temperature, top_p=top_p, seed=seed + 1000 * i + 7919 * attempt)
            ids = sample_bars(lm, controls, [], sample_bars_n, grammar, cfg, prefix, bias)
            score = tok.decode(ids).resample(480, min_dur=1)
            score = daw_ready(score.clip(0, attrs.bars * bar_ticks, clip_end=True))
            rank = 0
            if attrs.key:
                rank = _to_key(score, tonic, mode)
            if best is None or rank < best[0]:
                best = (rank, score, ids.count(tok.vocab["Bar_None"]))
            if rank == 0:
                break
        score, got = best[1], best[2]
        if got < sample_bars_n:  # the model ended the piece early or a bar outgrew its window
            short = f"the model wrote {got} of the {sample_bars_n} bars asked"
            attrs.notes.append(short + (f" in sample {i + 1}" if num_samples > 1 else ""))
        score.time_signatures = [TimeSignature(0, num, den)]
        t2 = time.perf_counter()
        if attrs.key:
            score.key_signatures = [key_signature(tonic, mode)]
        if attrs.tempo:
            score.tempos = [Tempo(0, float(attrs.tempo))]
        for track in score.tracks:
            track.name = program_name(track.program, track.is_drum)
        outputs.append(str(save_midi(score, target)))
        if wav:
            from symbolic.render import render_file

            wav_path = (
                Path(wav)
                if num_samples == 1
                else Path(wav).with_name(f"{Path(wav).stem}-{i + 1}.wav")
            )
            wavs.append(str(render_file(target, wav_path)["wav"]))
        sample_s += t2 - t1
        write_s += time.perf_counter() - t2
    return {
        "outputs": outputs,
        "wav": wavs,
        "png": plot_outputs(outputs) if r.png else [],
        "prompt": prompt,
        "seed": seed,
        "style": style,
        "attributes": attrs.to_dict(),
        "notes": attrs.notes,
        "model": lm.folder.name,
        "timings": {
            "parse": round(t_parse - t0, 3),
            "load": round(t_load - t_parse, 3),
            "sample": round(sample_s, 3),
            "write": round(write_s, 3),
        },
    }
