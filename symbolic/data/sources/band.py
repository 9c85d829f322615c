"""Band arrangements in General MIDI written for two open-source games: the Freedoom
soundtrack (`band/freedoom`, BSD-3) and OpenMSX for OpenTTD (`band/openmsx`, GPL-2).

A file is read as it is (`symbolic.score.load`, 480 tpq) and tidied for training and a DAW:
empty tracks go, a pitched track that doubles an earlier one note for note (same program)
goes, every drum track (channel 10) becomes one "Drums" track, a missing tempo is 120 and a
missing meter 4/4. A pitched track keeps its name when the name shares a word with its GM
program's name or family (e.g. "Rhythm Guitar" on Distortion Guitar); sequencer labels
("MIDI out #3", "Staff-2", "Track 1"), credits and names of another instrument ("Piano" on
a steel guitar) give way to the GM program name. A file without drums is kept and flagged
"no drums" (the build summary counts flags); a placeholder under two bars holds no music.

Style: `STYLE_BY_FILE` for the songs whose titles say it (city blues, boogies); jazz for the
rest of Jim Redfarn's "Ezy Street" set (piano-band jazz); else `band_style`'s rule from the
instrumentation, in this order (shares of the pitched notes): no drums → orchestral when
orchestral strings, harp, timpani, choir, brass and winds are ≥ 40%, else ambient;
distortion guitar ≥ 30% → metal; distortion + overdriven guitar ≥ 20% → rock; synth bass,
leads, pads, effects, synth strings and brass ≥ 30% → electronic; the orchestra ≥ 40% →
orchestral; eighths swung as triplets (≥ 60% of the off-beat onsets on the triplet) → jazz;
brass and reeds ≥ 20% or acoustic bass ≥ 15% → jazz; electric guitars ≥ 20% → rock; synths
≥ 15% → electronic; else rock. That label is kept as `band_style`; the piece's style is its
word in the REMI style vocabulary (`VOCABULARY`: boogie → blues, ambient → electronic,
orchestral → classical). Freedoom titles and authors come from `CREDITS-MUSIC`, OpenMSX
authors from its README's credits (`OPENMSX_AUTHORS`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from symusic import Score, Tempo, TimeSignature, Track

from symbolic.data.sources.base import Item, Piece, Source, require_folder
from symbolic.data.sources.groove import merge_drums
from symbolic.score import TPQ, bar_count, load
from symbolic.theory.gm import FAMILIES, PROGRAM_NAMES

GAMES = ("freedoom", "openmsx")
STYLE_BY_FILE: dict[str, str] = {
    "openmsx/city_blues_redfarn": "blues",
    "openmsx/careless_perc_redfarn": "blues",  # "Careless Love", the traditional blues
    "openmsx/boogi_marabi_redfarn": "boogie",
    "openmsx/moo_redfarn": "boogie",  # "Moo Moo Boogie", after "Cow Cow Boogie"
    "openmsx/5432gone_redfarn": "jazz",  # a 5/4 jazz tune
}
VOCABULARY: dict[str, str] = {"boogie": "blues", "ambient": "electronic", "orchestral": "classical"}
OPENMSX_AUTHORS: dict[str, str] = {
    "busy_schedule": "mimm",
    "the_fast_route": "mimm",
    "modern_motion": "Kyle Timmerman",
    "keep_on_rolling": "-lucas-",
    "flying_scotsman": "imuh3",
    "chuggachugga": "imuh3",
}
_SUFFIX_AUTHORS = {"redfarn": "Jim Redfarn", "imuh3": "imuh3"}
# CREDITS-MUSIC's non-level entries per section → the music lump (file) they name.
_CREDIT_LUMPS = {
    "Phase 1": {"Title": "d_intro", "Intermission": "d_inter", "Victory": "d_victor",
                "Bunny": "d_bunny"},
    "Phase 2": {"Title": "d_dm2ttl", "Intermission": "d_dm2int", "Story": "d_read_m"},
    "FreeDM": {"Title": "d_fdmttl", "Intermission": "d_fdmint", "Story": "d_fdmrdm"},
}  # fmt: skip
_CREDIT = re.compile(r'^\s*([A-Za-z0-9 ]+):\s*(?:"([^"]+)"|(\S+))\s+by\s+(.+?)\s*$')
_SYNTHS = frozenset({38, 39, 50, 51, 62, 63, *range(80, 104)})
_ORCHESTRA = frozenset({*range(40, 50), 52, 53, 55, *range(56, 62), *range(68, 80)})
_MIN_BARS = 2
# Words of a GM name that say nothing about the instrument.
_VAGUE = frozenset({"acoustic", "electric", "synth", "lead", "pad", "fx", "and", "the", "set"})


def freedoom_credits(text: str) -> dict[str, tuple[str, str]]:
    """CREDITS-MUSIC → {file stem: (title, author)}; "E1M1: "Steel and Brass" by J.Astartes"
    names d_e1m1, "Title:" in the Phase 2 section d_dm2ttl. Later editions' entries ignored."""
    out: dict[str, tuple[str, str]] = {}
    section = ""
    for line in text.splitlines():
        head = line.strip().strip("-")
        if line.startswith("--"):
            if head.startswith("Previously"):
                break
            section = head
            continue
        m = _CREDIT.match(line)
        if not m:
            continue
        slot, title, file_title, author = m.groups()
        lump = _CREDIT_LUMPS.get(section, {}).get(slot.strip())
        if lump is None and re.fullmatch(r"E\dM\d|MAP\d\d|DM\d\d", slot.strip()):
            lump = f"d_{slot.strip().lower()}"
        if lump:
            out[lump] = (title or file_title, author)
    return out


def _band_items(data_root: Path, content: str) -> list[Item]:
    folder = require_folder(data_root / "band", "the band MIDI set (freedoom/, openmsx/)")
    credits_file = folder / "freedoom" / "CREDITS-MUSIC"
    credits = freedoom_credits(credits_file.read_text("utf-8")) if credits_file.exists() else {}
    items = []
    for game in GAMES:
        if not (folder / game).is_dir():
            continue
        for path in sorted((folder / game).iterdir()):
            if path.suffix.lower() not in (".mid", ".midi"):
                continue
            stem = path.stem
            if game == "freedoom":
                title, author = credits.get(stem, (stem, None))
            else:
                base, _, suffix = stem.rpartition("_")
                author = OPENMSX_AUTHORS.get(stem) or _SUFFIX_AUTHORS.get(suffix)
                words = (base if suffix in _SUFFIX_AUTHORS else stem).replace("_", " ")
                title = words.title()
            items.append((str(path), game, title, author))
    return items


def _words(text: str) -> set[str]:
    words = re.findall(r"[a-z]{3,}", text.lower())
    return {w[:-1] if w.endswith("s") and not w.endswith("ss") else w for w in words} - _VAGUE


def track_name(name: str, program: int) -> str:
    """The file's name of a pitched track if it names the instrument that its GM program
    plays (a shared word with the program's name or family), else the GM program name."""
    if _words(name) & _words(f"{PROGRAM_NAMES[program]} {FAMILIES[program // 8]}"):
        return name.strip()
    return PROGRAM_NAMES[program]


def _shares(score: Score) -> dict[str, float]:
    """Shares of the pitched notes per instrument group, and of swung off-beat onsets."""
    counts = np.zeros(128)
    for t in score.tracks:
        if not t.is_drum:
            counts[t.program] += t.note_num()
    total = max(counts.sum(), 1.0)
    times = np.concatenate([t.notes.numpy()["time"] for t in score.tracks if t.note_num()])
    beat = times % TPQ
    straight = int(np.sum(np.abs(beat - TPQ // 2) < TPQ // 24))
    triplet = int(np.sum(np.abs(beat - 2 * TPQ // 3) < TPQ // 24))

    def share(programs) -> float:
        return float(counts[list(programs)].sum() / total)

    return {
        "distortion": share([30]),
        "overdrive": share([29]),
        "electric_guitar": share(range(27, 32)),
        "orchestra": share(_ORCHESTRA),
        "synth": share(_SYNTHS),
        "brass_reed": share(range(56, 72)),
        "acoustic_bass": share([32]),
        "swing": triplet / (straight + triplet) if straight + triplet >= 16 else 0.0,
    }


def band_style(score: Score) -> tuple[str, str]:
    """(style, the rule that gave it) from the instrumentation (see the module doc)."""
    has_drums = any(t.is_drum and t.note_num() for t in score.tracks)
    s = _shares(score)
    rules = (
        (not has_drums and s["orchestra"] >= 0.4, "orchestral", "no drums, orchestra >= 40%"),
        (not has_drums, "ambient", "no drums"),
        (s["distortion"] >= 0.3, "metal", "distortion guitar >= 30%"),
        (s["distortion"] + s["overdrive"] >= 0.2, "rock", "distorted/overdriven guitar >= 20%"),
        (s["synth"] >= 0.3, "electronic", "synths >= 30%"),
        (s["orchestra"] >= 0.4, "orchestral", "orchestra >= 40%"),
        (s["swing"] >= 0.6, "jazz", "swung eighths"),
        (s["brass_reed"] >= 0.2 or s["acoustic_bass"] >= 0.15, "jazz", "brass/reeds or upright"),
        (s["electric_guitar"] >= 0.2, "rock", "electric guitars >= 20%"),
        (s["synth"] >= 0.15, "electronic", "synths >= 15%"),
    )
    for hit, style, why in rules:
        if hit:
            return style, why
    return "rock", "default"


def _doubles(tracks: list[Track]) -> list[bool]:
    """For each track, whether an earlier track has the same program and the same notes."""
    seen: set[tuple] = set()
    out = []
    for t in tracks:
        arr = t.notes.numpy()
        key = (t.program, *(arr[k].tobytes() for k in ("time", "duration", "pitch")))
        out.append(key in seen)
        seen.add(key)
    return out


def tidy_band(score: Score) -> tuple[Score, dict]:
    """The score with named, non-empty, undoubled tracks and one Drums track (see the module
    doc), and what was done to it."""
    tracks = [t for t in score.tracks if t.note_num() > 0]
    drums = [t for t in tracks if t.is_drum]
    pitched = [t for t in tracks if not t.is_drum]
    doubled = _doubles(pitched)
    kept = [t for t, d in zip(pitched, doubled, strict=True) if not d]
    names: dict[str, int] = {}
    original = []
    for t in kept:
        original.append(t.name.strip())
        name = track_name(t.name, t.program)
        names[name] = names.get(name, 0) + 1
        t.name = name if names[name] == 1 else f"{name} {names[name]}"
    out = score.copy()
    out.tracks = ([merge_drums(drums)] if drums else []) + kept
    if not out.tempos:
        out.tempos.append(Tempo(0, 120.0))
    if not out.time_signatures or out.time_signatures[0].time > 0:
        out.time_signatures.insert(0, TimeSignature(0, 4, 4))
    report = {
        "track_names": original,
        "drum_tracks": len(drums),
        "doubled_tracks": int(sum(doubled)),
    }
    return out, report


def _load_band(item: Item, data_root: Path, content: str) -> Piece | None:
    """One arrangement: a Drums track (if any) and the named GM tracks; style by rule."""
    path, game, title, author = item
    score, report = tidy_band(load(path))
    if bar_count(score) < _MIN_BARS:
        return None  # a placeholder (Freedoom's dummy.mid)
    stem = Path(path).stem
    if f"{game}/{stem}" in STYLE_BY_FILE:
        style, rule = STYLE_BY_FILE[f"{game}/{stem}"], "title"
    elif stem.endswith("_redfarn"):
        style, rule = "jazz", "Ezy Street set"
    else:
        style, rule = band_style(score)
    meta = {
        "title": title,
        "composer": author,
        "game": game,
        "band_style": style,
        "style_rule": rule,
        **report,
        "file": f"{game}/{Path(path).name}",
    }
    if not report["drum_tracks"]:
        meta["flags"] = ["no drums"]
    return Piece(f"band/{game}/{stem}", "band", VOCABULARY.get(style, style), meta, score)


SOURCE = Source("band", "rock", _band_items, _load_band)
