"""POP909: Chinese pop songs as piano MIDI (melody, bridge, accompaniment) with annotations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from symusic import TimeSignature

from symbolic.data.sources.base import Item, Piece, Source, require_folder
from symbolic.score import load


def _pop909_items(data_root: Path, content: str) -> list[Item]:
    folder = require_folder(data_root / "pop909", "POP909")
    return [(str(d),) for d in sorted(folder.iterdir()) if (d / f"{d.name}.mid").exists()]


def _read_rows(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines() if line.strip()]


def _load_pop909(item: Item, data_root: Path, content: str) -> Piece | None:
    """A POP909 song: MELODY/BRIDGE/PIANO tracks, audio key, chord list, beats; meter from
    the downbeat annotations (the MIDI files all say 2/4)."""
    folder = Path(item[0])
    score = load(folder / f"{folder.name}.mid")
    score.tracks = [t for t in score.tracks if t.note_num() > 0]
    keys = _read_rows(folder / "key_audio.txt")
    chords = [
        (round(float(r[0]), 3), round(float(r[1]), 3), r[2])
        for r in _read_rows(folder / "chord_midi.txt")
        if len(r) >= 3
    ]
    beats = _read_rows(folder / "beat_midi.txt")
    beat_times = [round(float(r[0]), 3) for r in beats]
    downbeats = [round(float(r[0]), 3) for r in beats if len(r) >= 3 and float(r[2]) == 1.0]
    down_idx = [i for i, r in enumerate(beats) if len(r) >= 3 and float(r[2]) == 1.0]
    if len(down_idx) >= 2:
        per_bar = int(np.median(np.diff(down_idx)))
        if 2 <= per_bar <= 6:
            score.time_signatures.clear()
            score.time_signatures.append(TimeSignature(0, per_bar, 4))
    meta = {
        "title": f"POP909 {folder.name}",
        "key": keys[0][2] if keys and len(keys[0]) >= 3 else None,
        "keys": [(round(float(r[0]), 2), round(float(r[1]), 2), r[2]) for r in keys if len(r) >= 3],
        "chords": chords,
        "beats": beat_times,
        "downbeats": downbeats,
    }
    return Piece(f"pop909/{folder.name}", "pop909", "pop", meta, score)


SOURCE = Source("pop909", "pop", _pop909_items, _load_pop909)
