"""`symgen generate`: ABC tunes from a header prompt, or new bars after a MIDI file.

Both jobs are the same four steps as every task: condition → tokens → sample → score.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from symusic import Score

from symbolic.errors import SymgenError
from symbolic.score import (
    check_output,
    estimate_key,
    load,
    save_midi,
    write_atomic,
)
from symbolic.tasks.common import add_notes, progress_bar, sample_bars
from symbolic.tasks.requests import ABC_OUT, GenerateRequest

DEFAULT_OUT = ABC_OUT
STYLE_BY_FAMILY = {"Ensemble": "chorale", "Strings": "classical", "Reed": "jazz", "Brass": "jazz"}


def generate(request: GenerateRequest) -> dict:
    """Run the language model `request.model` names; returns what `--json` prints."""
    r = request
    model, prompt, continue_path, bars, out = r.model, r.prompt, r.continue_path, r.bars, r.out
    num_samples, seed, temperature, top_p = r.num_samples, r.seed, r.temperature, r.top_p
    style = r.style
    if num_samples < 1:
        raise SymgenError("--num-samples must be at least 1")
    if continue_path is not None:
        load(continue_path)  # fail on a bad file before loading a model
    t0 = time.perf_counter()
    from symbolic.models.checkpoint import load_model

    lm = load_model(model)
    timings = {"load": time.perf_counter() - t0}
    is_abc = lm.tokenizer.name == "abc"
    if is_abc:
        if continue_path is not None:
            raise SymgenError(f"{model} writes ABC tunes; use --prompt, not --continue")
        result = _abc_tunes(
            lm, prompt or "", out or DEFAULT_OUT, num_samples, seed, temperature, top_p
        )
    else:
        if continue_path is None:
            raise SymgenError(f"{model} continues MIDI files: give --continue IN.mid --bars N")
        result = _continue_midi(
            lm, continue_path, bars, out, num_samples, seed, temperature, top_p, style
        )
    timings["total"] = time.perf_counter() - t0
    result.update(
        model=str(lm.folder.name), seed=seed, timings={k: round(v, 3) for k, v in timings.items()}
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


def _guess_style(score: Score, styles: tuple[str, ...]) -> str:
    """A style for a file from its instruments, when the user names none."""
    from symbolic.theory.gm import family

    fams = [family(t.program, t.is_drum) for t in score.tracks if t.note_num()]
    for fam in fams:
        if fam in STYLE_BY_FAMILY and STYLE_BY_FAMILY[fam] in styles:
            return STYLE_BY_FAMILY[fam]
    return "pop" if "pop" in styles else styles[0]


def _bar_end_tick(score: Score) -> int:
    """The tick where the bar after the last note starts (following the last meter)."""
    sig = score.time_signatures[-1] if score.time_signatures else None
    num, den, at = (sig.numerator, sig.denominator, sig.time) if sig else (4, 4, 0)
    bar_len = score.tpq * 4 * num // den
    return at + -(-(score.end() - at) // bar_len) * bar_len


def _continue_midi(lm, path, bars, out, k, seed, temperature, top_p, style):
    from symbolic.models.sampling import SampleConfig
    from symbolic.score import bar_count

    if bars < 1 or bars > 64:
        raise SymgenError("--bars must be between 1 and 64")
    tok = lm.tokenizer
    score = load(path)
    out = Path(out) if out else path.with_name(f"{path.stem}-continued.mid")
    check_output(out, path)
    if k > 1 and out.suffix:
        outs = [out.with_name(f"{out.stem}-{i + 1}{out.suffix}") for i in range(k)]
    else:
        outs = [out]
    style = style or _guess_style(score, tok.styles)
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
    grammar = {"programs": programs, "meter": meter if f"TimeSig_{meter}" in tok.vocab else None}
    offset = _bar_end_tick(score)
    outputs = []
    for i, target in enumerate(outs):
        cfg = SampleConfig(temperature=temperature, top_p=top_p, seed=seed + 1000 * i)
        new = sample_bars(lm, controls, body, bars, grammar, cfg)
        result = score.copy()
        add_notes(result, tok.decode(new), offset, velocities=tok.has_velocity)
        outputs.append(str(save_midi(result, target)))
    return {
        "outputs": outputs,
        "input": str(path),
        "style": style,
        "bars_added": bars,
        "key": key_label(tonic, mode),
        "programs": programs,
    }
