"""Training shards for lyric2melody from ``lyrics_melody`` (same layout as `symbolic.data.build`).

Each song is read with line-aligned timing in 4/4 (`song_to_melody(align="line")`: the data has
no bar lines, so each line starts at the phase that puts its long notes on strong beats), its
key estimated (Krumhansl–Kessler), its skeleton (WuYun rules) and one chord per bar (template
rules) extracted, and its syllables' stress taken from `symbolic.lyrics`. Pitches are stored
relative to the tonic in the octave just below the song's median pitch. Only token ids and
figures are written: no lyric text leaves memory.

    python -m symbolic.data.lyric_shards --out data_cache/lyric2melody [--limit N]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import time
from pathlib import Path

import numpy as np

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
    ref = tonic_reference(tonic, float(np.median(melody.pitch)))
    slots = syllable_slots(
        syllable_stresses(song), info.index_in_word, info.word_len, info.line_index
    )
    chords = [chord_value(c, tonic) for c in bar_chords(melody, METER, tonic, mode)]
    skeleton = skeleton_ranks(melody, METER) > 0
    sung = LyricSong(slots, on16 - lead, dur16, melody.pitch - ref, skeleton, chords, bar)
    prefix, body = tok.prefix(mode), tok.encode(sung)
    meta = {"id": f"lyrics_melody/{song['id']}", "key": f"{PITCH_NAMES[tonic]} {mode}"}
    return prefix, body, {**meta, "syllables": len(slots), "bars": len(chords)}


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
        for song in tqdm(iter_songs(data_root, limit), desc="lyric2melody", unit="song"):
            try:
                prefix, body, meta = song_tokens(tok, song)
            except SymgenError:  # a record without notes
                skipped += 1
                continue
            split = split_of(meta["id"])
            seq = np.array([*prefix, *body, tok.eos_id], dtype=np.uint16)
            handles[split].write(seq.tobytes())
            index[split].append((offsets[split], len(prefix), len(seq)))
            offsets[split] += len(seq)
            meta_file.write(json.dumps({**meta, "split": split, "tokens": len(seq)}) + "\n")
    for split in ("train", "val"):
        os.replace(out / f"{split}.bin.part", out / f"{split}.bin")
        np.save(out / f"{split}.idx.npy", np.asarray(index[split], dtype=np.int64).reshape(-1, 3))
    os.replace(out / "meta.jsonl.part", out / "meta.jsonl")
    summary = {
        "source": "lyrics_melody",
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
    parser.add_argument("--out", type=Path, default=Path("data_cache/lyric2melody"))
    parser.add_argument("--data-root", type=Path)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    print(json.dumps(build(args.out, args.data_root, args.limit)["splits"]))
