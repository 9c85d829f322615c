"""LightningDataModule over the shards of `symgen data build`: fixed-length training windows.

Each window is a piece's prefix (BOS + controls or header) followed by a crop of its body that
starts at a bar (so the model always sees the conditioning first). Data order and crops are a
pure function of (seed, epoch, position), and the sampler's position is saved in Lightning
checkpoints, so a killed run resumes with exactly the batches it would have seen. A run that
starts from an exported model instead (`init_from`, a model trained over many sessions) mixes
its seed with that model's weights (`warm_seed`), so each session draws new windows rather
than the same first ones again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from symbolic.tokenize.base import SequenceTokenizer

IGNORE = -100


def warm_seed(seed: int, init_from: str | None) -> int:
    """`seed` for a run from scratch; for one warm-started from the model folder `init_from`,
    `seed` mixed with a digest of its weights (the same folder gives the same data)."""
    if not init_from:
        return seed
    from symbolic.models.checkpoint import resolve

    weights = resolve(init_from) / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).digest()
    return seed ^ int.from_bytes(digest[:4], "little")


class WindowDataset(Dataset):
    """Windows of `seq_len` + 1 tokens; labels ignore padding and the prefix.

    With `captions`, each item also carries one of the piece's caption embeddings
    (`captions.{split}.npy` from `symbolic.data.captions`), a different one each epoch.
    """

    def __init__(
        self,
        folder: Path,
        split: str,
        seq_len: int,
        pad_id: int,
        bar_ids: list[int],
        captions: bool = False,
    ):
        from symbolic.data.build import Shards

        self.shards = Shards(folder, split)
        self.captions = np.load(folder / f"captions.{split}.npy") if captions else None
        if self.captions is not None and len(self.captions) != len(self.shards):
            raise ValueError(f"{folder}: captions do not match the shards; rebuild them")
        self.seq_len = seq_len
        self.pad_id = pad_id
        self.bar_ids = np.array(bar_ids, dtype=np.int64)
        self.epoch = 0
        self.seed = 0

    def __len__(self) -> int:
        return len(self.shards)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        seq = np.asarray(self.shards.sequence(index), dtype=np.int64)
        plen = int(self.shards.index[index][1])
        prefix, body = seq[:plen], seq[plen:]  # the body keeps its EOS: the model learns to end
        room = self.seq_len + 1 - len(prefix)
        start = 0
        if len(body) > room and len(self.bar_ids):
            rng = np.random.default_rng((self.seed, self.epoch, index))
            bars = np.flatnonzero(np.isin(body[: len(body) - room // 2], self.bar_ids))
            if len(bars):
                start = int(rng.choice(bars))
        window = np.concatenate([prefix, body[start : start + room]])
        ids = np.full(self.seq_len + 1, self.pad_id, dtype=np.int64)
        ids[: len(window)] = window
        labels = ids.copy()
        labels[: len(prefix)] = IGNORE
        labels[len(window) :] = IGNORE
        item = (torch.from_numpy(ids[:-1]), torch.from_numpy(labels[1:]))
        if self.captions is None:
            return item
        variant = np.random.default_rng((self.seed, self.epoch, index, 1)).integers(
            self.captions.shape[1]
        )
        return (*item, torch.from_numpy(self.captions[index, variant].astype(np.float32)))


class ResumableSampler(Sampler[int]):
    """A seeded permutation per epoch that can restart from the middle of an epoch."""

    def __init__(self, dataset: WindowDataset, seed: int) -> None:
        self.dataset = dataset
        self.seed = seed
        self.epoch = 0
        self.consumed = 0

    def __len__(self) -> int:
        return len(self.dataset)

    def __iter__(self):
        order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.dataset))
        self.dataset.epoch, self.dataset.seed = self.epoch, self.seed
        while self.consumed < len(order):
            self.consumed += 1
            yield int(order[self.consumed - 1])
        self.epoch += 1
        self.consumed = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning before each epoch. An epoch ends after its last full batch, so
        the generator may stop short of its final items: a later epoch number starts afresh
        (an earlier or equal one, as on resume, keeps the saved position)."""
        if epoch > self.epoch:
            self.epoch, self.consumed = epoch, 0

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "consumed": self.consumed}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.consumed = state["epoch"], state["consumed"]


class ShardDataModule(L.LightningDataModule):
    """Training and validation windows from a shard folder.

    Args:
        path: folder written by `symgen data build`.
        seq_len: tokens per training window.
        batch_size: windows per batch.
        seed: fixes data order and crops.
        captions: also yield caption embeddings (for text-conditioned models).
    """

    def __init__(
        self,
        path: str,
        seq_len: int = 512,
        batch_size: int = 16,
        seed: int = 0,
        captions: bool = False,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.captions = captions
        self.seq_len = seq_len
        self.batch_size = batch_size
        self.seed = seed
        self.sampler: ResumableSampler | None = None
        self._pending_state: dict | None = None

    def tokenizer(self) -> SequenceTokenizer:
        """The tokenizer the shards were built with (named in build.json)."""
        from symbolic.tokenize import get_tokenizer

        info = json.loads((self.path / "build.json").read_text())
        return get_tokenizer(info["tokenizer"])

    def setup(self, stage: str | None = None) -> None:
        tok = self.tokenizer()
        self.train_set, self.val_set = (
            WindowDataset(self.path, split, self.seq_len, tok.pad_id, tok.bar_ids, self.captions)
            for split in ("train", "val")
        )
        self.sampler = ResumableSampler(self.train_set, self.seed)
        if self._pending_state:
            self.sampler.load_state_dict(self._pending_state)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.train_set, self.batch_size, sampler=self.sampler, drop_last=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.val_set, self.batch_size)

    def state_dict(self) -> dict:
        return self.sampler.state_dict() if self.sampler else {}

    def load_state_dict(self, state: dict) -> None:
        self._pending_state = state
        if self.sampler:
            self.sampler.load_state_dict(state)


class DrawnDataModule(L.LightningDataModule):
    """Training and validation examples drawn by index from a build folder (the grid and chord
    builds): subclasses say which dataset draws them (`dataset`); validation uses a fixed seed
    and no augmentation."""

    def dataset(self, split: str, size: int, seed: int, augment: bool) -> Dataset:
        raise NotImplementedError

    def _loader(self, split: str, size: int, seed: int, augment: bool) -> DataLoader:
        data = self.dataset(split, size, seed, augment)
        return DataLoader(data, batch_size=self.hparams.batch_size, shuffle=False)

    @property
    def seed(self) -> int:
        return self.hparams.seed

    @seed.setter
    def seed(self, value: int) -> None:
        self.hparams.seed = value

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", self.hparams.train_size, self.seed, True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", self.hparams.val_size, 12345, False)

    def build_info(self) -> dict:
        return json.loads((Path(self.hparams.path) / "build.json").read_text())
