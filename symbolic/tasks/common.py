"""Plumbing the REMI tasks share: sampling N bars in windows that slide past the model's length,
and putting sampled notes into a score."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import replace

import numpy as np
from symusic import Score

from symbolic.models.sampling import SampleConfig, sample

# Who else wants to know how sampling goes (the studio's job status): `(desc, done, total)`.
PROGRESS: ContextVar[Callable[[str, int, int], None] | None] = ContextVar(
    "symgen_progress", default=None
)


class Progress:
    """A tqdm bar on stderr (shown only when the work takes over 2 s) that also reports to the
    `PROGRESS` listener of this context."""

    def __init__(self, total: int, desc: str, unit: str) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, unit=unit, leave=False, delay=2.0)
        self.desc, self.total, self.listener = desc, total, PROGRESS.get()

    def update(self, n: int = 1) -> None:
        self.bar.update(n)
        if self.listener is not None:
            self.listener(self.desc, int(self.bar.n), self.total)

    def close(self) -> None:
        self.bar.close()


def progress_bar(total: int, desc: str, unit: str = "bar") -> tuple[Progress, Callable]:
    """A `Progress` and a per-step callback for the sampler (one step per call)."""
    bar = Progress(total, desc, unit)
    return bar, lambda _step=None: bar.update(1)


CONTEXT = 5 / 6  # the share of a window the bars already there may take


def sample_bars(
    lm,
    controls: Sequence[int],
    context: Sequence[int],
    bars: int,
    grammar: dict,
    config: SampleConfig,
    prefix: np.ndarray | None = None,
    bias: np.ndarray | None = None,
) -> list[int]:
    """REMI ids of `bars` new bars after `context` (body ids of complete bars), starting with Bar.

    The model sees the controls and as many of the latest bars as fit `CONTEXT` of its length
    (remi-multi's 3,072 tokens: 2,560, 15-20 bars of band music), so every window still writes
    a sixth of it; when a window fills up, its complete bars are kept and the next window
    continues from them.
    `prefix` (text-prefix vectors) and `bias` (added logits) go to every window's `sample`.
    """
    tok, max_len = lm.tokenizer, lm.decoder.max_len
    bar_id = tok.vocab["Bar_None"]
    body, new, done, window = list(context), [], 0, 0
    bar, _ = progress_bar(bars, "bars")
    while done < bars:
        starts = np.flatnonzero(np.asarray(body, dtype=np.int64) == bar_id)
        keep = starts[starts >= len(body) - int(max_len * CONTEXT)]
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


def place_notes(
    score: Score, new: Score, offset: int, velocities: bool = False
) -> dict[int, dict[str, np.ndarray]]:
    """Where `new`'s notes, shifted by `offset` ticks, go among `score`'s tracks: {track index:
    notes as `Track.notes.numpy()`, in `score`'s ticks}. A note goes to a track of its program
    (drums to drums), and among those to the one nearest in mean pitch. With `velocities` the
    sampled velocities are kept, else a note gets its track's median velocity."""
    new = new.resample(score.tpq, min_dur=1)
    tracks = [i for i, t in enumerate(score.tracks) if t.note_num()]
    placed: dict[int, list[dict[str, np.ndarray]]] = {}
    for src in new.tracks:
        if src.note_num() == 0:
            continue
        arr = src.notes.numpy()
        same = [
            i
            for i in tracks
            if score.tracks[i].is_drum == src.is_drum
            and (src.is_drum or score.tracks[i].program == src.program)
        ]
        if not same:
            continue
        olds = [score.tracks[i].notes.numpy() for i in same]
        means = np.array([old["pitch"].mean() for old in olds])
        choice = np.abs(arr["pitch"][:, None].astype(float) - means[None, :]).argmin(axis=1)
        for j, index in enumerate(same):
            sel = choice == j
            if not sel.any():
                continue
            median = np.full(int(sel.sum()), np.median(olds[j]["velocity"]))
            velocity = arr["velocity"][sel] if velocities else median
            placed.setdefault(index, []).append(
                {
                    "time": arr["time"][sel].astype(np.int64) + offset,
                    "duration": arr["duration"][sel].astype(np.int64),
                    "pitch": arr["pitch"][sel].astype(np.int64),
                    "velocity": velocity.astype(np.int64),
                }
            )
    return {
        i: {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
        for i, parts in sorted(placed.items())
    }
