"""The lyrics_melody data set as melodies: songs, their syllables' places, corpus figures.

Reads `lyrics_melody/lmd_lyrics_melody.jsonl.gz` under the data root: one note per syllable,
grouped in words and lines. No lyric text leaves this module's figures.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from symbolic.errors import SymgenError
from symbolic.melody import Melody, metrical_features, skeleton
from symbolic.theory.meter import Meter

DATA_FILE = Path("lyrics_melody") / "lmd_lyrics_melody.jsonl.gz"


@dataclass
class SyllableInfo:
    """Per note of a song (one note per syllable): where the syllable sits. No lyric text."""

    line_index: np.ndarray
    word_index: np.ndarray  # over the whole song
    index_in_word: np.ndarray
    word_len: np.ndarray
    is_line_end: np.ndarray
    song_id: str = ""

    @property
    def is_word_end(self) -> np.ndarray:
        """True on the last syllable of each word."""
        return self.index_in_word == self.word_len - 1


def lyrics_melody_path(data_root: str | Path | None = None) -> Path:
    """The gzipped JSONL of the lyrics_melody set under the data root."""
    from symbolic.paths import data_root as default_root

    return Path(data_root if data_root is not None else default_root()) / DATA_FILE


def iter_songs(data_root: str | Path | None = None, limit: int | None = None) -> Iterator[dict]:
    """Songs of ``lyrics_melody`` one by one, read lazily from the gzipped JSONL."""
    path = lyrics_melody_path(data_root)
    if not path.exists():
        raise SymgenError(f"no lyrics_melody data at {path}: set SYMGEN_DATA to the data folder")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for count, line in enumerate(f):
            if limit is not None and count >= limit:
                return
            if line.strip():
                yield json.loads(line)


def _phase_offset(on16: np.ndarray, dur16: np.ndarray, meter: Meter) -> int:
    """Shift (16ths) that puts long notes on strong positions best (ties: the smallest)."""
    w = meter.weights()
    bar = meter.bar_16ths
    capped = np.minimum(dur16, 16)
    scores = [int((w[(on16 + s) % bar] * capped).sum()) for s in range(bar)]
    return int(np.argmax(scores))


def song_to_melody(
    song: dict, align: str = "none", meter: Meter | str = "4/4"
) -> tuple[Melody, SyllableInfo]:
    """One ``lyrics_melody`` record → melody with absolute onsets (beats) + syllable positions.

    ``align``: ``"none"`` keeps the data's timing, the first note at its leading rest;
    ``"song"`` shifts the whole song so that long notes fall on strong positions best
    (the data carries no meter or bar lines); ``"line"`` does so per lyric line, each line
    starting at the first position at or after its data onset that has the best phase
    (this only lengthens rests between lines).
    """
    meter = Meter.parse(meter)
    rows: list[tuple[float, float, int, int, int, int, int, int]] = []
    word_index = 0
    for li, line in enumerate(song["lines"]):
        words = [w for w in line if w.get("notes")]
        for wi, word in enumerate(words):
            notes = word["notes"]
            for si, (pitch, duration, rest) in enumerate(notes):
                last = wi == len(words) - 1 and si == len(notes) - 1
                rows.append((rest, duration, pitch, li, word_index, si, len(notes), last))
            word_index += 1
    if not rows:
        raise SymgenError(f"song {song.get('id', '?')} has no notes")
    arr = np.array(rows, dtype=np.float64)
    rest, duration = arr[:, 0], arr[:, 1]
    onset = np.cumsum(rest + np.concatenate([[0.0], duration[:-1]]))
    info = SyllableInfo(
        line_index=arr[:, 3].astype(np.int64),
        word_index=arr[:, 4].astype(np.int64),
        index_in_word=arr[:, 5].astype(np.int64),
        word_len=arr[:, 6].astype(np.int64),
        is_line_end=arr[:, 7].astype(bool),
        song_id=str(song.get("id", "")),
    )
    if align == "song":
        on16 = np.rint(onset * 4).astype(np.int64)
        dur16 = np.maximum(np.rint(duration * 4).astype(np.int64), 1)
        onset = onset + _phase_offset(on16, dur16, meter) / 4
    elif align == "line":
        onset = _align_lines(onset, duration, info.line_index, meter)
    elif align != "none":
        raise SymgenError(f"align must be none, song or line, not {align!r}")
    return Melody(onset, duration, arr[:, 2].astype(np.int64)), info


def _align_lines(
    onset: np.ndarray, duration: np.ndarray, line: np.ndarray, meter: Meter
) -> np.ndarray:
    """Per-line phase alignment for ``song_to_melody(align="line")``."""
    bar = meter.bar_16ths
    on16 = np.rint(onset * 4).astype(np.int64)
    dur16 = np.maximum(np.rint(duration * 4).astype(np.int64), 1)
    out = np.empty_like(on16)
    shift = 0
    for li in np.unique(line):
        idx = np.flatnonzero(line == li)
        rel = on16[idx] - on16[idx[0]]
        phase = _phase_offset(rel, dur16[idx], meter)
        start = on16[idx[0]] + shift
        start += (phase - start) % bar
        shift = start - on16[idx[0]]
        out[idx] = on16[idx] + shift
    return out / 4


def syllable_stresses(song: dict) -> np.ndarray:
    """Per note: the stress of its syllable by ``symbolic.lyrics`` (0, 1, 2), or -1 when the
    word's syllable count there differs from the data's note count. Text stays in memory."""
    from symbolic.lyrics import sung_stresses

    out: list[int] = []
    for line in song["lines"]:
        for word in line:
            if n := len(word.get("notes") or []):
                out += sung_stresses(str(word.get("word", "")).strip(), n)
    return np.array(out, dtype=np.int64)


def _in_word_contrast(
    stress: np.ndarray, info: SyllableInfo, weight: np.ndarray, duration: np.ndarray, acc: list
) -> None:
    """For words of 2+ syllables with one primary stress: is the stressed syllable on a
    stronger (weaker) position than the word's other syllables on average, or longer?"""
    starts = np.flatnonzero((info.index_in_word == 0) & (info.word_len >= 2))
    for s0 in starts:
        idx = np.arange(s0, s0 + info.word_len[s0])
        st = stress[idx]
        if (st < 0).any() or (st == 1).sum() != 1:
            continue
        hit = idx[st == 1][0]
        others = idx[idx != hit]
        acc[0] += 1
        acc[1] += int(weight[hit] > weight[others].mean())
        acc[2] += int(weight[hit] < weight[others].mean())
        acc[3] += int(duration[hit] > duration[others].mean())


def corpus_statistics(songs: Sequence[dict], align: str = "none", meter: str = "4/4") -> dict:
    """Figures over songs (4/4 assumed): stress vs metrical position, skeleton share, range."""
    m = Meter.parse(meter)
    counts = {"stressed": [0, 0, 0], "unstressed": [0, 0, 0]}  # total, on accent, on beat
    skeleton_share, ranges, lows, highs, matched, total = [], [], [], [], 0, 0
    skeleton_stressed = [0, 0]
    durations = {"stressed": [], "unstressed": []}
    in_word = [0, 0, 0, 0]  # words compared, stressed stronger, stressed weaker, longer
    skipped = 0
    for song in songs:
        try:
            melody, info = song_to_melody(song, align=align, meter=m)
        except SymgenError:  # a record without notes
            skipped += 1
            continue
        stress = syllable_stresses(song)
        f = metrical_features(melody, m)
        skel = skeleton(melody, m)
        on_accent = f["weight"] >= 3
        on_beat = f["weight"] >= 2
        for name, mask in (("stressed", stress == 1), ("unstressed", stress == 0)):
            counts[name][0] += int(mask.sum())
            counts[name][1] += int((mask & on_accent).sum())
            counts[name][2] += int((mask & on_beat).sum())
        durations["stressed"].append(melody.duration[stress == 1])
        durations["unstressed"].append(melody.duration[stress == 0])
        _in_word_contrast(stress, info, f["weight"], melody.duration, in_word)
        skeleton_stressed[0] += int((skel & (stress == 1)).sum())
        skeleton_stressed[1] += int((skel & (stress >= 0)).sum())
        matched += int((stress >= 0).sum())
        total += len(stress)
        skeleton_share.append(float(skel.mean()))
        ranges.append(int(melody.pitch.max() - melody.pitch.min()))
        lows.append(int(melody.pitch.min()))
        highs.append(int(melody.pitch.max()))

    def share(a: int, b: int) -> float:
        return round(a / b, 4) if b else float("nan")

    st, un = counts["stressed"], counts["unstressed"]
    return {
        "songs": len(ranges),
        "skipped_without_notes": skipped,
        "align": align,
        "meter": str(m),
        "syllables": total,
        "stress_known_share": share(matched, total),
        "stressed_on_accent": share(st[1], st[0]),
        "unstressed_on_accent": share(un[1], un[0]),
        "stressed_on_beat": share(st[2], st[0]),
        "unstressed_on_beat": share(un[2], un[0]),
        "stressed_share": share(st[0], st[0] + un[0]),
        "mean_beats_stressed": round(float(np.concatenate(durations["stressed"]).mean()), 3),
        "mean_beats_unstressed": round(float(np.concatenate(durations["unstressed"]).mean()), 3),
        "polysyllables_compared": in_word[0],
        "in_word_stressed_on_stronger_position": share(in_word[1], in_word[0]),
        "in_word_stressed_on_weaker_position": share(in_word[2], in_word[0]),
        "in_word_stressed_longer": share(in_word[3], in_word[0]),
        "stressed_share_in_skeleton": share(*skeleton_stressed),
        "skeleton_share_mean": round(float(np.mean(skeleton_share)), 4) if ranges else float("nan"),
        "range_semitones_median": float(np.median(ranges)) if ranges else float("nan"),
        "range_semitones_p10_p90": [float(x) for x in np.percentile(ranges, [10, 90])]
        if ranges
        else [],
        "lowest_pitch_median": float(np.median(lows)) if lows else float("nan"),
        "highest_pitch_median": float(np.median(highs)) if highs else float("nan"),
    }


if __name__ == "__main__":  # python -m symbolic.data.lyric_songs [N]  (prints figures, no text)
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    songs = list(iter_songs(limit=n))
    for how in ("none", "song", "line"):
        print(json.dumps(corpus_statistics(songs, align=how)))
