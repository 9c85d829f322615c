"""Chord recogniser: the chord of every beat from the tracks one hears.

`symgen infill` writes new parts under a chord per beat. When the user gives none, the
chords come from what the song sounds: a template match of each beat alone
(`symbolic.tokenize.grid.estimate_chords`) hears a melody's passing notes as harmony and
agrees with POP909's annotations about half the time. This network reads a window of beats
(`chord_features`: pitch-class shares, lowest and highest pitch class, place in the bar),
sees the key and the phrase around each one through bidirectional attention, and names its
chord (N or one of the grid's 96). It is trained on hand-annotated and written-out chords
(`symbolic.data.chords`), transposed to all keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch
from symusic import Score
from torch import nn

from symbolic.tokenize.grid import (
    CHORD_FEATURES,
    NO_CHORD,
    chord_features,
    chord_templates,
    spread,
)

CLASSES = 97  # N, then the grid's chord ids 3..98


@dataclass
class ChordConfig:
    """Network shape."""

    features: int = CHORD_FEATURES
    classes: int = CLASSES
    width: int = 128
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    d_ff: int = 512
    dropout: float = 0.1


class ChordNet(nn.Module):
    """Beat features (B, T, F) + padding flags (B, T) → chord class logits (B, T, classes)."""

    def __init__(self, cfg: ChordConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.inp = nn.Linear(cfg.features, d)
        self.local = nn.Conv1d(d, d, 3, padding=1)
        self.pos = nn.Embedding(cfg.width, d)
        layer = nn.TransformerEncoderLayer(
            d, cfg.n_heads, cfg.d_ff, cfg.dropout, "gelu", batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.classes)

    def forward(self, feats: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        x = self.inp(feats)
        x = x + self.local(x.transpose(1, 2)).transpose(1, 2)
        x = x + self.pos(torch.arange(feats.shape[1], device=feats.device))
        return self.head(self.norm(self.blocks(x, src_key_padding_mask=pad)))


def log_probs(net: ChordNet, feats: np.ndarray) -> np.ndarray:
    """(beats, classes) log-probabilities for a whole piece: windows of `width` beats that
    overlap by half, each beat averaged over the windows that hold it."""
    n, width = len(feats), net.cfg.width
    total = np.zeros((n, net.cfg.classes))
    count = np.zeros((n, 1))
    starts = list(range(0, max(n - width, 0) + 1, width // 2))
    if starts[-1] + width < n:
        starts.append(n - width)
    with torch.no_grad():
        for a in starts:
            x = torch.from_numpy(np.ascontiguousarray(feats[a : a + width], np.float32))[None]
            pad = torch.zeros(1, x.shape[1], dtype=torch.bool)
            total[a : a + width] += net(x, pad)[0].log_softmax(-1).double().numpy()
            count[a : a + width] += 1
    return total / np.maximum(count, 1)


def save(net: ChordNet, folder: str | Path, card: dict) -> Path:
    """Write config.json, bf16 model.safetensors, card.json and README.md."""
    from symbolic.models.checkpoint import save_net

    return save_net(net, folder, card, "symgen-chord-recogniser")


def load(folder: str | Path) -> ChordNet:
    """A shipped or trained recogniser folder → the network in float32, eval mode."""
    from symbolic.models.checkpoint import load_net

    return load_net(folder, lambda c: ChordNet(ChordConfig(**c)))


@cache
def _default() -> ChordNet:
    from symbolic.models.checkpoint import resolve

    return load(resolve("chords"))


def chord_posterior(
    score: Score, cols: int, net: ChordNet | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Beat start columns (n,) and each beat's chord class probabilities (n, 97) for what the
    score's tracks sound (silent beats certain of N); the shipped recogniser unless `net`."""
    seg, feats = chord_features(score, cols)
    probs = np.zeros((len(seg), CLASSES))
    probs[:, 0] = 1.0
    sounding = feats[:, -1] == 0
    if sounding.any():
        probs = np.exp(log_probs(net or _default(), feats))
        probs /= probs.sum(-1, keepdims=True)
        probs[~sounding] = np.eye(CLASSES)[0]
    return seg, probs


def recognize_chords(
    score: Score, cols: int, net: ChordNet | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(cols,) chord row ids, the most likely chord of each beat (`chord_posterior`), and
    (cols, 12) the probability that each pitch class belongs to the chord there: what a part
    can play safely where the chord is uncertain."""
    seg, probs = chord_posterior(score, cols, net)
    ids = spread((probs.argmax(-1) + NO_CHORD).astype(np.int16), seg, cols)
    return ids, spread(probs @ _TONES, seg, cols)


_TONES = np.vstack([np.zeros(12), chord_templates()])  # pitch classes of each class
