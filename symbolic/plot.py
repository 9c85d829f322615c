"""Piano rolls as PNG: one lane per track named with its instrument, drums as rows of kit
pieces, velocity as shade, bar lines and numbers, chord labels from the file's markers and
lyrics under their notes.

matplotlib (Agg, no screen) draws; notes go in as one `PolyCollection` per lane built from the
track's numpy arrays, so a long file plots in about a second. The PNG carries no software or
date stamp: the same score gives the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from symusic import Score

from symbolic.errors import SymgenError
from symbolic.score import bar_lines, check_output, load, parse_bar_range, write_atomic
from symbolic.theory.chords import parse_chord
from symbolic.theory.gm import drum_name, program_name

WIDTH_IN = 12.0  # inches at DPI: 1,200 pixels wide
DPI = 100
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f")  # fmt: skip
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def chord_labels(score: Score) -> list[tuple[int, str]]:
    """(tick, symbol) of the markers that are chord symbols."""
    labels = []
    for marker in score.markers:
        try:
            chord = parse_chord(marker.text)
        except ValueError:
            continue
        if chord is not None:
            labels.append((int(marker.time), chord.symbol))
    return labels


def _boxes(starts: np.ndarray, ends: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(n, 4, 2) rectangle corners for notes from `starts` to `ends` on `rows`."""
    low, high = rows - 0.4, rows + 0.4
    return np.stack(
        [np.stack([starts, low], 1), np.stack([ends, low], 1),
         np.stack([ends, high], 1), np.stack([starts, high], 1)], 1
    )  # fmt: skip


def plot_score(
    score: Score, path: str | Path, *, bars: str | None = None, title: str | None = None
) -> Path:
    """Draw `score` (bars "A-B" of it, default all) as a piano roll PNG at `path`."""
    import matplotlib.pyplot as plt

    fig = figure(score, bars=bars, title=title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return write_atomic(path, buffer.getvalue())


def figure(score: Score, *, bars: str | None = None, title: str | None = None):
    """The matplotlib `Figure` of the piano roll: one axes per track that sounds in the bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import to_rgb

    lines = bar_lines(score)
    n_bars = max(len(lines), 1)
    first, last = parse_bar_range(bars, n_bars) if bars else (0, n_bars - 1)
    first, last = first + 1, last + 1
    end_tick = int(score.end()) if last == len(lines) else int(lines[last])
    lo, hi = int(lines[first - 1]), max(end_tick, int(lines[first - 1]) + 1)
    lanes = []
    for index, track in enumerate(score.tracks):
        notes = track.notes.numpy()
        keep = (notes["time"] < hi) & (notes["time"] + notes["duration"] > lo)
        notes = {k: v[keep] for k, v in notes.items()}
        if not len(notes["time"]):
            continue
        lanes.append((index, track, notes))
    if not lanes:
        raise SymgenError(f"no notes in bars {first}-{last} to plot; choose other --bars")

    heights = []
    for _, track, notes in lanes:
        span = len(np.unique(notes["pitch"])) if track.is_drum else np.ptp(notes["pitch"]) + 3
        heights.append(float(np.clip(span / 10, 0.9, 3.5)))
    fig, axes = plt.subplots(
        len(lanes), 1, sharex=True, squeeze=False,
        figsize=(WIDTH_IN, sum(heights) + 1.0), gridspec_kw={"height_ratios": heights},
    )  # fmt: skip
    tpq = score.tpq
    for ax, (_, track, notes), colour in zip(
        axes[:, 0], lanes, PALETTE * (len(lanes) // len(PALETTE) + 1), strict=False
    ):
        starts = notes["time"].astype(float) / tpq
        ends = (notes["time"] + np.maximum(notes["duration"], tpq // 16)).astype(float) / tpq
        pitches = notes["pitch"].astype(int)
        if track.is_drum:
            kit = np.unique(pitches)
            rows = np.searchsorted(kit, pitches).astype(float)
            ax.set_yticks(range(len(kit)), [drum_name(int(p)) for p in kit], fontsize=7)
            ax.set_ylim(-0.6, len(kit) - 0.4)
        else:
            rows = pitches.astype(float)
            ax.set_ylim(pitches.min() - 1.5, pitches.max() + 1.5)
            cs = [p for p in range(pitches.min() - 1, pitches.max() + 2) if p % 12 == 0]
            ticks = cs or [int(np.median(pitches))]
            ax.set_yticks(ticks, [f"{NOTE_NAMES[p % 12]}{p // 12 - 1}" for p in ticks], fontsize=7)
        shade = 0.25 + 0.75 * np.clip(notes["velocity"], 1, 127)[:, None] / 127
        colours = np.hstack([np.tile(to_rgb(colour), (len(rows), 1)), shade])
        ax.add_collection(
            PolyCollection(_boxes(starts, ends, rows), facecolors=colours, edgecolors="none")
        )
        if len(track.lyrics) and not track.is_drum:
            _syllables(ax, track, notes, tpq)
        ax.vlines(lines / tpq, *ax.get_ylim(), colors="#999999", linewidths=0.5)
        name = program_name(track.program, track.is_drum)
        label = track.name if track.name and track.name != name else ""
        ax.set_ylabel(f"{label}\n{name}" if label else name, fontsize=8, rotation=0,
                      ha="right", va="center")  # fmt: skip
        ax.grid(False)
    top = axes[0, 0]
    for tick, symbol in chord_labels(score):
        if lo <= tick < hi:
            top.annotate(symbol, (tick / tpq, 1.0), xycoords=("data", "axes fraction"),
                         fontsize=7, va="bottom", annotation_clip=False)  # fmt: skip
    shown = np.arange(first - 1, min(last, len(lines)))
    step = max(1, len(shown) // 16)
    bottom = axes[-1, 0]
    bottom.set_xticks(lines[shown[::step]] / tpq, [str(b + 1) for b in shown[::step]])
    bottom.set_xlabel("bar")
    bottom.set_xlim(lo / tpq, hi / tpq)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _syllables(ax, track, notes: dict, tpq: int) -> None:
    """Each lyric under the note it is sung on (the lane grows by two rows to make room)."""
    order = np.argsort(notes["time"], kind="stable")
    times, pitches = notes["time"][order], notes["pitch"][order]
    low, high = ax.get_ylim()
    ax.set_ylim(low - 2.5, high)
    for lyric in track.lyrics:
        at = min(int(np.searchsorted(times, lyric.time)), len(times) - 1)
        if not len(times) or times[at] != lyric.time:
            continue
        ax.text(lyric.time / tpq, pitches[at] - 1.1, lyric.text, fontsize=6, ha="left", va="top")


def plot_file(path: str | Path, out: str | Path | None = None, *, bars: str | None = None) -> Path:
    """Piano roll of a MIDI, ABC or MusicXML file (default: beside it, as .png)."""
    path = Path(path)
    target = check_output(Path(out) if out is not None else path.with_suffix(".png"), path)
    return plot_score(load(path), target, bars=bars, title=path.name)


def plot_outputs(outputs: list[str]) -> list[str]:
    """A piano roll beside each MIDI file a command wrote (`--png`)."""
    return [str(plot_file(o)) for o in outputs if Path(o).suffix.lower() in (".mid", ".midi")]
