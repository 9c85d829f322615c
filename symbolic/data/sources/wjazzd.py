"""The Weimar Jazz Database: transcribed solos rebuilt as a trio of soloist, walking bass and
comping from the beat track's chord and bass annotations."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
from symusic import Note, Score, Tempo, TimeSignature, Track

from symbolic.data.sources.base import Item, Piece, Source, require_folder
from symbolic.score import TPQ
from symbolic.theory.voicing import close_voicing, comping_tones

# The soloist's instrument is only in the file name: a fixed performer → GM program map.
_JAZZ_PROGRAMS: dict[str, int] = {
    **dict.fromkeys(
        [
            "ArtPepper",
            "BennyCarter",
            "CannonballAdderley",
            "CharlieParker",
            "EricDolphy",
            "JohnnyHodges",
            "KennyGarrett",
            "LeeKonitz",
            "OrnetteColeman",
            "PaulDesmond",
            "PhilWoods",
            "SonnyStitt",
            "SteveColeman",
        ],
        65,
    ),
    **dict.fromkeys(["SidneyBechet", "SteveLacy"], 64),
    **dict.fromkeys(["GerryMulligan", "PepperAdams"], 67),
    **dict.fromkeys(
        [
            "BixBeiderbecke",
            "BuckClayton",
            "CharlieShavers",
            "ChetBaker",
            "CliffordBrown",
            "DizzyGillespie",
            "DonEllis",
            "FatsNavarro",
            "FreddieHubbard",
            "HarryEdison",
            "HenryAllen",
            "KennyDorham",
            "KennyWheeler",
            "LeeMorgan",
            "LouisArmstrong",
            "MilesDavis",
            "NatAdderley",
            "RexStewart",
            "RoyEldridge",
            "WoodyShaw",
            "WyntonMarsalis",
        ],
        56,
    ),
    **dict.fromkeys(
        [
            "CurtisFuller",
            "DickieWells",
            "JCHigginbotham",
            "JJJohnson",
            "KaiWinding",
            "KidOry",
            "SteveTurre",
        ],
        57,
    ),
    **dict.fromkeys(["BennyGoodman", "JohnnyDodds"], 71),
    **dict.fromkeys(["LionelHampton", "MiltJackson"], 11),
    **dict.fromkeys(["JohnAbercrombie", "PatMartino", "PatMetheny"], 26),
    **dict.fromkeys(["HerbieHancock", "RedGarland"], 0),
}
JAZZ_DEFAULT_PROGRAM = 66  # tenor sax
JAZZ_GRID = TPQ // 12  # onsets and ends snap to 1/12 beat: 16ths and triplets both fit


def _jazz_rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _meter_of(signature: str) -> tuple[int, int]:
    text = signature.strip().strip("'\"")
    try:
        num, den = (int(x) for x in text.split("/"))
    except ValueError:
        return 4, 4
    return num, den


def _wjazzd_items(data_root: Path, content: str) -> list[Item]:
    folder = require_folder(data_root / "wjazzd", "Weimar Jazz Database")
    items = []
    for melody in sorted((folder / "melody").glob("*_FINAL.csv")):
        beat = folder / "beat" / f"{melody.stem}_beattrack.csv"
        if beat.exists():
            items.append((str(melody), str(beat)))
    return items


def build_jazz_score(melody_rows: list[dict], beat_rows: list[dict], solo_program: int) -> Score:
    """Solo + walking bass + comping from WJazzD annotations, in musical time.

    Seconds map to beats by linear interpolation through the beat track (extrapolated with
    the first/last beat length), so swing and tempo drift stay in the performance while the
    grid follows the band. Beat 1 of the first full bar lands on a bar line.
    """
    onsets = np.array([float(r["onset"]) for r in beat_rows])
    beat_no = np.array([int(float(r["beat"])) for r in beat_rows])
    num, den = _meter_of(beat_rows[0]["signature"])
    index = np.arange(len(onsets), dtype=float)
    first_downbeat = int(np.argmax(beat_no == 1)) if (beat_no == 1).any() else 0
    pad = (num - first_downbeat % num) % num
    head = onsets[1] - onsets[0] if len(onsets) > 1 else 0.5
    tail = onsets[-1] - onsets[-2] if len(onsets) > 1 else 0.5

    def to_ticks(seconds: np.ndarray) -> np.ndarray:
        beats = np.interp(seconds, onsets, index)
        beats = np.where(seconds < onsets[0], (seconds - onsets[0]) / head, beats)
        beats = np.where(seconds > onsets[-1], index[-1] + (seconds - onsets[-1]) / tail, beats)
        ticks = np.round((beats + pad) * TPQ / JAZZ_GRID) * JAZZ_GRID
        return ticks.astype(np.int64)

    beat_ticks = ((index + pad) * TPQ).astype(np.int64)
    # Solo: velocity from the per-solo z-score of median loudness.
    start = to_ticks(np.array([float(r["onset"]) for r in melody_rows]))
    end = to_ticks(np.array([float(r["onset"]) + float(r["duration"]) for r in melody_rows]))
    end = np.maximum(end, start + JAZZ_GRID)
    pitch = np.array([int(float(r["pitch"])) for r in melody_rows])
    loud = np.array([float(r.get("loud_median") or 0) for r in melody_rows])  # absent in a few
    z = (loud - loud.mean()) / (loud.std() or 1.0)
    velocity = np.clip(np.round(84 + 14 * z), 40, 120).astype(np.int64)
    shift = min(int(start.min()), int(beat_ticks[first_downbeat]) if len(beat_ticks) else 0)
    bar_ticks = TPQ * 4 * num // den
    shift = max(shift // bar_ticks * bar_ticks, 0) if shift > 0 else 0

    def track(name: str, program: int, t, d, p, v) -> Track:
        out = Track(name=name, program=program, is_drum=False)
        t = np.asarray(t, dtype=np.int64) - shift
        keep = (t >= 0) & (np.asarray(d) > 0)
        out.notes = Note.from_numpy(
            time=t[keep].astype(np.int32),
            duration=np.asarray(d, dtype=np.int32)[keep],
            pitch=np.asarray(p, dtype=np.int8)[keep],
            velocity=np.asarray(v, dtype=np.int8)[keep],
        )
        return out

    order = np.lexsort((pitch, start))
    solo = track(
        "Solo", solo_program, start[order], (end - start)[order], pitch[order], velocity[order]
    )
    # Walking bass: one note per annotated beat, lasting to the next beat.
    bass_rows = [(i, r["bass"]) for i, r in enumerate(beat_rows) if (r.get("bass") or "").strip()]
    b_idx = np.array([i for i, _ in bass_rows], dtype=np.int64)
    b_pitch = np.array([int(float(p)) for _, p in bass_rows], dtype=np.int64)
    bass = track(
        "Bass", 32, beat_ticks[b_idx], np.full(len(b_idx), TPQ), b_pitch, np.full(len(b_idx), 80)
    )
    # Comping: a close voicing per chord change or bar line, held to the next one.
    comp_program = 26 if solo_program == 0 else 0
    c_t, c_d, c_p = [], [], []
    spans: list[tuple[int, str]] = []
    for i, r in enumerate(beat_rows):
        symbol = (r.get("chord") or "").strip()
        if not spans or symbol != spans[-1][1] or beat_no[i] == 1:
            spans.append((i, symbol))
    for (i, symbol), nxt in zip(spans, spans[1:] + [(len(beat_rows), "")], strict=False):
        pcs = comping_tones(symbol)
        if not pcs:
            continue
        for p in close_voicing(pcs):
            c_t.append(beat_ticks[i])
            c_d.append((nxt[0] - i) * TPQ)
            c_p.append(p)
    comp = track("Comping", comp_program, c_t, c_d, c_p, np.full(len(c_t), 64))
    score = Score(TPQ)
    score.tracks.extend([solo, bass, comp])
    beat_seconds = float(np.median(np.diff(onsets))) if len(onsets) > 1 else 0.5
    score.tempos.append(Tempo(0, round(60.0 / beat_seconds * den / 4, 2)))
    # Time signatures at the bars where the signature column changes.
    signatures = [_meter_of(r["signature"]) for r in beat_rows]
    score.time_signatures.append(TimeSignature(0, num, den))
    for i in range(1, len(signatures)):
        if signatures[i] != signatures[i - 1] and beat_ticks[i] - shift > 0:
            n, d = signatures[i]
            score.time_signatures.append(TimeSignature(int(beat_ticks[i] - shift), n, d))
    return score


def _load_wjazzd(item: Item, data_root: Path, content: str) -> Piece | None:
    """A WJazzD solo rebuilt as a trio: soloist, walking bass, comping (see `build_jazz_score`)."""
    melody_path, beat_path = Path(item[0]), Path(item[1])
    melody_rows, beat_rows = _jazz_rows(melody_path), _jazz_rows(beat_path)
    if not melody_rows or len(beat_rows) < 2:
        return None
    stem = melody_path.stem.removesuffix("_FINAL")
    performer, _, title = stem.partition("_")
    program = _JAZZ_PROGRAMS.get(performer, JAZZ_DEFAULT_PROGRAM)
    score = build_jazz_score(melody_rows, beat_rows, program)
    chords = [r["chord"] for r in beat_rows]
    changes = [c for i, c in enumerate(chords) if c and (i == 0 or c != chords[i - 1])]
    meta = {
        "title": re.sub(r"(?<=[a-z])(?=[A-Z0-9])", " ", title),
        "performer": re.sub(r"(?<=[a-z])(?=[A-Z])", " ", performer),
        "solo_program": program,
        "chords": changes,
        "choruses": len(
            {r["chorus_id"] for r in beat_rows if r.get("chorus_id") not in ("", "-1")}
        ),
    }
    return Piece(f"wjazzd/{stem}", "wjazzd", "jazz", meta, score)


SOURCE = Source("wjazzd", "jazz", _wjazzd_items, _load_wjazzd)
