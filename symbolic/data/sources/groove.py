"""The Groove MIDI Dataset: drum performances on a Roland TD-11 kit, one drum track per file.

Notes are moved from the TD-11's numbers to the General MIDI drum map (`TD11_TO_GM`: rims
and edges become the drum or cymbal they are played on) and two hits of one GM note at one
tick become the louder. Tempo and meter are the file's own: in all 1,021 files the tempo
event equals info.csv's bpm column and the time signature its time_signature column, so
neither is rewritten. The data set's split is kept (`meta["split"]`, see `piece_split`).

Style: info.csv's style column ("funk", "jazz/funk", "neworleans/secondline") is kept as
`groove_style`; the piece's style is the label of its first word in `STYLE_OF`, unless the
whole raw style is in `STYLE_OVERRIDES`. Labels are the REMI style vocabulary's, so punk is
rock and Afro-Cuban latin (the raw style still tells them apart).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from symusic import Note, TimeSignature, Track

from symbolic.data.sources.base import Item, Piece, Source, require_folder
from symbolic.score import load
from symbolic.theory.gm import TD11_TO_GM

# info.csv's first style word → the style label (the vocabulary captions and controls use).
STYLE_OF: dict[str, str] = {
    "rock": "rock",
    "punk": "rock",
    "funk": "funk",
    "neworleans": "funk",  # mostly "neworleans/funk"; second line is overridden below
    "afrobeat": "funk",  # Fela's Afrobeat: a funk-and-jazz groove, not an Afro-Cuban one
    "soul": "soul",
    "hiphop": "hip-hop",
    "jazz": "jazz",
    "blues": "blues",
    "latin": "latin",
    "afrocuban": "latin",  # bembe, rhumba, calypso: Afro-Cuban and Caribbean
    "reggae": "reggae",
    "country": "country",
    "gospel": "gospel",
    "pop": "pop",
    "dance": "electronic",  # dance/disco, dance/breakbeat
    "middleeastern": "world",
    "highlife": "world",
}
STYLE_OVERRIDES: dict[str, str] = {
    "neworleans/secondline": "jazz",  # the brass-band street beat of New Orleans jazz
    "neworleans/shuffle": "blues",  # the rhythm-and-blues shuffle
    "neworleans/chacha": "latin",
}
SPLITS = {"train": "train", "validation": "val", "test": "val"}  # no test rows here
_COLUMNS = ("id", "style", "bpm", "beat_type", "time_signature", "drummer", "session", "split")
TD11_REMAP = np.arange(128, dtype=np.int64)  # note number → GM drum note
TD11_REMAP[list(TD11_TO_GM)] = list(TD11_TO_GM.values())


def groove_style(raw: str) -> str:
    """The style label of an info.csv style ("jazz/funk" → "jazz", "hiphop" → "hip-hop")."""
    raw = raw.strip().lower()
    if raw in STYLE_OVERRIDES:
        return STYLE_OVERRIDES[raw]
    first = raw.split("/", 1)[0]
    if first not in STYLE_OF:
        raise ValueError(f"Groove style {raw!r} is not in STYLE_OF: add it")
    return STYLE_OF[first]


def _groove_items(data_root: Path, content: str) -> list[Item]:
    folder = require_folder(data_root / "groove", "the Groove MIDI Dataset")
    with (folder / "info.csv").open(newline="", encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: r["midi_filename"])
    return [(str(folder / "midi" / r["midi_filename"]), *(r[c] for c in _COLUMNS)) for r in rows]


def merge_drums(tracks: list[Track], remap: np.ndarray | None = None) -> Track:
    """One "Drums" track (GM program 0, channel 10) of the notes of `tracks`, their numbers
    looked up in `remap` (128 entries) when given; two hits of one note at one tick (a head
    and its rim, or two doubled tracks) keep the louder."""
    arr = {k: np.concatenate([t.notes.numpy()[k] for t in tracks]).astype(np.int64)
           for k in ("time", "duration", "pitch", "velocity")}  # fmt: skip
    time, pitch, velocity = arr["time"], arr["pitch"], arr["velocity"]
    if remap is not None:
        pitch = remap[pitch]
    order = np.lexsort((-velocity, pitch, time))
    first = np.r_[True, (np.diff(time[order]) != 0) | (np.diff(pitch[order]) != 0)]
    keep = order[first]
    out = Track(name="Drums", program=0, is_drum=True)
    out.notes = Note.from_numpy(
        time=time[keep].astype(np.int32),
        duration=np.maximum(arr["duration"][keep], 1).astype(np.int32),
        pitch=pitch[keep].astype(np.int8),
        velocity=np.clip(velocity[keep], 1, 127).astype(np.int8),
    )
    return out


def _load_groove(item: Item, data_root: Path, content: str) -> Piece | None:
    """One performance: a GM "Drums" track; style, bpm, beat or fill, meter, drummer, split."""
    path, gid, raw_style, bpm, beat_type, signature, drummer, session, split = item
    score = load(path)
    drums = [t for t in score.tracks if t.note_num() > 0]
    if not drums:
        return None
    score.tracks = [merge_drums(drums, TD11_REMAP)]
    if not score.time_signatures:
        numerator, denominator = (int(x) for x in signature.split("-"))
        score.time_signatures.append(TimeSignature(0, numerator, denominator))
    meta = {
        "title": f"Groove {gid}: {raw_style} {beat_type}, {bpm} bpm",
        "drummer": drummer,
        "session": session,
        "groove_style": raw_style,
        "bpm": int(bpm),
        "beat_type": beat_type,
        "key": "C",  # drums only, so no key: C keeps the key control fixed
        "split": SPLITS[split],
        "file": "/".join(Path(path).parts[-4:]),  # midi/drummerN/sessionM/NAME.mid
    }
    return Piece(f"groove/{gid}", "groove", groove_style(raw_style), meta, score)


SOURCE = Source("groove", "rock", _groove_items, _load_groove)
