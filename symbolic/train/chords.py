"""Training the chord recogniser (`symbolic.models.chords`) on beat examples
(`python -m symbolic.data.chords`).

Each training example is a window of `width` beats starting anywhere in an example drawn in
proportion to its length, transposed by a random 0-11 semitones: the four pitch-class blocks
roll and the chord roots move with them. Validation windows are fixed and not
transposed. The draw is a pure function of (seed, index).
"""

from __future__ import annotations

import time
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import Dataset

from symbolic.models.chords import ChordConfig, ChordNet, save
from symbolic.tokenize.grid import QUALITIES
from symbolic.train.data import DrawnDataModule
from symbolic.train.optim import adamw_cosine


def transpose(feats: np.ndarray, labels: np.ndarray, shift: int) -> tuple[np.ndarray, np.ndarray]:
    """Features and chord classes `shift` semitones up (class 0, N, and -1 stay)."""
    feats = feats.copy()
    for block in range(4):
        cols = slice(12 * block, 12 * block + 12)
        feats[:, cols] = np.roll(feats[:, cols], shift, axis=1)
    root, quality = np.divmod(labels.astype(np.int64) - 1, len(QUALITIES))
    moved = 1 + (root + shift) % 12 * len(QUALITIES) + quality
    return feats, np.where(labels >= 1, moved, labels)


class BeatWindows(Dataset):
    """Windows of beats drawn from one split of a chord build."""

    def __init__(self, folder: Path, split: str, size: int, width: int, seed: int, augment: bool):
        self.feats = np.load(folder / f"{split}.feats.npy", mmap_mode="r")
        self.labels = np.load(folder / f"{split}.labels.npy", mmap_mode="r")
        self.index = np.load(folder / f"{split}.index.npy")
        self.size, self.width, self.seed, self.augment = size, width, seed, augment
        self.weight = self.index[:, 1] / self.index[:, 1].sum()

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng((self.seed, i))
        first, n = self.index[rng.choice(len(self.index), p=self.weight)]
        start = first + int(rng.integers(max(n - self.width, 0) + 1))
        stop = min(start + self.width, first + n)
        feats = np.asarray(self.feats[start:stop], np.float32)
        labels = np.asarray(self.labels[start:stop], np.int64)
        if self.augment:
            feats, labels = transpose(feats, labels, int(rng.integers(12)))
        c = stop - start
        x = np.zeros((self.width, feats.shape[1]), np.float32)
        y = np.full(self.width, -1, np.int64)
        x[:c], y[:c] = feats, labels
        return {
            "feats": torch.from_numpy(x),
            "labels": torch.from_numpy(y),
            "pad": torch.from_numpy(np.arange(self.width) >= c),
        }


class ChordDataModule(DrawnDataModule):
    """Training and validation windows of a chord build.

    Args:
        path: the build folder.
        width: beats per window (the model's).
        batch_size, train_size, val_size: windows per batch, per training epoch, validation.
        seed: the draw's seed (validation uses a fixed one).
    """

    def __init__(
        self,
        path: str = "data_cache/chords",
        width: int = 128,
        batch_size: int = 32,
        train_size: int = 1_000_000,
        val_size: int = 512,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()

    def dataset(self, split: str, size: int, seed: int, augment: bool) -> BeatWindows:
        h = self.hparams
        return BeatWindows(Path(h.path), split, size, h.width, seed, augment)


class ChordModule(L.LightningModule):
    """The recogniser trained by cross-entropy on every scored beat.

    Args:
        width, d_model, n_layers, n_heads, d_ff, dropout: network shape.
        lr, weight_decay, warmup_steps: AdamW with linear warm-up and cosine decay to 10%.
    """

    def __init__(
        self,
        width: int = 128,
        d_model: int = 128,
        n_layers: int = 4,
        n_heads: int = 4,
        d_ff: int = 512,
        dropout: float = 0.1,
        lr: float = 1e-3,
        weight_decay: float = 0.05,
        warmup_steps: int = 200,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = ChordNet(
            ChordConfig(
                width=width,
                d_model=d_model,
                n_layers=n_layers,
                n_heads=n_heads,
                d_ff=d_ff,
                dropout=dropout,
            )
        )
        self._tick = time.perf_counter()

    def _loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.model(batch["feats"], batch["pad"])
        labels = batch["labels"]
        loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-1)
        scored = labels >= 0
        accuracy = (logits.argmax(-1) == labels)[scored].float().mean()
        return loss, accuracy

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        loss, accuracy = self._loss(batch)
        now = time.perf_counter()
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/accuracy", accuracy, prog_bar=True)
        beats = int((batch["labels"] >= 0).sum())
        self.log("train/beats_per_s", beats / max(now - self._tick, 1e-6))
        self._tick = now
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        loss, accuracy = self._loss(batch)
        self.log("val/loss", loss, prog_bar=True)
        self.log("val/accuracy", accuracy, prog_bar=True)

    def configure_optimizers(self):
        h = self.hparams
        return adamw_cosine(
            self, h.lr, h.weight_decay, h.warmup_steps, self.trainer.estimated_stepping_batches
        )

    def export(self, folder: str | Path, card: dict, metrics: dict, build: dict) -> dict:
        """Write the shipped folder with the validation loss and accuracy in its card."""
        card = {
            **card,
            "val_loss": round(float(metrics["val/loss"]), 4) if metrics else None,
            "val_accuracy_per_beat": round(float(metrics["val/accuracy"]), 4) if metrics else None,
            "train_steps": int(self.trainer.global_step),
            "data": build.get("source"),
        }
        save(self.model, folder, card)
        return card
