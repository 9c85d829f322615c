"""Deterministic train/validation split by a hash of the piece id.

The rule needs no state and no seed: the first 8 bytes of sha1(id) read as a fraction in
[0, 1); below `VAL_FRACTION` is validation. A piece keeps its split across builds, machines
and tokenizers, and transposed copies follow their original (they are train-only anyway).
A source that comes with its own split (Groove) sets `meta["split"]`, and `piece_split`
honours it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from symbolic.data.sources.base import Piece

VAL_FRACTION = 0.05


def hash_fraction(piece_id: str) -> float:
    """A stable number in [0, 1) from the piece id (sha1, first 8 bytes, big-endian)."""
    digest = hashlib.sha1(piece_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(piece_id: str, val_fraction: float = VAL_FRACTION, dev_fraction: float = 0.0) -> str:
    """ "val" for about `val_fraction` of ids, "dev" for the next `dev_fraction` (settings are
    tuned there, never on "val"), "train" for the rest; always the same answer."""
    h = hash_fraction(piece_id)
    return "val" if h < val_fraction else "dev" if h < val_fraction + dev_fraction else "train"


def piece_split(piece: Piece) -> str:
    """The split of a piece: the one its source gives in `meta["split"]` ("train" or "val",
    for data sets with their own split such as Groove), else `split_of(piece.id)`."""
    split = (piece.meta or {}).get("split")
    if split is None:
        return split_of(piece.id)
    if split not in ("train", "val"):
        raise ValueError(f"{piece.id}: split {split!r} is neither 'train' nor 'val'")
    return split
