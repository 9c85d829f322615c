"""Bach's chorales from the music21 corpus: four sung voices, lyrics on the soprano."""

from __future__ import annotations

from pathlib import Path

from symbolic.data.sources.base import Item, Piece, Source
from symbolic.data.sources.music21_corpus import (
    corpus_id,
    corpus_paths,
    m21_meta,
    parse_corpus,
    voices_score,
)

_SATB = ("Soprano", "Alto", "Tenor", "Bass")


def _chorale_items(data_root: Path, content: str) -> list[Item]:
    return [(p,) for p in corpus_paths(("bach",), ("mxl", "xml"))]


def _load_chorale(item: Item, data_root: Path, content: str) -> Piece | None:
    """A Bach chorale: the four sung voices (instrument doublings dropped), lyrics on Soprano."""
    from music21 import stream

    (path,) = item
    parsed = parse_corpus(path)
    parts = list(parsed.parts)
    if len(parts) != 4:
        by_voice = {}
        for part in parts:
            name = (part.partName or "").strip().lower()
            for voice in _SATB:
                if name.startswith(voice.lower()[:3]) and voice not in by_voice:
                    by_voice[voice] = part
        if len(by_voice) != 4:
            return None
        parts = [by_voice[v] for v in _SATB]
        keep = stream.Score(parts)
        keep.metadata = parsed.metadata
        parsed = keep
    score = voices_score(parsed, list(_SATB), 52)
    for track in score.tracks[1:]:
        track.lyrics.clear()
    meta = m21_meta(parsed, path)
    meta["composer"] = "J. S. Bach"
    meta["lyrics"] = len(score.tracks[0].lyrics) > 0
    return Piece(f"chorales/{corpus_id(path)}", "chorales", "chorale", meta, score)


SOURCE = Source(
    "chorales", "chorale", _chorale_items, _load_chorale, needs_data=False, parse_version="1"
)
