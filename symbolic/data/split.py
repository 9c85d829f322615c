"""Deterministic train/validation split by a hash of the piece id.

The rule needs no state and no seed: the first 8 bytes of sha1(id) read as a fraction in
[0, 1); below `VAL_FRACTION` is validation. A piece keeps its split across builds, machines
and tokenizers, and transposed copies follow their original (they are train-only anyway).
"""

from __future__ import annotations

import hashlib

VAL_FRACTION = 0.05


def hash_fraction(piece_id: str) -> float:
    """A stable number in [0, 1) from the piece id (sha1, first 8 bytes, big-endian)."""
    digest = hashlib.sha1(piece_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(piece_id: str, val_fraction: float = VAL_FRACTION) -> str:
    """ "val" for about `val_fraction` of ids, "train" for the rest, always the same answer."""
    return "val" if hash_fraction(piece_id) < val_fraction else "train"
