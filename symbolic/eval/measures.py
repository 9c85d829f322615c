"""`symgen eval`: what a file is and how it measures, alone or beside a reference set.

Pitch measures come from MusPy (Dong et al. 2020), the family the Jazz Transformer paper
uses: pitch-class entropy, scale consistency, polyphony, pitch range, empty-beat rate, on the
pitched tracks only (a drum note's number is a kit piece, not a pitch). The band measures of
`symbolic.eval.band` add what MusPy lacks: the drums' kit share, kick+snare share, groove
consistency and hits per bar, the bass's median pitch and one-note share, the velocity spread.
A measure that does not apply (no drums, no bass) is None.

With a reference set, each value is placed in the reference's distribution: its mean, spread
and the percentile the value falls at.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from symusic import Score

from symbolic.errors import SymgenError
from symbolic.eval.band import (
    bass_measures,
    bass_tracks,
    drum_measures,
    drum_tracks,
    velocity_spread,
)
from symbolic.score import ABC_SUFFIXES, MIDI_SUFFIXES, XML_SUFFIXES, describe, load

# name → what it measures, in the order `symgen eval` prints them
MEASURES: dict[str, str] = {
    "pitch_class_entropy": "pitch-class entropy (bits; 0 one pitch class, 3.58 all equal)",
    "scale_consistency": "share of notes in the best-fitting major or minor scale",
    "polyphony": "pitches sounding at once, where any sound",
    "pitch_range": "highest minus lowest pitch (semitones)",
    "empty_beat_rate": "share of beats where no pitched note starts or sounds",
    "drum_kit_share": "drum hits on kit pieces (kick, snares, toms, hi-hats, cymbals)",
    "drum_kick_snare_share": "drum hits on kick or snare",
    "drum_groove_consistency": "same 16th-note onsets in consecutive bars (Jaccard)",
    "drum_hits_per_bar": "drum hits per bar",
    "bass_median_pitch": "median pitch of the bass tracks (MIDI number; 28-55 a bass)",
    "bass_one_note_share": "bass onsets with one note (a bass line is monophonic)",
    "velocity_spread": "standard deviation of note velocities (0: flat, mechanical)",
}
READABLE = (MIDI_SUFFIXES | ABC_SUFFIXES | XML_SUFFIXES) - {".krn"}


def measures(score: Score) -> dict[str, float | None]:
    """Every measure of `MEASURES` for one score."""
    import mido
    import muspy

    pitched = score.copy()
    pitched.tracks = [t for t in score.tracks if not t.is_drum and t.note_num()]
    out: dict[str, float | None] = dict.fromkeys(MEASURES)
    if pitched.tracks:
        music = muspy.from_mido(mido.MidiFile(file=io.BytesIO(pitched.dumps_midi())))
        out["pitch_class_entropy"] = muspy.pitch_class_entropy(music)
        out["scale_consistency"] = muspy.scale_consistency(music)
        out["polyphony"] = muspy.polyphony(music)
        out["pitch_range"] = float(muspy.pitch_range(music))
        out["empty_beat_rate"] = muspy.empty_beat_rate(music)
    drums = drum_tracks(score)
    if drums:
        merged = [drum_measures(score, t) for t in drums]
        hits = sum(m["hits"] for m in merged)
        weight = [m["hits"] / max(hits, 1) for m in merged]
        for key in ("kit_share", "kick_snare_share", "groove_consistency"):
            out[f"drum_{key}"] = float(sum(w * m[key] for w, m in zip(weight, merged, strict=True)))
        out["drum_hits_per_bar"] = float(sum(m["hits_per_bar"] for m in merged))
    basses = bass_tracks(score)
    if basses:
        bass = [bass_measures(t) for t in basses]
        out["bass_median_pitch"] = float(np.median([b["median_pitch"] for b in bass]))
        out["bass_one_note_share"] = float(np.mean([b["one_note_share"] for b in bass]))
    tracks = [t for t in score.tracks if t.note_num()]
    out["velocity_spread"] = velocity_spread(tracks) if tracks else None
    return {
        k: (None if v is None or not np.isfinite(v) else round(float(v), 4)) for k, v in out.items()
    }


def music_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, and the music files inside the folders named (sorted, recursive)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.suffix.lower() in READABLE)
            if not inside:
                raise SymgenError(f"{path}: no MIDI, ABC or MusicXML files in this folder")
            found += inside
        elif path.exists():
            found.append(path)
        else:
            raise SymgenError(f"{path}: no such file or folder; check the path")
    return found


def evaluate(paths: Iterable[str | Path], *, progress: bool = False) -> list[dict]:
    """`{"path", "info", "measures"}` per file; a file that cannot be read is
    `{"path", "error"}` (one unreadable file in a folder does not stop the rest)."""
    from tqdm import tqdm

    files = music_files(paths)
    rows = []
    shown = progress and len(files) >= 20
    for path in tqdm(files, desc="eval", unit="file", disable=not shown, mininterval=1.0):
        try:
            score = load(path)
        except SymgenError as err:
            rows.append({"path": str(path), "error": str(err)})
            continue
        rows.append({"path": str(path), "info": describe(score), "measures": measures(score)})
    return rows


def reference(rows: list[dict]) -> dict[str, dict]:
    """Per measure, the reference set's values summarised: n, mean, std, 10/50/90th percentile
    and the sorted values themselves (for placing a file in them)."""
    summary = {}
    for name in MEASURES:
        values = np.sort([r["measures"][name] for r in rows if r.get("measures")
                          and r["measures"][name] is not None])  # fmt: skip
        if not len(values):
            continue
        summary[name] = {
            "n": int(len(values)),
            "mean": round(float(values.mean()), 4),
            "std": round(float(values.std()), 4),
            "p10": round(float(np.percentile(values, 10)), 4),
            "p50": round(float(np.percentile(values, 50)), 4),
            "p90": round(float(np.percentile(values, 90)), 4),
            "values": values,
        }
    return summary


def percentile(value: float, values: np.ndarray) -> float:
    """Where `value` falls in the sorted `values`, 0-100 (ties count half)."""
    below = np.searchsorted(values, value, side="left")
    upto = np.searchsorted(values, value, side="right")
    return round(100.0 * (below + upto) / 2 / len(values), 1)


def against(rows: list[dict], ref: dict[str, dict]) -> list[dict]:
    """Each row's measures beside the reference: `{"value", "percentile"}` per measure."""
    for row in rows:
        if "measures" not in row:
            continue
        row["against"] = {
            name: {"value": value, "percentile": percentile(value, ref[name]["values"])}
            for name, value in row["measures"].items()
            if value is not None and name in ref
        }
    return rows


def report(rows: list[dict], ref: dict[str, dict] | None = None) -> str:
    """The text `symgen eval` prints."""
    lines = []
    for row in rows:
        if "error" in row:
            lines.append(f"{row['path']}: not read ({row['error']})")
            continue
        info = row["info"]
        names = ", ".join(dict.fromkeys(t["instrument"] for t in info["tracks"] if t["notes"]))
        lines.append(
            f"{row['path']}: {info['bars']} bars, {info['notes']} notes, {info['tempo']:g} bpm, "
            f"{info['meter']}, {info['key']}; {names or 'no notes'}"
        )
        for name, value in row["measures"].items():
            if value is None:
                continue
            text = f"  {name.replace('_', ' ')}: {value:.3g}"
            if ref and name in ref:
                r = ref[name]
                text += (
                    f"  (reference mean {r['mean']:.3g} ± {r['std']:.2g}, median {r['p50']:.3g}; "
                    f"percentile {row['against'][name]['percentile']:.0f})"
                )
            lines.append(text)
    return "\n".join(lines)
