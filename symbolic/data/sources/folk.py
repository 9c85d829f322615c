"""ABC folk tunes (Essen, O'Neill, Ryan collections) parsed with music21 into one melody track."""

from __future__ import annotations

from pathlib import Path

from symusic import Score

from symbolic.data.sources.base import Item, Piece, Source
from symbolic.score import from_music21

_FOLK_COLLECTIONS = ("essen", "oneill", "ryan")


def _folk_items(data_root: Path, content: str) -> list[Item]:
    from symbolic.data.abc_corpus import iter_tunes

    return [
        (t.id, t.text, dict(t.meta)) for c in _FOLK_COLLECTIONS for t in iter_tunes(c, data_root)
    ]


def _abc_score(text: str) -> Score | None:
    """Parse one ABC tune with music21 into a one-track "Melody" score (flute, 73)."""
    from music21 import converter, stream

    try:
        parsed = converter.parse(text, format="abc")
    except Exception:
        return None
    if isinstance(parsed, stream.Opus):
        parsed = parsed.scores[0]
    score = from_music21(parsed)
    if score.note_num() == 0:
        return None
    for track in score.tracks:
        track.name, track.program = "Melody", 73
    return score


def tune_meta(meta: dict) -> dict:
    """The ABC header fields a piece's metadata keeps (folk and Nottingham tunes alike)."""
    return {
        k: meta[k] for k in ("title", "meter", "key", "rhythm", "region", "composer") if k in meta
    }


def _load_folk(item: Item, data_root: Path, content: str) -> Piece | None:
    """An ABC folk tune: the text always, a parsed score unless only ABC is asked for."""
    tune_id, text, meta = item
    score = None if content == "abc" else _abc_score(text)
    if content != "abc" and score is None:
        return None
    return Piece(tune_id, "folk", "folk", tune_meta(meta), score, text)


SOURCE = Source("folk", "folk", _folk_items, _load_folk, needs_data=False)
