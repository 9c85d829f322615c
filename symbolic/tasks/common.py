"""Plumbing the REMI tasks share: sampling N bars in windows that slide past the model's length,
and putting sampled notes into a score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch
from symusic import Note, Score

from symbolic.models.sampling import SampleConfig, sample


def progress_bar(total: int, desc: str, unit: str = "bar"):
    """A tqdm bar on stderr for sampling (appears only when sampling takes over 2 s)."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit=unit, leave=False, delay=2.0)
    return bar, lambda step: bar.update(1)


def sample_bars(
    lm,
    controls: Sequence[int],
    context: Sequence[int],
    bars: int,
    grammar: dict,
    config: SampleConfig,
    prefix: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
) -> list[int]:
    """REMI ids of `bars` new bars after `context` (body ids of complete bars), starting with Bar.

    The model sees the controls and as many of the latest bars as fit half its length; when a
    window fills up, its complete bars are kept and the next window continues from them.
    `prefix` (text-prefix vectors) and `bias` (added logits) go to every window's `sample`.
    """
    tok, max_len = lm.tokenizer, lm.decoder.max_len
    bar_id = tok.vocab["Bar_None"]
    body, new, done, window = list(context), [], 0, 0
    bar, _ = progress_bar(bars, "bars")
    while done < bars:
        starts = np.flatnonzero(np.asarray(body, dtype=np.int64) == bar_id)
        keep = starts[starts >= len(body) - max_len // 2]
        first = keep[0] if len(keep) else (starts[-1] if len(starts) else len(body))
        prompt = [*controls, *body[first:], bar_id]
        limit = prompt.count(bar_id) + bars - done - 1
        state = tok.grammar(**grammar, max_bars=limit)
        room = max_len - len(prompt) - (0 if prefix is None else len(prefix))
        cfg = replace(config, seed=config.seed + window, max_new_tokens=room)
        (out,) = sample(
            lm.decoder, prompt, [state], cfg, eos_id=tok.eos_id, prefix=prefix, bias=bias
        )
        chunk = [bar_id, *out]
        if state.finished or out[-1:] == [tok.eos_id]:
            chunk = [i for i in chunk if i != tok.eos_id]
            new += chunk
            bar.update(bars - done)
            break
        cut = len(chunk) - chunk[::-1].index(bar_id) - 1 if chunk.count(bar_id) > 1 else len(chunk)
        complete = chunk[:cut]
        new += complete
        body += complete
        done += complete.count(bar_id)
        bar.update(complete.count(bar_id))
        window += 1
        if cut == len(chunk):  # one bar longer than a whole window: stop rather than loop
            break
    bar.close()
    return new


def add_notes(score: Score, new: Score, offset: int, velocities: bool = False) -> None:
    """Put `new`'s notes, shifted by `offset` ticks, into `score`'s tracks: same program (drums
    to drums), and among tracks sharing a program the one nearest in mean pitch. With
    `velocities` the sampled ones are kept, else a note gets its track's median velocity."""
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
            velocity = (
                arr["velocity"][sel]
                if velocities
                else np.full(int(sel.sum()), np.median(track.notes.numpy()["velocity"]))
            )
            track.notes.extend(
                Note.from_numpy(
                    time=(arr["time"][sel] + offset).astype(np.int32),
                    duration=arr["duration"][sel],
                    pitch=arr["pitch"][sel],
                    velocity=velocity.astype(np.int8),
                )
            )
            track.notes.sort()
