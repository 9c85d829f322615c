"""String quartets (Haydn, Mozart, Beethoven) from the music21 corpus: violins, viola, cello."""

from __future__ import annotations

from pathlib import Path

from symbolic.data.sources.base import Item, Piece, Source
from symbolic.data.sources.music21_corpus import (
    corpus_id,
    corpus_paths,
    m21_meta,
    parse_corpus,
    to_score,
)

_QUARTET_SKIP = ("mozart/k545",)  # a piano sonata filed beside the quartets


def _quartet_items(data_root: Path, content: str) -> list[Item]:
    paths = corpus_paths(("haydn", "mozart", "beethoven"), ("mxl", "krn", "xml"))
    return [(p,) for p in paths if not any(s in p for s in _QUARTET_SKIP)]


def _string_program(name: str, index: int, count: int) -> tuple[str, int]:
    """GM program of a quartet part by its name (violin 40, viola 41, cello 42)."""
    low = name.lower()
    if "cello" in low or "basso" in low or low.startswith("vc"):
        return name or "Cello", 42
    if "viola" in low or low.startswith("vla") or low.startswith("va"):
        return name or "Viola", 41
    if "viol" in low or low.startswith("vn") or low.startswith("vl"):
        return name or "Violin", 40
    by_order = ["Violin I", "Violin II", "Viola", "Cello"]
    if count == 4:
        return name or by_order[index], [40, 40, 41, 42][index]
    return name or f"Strings {index + 1}", 40


def _load_quartet(item: Item, data_root: Path, content: str) -> Piece | None:
    """A string quartet movement: violins 40, viola 41, cello 42, named by part name."""
    (path,) = item
    parsed = parse_corpus(path)
    parts = list(parsed.parts)
    if len(parts) < 3:
        return None
    score = to_score(parsed)
    for i, (track, part) in enumerate(zip(score.tracks, parts, strict=False)):
        track.name, track.program = _string_program((part.partName or "").strip(), i, len(parts))
    meta = m21_meta(parsed, path)
    cid = corpus_id(path)
    meta["composer"] = meta.get("composer") or cid.split("/", 1)[0].capitalize()
    meta["title"] = meta.get("title") or cid
    return Piece(f"quartets/{cid}", "quartets", "classical", meta, score)


SOURCE = Source(
    "quartets", "classical", _quartet_items, _load_quartet, needs_data=False, parse_version="1"
)
