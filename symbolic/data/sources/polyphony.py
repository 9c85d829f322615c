"""Renaissance vocal polyphony from the music21 corpus: Palestrina's masses, Monteverdi's
madrigals, one Choir Aahs track per voice."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from symbolic.data.sources.base import Item, Piece, Source
from symbolic.data.sources.music21_corpus import (
    corpus_id,
    corpus_paths,
    m21_meta,
    parse_corpus,
    voices_score,
)


def _polyphony_items(composer: str, suffixes: tuple[str, ...]) -> Callable[[Path, str], list]:
    def items(data_root: Path, content: str) -> list[Item]:
        return [(p,) for p in corpus_paths((composer,), suffixes)]

    return items


def _load_polyphony(
    source: str, style: str, composer: str, item: Item, data_root: Path, content: str
) -> Piece | None:
    """Vocal polyphony (Palestrina, Monteverdi): one Choir Aahs track per voice."""
    (path,) = item
    parsed = parse_corpus(path)
    parts = list(parsed.parts)
    if not parts:
        return None
    names = [(p.partName or "").strip() or f"Voice {i + 1}" for i, p in enumerate(parts)]
    score = voices_score(parsed, names, 52)
    meta = m21_meta(parsed, path)
    # The corpus files' own title/composer fields are often garbled: use the file name.
    meta["composer"] = composer
    stem = corpus_id(path).split("/", 1)[-1]
    meta["title"] = (
        "Madrigal " + stem.split(".", 1)[-1]
        if stem.startswith("madrigal.")
        else stem.replace("_", " ")
    )
    return Piece(f"{source}/{corpus_id(path).split('/', 1)[-1]}", source, style, meta, score)


PALESTRINA = Source(
    "palestrina",
    "renaissance",
    _polyphony_items("palestrina", ("krn", "mxl", "xml")),
    partial(_load_polyphony, "palestrina", "renaissance", "Giovanni Pierluigi da Palestrina"),
    needs_data=False,
    parse_version="1",
)
MONTEVERDI = Source(
    "monteverdi",
    "madrigal",
    _polyphony_items("monteverdi", ("mxl", "xml", "krn")),
    partial(_load_polyphony, "monteverdi", "madrigal", "Claudio Monteverdi"),
    needs_data=False,
    parse_version="1",
)
