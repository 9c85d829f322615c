"""Training shards for lyric2melody from ``lyrics_melody`` and the OpenEWLD lead sheets (same
layout as `symbolic.data.build`).

A ``lyrics_melody`` song is read with line-aligned timing in 4/4 (`song_to_melody(align="line")`:
that data has no bar lines, so each line starts at the phase that puts its long notes on strong
beats), its key estimated (Krumhansl–Kessler) and one chord per bar extracted (template
rules). A lead sheet (`symbolic.data.lyric_sheets`) keeps its own bars, meter, pickup, key
and chord symbols. Both get their skeleton (WuYun rules) and their syllables' stress from
`symbolic.lyrics`; pitches are stored relative to the tonic in the octave just below the
song's median pitch, and the header names the mode and the meter. Only token ids and figures
are written: no lyric text leaves memory.

Splits (`SPLITS`, by a hash of the song id): validation songs are only reported, dev songs
are where sampling settings are chosen, and neither is trained on. The lead sheets are few,
so they get larger held-out shares, and each training sheet is written `SHEET_COPIES` times
(each copy gets its own crop per epoch) so that the real meters weigh in training.

    python -m symbolic.data.lyric_shards --out data_cache/lyric2melody-v2 [--limit N]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import time
from pathlib import Path

import numpy as np

from symbolic.data.lyric_sheets import SheetSong, sheet_song
from symbolic.data.lyric_songs import iter_songs, song_to_melody, syllable_stresses
from symbolic.data.split import split_of
from symbolic.errors import SymgenError
from symbolic.melody import Melody, bar_chords, skeleton_ranks
from symbolic.theory.keys import PITCH_NAMES, best_key, pitch_class_histogram
from symbolic.theory.meter import Meter
from symbolic.tokenize.lyric import (
    LyricSong,
    LyricTokenizer,
    load_lyric_tokenizer,
    syllable_slots,
)

METER = Meter(4, 4)
SPLITS = {"lyrics_melody": (0.05, 0.05), "openewld": (0.12, 0.12)}  # (val, dev) shares
SHEET_COPIES = 4


def lyric_split(song_id: str) -> str:
    """ "train", "dev" or "val" of a song id ("lyrics_melody/…" or "openewld/…")."""
    return split_of(song_id, *SPLITS[song_id.split("/", 1)[0]])


def tonic_reference(tonic: int, median_pitch: float) -> int:
    """The MIDI pitch of the tonic at or just below the median pitch."""
    return tonic + 12 * int((median_pitch - tonic) // 12)


def chord_value(name: str, tonic: int) -> tuple[int, bool]:
    """ "Am" in a key on `tonic` → (root relative to the tonic, minor)."""
    minor = name.endswith("m")
    return (PITCH_NAMES.index(name.removesuffix("m")) - tonic) % 12, minor


def song_tokens(tok: LyricTokenizer, song: dict) -> tuple[list[int], list[int], dict]:
    """(prefix, body, meta) of one ``lyrics_melody`` record."""
    melody, info = song_to_melody(song, align="line", meter=METER)
    bar = METER.bar_16ths
    on16, dur16 = melody.grid()
    lead = (on16[0] // bar) * bar
    melody = Melody.from_sixteenths(on16 - lead, dur16, melody.pitch)
    tonic, mode, _ = best_key(pitch_class_histogram(melody.pitch, melody.duration))
    chords = [chord_value(c, tonic) for c in bar_chords(melody, METER, tonic, mode)]
    sung = SheetSong(melody, info, syllable_stresses(song), [], METER, tonic, mode, chords)
    return sung_tokens(tok, sung, f"lyrics_melody/{song['id']}")


def sung_tokens(
    tok: LyricTokenizer, sung: SheetSong, song_id: str
) -> tuple[list[int], list[int], dict]:
    """(prefix, body, meta) of a song with its bars, key and chords known."""
    melody, info, meter = sung.melody, sung.info, sung.meter
    on16, dur16 = melody.grid()
    ref = tonic_reference(sung.tonic, float(np.median(melody.pitch)))
    slots = syllable_slots(sung.stress, info.index_in_word, info.word_len, info.line_index)
    skeleton = skeleton_ranks(melody, meter) > 0
    song = LyricSong(slots, on16, dur16, melody.pitch - ref, skeleton, sung.chords, meter.bar_16ths)
    prefix, body = tok.prefix(sung.mode, meter), tok.encode(song)
    bars = int((on16[-1] + dur16[-1] - 1) // meter.bar_16ths - on16[0] // meter.bar_16ths + 1)
    meta = {
        "id": song_id,
        "key": f"{PITCH_NAMES[sung.tonic]} {sung.mode}",
        "meter": str(meter),
        "syllables": len(slots),
        "bars": bars,
    }
    return prefix, body, meta


def iter_tokenized(tok: LyricTokenizer, data_root: Path | None, limit: int | None):
    """(prefix, body, meta) of every song of both sources; None for a song without notes."""
    from symbolic.data.sources import iter_source
    from symbolic.paths import data_root as default_root

    for song in iter_songs(data_root, limit):
        try:
            yield song_tokens(tok, song)
        except SymgenError:  # a record without notes
            yield None
    root = Path(data_root) if data_root is not None else default_root()
    for piece in iter_source("openewld", root, limit):
        sung = sheet_song(piece)
        yield None if sung is None else sung_tokens(tok, sung, piece.id)


def build(out: Path, data_root: Path | None = None, limit: int | None = None) -> dict:
    """Tokenize the songs into `out` (train/val .bin + .idx.npy, meta.jsonl, build.json)."""
    from tqdm import tqdm

    started = time.time()
    tok = load_lyric_tokenizer()
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, list[tuple[int, int, int]]] = {"train": [], "val": []}
    offsets = {"train": 0, "val": 0}
    skipped = 0
    with (
        open(out / "train.bin.part", "wb") as train,
        open(out / "val.bin.part", "wb") as val,
        open(out / "meta.jsonl.part", "w", encoding="utf-8") as meta_file,
    ):
        handles = {"train": train, "val": val}
        songs = tqdm(iter_tokenized(tok, data_root, limit), desc="lyric2melody", unit="song")
        for done in songs:
            if done is None:
                skipped += 1
                continue
            prefix, body, meta = done
            split = lyric_split(meta["id"])
            meta_file.write(
                json.dumps({**meta, "split": split, "tokens": len(prefix) + len(body) + 1}) + "\n"
            )
            if split == "dev":
                continue
            seq = np.array([*prefix, *body, tok.eos_id], dtype=np.uint16)
            copies = SHEET_COPIES if split == "train" and meta["id"].startswith("openewld/") else 1
            for _ in range(copies):
                handles[split].write(seq.tobytes())
                index[split].append((offsets[split], len(prefix), len(seq)))
                offsets[split] += len(seq)
    for split in ("train", "val"):
        os.replace(out / f"{split}.bin.part", out / f"{split}.bin")
        np.save(out / f"{split}.idx.npy", np.asarray(index[split], dtype=np.int64).reshape(-1, 3))
    os.replace(out / "meta.jsonl.part", out / "meta.jsonl")
    summary = {
        "source": "lyrics_melody,openewld",
        "splits_rule": {k: {"val": v, "dev": d} for k, (v, d) in SPLITS.items()},
        "sheet_copies": SHEET_COPIES,
        "tokenizer": "lyric2melody",
        "vocab_size": tok.vocab_size,
        "eos_id": tok.eos_id,
        "dtype": "uint16",
        "limit": limit,
        "skipped": skipped,
        "splits": {s: {"pieces": len(index[s]), "tokens": offsets[s]} for s in index},
        "seconds": round(time.time() - started, 1),
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
    }
    (out / "build.json").write_text(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data_cache/lyric2melody-v2"))
    parser.add_argument("--data-root", type=Path)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    print(json.dumps(build(args.out, args.data_root, args.limit)["splits"]))
