"""Lyrics aligned to melodies (from the Lakh MIDI data set): a note per syllable, lyric events."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
from symusic import Note, Score, Tempo, TextMeta, TimeSignature, Track

from symbolic.data.sources.base import Item, Piece, Source, require_folder
from symbolic.errors import SymgenError
from symbolic.score import TPQ

LYRICS_FILE = "lmd_lyrics_melody.jsonl.gz"


def _lyrics_items(data_root: Path, content: str) -> list[Item]:
    path = require_folder(data_root / "lyrics_melody", "lyrics_melody") / LYRICS_FILE
    if not path.exists():
        raise SymgenError(f"{path}: missing; the lyrics_melody data set is incomplete")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [(line,) for line in handle if line.strip()]


def lyrics_score(lines: list[list[dict]]) -> Score:
    """One "Voice" track (Voice Oohs, 53), a note per syllable and a lyric event on its onset."""
    starts, durs, pitches, texts = [], [], [], []
    now = 0.0
    for line in lines:
        for word in line:
            for syllable, (pitch, duration, rest) in zip(
                word["syllables"], word["notes"], strict=False
            ):
                now += float(rest)
                starts.append(now)
                durs.append(float(duration))
                pitches.append(int(pitch))
                texts.append(str(syllable))
                now += float(duration)
    t = np.round(np.array(starts) * TPQ).astype(np.int64)
    d = np.maximum(np.round(np.array(durs) * TPQ).astype(np.int64), 1)
    track = Track(name="Voice", program=53, is_drum=False)
    track.notes = Note.from_numpy(
        time=t.astype(np.int32),
        duration=d.astype(np.int32),
        pitch=np.clip(pitches, 0, 127).astype(np.int8),
        velocity=np.full(len(t), 90, dtype=np.int8),
    )
    for tick, text in zip(t.tolist(), texts, strict=False):
        track.lyrics.append(TextMeta(int(tick), text))
    score = Score(TPQ)
    score.tracks.append(track)
    score.tempos.append(Tempo(0, 120.0))
    score.time_signatures.append(TimeSignature(0, 4, 4))
    return score


def _load_lyrics(item: Item, data_root: Path, content: str) -> Piece | None:
    """A song: melody + syllables; meta keeps the structure as syllables per word per line."""
    song = json.loads(item[0])
    lines = song.get("lines") or []
    structure = [[len(w["syllables"]) for w in line] for line in lines]
    n_syll = sum(map(sum, structure))
    if n_syll == 0:
        return None
    meta = {
        "title": None,
        "lines": len(lines),
        "words": sum(map(len, structure)),
        "syllables": n_syll,
        "structure": structure,
    }
    return Piece(f"lyrics_melody/{song['id']}", "lyrics_melody", "song", meta, lyrics_score(lines))


SOURCE = Source("lyrics_melody", "song", _lyrics_items, _load_lyrics)
