"""What every source shares: the `Piece` a loader makes, the `Source` that pairs a lister with
a loader, and the check that a shared data set is where the data root says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from symusic import Score

from symbolic.errors import SymgenError

Item = tuple[Any, ...]


@dataclass(frozen=True)
class Piece:
    """One piece of music from a source: a stable id, its style label, raw metadata, content."""

    id: str
    source: str
    style: str
    meta: dict = field(default_factory=dict, hash=False, compare=False)
    score: Score | None = field(default=None, hash=False, compare=False)
    abc: str | None = field(default=None, hash=False, compare=False)


@dataclass(frozen=True)
class Source:
    """A source's lister and loader, and whether it reads the shared data folder.

    `parse_version` is set by a source whose items are files slow to parse (`item[0]` the
    path): `load_piece` then keeps what `load` makes of a file in the parse cache (`cache.py`)
    under that version, so bump it whenever the loader's output for a file changes. Its
    pieces' meta must survive JSON as it is (str keys, lists rather than tuples).
    """

    name: str
    style: str
    items: Callable[[Path, str], list[Item]]
    load: Callable[[Item, Path, str], Piece | None]
    needs_data: bool = True
    parse_version: str | None = None


def require_folder(folder: Path, what: str) -> Path:
    """The folder of a shared data set, or a `SymgenError` saying how to point at it."""
    if not folder.is_dir():
        raise SymgenError(
            f"{what} not found in {folder}: set SYMGEN_DATA (or pass data_root) to the shared "
            "data folder that holds it"
        )
    return folder
