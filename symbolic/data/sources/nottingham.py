"""The Nottingham folk tunes: MIDI melody and chords, with the matching ABC text."""

from __future__ import annotations

import re
from pathlib import Path

from symusic import Tempo

from symbolic.data.sources.base import Item, Piece, Source, require_folder
from symbolic.data.sources.folk import tune_meta
from symbolic.score import load

_NOTT_STEM = re.compile(r"^(.*?)(\d+)$")


def _nottingham_items(data_root: Path, content: str) -> list[Item]:
    from symbolic.data.abc_corpus import iter_tunes

    if content == "abc":
        require_folder(data_root / "nottingham" / "abc", "Nottingham ABC files")
        return [(t.id, t.text, dict(t.meta)) for t in iter_tunes("nottingham", data_root)]
    folder = require_folder(data_root / "nottingham" / "midi", "Nottingham MIDI files")
    tunes = {}
    if (data_root / "nottingham" / "abc").is_dir():
        tunes = {t.id: t for t in iter_tunes("nottingham", data_root)}
    items = []
    for path in sorted(folder.glob("*.mid")):
        m = _NOTT_STEM.match(path.stem)
        tune_id = f"nottingham/{m.group(1)}/{m.group(2)}" if m else f"nottingham/{path.stem}"
        tune = tunes.get(tune_id)
        items.append(
            (str(path), tune_id, tune.text if tune else None, dict(tune.meta) if tune else {})
        )
    return items


def _load_nottingham(item: Item, data_root: Path, content: str) -> Piece | None:
    """A Nottingham tune: MIDI melody ("Melody", flute 73) and chords ("Chords", piano 0),
    with the matching ABC text (same file stem and X: number) when there is one."""
    if content == "abc":
        tune_id, text, meta = item
        return Piece(tune_id, "nottingham", "folk", tune_meta(meta), None, text)
    path, tune_id, text, meta = item
    score = load(path)
    # These files repeat their meta events once per track; keep one of each.
    for events in (score.time_signatures, score.key_signatures):
        seen, unique = set(), []
        for ev in events:
            if (ev.time, *ev_key(ev)) not in seen:
                seen.add((ev.time, *ev_key(ev)))
                unique.append(ev)
        events.clear()
        events.extend(unique)
    tracks = [t for t in score.tracks if t.note_num() > 0]
    for i, track in enumerate(tracks):
        track.name, track.program = ("Melody", 73) if i == 0 else ("Chords", 0)
    score.tracks = tracks
    if not score.tempos:
        score.tempos.append(Tempo(0, 120.0))
    meta = tune_meta(meta)
    meta.setdefault("title", Path(path).stem)
    return Piece(tune_id, "nottingham", "folk", meta, score, text)


def ev_key(ev) -> tuple:
    """Comparable fields of a time or key signature event."""
    if hasattr(ev, "numerator"):
        return (ev.numerator, ev.denominator)
    return (ev.key, ev.tonality)


SOURCE = Source("nottingham", "folk", _nottingham_items, _load_nottingham)
