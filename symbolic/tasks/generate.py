"""`symgen generate`: ABC tunes from a header prompt, or new bars after a MIDI file.

Both jobs are the same four steps as every task: condition → tokens → sample → score.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
from symusic import Note, Score

from symbolic.errors import SymgenError
from symbolic.score import (
    check_output,
    estimate_key,
    load,
    save_midi,
    write_atomic,
)

DEFAULT_OUT = Path("symgen_out")
STYLE_BY_FAMILY = {"Ensemble": "chorale", "Strings": "classical", "Reed": "jazz", "Brass": "jazz"}


def _progress(total: int, desc: str):
    """A tqdm bar on stderr for sampling loops (silent when stderr is not a terminal)."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="tok", leave=False, delay=2.0)
    return bar, lambda step: bar.update(1)


def generate(
    model: str,
    prompt: str | None = None,
    continue_path: Path | None = None,
    bars: int = 8,
    out: Path | None = None,
    num_samples: int = 1,
    seed: int = 0,
    temperature: float = 1.0,
    top_p: float = 0.95,
    style: str | None = None,
) -> dict:
    """Run the language model named `model`; returns what `--json` prints."""
    if num_samples < 1:
        raise SymgenError("--num-samples must be at least 1")
    if continue_path is not None:
        load(continue_path)  # fail on a bad file before loading a model
    t0 = time.perf_counter()
    from symbolic.models.checkpoint import load_model

    lm = load_model(model)
    timings = {"load": time.perf_counter() - t0}
    is_abc = not hasattr(lm.tokenizer, "vocab")
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
    ids = tok.encode_header(header)
    fields = dict(re.findall(r"^([A-Z]):\s*(.+?)\s*$", header, flags=re.M))
    grammars = [tok.grammar(meter=fields.get("M"), key=fields.get("K")) for _ in range(k)]
    bar, tick = _progress(lm.decoder.max_len, "sampling")
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
    from symbolic.gm import family

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
    from symbolic.models.sampling import SampleConfig, sample
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
    from symbolic.tokenize.remi import DRUMS, key_token_value

    programs = sorted(
        {DRUMS if t.is_drum else int(t.program) for t in score.tracks if t.note_num()}
    )
    n_bars = bar_count(score)
    controls = tok.control_ids(
        style=style,
        key=key_token_value(tonic, mode),
        programs=programs,
        density=score.note_num() / max(n_bars, 1),
        bars=n_bars + bars,
    )
    body = np.array(tok.encode_score(score), dtype=np.int64)
    bar_id = tok.vocab["Bar_None"]
    per_bar = len(body) / max(n_bars, 1)
    budget = int(per_bar * bars * 1.6) + 16
    room = lm.decoder.max_len - len(controls) - 1 - budget
    if room < per_bar:
        raise SymgenError(
            f"{bars} new bars of this file do not fit the model; ask for fewer --bars"
        )
    starts = np.flatnonzero(body == bar_id)
    fit = starts[starts >= len(body) - room]
    context = body[fit[0] if len(fit) else starts[-1] :]
    prompt = controls + context.tolist() + [bar_id]
    sig = score.time_signatures[-1] if score.time_signatures else None
    meter = f"{sig.numerator}/{sig.denominator}" if sig else "4/4"
    meter = meter if f"TimeSig_{meter}" in tok.vocab else None
    max_bars = int((np.array(prompt) == bar_id).sum()) + bars - 1
    grammars = [tok.grammar(programs=programs, meter=meter, max_bars=max_bars) for _ in range(k)]
    cfg = SampleConfig(temperature=temperature, top_p=top_p, max_new_tokens=budget, seed=seed)
    bar, tick = _progress(budget, "sampling")
    samples = sample(lm.decoder, prompt, grammars, cfg, num_samples=k, progress=tick)
    bar.close()
    offset = _bar_end_tick(score)
    outputs = []
    for new, target in zip(samples, outs, strict=True):
        result = score.copy()
        _append_notes(result, tok.decode([bar_id, *new]), offset)
        outputs.append(str(save_midi(result, target)))
    return {
        "outputs": outputs,
        "input": str(path),
        "style": style,
        "bars_added": bars,
        "key": key_token_value(tonic, mode),
        "programs": programs,
    }


def _append_notes(score: Score, new: Score, offset: int) -> None:
    """Put the new notes after `offset` into the input's tracks (same program, nearest pitch)."""
    new = new.resample(score.tpq, min_dur=1)
    tracks = [t for t in score.tracks if t.note_num()]
    for src in new.tracks:
        if src.note_num() == 0:
            continue
        arr = src.notes.numpy()
        same = [
            t
            for t in tracks
            if t.is_drum == src.is_drum and (src.is_drum or t.program == src.program)
        ]
        if not same:
            continue
        means = np.array([t.notes.numpy()["pitch"].mean() for t in same])
        choice = np.abs(arr["pitch"][:, None].astype(float) - means[None, :]).argmin(axis=1)
        for j, track in enumerate(same):
            sel = choice == j
            if not sel.any():
                continue
            velocity = int(np.median(track.notes.numpy()["velocity"]))
            track.notes.extend(
                Note.from_numpy(
                    time=(arr["time"][sel] + offset).astype(np.int32),
                    duration=arr["duration"][sel],
                    pitch=arr["pitch"][sel],
                    velocity=np.full(int(sel.sum()), velocity, dtype=np.int8),
                )
            )
            track.notes.sort()
