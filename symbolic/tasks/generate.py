"""`symgen generate`: ABC tunes from a header prompt, or new bars after a MIDI file.

Both jobs are the same four steps as every task: condition → tokens → sample → score. A
continuation is written into the input file itself (`symbolic.merge`: every event of it as it
was, plus the new notes); the style it is sampled in, unless `--style` names one the model has
learned, is guessed from the music (`guess_style`). A continuation that leaves asked bars
empty is sampled again with other seeds (at most `TRIES`), then refused. An option that does
not apply to the model's kind is reported on stderr, not silently dropped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from symusic import Score

from symbolic.errors import SymgenError
from symbolic.merge import Original, merge, read_original, sounding_bars
from symbolic.plot import plot_outputs
from symbolic.score import check_output, estimate_key, load, save_midi, write_atomic
from symbolic.tasks.common import place_notes, progress_bar, sample_bars
from symbolic.tasks.requests import ABC_OUT, CONTINUE_BARS, GenerateRequest
from symbolic.theory.limits import MAX_BARS

DEFAULT_OUT = ABC_OUT
TRIES = 3  # samplings (seed, seed + 7919, ...) of a continuation until every asked bar has notes
# band styles the REMI models have not learned, and the learned style nearest each
LEARNED_FALLBACK = {"classical": "chorale", "orchestral": "chorale", "swing": "jazz"}


def generate(request: GenerateRequest) -> dict:
    """Run the language model `request.model` names; returns what `--json` prints."""
    r = request
    model, prompt, continue_path, bars, out = r.model, r.prompt, r.continue_path, r.bars, r.out
    num_samples, seed, temperature, top_p = r.num_samples, r.seed, r.temperature, r.top_p
    style = r.style
    if num_samples < 1:
        raise SymgenError("--num-samples must be at least 1")
    original = read_original(continue_path) if continue_path is not None else None  # fail early
    t0 = time.perf_counter()
    from symbolic.models.checkpoint import load_model

    lm = load_model(model)
    timings = {"load": time.perf_counter() - t0}
    notes: list[str] = []
    is_abc = lm.tokenizer.name == "abc"
    if is_abc:
        if continue_path is not None:
            raise SymgenError(f"{model} writes ABC tunes; use --prompt, not --continue")
        if bars is not None:
            notes.append(f"--bars does not apply to {model}, which writes whole ABC tunes; ignored")
        if style is not None:
            notes.append(f"--style does not apply to {model}; name the rhythm in the header: R:jig")
        if r.raw:
            notes.append(f"--raw does not apply to {model}, which has no per-role limits; ignored")
        result = _abc_tunes(
            lm, prompt or "", out or DEFAULT_OUT, num_samples, seed, temperature, top_p
        )
    else:
        if continue_path is None:
            raise SymgenError(
                f"{model} continues MIDI files (--prompt is for ABC models): give --continue "
                "IN.mid --bars N"
            )
        if prompt is not None:
            notes.append(f"--prompt does not apply to {model}, which continues MIDI files; ignored")
        learned = tuple(lm.card.get("styles") or lm.tokenizer.styles)
        if style is not None and style not in learned:
            raise SymgenError(
                f"{model} has not learned the style {style!r}; choose one of {', '.join(learned)}"
                " (or leave --style out to have it guessed from the music)"
            )
        result = _continue_midi(
            lm,
            original,
            CONTINUE_BARS if bars is None else bars,
            out,
            num_samples,
            seed,
            temperature,
            top_p,
            style,
            learned,
            notes,
            role_limits=not r.raw,
        )
    timings["total"] = time.perf_counter() - t0
    result.update(
        png=plot_outputs(result["outputs"]) if r.png else [],
        model=str(lm.folder.name),
        seed=seed,
        notes=notes,
        timings={k: round(v, 3) for k, v in timings.items()},
    )
    return result


def _abc_tunes(lm, prompt: str, out: Path, k: int, seed: int, temperature: float, top_p: float):
    from symbolic.models.sampling import SampleConfig, sample

    tok = lm.tokenizer
    header = prompt.replace("\\n", "\n").strip()
    ids = tok.prefix(header)
    fields = dict(re.findall(r"^([A-Z]):\s*(.+?)\s*$", header, flags=re.M))
    grammars = [tok.grammar(meter=fields.get("M"), key=fields.get("K")) for _ in range(k)]
    bar, tick = progress_bar(lm.decoder.max_len, "sampling", unit="tok")
    cfg = SampleConfig(
        temperature=temperature, top_p=top_p, max_new_tokens=lm.decoder.max_len, seed=seed
    )
    samples = sample(lm.decoder, ids, grammars, cfg, num_samples=k, progress=tick)
    bar.close()
    if out.suffix:
        raise SymgenError(f"{out}: for ABC tunes -o names a folder (one .abc and .mid per tune)")
    outputs = []
    for i, new in enumerate(samples):
        text = tok.decode(ids + new)
        text = re.sub(r"^X:.*\n?", "", text, flags=re.M)
        text = f"X:{i + 1}\nT:symgen {lm.folder.name} seed {seed} #{i + 1}\n{text}"
        stem = out / f"{lm.folder.name}-{seed}-{i + 1}"
        abc_path = write_atomic(stem.with_suffix(".abc"), text)
        outputs.append(str(abc_path))
        try:
            outputs.append(str(save_midi(load(abc_path), stem.with_suffix(".mid"))))
        except SymgenError as err:
            raise SymgenError(
                f"sample {i + 1} is not valid ABC ({err}); try another --seed"
            ) from None
    return {"outputs": outputs, "prompt": header}


def _texture(score: Score) -> dict[str, float]:
    """What the style rule reads (numpy over all notes): pitched voices, shares of instrument
    groups among the pitched notes, onsets where three or more notes start, the median note
    length in beats (all notes, and the top voice's), the top voice's register, and, with the
    beat's phase taken where most onsets fall, onsets on the beat, on the eighth grid, and
    off-beat eighths swung onto the triplet."""
    pitched = [t for t in score.tracks if not t.is_drum and t.note_num()]
    if not pitched:
        return {"voices": 0.0}
    tracks = [t.notes.numpy() for t in pitched]
    programs = np.repeat([t.program for t in pitched], [len(a["time"]) for a in tracks])
    tpq, tol = score.tpq, max(score.tpq // 24, 1)
    time = np.concatenate([a["time"] for a in tracks]).astype(np.int64)
    dur = np.concatenate([a["duration"] for a in tracks]).astype(np.int64)
    onsets, per_onset = np.unique(time, return_counts=True)
    phase = int(np.argmax(np.bincount(onsets % tpq // tol))) * tol  # the beat: most onsets
    rel = (onsets - phase) % tpq
    half = rel % (tpq // 2)
    straight = np.sum(np.abs(rel - tpq // 2) < tol)
    triplet = np.sum(np.abs(rel - 2 * tpq // 3) < tol)
    top = max(tracks, key=lambda a: float(np.mean(a["pitch"])))

    def share(lo: int, hi: int) -> float:
        return float(np.mean((programs >= lo) & (programs < hi)))

    return {
        "voices": float(max(len(tracks), np.median(per_onset))),
        "brass_reed": share(56, 80),
        "acoustic_bass": share(32, 33),
        "piano_guitar": share(0, 8) + share(24, 32),
        "chords": float(np.mean(per_onset >= 3)),
        "on_beat": float(np.mean(np.minimum(rel, tpq - rel) < tol)),
        "eighths": float(np.mean(np.minimum(half, tpq // 2 - half) < tol)),
        "beats": float(np.median(dur) / tpq),
        "top_beats": float(np.median(top["duration"]) / tpq),
        "top_pitch": float(np.median(top["pitch"])),
        "swing": float(triplet / (straight + triplet)) if straight + triplet >= 16 else 0.0,
    }


def guess_style(score: Score, learned: Sequence[str]) -> tuple[str, str]:
    """(style, why) for a file whose user names none, from the music, not one instrument:

    drums → the band rule of `symbolic.data.sources.band.band_style` (instrument shares and
    swing), rock, metal and the other band styles as pop; swung eighths, or brass and reeds
    ≥ 20% or upright bass ≥ 15% of the pitched notes → jazz; three or more voices, three or
    more notes starting together at 45% of the onsets, notes a beat long (median) → chorale;
    three or more voices in notes a beat or longer without piano or guitar → renaissance; one
    or two voices, the top one above middle C in notes of at most a beat, 90% of the onsets
    on straight eighths → folk; else pop. A style the model has not learned falls back to its
    nearest learned one (`LEARNED_FALLBACK`), else pop, else the first learned."""
    from symbolic.data.sources.band import band_style

    f = _texture(score)
    has_drums = any(t.is_drum and t.note_num() for t in score.tracks)
    if has_drums and f["voices"]:
        band, why = band_style(score)
        style, why = ("jazz", why) if band == "jazz" else ("pop", f"drums and {why}: {band}")
    elif f["voices"] == 0:
        style, why = "pop", "drums only"
    elif f["swing"] >= 0.6 or f["brass_reed"] >= 0.2 or f["acoustic_bass"] >= 0.15:
        style, why = "jazz", "swung eighths or brass, reeds, upright bass"
    elif f["voices"] >= 3 and f["chords"] >= 0.45 and f["beats"] >= 1:
        style, why = "chorale", "chords of three or more voices in beat-long notes"
    elif f["voices"] >= 3 and f["beats"] >= 1 and f["piano_guitar"] < 0.5:
        style, why = "renaissance", "voices in long notes, no piano or guitar"
    elif f["voices"] <= 2 and f["top_pitch"] >= 60 and f["top_beats"] <= 1 and f["eighths"] >= 0.9:
        style, why = "folk", "a tune in straight eighths over at most one other part"
    else:
        style, why = "pop", "no rule for jazz, chorale, renaissance or folk matched"
    if style not in learned:
        near = LEARNED_FALLBACK.get(style, "pop")
        style, why = (near if near in learned else learned[0]), f"{why}; {style} not learned"
    return style, why


def _bar_end_tick(score: Score) -> tuple[int, int]:
    """The tick where the bar after the last note starts (following the last meter), and the
    length of a bar in that meter."""
    sig = score.time_signatures[-1] if score.time_signatures else None
    num, den, at = (sig.numerator, sig.denominator, sig.time) if sig else (4, 4, 0)
    bar_len = score.tpq * 4 * num // den
    return at + -(-(score.end() - at) // bar_len) * bar_len, bar_len


def _continue_midi(
    lm,
    original: Original,
    bars: int,
    out: Path | None,
    k: int,
    seed: int,
    temperature: float,
    top_p: float,
    style: str | None,
    learned: tuple[str, ...],
    notes: list[str],
    role_limits: bool = True,
) -> dict:
    """`bars` new bars after the file, `k` takes, each written into the input file."""
    from symbolic.models.sampling import SampleConfig
    from symbolic.score import bar_count

    if not 1 <= bars <= MAX_BARS:
        raise SymgenError(f"--bars must be between 1 and {MAX_BARS}")
    tok = lm.tokenizer
    path, score = original.path, original.score
    out = Path(out) if out else path.with_name(f"{path.stem}-continued.mid")
    check_output(out, path)
    if k > 1 and out.suffix:
        outs = [out.with_name(f"{out.stem}-{i + 1}{out.suffix}") for i in range(k)]
    else:
        outs = [out]
    if style is None:
        style, why = guess_style(score, learned)
        notes.append(f"style {style}, guessed from the music ({why}); --style chooses another")
    tonic, mode = estimate_key(score)
    from symbolic.theory.gm import DRUMS
    from symbolic.theory.keys import key_label

    programs = sorted(
        {DRUMS if t.is_drum else int(t.program) for t in score.tracks if t.note_num()}
    )
    n_bars = bar_count(score)
    controls = tok.prefix(
        style=style,
        key=key_label(tonic, mode),
        programs=programs,
        density=score.note_num() / max(n_bars, 1),
        bars=n_bars + bars,
    )
    body = tok.encode(score)
    sig = score.time_signatures[-1] if score.time_signatures else None
    meter = f"{sig.numerator}/{sig.denominator}" if sig else "4/4"
    # the file keeps its own tempo map, so the new bars get one forced tempo and no changes:
    # left free, the shipped model fills bars with tempo changes instead of notes
    qpm = float(score.tempos[-1].qpm) if score.tempos else 120.0
    grammar = {
        "programs": programs,
        "meter": meter if f"TimeSig_{meter}" in tok.vocab else None,
        "tempo": qpm,
        "role_limits": role_limits,
    }
    offset, bar_len = _bar_end_tick(score)
    edges = original.to_file(offset + bar_len * np.arange(bars + 1))
    results, added = [], []
    for i in range(len(outs)):
        best, tries = None, 0
        for tries in range(1, TRIES + 1):
            cfg = SampleConfig(
                temperature=temperature, top_p=top_p, seed=seed + 1000 * i + 7919 * (tries - 1)
            )
            new = sample_bars(lm, controls, body, bars, grammar, cfg)
            placed = place_notes(score, tok.decode(new), offset, velocities=tok.has_velocity)
            result = merge(original, placed)
            got = int(sounding_bars(result.written, edges).sum())
            if best is None or got > best[0]:
                best = (got, result)
            if got == bars:
                break
        if best[0] < bars:
            raise SymgenError(
                f"{lm.folder.name} wrote notes in {best[0]} of the {bars} bars asked ({tries} "
                f"tries from seed {seed + 1000 * i}); try another --seed or --style, or fewer "
                "--bars"
            )
        results.append(best[1])
        added.append(best[0])
    outputs = [str(result.save(target)) for result, target in zip(results, outs, strict=True)]
    return {
        "outputs": outputs,
        "input": str(path),
        "style": style,
        "bars_added": min(added),
        "key": key_label(tonic, mode),
        "programs": programs,
    }
