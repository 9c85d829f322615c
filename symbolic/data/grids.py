"""Build memory-mappable grid arrays (`symbolic.tokenize.grid`) for the infill model.

    python -m symbolic.data.grids pop909,chorales,palestrina,nottingham,wjazzd --out data_cache/grid

Output folder, one set per split (`train`, `val`, by `piece_split(piece)`):

- ``{split}.cells.npy``: uint8 ``(n, K, 3)``: the (pitch, duration, velocity) ids of every cell,
  pieces concatenated, each piece row-major (row, column).
- ``{split}.cols.npy``: uint8 ``(m, 2)``: chord id and bar position (16ths) of every column.
- ``{split}.index.npy``: int64 ``(p, 6)``: cell offset, column offset, rows, columns, first
  program row in ``{split}.programs.npy`` (int16 program ids, 128 drums, one per row), and
  the source's position in build.json's ``sources`` (the trainer balances sources).
- ``build.json``: sources, counts, seconds.

Pieces load in worker processes (music21 is slow); results are written in item order, so the
same inputs give the same arrays. Tracks beyond the grid's row limit are left out.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from symbolic.data.pieces import gather, main
from symbolic.data.sources import load_piece, source_names
from symbolic.data.split import piece_split
from symbolic.tokenize.grid import score_to_grid


def piece_arrays(job: tuple) -> tuple[str, tuple | None]:
    """Worker: one item → (split, (cells, cols, programs)) or (error text, None)."""
    name, item, root = job
    try:
        piece = load_piece(name, item, root)
        if piece is None or piece.score is None or piece.score.note_num() == 0:
            return "skip", None
        grid, _ = score_to_grid(piece.score)
        if grid.rows == 0:
            return "skip", None
        cells = np.stack([grid.pitch, grid.duration, grid.velocity], axis=-1).astype(np.uint8)
        cols = np.stack([grid.chords, grid.bar_position()], axis=-1).clip(0, 255).astype(np.uint8)
        return piece_split(piece), (cells.reshape(-1, *cells.shape[2:]), cols, grid.programs)
    except Exception as err:  # one bad file must not stop a build of thousands
        return f"error {type(err).__name__}: {str(err)[:120]}", None


def build(sources: str, out: Path, workers: int = 2, data_root: Path | None = None) -> dict:
    """Grid arrays of the pieces of `sources` in `out`; returns the summary (build.json)."""
    started = time.time()
    names = source_names(sources)
    parts, counts = gather(piece_arrays, names, workers, data_root)
    out.mkdir(parents=True, exist_ok=True)
    for split, done in parts.items():
        pieces = [(*arrays, source) for source, arrays in done]
        rows = np.array([len(p[2]) for p in pieces], np.int64)
        ncols = np.array([len(p[1]) for p in pieces], np.int64)
        index = np.stack(
            [
                np.r_[0, np.cumsum(rows * ncols)[:-1]],
                np.r_[0, np.cumsum(ncols)[:-1]],
                rows,
                ncols,
                np.r_[0, np.cumsum(rows)[:-1]],
                np.array([p[3] for p in pieces], np.int64),
            ],
            axis=1,
        )
        np.save(out / f"{split}.cells.npy", np.concatenate([p[0] for p in pieces]))
        np.save(out / f"{split}.cols.npy", np.concatenate([p[1] for p in pieces]))
        np.save(out / f"{split}.programs.npy", np.concatenate([p[2] for p in pieces]))
        np.save(out / f"{split}.index.npy", index)
    summary = {
        "source": sources,
        "sources": names,
        "tokenizer": "grid",
        "pieces": {s: len(p) for s, p in parts.items()},
        "items": counts,
        "seconds": round(time.time() - started, 1),
    }
    (out / "build.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


if __name__ == "__main__":
    main(build, __doc__.splitlines()[0], "data_cache/grid")
