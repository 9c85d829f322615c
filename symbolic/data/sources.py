"""The training sources: one iterator per data set, each yielding `Piece`s.

A source is two functions: `items` lists cheap, picklable work items (a path, a tune text, a
JSON line) and `load` turns one item into a `Piece` (parsing is the slow part). `build` sends
items to worker processes; `SOURCES[name](data_root, limit)` simply does both in a loop.

Scores are `symusic.Score` at 480 tpq, tracks named and given GM programs so that they sound
right in a DAW; `content="abc"` asks folk/nottingham for the ABC text only (no parsing).
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from symusic import Note, Score, Tempo, TextMeta, TimeSignature, Track

from symbolic.errors import SymgenError
from symbolic.score import TPQ, from_music21, load

Item = tuple[Any, ...]


@dataclass(frozen=True)
class Piece:
    """One piece of music from a source: a stable id, its style label, raw metadata, content."""

    id: str
    source: str
    style: str
    meta: dict = field(default_factory=dict, hash=False, compare=False)
    score: Score | None = field(default=None, hash=False, compare=False)
    abc: str | None = field(default=None, hash=False, compare=False)


@dataclass(frozen=True)
class Source:
    """A source's lister and loader, and whether it reads the shared data folder."""

    name: str
    style: str
    items: Callable[[Path, str], list[Item]]
    load: Callable[[Item, Path, str], Piece | None]
    needs_data: bool = True


def _require(folder: Path, what: str) -> Path:
    """The folder of a shared data set, or a `SymgenError` saying how to point at it."""
    if not folder.is_dir():
        raise SymgenError(
            f"{what} not found in {folder}: set SYMGEN_DATA (or pass data_root) to the shared "
            "data folder that holds it"
        )
    return folder


# ---------------------------------------------------------------- music21 corpus sources


def _corpus_paths(composers: tuple[str, ...], suffixes: tuple[str, ...]) -> list[str]:
    from music21 import corpus

    paths = [str(p) for c in composers for p in corpus.getComposer(c)]
    return sorted(p for p in paths if p.rsplit(".", 1)[-1] in suffixes)


def _corpus_id(path: str) -> str:
    """ "bach/bwv1.6" from a corpus file path: stable across machines."""
    tail = path.split("/corpus/", 1)[-1]
    return tail.rsplit(".", 1)[0]


def _parse_corpus(path: str):
    from music21 import converter, stream

    parsed = converter.parse(path)
    if isinstance(parsed, stream.Opus):
        parsed = parsed.scores[0]
    return parsed


def _m21_meta(parsed, path: str) -> dict:
    md = parsed.metadata
    title = None
    composer = None
    if md is not None:
        title = md.title or md.movementName
        composer = md.composer
    return {"title": title, "composer": composer, "file": _corpus_id(path)}


def _to_score(parsed) -> Score:
    """music21 → `Score`; a movement whose repeats music21 cannot expand is read unrolled
    no further (repeat signs dropped) rather than lost."""
    try:
        return from_music21(parsed)
    except Exception as err:
        if type(err).__name__ != "ExpanderException":
            raise
    from music21 import bar, repeat

    for el in list(parsed.recurse().getElementsByClass((bar.Repeat, repeat.RepeatExpression))):
        site = el.activeSite
        if isinstance(el, bar.Repeat) and site is not None:
            if site.leftBarline is el:
                site.leftBarline = None
            if site.rightBarline is el:
                site.rightBarline = bar.Barline("regular")
        elif site is not None:
            site.remove(el)
    for spanner in list(parsed.recurse().getElementsByClass("RepeatBracket")):
        for site in list(spanner.sites.get()):
            if hasattr(site, "remove"):
                site.remove(spanner)
    return from_music21(parsed)


def _voices_score(parsed, names: list[str], program: int) -> Score:
    """Parts → named tracks with one GM program (52, Choir Aahs, for sung voices)."""
    for part, name in zip(parsed.parts, names, strict=False):
        part.partName = name
    score = _to_score(parsed)
    for track, name in zip(score.tracks, names, strict=False):
        track.name = name
        track.program = program
    return score


_SATB = ("Soprano", "Alto", "Tenor", "Bass")


def _chorale_items(data_root: Path, content: str) -> list[Item]:
    return [(p,) for p in _corpus_paths(("bach",), ("mxl", "xml"))]


def _load_chorale(item: Item, data_root: Path, content: str) -> Piece | None:
    """A Bach chorale: the four sung voices (instrument doublings dropped), lyrics on Soprano."""
    from music21 import stream

    (path,) = item
    parsed = _parse_corpus(path)
    parts = list(parsed.parts)
    if len(parts) != 4:
        by_voice = {}
        for part in parts:
            name = (part.partName or "").strip().lower()
            for voice in _SATB:
                if name.startswith(voice.lower()[:3]) and voice not in by_voice:
                    by_voice[voice] = part
        if len(by_voice) != 4:
            return None
        parts = [by_voice[v] for v in _SATB]
        keep = stream.Score(parts)
        keep.metadata = parsed.metadata
        parsed = keep
    score = _voices_score(parsed, list(_SATB), 52)
    for track in score.tracks[1:]:
        track.lyrics.clear()
    meta = _m21_meta(parsed, path)
    meta["composer"] = "J. S. Bach"
    meta["lyrics"] = len(score.tracks[0].lyrics) > 0
    return Piece(f"chorales/{_corpus_id(path)}", "chorales", "chorale", meta, score)


def _polyphony_items(composer: str, suffixes: tuple[str, ...]) -> Callable[[Path, str], list]:
    def items(data_root: Path, content: str) -> list[Item]:
        return [(p,) for p in _corpus_paths((composer,), suffixes)]

    return items


def _load_polyphony(
    source: str, style: str, composer: str, item: Item, data_root: Path, content: str
) -> Piece | None:
    """Vocal polyphony (Palestrina, Monteverdi): one Choir Aahs track per voice."""
    (path,) = item
    parsed = _parse_corpus(path)
    parts = list(parsed.parts)
    if not parts:
        return None
    names = [(p.partName or "").strip() or f"Voice {i + 1}" for i, p in enumerate(parts)]
    score = _voices_score(parsed, names, 52)
    meta = _m21_meta(parsed, path)
    # The corpus files' own title/composer fields are often garbled: use the file name.
    meta["composer"] = composer
    stem = _corpus_id(path).split("/", 1)[-1]
    meta["title"] = (
        "Madrigal " + stem.split(".", 1)[-1]
        if stem.startswith("madrigal.")
        else stem.replace("_", " ")
    )
    return Piece(f"{source}/{_corpus_id(path).split('/', 1)[-1]}", source, style, meta, score)


_QUARTET_SKIP = ("mozart/k545",)  # a piano sonata filed beside the quartets


def _quartet_items(data_root: Path, content: str) -> list[Item]:
    paths = _corpus_paths(("haydn", "mozart", "beethoven"), ("mxl", "krn", "xml"))
    return [(p,) for p in paths if not any(s in p for s in _QUARTET_SKIP)]


def _string_program(name: str, index: int, count: int) -> tuple[str, int]:
    """GM program of a quartet part by its name (violin 40, viola 41, cello 42)."""
    low = name.lower()
    if "cello" in low or "basso" in low or low.startswith("vc"):
        return name or "Cello", 42
    if "viola" in low or low.startswith("vla") or low.startswith("va"):
        return name or "Viola", 41
    if "viol" in low or low.startswith("vn") or low.startswith("vl"):
        return name or "Violin", 40
    by_order = ["Violin I", "Violin II", "Viola", "Cello"]
    if count == 4:
        return name or by_order[index], [40, 40, 41, 42][index]
    return name or f"Strings {index + 1}", 40


def _load_quartet(item: Item, data_root: Path, content: str) -> Piece | None:
    """A string quartet movement: violins 40, viola 41, cello 42, named by part name."""
    (path,) = item
    parsed = _parse_corpus(path)
    parts = list(parsed.parts)
    if len(parts) < 3:
        return None
    score = _to_score(parsed)
    for i, (track, part) in enumerate(zip(score.tracks, parts, strict=False)):
        track.name, track.program = _string_program((part.partName or "").strip(), i, len(parts))
    meta = _m21_meta(parsed, path)
    cid = _corpus_id(path)
    meta["composer"] = meta.get("composer") or cid.split("/", 1)[0].capitalize()
    meta["title"] = meta.get("title") or cid
    return Piece(f"quartets/{cid}", "quartets", "classical", meta, score)


# ---------------------------------------------------------------- ABC folk tunes

_FOLK_COLLECTIONS = ("essen", "oneill", "ryan")


def _folk_items(data_root: Path, content: str) -> list[Item]:
    from symbolic.data.abc_corpus import iter_tunes

    return [
        (t.id, t.text, dict(t.meta)) for c in _FOLK_COLLECTIONS for t in iter_tunes(c, data_root)
    ]


def _abc_score(text: str) -> Score | None:
    """Parse one ABC tune with music21 into a one-track "Melody" score (flute, 73)."""
    from music21 import converter, stream

    try:
        parsed = converter.parse(text, format="abc")
    except Exception:
        return None
    if isinstance(parsed, stream.Opus):
        parsed = parsed.scores[0]
    score = from_music21(parsed)
    if score.note_num() == 0:
        return None
    for track in score.tracks:
        track.name, track.program = "Melody", 73
    return score


def _tune_meta(meta: dict) -> dict:
    out = {
        k: meta[k] for k in ("title", "meter", "key", "rhythm", "region", "composer") if k in meta
    }
    return out


def _load_folk(item: Item, data_root: Path, content: str) -> Piece | None:
    """An ABC folk tune: the text always, a parsed score unless only ABC is asked for."""
    tune_id, text, meta = item
    score = None if content == "abc" else _abc_score(text)
    if content != "abc" and score is None:
        return None
    return Piece(tune_id, "folk", "folk", _tune_meta(meta), score, text)


# ---------------------------------------------------------------- POP909


def _pop909_items(data_root: Path, content: str) -> list[Item]:
    folder = _require(data_root / "pop909", "POP909")
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


# ---------------------------------------------------------------- Nottingham

_NOTT_STEM = re.compile(r"^(.*?)(\d+)$")


def _nottingham_items(data_root: Path, content: str) -> list[Item]:
    from symbolic.data.abc_corpus import iter_tunes

    if content == "abc":
        _require(data_root / "nottingham" / "abc", "Nottingham ABC files")
        return [(t.id, t.text, dict(t.meta)) for t in iter_tunes("nottingham", data_root)]
    folder = _require(data_root / "nottingham" / "midi", "Nottingham MIDI files")
    tunes = {}
    if (data_root / "nottingham" / "abc").is_dir():
        tunes = {t.id: t for t in iter_tunes("nottingham", data_root)}
    items = []
    for path in sorted(folder.glob("*.mid")):
        m = _NOTT_STEM.match(path.stem)
        tune_id = f"nottingham/{m.group(1)}/{m.group(2)}" if m else f"nottingham/{path.stem}"
        tune = tunes.get(tune_id)
        items.append(
            (str(path), tune_id, tune.text if tune else None, dict(tune.meta) if tune else {})
        )
    return items


def _load_nottingham(item: Item, data_root: Path, content: str) -> Piece | None:
    """A Nottingham tune: MIDI melody ("Melody", flute 73) and chords ("Chords", piano 0),
    with the matching ABC text (same file stem and X: number) when there is one."""
    if content == "abc":
        tune_id, text, meta = item
        return Piece(tune_id, "nottingham", "folk", _tune_meta(meta), None, text)
    path, tune_id, text, meta = item
    score = load(path)
    # These files repeat their meta events once per track; keep one of each.
    for events in (score.time_signatures, score.key_signatures):
        seen, unique = set(), []
        for ev in events:
            if (ev.time, *ev_key(ev)) not in seen:
                seen.add((ev.time, *ev_key(ev)))
                unique.append(ev)
        events.clear()
        events.extend(unique)
    tracks = [t for t in score.tracks if t.note_num() > 0]
    for i, track in enumerate(tracks):
        track.name, track.program = ("Melody", 73) if i == 0 else ("Chords", 0)
    score.tracks = tracks
    if not score.tempos:
        score.tempos.append(Tempo(0, 120.0))
    meta = _tune_meta(meta)
    meta.setdefault("title", Path(path).stem)
    return Piece(tune_id, "nottingham", "folk", meta, score, text)


def ev_key(ev) -> tuple:
    """Comparable fields of a time or key signature event."""
    if hasattr(ev, "numerator"):
        return (ev.numerator, ev.denominator)
    return (ev.key, ev.tonality)


# ---------------------------------------------------------------- Weimar Jazz Database

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

_ROOT = re.compile(r"^([A-G])([#b]?)(.*)$")
_ROOT_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def chord_pitch_classes(symbol: str) -> list[int] | None:
    """Pitch classes (root first) of a WJazzD chord symbol; None for NC or unreadable.

    Notation: "-" minor, "j7" major seventh, "o" diminished, "+" augmented, "m7b5" half
    diminished, "sus" suspended fourth, "alt" altered dominant; trailing digits are tensions
    ("79b" = 7 b9, "7911#" = 7 9 #11, "7913" = 7 9 13); "/X" is a bass note, ignored here.
    """
    symbol = (symbol or "").strip().split("/", 1)[0]
    m = _ROOT.match(symbol)
    if not m:
        return None
    letter, accidental, rest = m.groups()
    root = (_ROOT_PC[letter] + {"#": 1, "b": -1, "": 0}[accidental]) % 12
    third, fifth, seventh = 4, 7, None
    tensions: list[int] = []
    if rest.startswith("m7b5"):
        third, fifth, seventh, rest = 3, 6, 10, rest[4:]
    elif rest.startswith("sus"):
        third, rest = 5, rest[3:]
    elif rest.startswith("-"):
        third, rest = 3, rest[1:]
    elif rest.startswith("o"):
        third, fifth, rest = 3, 6, rest[1:]
        if rest.startswith("7"):
            seventh, rest = 9, rest[1:]
    elif rest.startswith("+"):
        fifth, rest = 8, rest[1:]
    if rest.startswith("j7"):
        seventh, rest = 11, rest[2:]
    elif rest.startswith("7"):
        seventh, rest = 10, rest[1:]
    elif rest.startswith("6"):
        seventh, rest = 9, rest[1:]
    if rest.startswith("alt"):
        seventh = seventh or 10
        tensions = [3, 8]  # #9 and b13
        rest = ""
    for number, accidental in re.findall(r"(13|11|9)([#b]?)", rest):
        base = {"9": 2, "11": 5, "13": 9}[number]
        tensions.append((base + {"#": 1, "b": -1, "": 0}[accidental]) % 12)
    tones = [0, third, fifth] + ([seventh] if seventh is not None else [])
    if seventh is not None and tensions:
        # Rootless four-note voicing: third, fifth (or a tension), seventh, first tension.
        tones = [third, seventh, tensions[0], fifth if len(tensions) == 1 else tensions[1]]
    return [(root + t) % 12 for t in dict.fromkeys(tones)]


def close_voicing(pitch_classes: list[int], low: int = 55) -> list[int]:
    """A close voicing in the middle register: each pitch class once, within [low, low+11]."""
    return sorted(low + (pc - low) % 12 for pc in pitch_classes)


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
    folder = _require(data_root / "wjazzd", "Weimar Jazz Database")
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
        pcs = chord_pitch_classes(symbol) if symbol != "NC" else None
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


# ---------------------------------------------------------------- lyrics aligned to melodies

LYRICS_FILE = "lmd_lyrics_melody.jsonl.gz"


def _lyrics_items(data_root: Path, content: str) -> list[Item]:
    path = _require(data_root / "lyrics_melody", "lyrics_melody") / LYRICS_FILE
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


# ---------------------------------------------------------------- registry

REGISTRY: dict[str, Source] = {
    s.name: s
    for s in (
        Source("chorales", "chorale", _chorale_items, _load_chorale, needs_data=False),
        Source(
            "palestrina",
            "renaissance",
            _polyphony_items("palestrina", ("krn", "mxl", "xml")),
            partial(
                _load_polyphony, "palestrina", "renaissance", "Giovanni Pierluigi da Palestrina"
            ),
            needs_data=False,
        ),
        Source(
            "monteverdi",
            "madrigal",
            _polyphony_items("monteverdi", ("mxl", "xml", "krn")),
            partial(_load_polyphony, "monteverdi", "madrigal", "Claudio Monteverdi"),
            needs_data=False,
        ),
        Source("quartets", "classical", _quartet_items, _load_quartet, needs_data=False),
        Source("folk", "folk", _folk_items, _load_folk, needs_data=False),
        Source("pop909", "pop", _pop909_items, _load_pop909),
        Source("nottingham", "folk", _nottingham_items, _load_nottingham),
        Source("wjazzd", "jazz", _wjazzd_items, _load_wjazzd),
        Source("lyrics_melody", "song", _lyrics_items, _load_lyrics),
    )
}


def source_names(spec: str) -> list[str]:
    """ "all" or a comma list of source names → the names, checked."""
    names = (
        list(REGISTRY)
        if spec.strip() == "all"
        else [s.strip() for s in spec.split(",") if s.strip()]
    )
    unknown = [n for n in names if n not in REGISTRY]
    if unknown or not names:
        raise SymgenError(
            f"unknown source {', '.join(unknown) or spec!r}: "
            f"choose from {', '.join(REGISTRY)} or all"
        )
    return names


def list_items(
    name: str, data_root: Path, limit: int | None = None, content: str = "score"
) -> list[Item]:
    """The work items of a source, in a fixed order, the first `limit` of them."""
    items = REGISTRY[name].items(Path(data_root), content)
    return items[:limit] if limit is not None else items


def load_piece(name: str, item: Item, data_root: Path, content: str = "score") -> Piece | None:
    """One item → `Piece` (None when the item holds no usable music)."""
    return REGISTRY[name].load(item, Path(data_root), content)


def iter_source(
    name: str, data_root: Path, limit: int | None = None, content: str = "score"
) -> Iterator[Piece]:
    """Yield the pieces of one source; `limit` counts items, unusable ones are skipped."""
    for item in list_items(name, data_root, limit, content):
        piece = load_piece(name, item, data_root, content)
        if piece is not None:
            yield piece


def _iterator(name: str) -> Callable[..., Iterator[Piece]]:
    def iterate(
        data_root: Path, limit: int | None = None, content: str = "score"
    ) -> Iterator[Piece]:
        return iter_source(name, data_root, limit, content)

    iterate.__name__ = f"iter_{name}"
    iterate.__doc__ = f"Pieces of the {name!r} source (see `REGISTRY[{name!r}]`)."
    return iterate


SOURCES: dict[str, Callable[..., Iterator[Piece]]] = {name: _iterator(name) for name in REGISTRY}
