"""Iterate ABC tunes from the folk collections at hand (music21's corpus and Nottingham).

Each collection is a set of multi-tune ABC files; a tune starts at an ``X:`` line. The reader
only splits and reads header fields: it never parses music, so it is fast enough to walk all
~14k tunes in a second or two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from symbolic.errors import SymgenError
from symbolic.paths import data_root as default_data_root

COLLECTIONS: tuple[str, ...] = ("essen", "oneill", "ryan", "nottingham")

# Folder names inside music21's corpus for the three bundled collections.
_M21_FOLDERS: dict[str, tuple[str, ...]] = {
    "essen": ("essenFolksong",),
    "oneill": ("oneills1850", "oneillsMusic"),
    "ryan": ("ryansMammoth",),
}

# Nottingham file stems -> rhythm label used when a tune has no R: field.
_NOTTINGHAM_RHYTHM: dict[str, str] = {
    "jigs": "jig",
    "reels": "reel",
    "hpps": "hornpipe",
    "slip": "slip jig",
    "waltzes": "waltz",
    "xmas": "christmas carol",
    "morris": "morris",
    "ashover": "ashover",
    "playford": "playford",
}

_X_LINE = re.compile(r"^X:\s*(\d*)")
_FIELD_LINE = re.compile(r"^([A-Za-z]):(.*)$")
_META_FIELDS: dict[str, str] = {
    "T": "title",
    "M": "meter",
    "K": "key",
    "L": "unit_length",
    "R": "rhythm",
    "O": "origin",
    "N": "notes",
    "C": "composer",
    "S": "source",
    "B": "book",
}


@dataclass(frozen=True)
class AbcTune:
    """One tune: a stable id, its collection, the ABC text from its ``X:`` line, and header meta."""

    id: str
    collection: str
    text: str
    meta: dict = field(default_factory=dict, hash=False, compare=False)


def _collection_files(collection: str, data_root: Path | None) -> list[Path]:
    """The ABC files of one collection, sorted so that iteration order never changes."""
    if collection in _M21_FOLDERS:
        from music21 import corpus  # lazy: music21 import costs about a second

        folders = _M21_FOLDERS[collection]
        paths = [Path(str(p)) for p in corpus.getPaths(fileExtensions=("abc",))]
        return sorted(p for p in paths if p.parent.name in folders)
    if collection == "nottingham":
        root = data_root if data_root is not None else default_data_root()
        folder = root / "nottingham" / "abc"
        if not folder.is_dir():
            raise SymgenError(
                f"Nottingham ABC files not found in {folder}: "
                "set SYMGEN_DATA or pass data_root pointing at the shared data folder"
            )
        return sorted(folder.glob("*.abc"))
    raise SymgenError(
        f"unknown ABC collection {collection!r}: choose one of {', '.join(COLLECTIONS)}"
    )


def _rhythm_from_stem(stem: str) -> str | None:
    """Rhythm label implied by a Nottingham file name (``reelsa-c`` -> ``reel``)."""
    for prefix, label in _NOTTINGHAM_RHYTHM.items():
        if stem.startswith(prefix):
            return label
    return None


def _meta(text: str, collection: str, stem: str) -> dict:
    """Header fields of one tune (first occurrence before the body, ``N:`` lines joined)."""
    meta: dict = {"file": stem}
    for line in text.splitlines():
        m = _FIELD_LINE.match(line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        name = _META_FIELDS.get(key)
        if name is None:
            continue
        if name == "notes" and name in meta:
            meta[name] = f"{meta[name]}; {value}" if value else meta[name]
        elif name not in meta and value:
            meta[name] = value
        if key == "K":
            break
    if "rhythm" in meta:
        meta["rhythm"] = meta["rhythm"].lower()
    elif collection == "nottingham":
        label = _rhythm_from_stem(stem)
        if label:
            meta["rhythm"] = label
    if "origin" in meta:
        meta["region"] = meta["origin"]
    return meta


def split_numbered(text: str) -> list[tuple[str, str]]:
    """Split a multi-tune ABC file into ``(X number, tune text)``; text before X: is dropped."""
    tunes: list[tuple[str, str]] = []
    current: list[str] | None = None
    number = ""
    for line in text.splitlines():
        m = _X_LINE.match(line)
        if m:
            if current is not None:
                tunes.append((number, "\n".join(current).strip() + "\n"))
            current = [line]
            number = m.group(1) or "0"
        elif current is not None:
            current.append(line)
    if current is not None:
        tunes.append((number, "\n".join(current).strip() + "\n"))
    return tunes


def split_tunes(text: str) -> list[str]:
    """The tunes of a multi-tune ABC file from their ``X:`` lines (no X: at all: one tune)."""
    tunes = [t for _, t in split_numbered(text)]
    return tunes or ([text] if text.strip() else [])


def iter_tunes(collection: str, data_root: Path | None = None) -> Iterator[AbcTune]:
    """Yield every tune of ``collection`` (one of ``COLLECTIONS``) in a fixed order.

    Ids are ``<collection>/<file stem>/<X number>``; a repeated X number in one file gets
    ``-<k>`` appended (k = 2, 3, ...) so that ids are unique.
    """
    for path in _collection_files(collection, data_root):
        text = path.read_text(encoding="utf-8", errors="replace")
        seen: dict[str, int] = {}
        for number, tune_text in split_numbered(text):
            seen[number] = seen.get(number, 0) + 1
            suffix = f"-{seen[number]}" if seen[number] > 1 else ""
            yield AbcTune(
                id=f"{collection}/{path.stem}/{number}{suffix}",
                collection=collection,
                text=tune_text,
                meta=_meta(tune_text, collection, path.stem),
            )
