"""The training sources: one module per data set, each defining its `Source`, behind a registry.

A source is two functions: `items` lists cheap, picklable work items (a path, a tune text, a
JSON line) and `load` turns one item into a `Piece` (parsing is the slow part). `build` sends
items to worker processes; `SOURCES[name](data_root, limit)` simply does both in a loop.

Scores are `symusic.Score` at 480 tpq, tracks named and given GM programs so that they sound
right in a DAW; `content="abc"` asks folk/nottingham for the ABC text only (no parsing). The
music21-corpus sources are parsed once and then read from the parse cache (`cache.py`:
`data_cache/parsed/`, or `$SYMGEN_CACHE`, or the `cache` argument).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from symbolic.data.sources import (
    band,
    chorales,
    folk,
    groove,
    lyrics_melody,
    nottingham,
    openewld,
    polyphony,
    pop909,
    quartets,
    wjazzd,
)
from symbolic.data.sources.base import Item, Piece, Source
from symbolic.data.sources.cache import load_cached
from symbolic.errors import SymgenError

__all__ = [
    "REGISTRY",
    "SOURCES",
    "Item",
    "Piece",
    "Source",
    "iter_source",
    "list_items",
    "load_piece",
    "source_names",
]

# The order of this tuple is the order of "all" and of every build's sources.
REGISTRY: dict[str, Source] = {
    s.name: s
    for s in (
        chorales.SOURCE,
        polyphony.PALESTRINA,
        polyphony.MONTEVERDI,
        quartets.SOURCE,
        folk.SOURCE,
        pop909.SOURCE,
        nottingham.SOURCE,
        wjazzd.SOURCE,
        lyrics_melody.SOURCE,
        groove.SOURCE,
        band.SOURCE,
        openewld.SOURCE,
    )
}


def source_names(spec: str) -> list[str]:
    """ "all" or a comma list of source names → the names, checked."""
    names = (
        list(REGISTRY)
        if spec.strip() == "all"
        else [s.strip() for s in spec.split(",") if s.strip()]
    )
    unknown = [n for n in names if n not in REGISTRY]
    if unknown or not names:
        raise SymgenError(
            f"unknown source {', '.join(unknown) or spec!r}: "
            f"choose from {', '.join(REGISTRY)} or all"
        )
    return names


def list_items(
    name: str, data_root: Path, limit: int | None = None, content: str = "score"
) -> list[Item]:
    """The work items of a source, in a fixed order, the first `limit` of them."""
    items = REGISTRY[name].items(Path(data_root), content)
    return items[:limit] if limit is not None else items


def load_piece(
    name: str, item: Item, data_root: Path, content: str = "score", cache: Path | None = None
) -> Piece | None:
    """One item → `Piece` (None when the item holds no usable music); a source with a
    `parse_version` goes through the parse cache in `cache` (default `cache_dir()`)."""
    source = REGISTRY[name]
    if source.parse_version is None:
        return source.load(item, Path(data_root), content)
    return load_cached(source, item, Path(data_root), content, cache)


def iter_source(
    name: str,
    data_root: Path,
    limit: int | None = None,
    content: str = "score",
    cache: Path | None = None,
) -> Iterator[Piece]:
    """Yield the pieces of one source; `limit` counts items, unusable ones are skipped."""
    for item in list_items(name, data_root, limit, content):
        piece = load_piece(name, item, data_root, content, cache)
        if piece is not None:
            yield piece


def _iterator(name: str) -> Callable[..., Iterator[Piece]]:
    def iterate(
        data_root: Path, limit: int | None = None, content: str = "score"
    ) -> Iterator[Piece]:
        return iter_source(name, data_root, limit, content)

    iterate.__name__ = f"iter_{name}"
    iterate.__doc__ = f"Pieces of the {name!r} source (see `REGISTRY[{name!r}]`)."
    return iterate


SOURCES: dict[str, Callable[..., Iterator[Piece]]] = {name: _iterator(name) for name in REGISTRY}
