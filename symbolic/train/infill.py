"""Training the infill denoiser: windows of grid arrays (`symbolic.data.grids`), masked.

Each example is a window of `width` columns starting on a bar of a piece drawn with equal
weight per source (longer pieces more often within a source), rows shuffled over the model's
row slots, transposed by -5..+6 semitones (drums kept), some tracks dropped, then a target:
whole tracks (6 in 10) or a bar range of some tracks, of which a uniform share is masked.
Rows carry their role (register, texture); 3 target tracks in 10 without it.
The chord row is given 7 times in 10; otherwise the network learns to infer it. The draw is
a pure function of (seed, index).
"""

from __future__ import annotations

import time
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import Dataset

from symbolic.models.diffusion import (
    ABSENT,
    CONDITION,
    TARGET,
    Context,
    DiffusionConfig,
    GridDenoiser,
    cell_nll,
    load,
    save,
)
from symbolic.tokenize.grid import (
    CHORD_OFFSET,
    DRUM_PROGRAM,
    MASK,
    PAD_PROGRAM,
    PITCH_OFFSET,
    QUALITIES,
    row_roles,
)
from symbolic.train.data import DrawnDataModule
from symbolic.train.optim import adamw_cosine

# Share of examples with the chord row given (the user's chords, or ones the network inferred
# first); the others teach it to infer chords from what it hears, and the unconditional
# prediction guidance uses.
CHORDS_GIVEN = 0.7
# Share of target tracks whose role is not given (as for a track the user adds).
ROLE_UNKNOWN = 0.3


class GridWindows(Dataset):
    """Masked windows drawn from one split of a grid build."""

    def __init__(
        self,
        folder: Path,
        split: str,
        size: int,
        width: int,
        rows: int,
        seed: int,
        augment: bool,
    ) -> None:
        self.cells = np.load(folder / f"{split}.cells.npy", mmap_mode="r")
        self.cols = np.load(folder / f"{split}.cols.npy", mmap_mode="r")
        self.programs = np.load(folder / f"{split}.programs.npy")
        self.index = np.load(folder / f"{split}.index.npy")
        self.size, self.width, self.rows, self.seed, self.augment = (
            size,
            width,
            rows,
            seed,
            augment,
        )
        self.sources = [np.flatnonzero(self.index[:, 5] == s) for s in np.unique(self.index[:, 5])]

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng((self.seed, i))
        pieces = self.sources[rng.integers(len(self.sources))]
        weight = self.index[pieces, 3].astype(np.float64)
        cell0, col0, nrows, ncols, prog0, _ = self.index[
            rng.choice(pieces, p=weight / weight.sum())
        ]
        cols = np.asarray(self.cols[col0 : col0 + ncols])
        starts = np.flatnonzero(cols[: max(ncols - self.width // 2, 1), 1] == 0)
        start = int(rng.choice(starts)) if len(starts) else 0
        stop = min(start + self.width, ncols)
        grid = np.asarray(self.cells[cell0 : cell0 + nrows * ncols]).reshape(nrows, ncols, -1, 3)
        grid = grid[: self.rows, start:stop].astype(np.int64)
        programs = self.programs[prog0 : prog0 + nrows][: self.rows].astype(np.int64)
        chords = cols[start:stop, 0].astype(np.int64)
        bars = cols[start:stop, 1].astype(np.int64)
        if self.augment:
            grid, chords = transpose(grid, programs, chords, int(rng.integers(-5, 7)))
        return masked_example(grid, programs, chords, bars, self.rows, self.width, rng)


def transpose(
    grid: np.ndarray, programs: np.ndarray, chords: np.ndarray, shift: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pitched rows and chord roots moved by `shift` semitones (unchanged if a note would
    leave the MIDI range)."""
    pitch = grid[..., 0]
    pitched = (pitch >= PITCH_OFFSET) & (programs != DRUM_PROGRAM)[:, None, None]
    moved = pitch[pitched] + shift
    if shift == 0 or moved.min(initial=PITCH_OFFSET) < PITCH_OFFSET or moved.max(initial=0) > 129:
        return grid, chords
    grid = grid.copy()
    grid[..., 0][pitched] = moved
    is_chord = chords >= CHORD_OFFSET
    root, quality = np.divmod(chords - CHORD_OFFSET, len(QUALITIES))
    chords = np.where(
        is_chord, CHORD_OFFSET + (root + shift) % 12 * len(QUALITIES) + quality, chords
    )
    return grid, chords


def masked_example(
    grid: np.ndarray,
    programs: np.ndarray,
    chords: np.ndarray,
    bars: np.ndarray,
    rows: int,
    width: int,
    rng: np.random.Generator,
) -> dict[str, torch.Tensor]:
    """A training example: rows placed at random slots, tracks dropped, a target chosen and
    partly masked. Tensors: cells (input), truth, programs, roles, flags, loss mask, chords
    (input), chord_truth, bars, pad."""
    n, c = grid.shape[:2]
    keep = rng.random(n) >= 0.15
    if not keep.any():
        keep[rng.integers(n)] = True
    grid, programs = grid[keep], programs[keep]
    n = len(programs)
    slot = rng.permutation(rows)[:n]
    cells = np.zeros((width, rows, grid.shape[2], 3), np.int64)
    cells[:c, slot] = grid.transpose(1, 0, 2, 3)
    prog = np.full(rows, PAD_PROGRAM, np.int64)
    prog[slot] = programs
    roles = np.zeros(rows, np.int64)
    roles[slot] = row_roles(grid[..., 0])
    target = np.zeros((width, rows), bool)
    chosen = slot[rng.random(n) < 0.5]
    if len(chosen) == 0:
        chosen = slot[rng.integers(n, size=1)]
    if rng.random() < 0.6:
        target[:c, chosen] = True
    else:
        starts = np.unique(np.r_[0, np.flatnonzero(bars == 0), c])
        a, b = sorted(rng.choice(len(starts), size=2, replace=False))
        target[starts[a] : starts[b], chosen] = True
    roles[chosen[rng.random(len(chosen)) < ROLE_UNKNOWN]] = 0  # tracks added, not redone
    masked = target & (rng.random(target.shape) < rng.uniform(0.02, 1.0))
    if not masked.any():
        masked = target.copy()
    flags = np.where(target, TARGET, CONDITION)
    flags[:, prog == PAD_PROGRAM] = ABSENT
    inp = np.where(masked[..., None, None], MASK, cells)
    chord_row = np.zeros(width, np.int64)
    if rng.random() < CHORDS_GIVEN:
        chord_row[:c] = chords
    chord_truth = np.zeros(width, np.int64)
    chord_truth[:c] = chords
    bar_row = np.zeros(width, np.int64)
    bar_row[:c] = bars
    pad = np.arange(width) >= c
    return {
        "cells": torch.from_numpy(inp),
        "truth": torch.from_numpy(cells),
        "programs": torch.from_numpy(prog),
        "roles": torch.from_numpy(roles),
        "flags": torch.from_numpy(flags),
        "masked": torch.from_numpy(masked),
        "chords": torch.from_numpy(chord_row),
        "chord_truth": torch.from_numpy(chord_truth),
        "bars": torch.from_numpy(bar_row),
        "pad": torch.from_numpy(pad),
    }


def context(batch: dict[str, torch.Tensor]) -> Context:
    """The network's `Context` from a batch of `masked_example`s."""
    return Context(*(batch[k] for k in ("programs", "roles", "chords", "bars", "pad")))


class GridDataModule(DrawnDataModule):
    """Training and validation windows of a grid build (`python -m symbolic.data.grids`).

    Args:
        path: the build folder.
        width, rows: window columns and row slots (the model's).
        batch_size, train_size, val_size: examples per batch, per training epoch, validation.
        seed: the draw's seed (validation uses a fixed one).
    """

    def __init__(
        self,
        path: str = "data_cache/grid",
        width: int = 128,
        rows: int = 8,
        batch_size: int = 16,
        train_size: int = 200_000,
        val_size: int = 256,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()

    def dataset(self, split: str, size: int, seed: int, augment: bool) -> GridWindows:
        h = self.hparams
        return GridWindows(Path(h.path), split, size, h.width, h.rows, seed, augment)


class InfillModule(L.LightningModule):
    """The grid denoiser trained on masked cells; loss = nats per masked cell (all slots).

    Args:
        rows, slots, width, d_model, n_layers, n_heads, d_ff, d_row, row_layers, dropout:
            network shape.
        lr, weight_decay, warmup_steps: AdamW with linear warm-up and cosine decay to 10%.
        init_from: a denoiser folder to warm-start from (an older network's weights load,
            parameters it lacks keep their initial values).
    """

    def __init__(
        self,
        rows: int = 8,
        slots: int = 8,
        width: int = 128,
        d_model: int = 256,
        n_layers: int = 4,
        n_heads: int = 4,
        d_ff: int = 1024,
        d_row: int = 128,
        row_layers: int = 1,
        dropout: float = 0.0,
        lr: float = 1e-3,
        weight_decay: float = 0.05,
        warmup_steps: int = 100,
        init_from: str | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = GridDenoiser(
            DiffusionConfig(
                rows,
                slots,
                width,
                d_model,
                n_layers,
                n_heads,
                d_ff,
                d_row,
                row_layers,
                dropout=dropout,
            )
        )
        if init_from:
            warm = load(init_from, strict=False)
            self.model.load_state_dict(warm.state_dict())
        self._tick = time.perf_counter()

    def _loss(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Mean NLL per masked cell; the loss adds the chord NLL of the columns whose chord
        was not given. Also the pitch NLL per masked note cell and the masked cell count."""
        b, masked = batch, batch["masked"]
        logits, chord_logits = self.model.predict(b["cells"], b["flags"], context(b), masked)
        truth = b["truth"][masked]
        notes = truth[:, 0, 0] >= PITCH_OFFSET
        cells = cell_nll(logits, truth).mean()
        hidden = (b["chords"] == 0) & ~b["pad"]
        chord = torch.nan_to_num(F.cross_entropy(chord_logits[hidden], b["chord_truth"][hidden]))
        return {
            "loss": cells + chord,
            "cells": cells,
            "pitch": cell_nll(logits[:1], truth[..., :1])[notes].mean(),
            "chord": chord,
            "n": masked.sum(),
        }

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        out = self._loss(batch)
        now = time.perf_counter()
        self.log("train/loss", out["loss"], prog_bar=True)
        self.log("train/chord", out["chord"])
        self.log("train/cells_per_s", int(out["n"]) / max(now - self._tick, 1e-6), prog_bar=True)
        self._tick = now
        return out["loss"]

    def validation_step(self, batch, batch_idx: int) -> None:
        out = self._loss(batch)
        n = max(int(out["n"]), 1)
        self.log("val/loss", out["cells"], prog_bar=True, batch_size=n)
        self.log("val/pitch", out["pitch"], prog_bar=True, batch_size=n)
        self.log("val/chord", out["chord"], prog_bar=True, batch_size=n)

    def configure_optimizers(self):
        h = self.hparams
        return adamw_cosine(
            self, h.lr, h.weight_decay, h.warmup_steps, self.trainer.estimated_stepping_batches
        )

    def export(self, folder: str | Path, card: dict, metrics: dict, build: dict) -> dict:
        """Write the shipped folder with the validation loss in its card."""
        card = {
            **card,
            "val_loss_per_masked_cell": round(float(metrics["val/loss"]), 4) if metrics else None,
            "val_loss_unit": "nats per masked cell (K slots x pitch, duration, velocity)",
            "train_steps": int(self.trainer.global_step),
            "warm_start": [self.hparams.init_from] if self.hparams.init_from else [],
            "data": build.get("source"),
            "tokenizer": "grid",
        }
        save(self.model, folder, card)
        return card
