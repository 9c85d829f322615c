"""Parse once: what a loader made of a file is kept on disk and read back while it still holds.

For sources whose items are files slow to parse (the music21 corpus: music21 takes about 30
minutes over the string quartets). An entry is two files in `<cache>/<source>/`:
`NAME-HASH.json` (its key; the piece's fields; each track's name, program, drum flag and
lyrics; the markers) and `NAME-HASH.npz` (every event list of the score as the arrays of
symusic's `numpy()`, read with `allow_pickle=False`), so the score comes back exactly, with no
pickle. The key is the file's path, size and modification time, the source's
`parse_version`, and the music21 and symusic versions; an item that holds no usable music is
kept too (`"piece": null`). Entries are written atomically, so parallel workers may share one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import IO

import numpy as np
from symusic import (
    ControlChange,
    KeySignature,
    Note,
    Pedal,
    PitchBend,
    Score,
    Tempo,
    TextMeta,
    TimeSignature,
    Track,
)

from symbolic.data.sources.base import Item, Piece, Source
from symbolic.paths import REPO_DIR

_SCORE_EVENTS = {"tempos": Tempo, "time_signatures": TimeSignature, "key_signatures": KeySignature}
_TRACK_EVENTS = {
    "notes": Note,
    "controls": ControlChange,
    "pitch_bends": PitchBend,
    "pedals": Pedal,
}
# A missing, half-written or foreign entry: parse the file again.
_UNREADABLE = (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile)


def cache_dir() -> Path:
    """The parse cache: `$SYMGEN_CACHE`, else `data_cache/parsed` in the checkout."""
    return Path(os.environ.get("SYMGEN_CACHE", REPO_DIR / "data_cache" / "parsed"))


@cache
def _parser_versions() -> dict[str, str]:
    return {"music21": version("music21"), "symusic": version("symusic")}


def load_cached(
    source: Source, item: Item, data_root: Path, content: str, folder: Path | None = None
) -> Piece | None:
    """`source.load(item, data_root, content)`, from the cache in `folder` (default
    `cache_dir()`) when the item's file (`item[0]`) was parsed before by the same loader."""
    path = Path(item[0])
    stat = path.stat()
    key = {
        "source": source.name,
        "parse_version": source.parse_version,
        "file": str(path),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "content": content,
        **_parser_versions(),
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    name = "_".join(path.with_suffix("").parts[-2:])
    entry = Path(folder or cache_dir()) / source.name / f"{name}-{digest}"
    with contextlib.suppress(*_UNREADABLE):
        return _read(entry, key)
    piece = source.load(item, data_root, content)
    with contextlib.suppress(OSError):  # a cache that cannot be written fails no build
        _write(entry, key, piece)
    return piece


def _read(entry: Path, key: dict) -> Piece | None:
    doc = json.loads(Path(f"{entry}.json").read_text(encoding="utf-8"))
    if doc["key"] != key:
        raise KeyError("another file's entry under this name")
    fields = doc["piece"]
    if fields is None:
        return None
    score = None
    if fields["score"] is not None:
        with np.load(f"{entry}.npz", allow_pickle=False) as npz:
            score = _decode(fields["score"], dict(npz))
    return Piece(
        fields["id"], fields["source"], fields["style"], fields["meta"], score, fields["abc"]
    )


def _write(entry: Path, key: dict, piece: Piece | None) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    fields = None
    if piece is not None:
        layout = None
        if piece.score is not None:
            layout, arrays = _encode(piece.score)
            _atomic(Path(f"{entry}.npz"), lambda f: np.savez(f, **arrays))
        fields = {
            "id": piece.id,
            "source": piece.source,
            "style": piece.style,
            "meta": piece.meta,
            "abc": piece.abc,
            "score": layout,
        }
    text = json.dumps({"key": key, "piece": fields}, ensure_ascii=False)
    # The JSON goes last: an entry counts once its JSON is there.
    _atomic(Path(f"{entry}.json"), lambda f: f.write(text.encode("utf-8")))


def _atomic(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write `path` through a temporary file in its folder and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _encode(score: Score) -> tuple[dict, dict[str, np.ndarray]]:
    """A score as a JSON layout (texts, track fields) and named arrays (every event list)."""
    arrays = {
        f"{field}.{column}": values
        for field in _SCORE_EVENTS
        for column, values in getattr(score, field).numpy().items()
    }
    tracks = []
    for i, track in enumerate(score.tracks):
        for field in _TRACK_EVENTS:
            for column, values in getattr(track, field).numpy().items():
                arrays[f"{i}.{field}.{column}"] = values
        tracks.append(
            {
                "name": track.name,
                "program": track.program,
                "is_drum": track.is_drum,
                "lyrics": [[m.time, m.text] for m in track.lyrics],
            }
        )
    layout = {
        "tpq": score.ticks_per_quarter,
        "markers": [[m.time, m.text] for m in score.markers],
        "tracks": tracks,
    }
    return layout, arrays


def _decode(layout: dict, arrays: dict[str, np.ndarray]) -> Score:
    """The score that `_encode` took apart."""

    def columns(prefix: str) -> dict[str, np.ndarray]:
        return {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}

    score = Score(layout["tpq"])
    for field, kind in _SCORE_EVENTS.items():
        setattr(score, field, kind.from_numpy(**columns(f"{field}.")))
    score.markers.extend([TextMeta(t, text) for t, text in layout["markers"]])
    for i, fields in enumerate(layout["tracks"]):
        track = Track(name=fields["name"], program=fields["program"], is_drum=fields["is_drum"])
        for field, kind in _TRACK_EVENTS.items():
            setattr(track, field, kind.from_numpy(**columns(f"{i}.{field}.")))
        track.lyrics.extend([TextMeta(t, text) for t, text in fields["lyrics"]])
        score.tracks.append(track)
    return score
