"""`symgen infill`: regenerate, fill in or add tracks and bars of a MIDI file with the grid
diffusion model (`symbolic.models.diffusion`).

condition → tokens → sample → score: the file's tracks become grid rows (the chosen ones
masked over the chosen bars, new ones empty and masked), the chord row is the user's
`--chords` or else the chord recogniser's (`symbolic.models.chords`), one per beat, of all
tracks (with `--reharmonize` of the tracks kept; the JSON reports it), the model fills the
masked cells window by window (each window starts on a bar and keeps what the one before
it wrote), and only the masked cells come back as notes.

The output is the input file itself (`symbolic.merge`): its resolution, tracks, order, names
and every event (other tracks, the chosen tracks outside the bars and their controllers,
tracks beyond the model's rows, tempo map, signatures, lyrics, markers) exactly as they were;
only the new notes are cleaned for a DAW. A take that leaves bars empty where the song had
music is sampled again (at most `TRIES` seeds); one that writes nothing at all is an error.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from symusic import Score

from symbolic.errors import SymgenError
from symbolic.merge import Merged, NewTrack, Original, merge, read_original, sounding_bars
from symbolic.plot import plot_outputs
from symbolic.score import check_output, parse_bar_range
from symbolic.tasks.requests import InfillRequest
from symbolic.theory.gm import FAMILIES, PROGRAM_NAMES, family, program_name
from symbolic.tokenize.grid import (
    MASK,
    MAX_ROWS,
    STEP,
    Grid,
    GridTrack,
    chord_name,
    grid_to_score,
    parse_chords,
    row_roles,
    score_to_grid,
    windows,
)

DEFAULT_MODEL = InfillRequest.model
# the sampling defaults, and how they were chosen: `symbolic.tasks.requests`
TEMPERATURE = InfillRequest.temperature
GUIDANCE = InfillRequest.guidance
HARMONY = InfillRequest.harmony
TRIES = 3  # samplings (seed, seed + 7919, ...) until every asked bar gets notes
DRUM_WORDS = ("drums", "drum", "drum kit", "drumkit", "percussion", "kit")


def select_tracks(score: Score, selectors: str) -> list[int]:
    """Track indices for "piano,2,Alto": an index, a track name, then an instrument (GM
    program or family name, or a common instrument word), case-insensitively, in that order."""
    chosen: list[int] = []
    for sel in (s.strip() for s in selectors.split(",")):
        if not sel:
            continue
        low = sel.lower()
        if sel.isdigit():
            hits = [int(sel)] if int(sel) < len(score.tracks) else []
        else:
            hits = [i for i, t in enumerate(score.tracks) if t.name.strip().lower() == low]
        if not hits and not sel.isdigit():
            try:
                program, drum, _ = instrument(sel)
            except SymgenError:
                program, drum = -1, False
            hits = [
                i
                for i, t in enumerate(score.tracks)
                if (drum and t.is_drum)
                or (not drum and not t.is_drum and t.program == program)
                or family(t.program, t.is_drum).lower() == low
            ]
        if not hits:
            listing = ", ".join(
                f"[{i}] {t.name or program_name(t.program, t.is_drum)}"
                for i, t in enumerate(score.tracks)
            )
            raise SymgenError(
                f"no track {sel!r} in the file; its tracks are {listing} (give an index, a "
                "track name or an instrument)"
            )
        chosen += [i for i in hits if i not in chosen]
    if not chosen:
        raise SymgenError("--tracks is empty; name tracks like --tracks piano or --tracks 0,2")
    return chosen


def instrument(text: str) -> tuple[int, bool, str]:
    """(GM program, drum flag, track name) for "bass", "drums", "Violin", "alto sax", "33"."""
    from symbolic.prompt import instrument_programs

    word = re.sub(r"\s+", " ", text.strip().lower())
    if word in DRUM_WORDS:
        return 0, True, "Drums"
    if word.isdigit() and int(word) < 128:
        return int(word), False, PROGRAM_NAMES[int(word)]
    names = [n.lower() for n in PROGRAM_NAMES]
    if word in names:
        return names.index(word), False, PROGRAM_NAMES[names.index(word)]
    programs = instrument_programs(word)
    if programs and programs[0] < 128:
        return programs[0], False, text.strip().title()
    if word in (f.lower() for f in FAMILIES):
        index = [f.lower() for f in FAMILIES].index(word)
        return index * 8, False, FAMILIES[index]
    partial = [i for i, n in enumerate(names) if word in n]
    if partial:
        return partial[0], False, PROGRAM_NAMES[partial[0]]
    raise SymgenError(
        f"unknown instrument {text!r}; use a General MIDI name or a word like piano, bass, "
        "guitar, strings, violin, flute, sax, drums"
    )


def _with_new_rows(grid: Grid, tracks: list[GridTrack]) -> Grid:
    """The grid with empty rows appended for new tracks."""
    extra = np.zeros((len(tracks), *grid.pitch.shape[1:]), np.int16)
    grid.pitch, grid.duration, grid.velocity = (
        np.concatenate([a, extra]) for a in (grid.pitch, grid.duration, grid.velocity)
    )
    grid.tracks = [*grid.tracks, *tracks]
    return grid


def fill(
    net,
    grid: Grid,
    target: np.ndarray,
    *,
    steps: int,
    seed: int,
    temperature: float = TEMPERATURE,
    guidance: float = GUIDANCE,
    tones: np.ndarray | None = None,
    role_priors: bool = True,
) -> Grid:
    """The grid with its `target` (rows, cols) cells sampled, window by window (each window
    sees what the ones before it wrote). Rows keep the roles of the input's tracks: a track
    being rewritten keeps its register and texture, an added one has none. `tones` (cols, 12)
    is a harmonic prior on the pitch logits, `role_priors` keeps drum rows on percussion
    notes and a bass in its range (both `symbolic.models.diffusion.sample`).

    Sampling runs on one thread: batch-1 passes over 128 columns are too small to share,
    extra threads only spin on a busy machine (25 times slower measured here), and the
    output bytes then do not depend on the number of cores.
    """
    import torch

    from symbolic.models.diffusion import Context, sample
    from symbolic.tokenize.grid import PAD_PROGRAM

    cfg = net.cfg
    cells = np.stack([grid.pitch, grid.duration, grid.velocity], -1).astype(np.int64)
    cells[target] = MASK
    programs = torch.full((1, cfg.rows), PAD_PROGRAM)
    programs[0, : grid.rows] = torch.from_numpy(grid.programs.astype(np.int64))
    roles = torch.zeros(1, cfg.rows, dtype=torch.long)
    roles[0, : grid.rows] = torch.from_numpy(row_roles(grid.pitch))
    bars = torch.from_numpy(grid.bar_position())[None]
    chords = torch.from_numpy(grid.chords.astype(np.int64))[None]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for n, (a, b) in enumerate(windows(grid, cfg.width, cfg.width // 4)):
            if not target[:, a:b].any():
                continue
            win = np.zeros((1, b - a, cfg.rows, cfg.slots, 3), np.int64)
            win[0, :, : grid.rows] = cells[:, a:b].transpose(1, 0, 2, 3)
            tgt = np.zeros((1, b - a, cfg.rows), bool)
            tgt[0, :, : grid.rows] = target[:, a:b].T
            pad = torch.zeros(1, b - a, dtype=torch.bool)
            out = sample(
                net,
                torch.from_numpy(win),
                torch.from_numpy(tgt),
                Context(programs, roles, chords[:, a:b], bars[:, a:b], pad),
                steps=steps,
                temperature=temperature,
                guidance=guidance,
                tones=None if tones is None else torch.from_numpy(tones[None, a:b]),
                role_priors=role_priors,
                generator=torch.Generator().manual_seed(seed * 100_003 + n),
            )[0].numpy()
            cells[:, a:b] = out[:, : grid.rows].transpose(1, 0, 2, 3)
    finally:
        torch.set_num_threads(threads)
    filled = replace(grid)
    keep = target[..., None]
    filled.pitch, filled.duration, filled.velocity = (
        np.where(keep, cells[..., i], 0).astype(np.int16) for i in range(3)
    )
    filled.long_notes = grid.long_notes[:0]
    return filled


def progression(grid: Grid, first: int, last: int) -> str:
    """The chord row over bars `first`..`last` as text, "C G | Am F" (a chord is written where
    it changes within its bar), for the user to read what was estimated or given."""
    bars = []
    stops = np.r_[grid.bar_starts[1:], grid.cols]
    for a, b in zip(grid.bar_starts[first : last + 1], stops[first : last + 1], strict=True):
        ids = grid.chords[a:b]
        changes = ids[np.r_[True, ids[1:] != ids[:-1]]]
        bars.append(" ".join(chord_name(int(c)) for c in changes) or "N")
    return " | ".join(bars)


def infill(request: InfillRequest) -> dict:
    """Regenerate `tracks`, add the instruments in `add`, over `bars` (default the whole song);
    write the result to `out`. Returns what `--json` prints.

    Without `chords`, the chord of every beat is recognised from all the song's tracks, the
    ones being rewritten included, so that a new take keeps the song's harmony; with
    `reharmonize`, only from the tracks that stay, and the new parts may change it."""
    r = request
    path, tracks, bars, add, chords, out = r.file, r.tracks, r.bars, r.add, r.chords, r.out
    steps, seed, temperature, guidance = r.steps, r.seed, r.temperature, r.guidance
    harmony, reharmonize, model = r.harmony, r.reharmonize, r.model
    t0 = time.perf_counter()
    path = Path(path)
    if not tracks and not add:
        raise SymgenError("say what to write: --tracks piano (regenerate) or --add bass,drums")
    if not 1 <= steps <= 1000:
        raise SymgenError(f"--steps {steps}: give 1 to 1000 steps")
    original = read_original(path)
    score = original.score
    out = Path(out) if out else Path(f"{path.stem}-infill.mid")
    check_output(out, path)
    targets = select_tracks(score, tracks) if tracks else []
    new = [instrument(a) for a in add.split(",") if a.strip()] if add else []
    if add and not new:
        raise SymgenError("--add is empty; name instruments like --add bass,drums")
    if len(targets) + len(new) > MAX_ROWS:
        raise SymgenError(
            f"{len(targets) + len(new)} tracks to write; the model writes at most {MAX_ROWS}"
        )
    others = [i for i, t in enumerate(score.tracks) if t.note_num() and i not in targets]
    rows = targets + others[: MAX_ROWS - len(targets) - len(new)]
    grid, _ = score_to_grid(score, rows=rows, chords=None)
    grid = _with_new_rows(grid, [GridTrack(p, d, name) for p, d, name in new])
    kept_out = [i for i in others if i not in rows]
    n_bars = len(grid.bar_starts)
    first, last = parse_bar_range(bars, n_bars) if bars else (0, n_bars - 1)
    a = int(grid.bar_starts[first])
    b = int(grid.bar_starts[last + 1]) if last + 1 < n_bars else grid.cols
    target = np.zeros((grid.rows, grid.cols), bool)
    write_rows = [*range(len(targets)), *range(len(rows), grid.rows)]
    target[write_rows, a:b] = True
    tones, heard = None, []
    if chords:
        grid.chords = parse_chords(chords, grid, first_bar=first, last_bar=last)
    else:  # a rewritten track keeps the song's harmony unless asked to reharmonise
        heard = others if reharmonize else [i for i, t in enumerate(score.tracks) if t.note_num()]
    if heard:
        from symbolic.models.chords import recognize_chords

        sounding = score.copy()
        sounding.tracks = [score.tracks[i] for i in heard]
        grid.chords, in_chord = recognize_chords(sounding, grid.cols)
        tones = (harmony * np.log(in_chord + 0.05)).astype(np.float32) if harmony else None
    t1 = time.perf_counter()
    from symbolic.models.checkpoint import resolve
    from symbolic.models.diffusion import load as load_net

    net = load_net(resolve(model))
    t2 = time.perf_counter()
    edges = np.r_[grid.bar_starts[first : last + 1], b] * STEP
    heard_before = [score.tracks[i].notes.numpy() for i in (targets or range(len(score.tracks)))]
    expected = sounding_bars(heard_before, edges)  # bars that had music: they should get some
    best, tries = None, 0
    for tries in range(1, TRIES + 1):
        filled = grid_to_score(
            fill(
                net,
                grid,
                target,
                steps=steps,
                seed=seed + 7919 * (tries - 1),
                temperature=temperature,
                guidance=guidance,
                tones=tones,
                role_priors=not r.raw,
            )
        )
        result = _merge(original, filled, targets, len(rows), new, a * STEP, b * STEP)
        got = sounding_bars(result.written, original.to_file(edges))
        if best is None or got.sum() > best[0].sum():
            best = (got, result)
        if got[expected].all() and got.any():
            break
    got, result = best
    written = int(got.sum())
    t3 = time.perf_counter()
    if result.note_count() == 0:
        raise SymgenError(
            f"the model wrote no notes in bars {first + 1}-{last + 1} ({tries} tries from seed "
            f"{seed}); try another --seed, more --steps or other bars"
        )
    result.save(out)
    notes = [*original.notes]
    if written < last - first + 1:
        notes.append(
            f"new notes in {written} of the {last - first + 1} bars asked ({tries} tries); the "
            "others rest"
        )
    notes += [
        f"track {i} ({score.tracks[i].name or program_name(score.tracks[i].program)}) is beyond "
        f"the model's {MAX_ROWS} rows: kept as it is and not heard by the model"
        for i in kept_out
    ]
    used = progression(grid, first, last)
    if heard:
        bars_used = used.split(" | ")
        shown = " | ".join(bars_used[:8]) + (" | ..." if len(bars_used) > 8 else "")
        source = "all tracks (the rewritten ones keep their harmony; --reharmonize: the others)"
        if reharmonize or not targets:
            source = "the other tracks"
        notes.append(f"chords recognised from {source}, from bar {first + 1}: {shown}")
    return {
        "outputs": [str(out)],
        "png": plot_outputs([str(out)]) if r.png else [],
        "input": str(path),
        "model": str(model),
        "seed": seed,
        "steps": steps,
        "tracks": [score.tracks[i].name or str(i) for i in targets],
        "added": [name for _, _, name in new],
        "bars": [first + 1, last + 1],
        "bars_written": written,
        "tries": tries,
        "chords": chords,
        "chords_used": used,
        "guidance": guidance,
        "chords_from": [score.tracks[i].name or str(i) for i in heard],
        "harmony": harmony if tones is not None else 0.0,
        "role_priors": not r.raw,
        "notes": notes,
        "timings": {
            "prepare": round(t1 - t0, 3),
            "load_model": round(t2 - t1, 3),
            "sample": round(t3 - t2, 3),
            "total": round(time.perf_counter() - t0, 3),
        },
    }


def _merge(
    original: Original,
    filled: Score,
    targets: list[int],
    n_rows: int,
    new: list[tuple[int, bool, str]],
    start: int,
    stop: int,
) -> Merged:
    """The input file with the target tracks' notes starting in [start, stop) ticks (480 tpq)
    replaced by the filled rows' notes (cut at `stop`), and the new tracks appended."""
    replace = {index: filled.tracks[row].notes.numpy() for row, index in enumerate(targets)}
    added = [
        NewTrack(name, program, drum, filled.tracks[row].notes.numpy())
        for row, (program, drum, name) in enumerate(new, start=n_rows)
    ]
    return merge(original, replace, (start, stop), added)
