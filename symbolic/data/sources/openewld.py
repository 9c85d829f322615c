"""OpenEWLD: public-domain lead sheets from Wikifonia (MusicXML melody with chord symbols, many
with lyrics) and their genre and style from `OpenEWLD.db`.

Each lead sheet becomes two tracks. The melody: "Voice" (GM 53, Voice Oohs, the program the
other sung sources use) when it has lyrics, with a lyric event on each syllable, else
"Melody" (GM 0). "Chords" (GM 0): every `<harmony>` symbol, read into a
`symbolic.theory.chords.Chord` (`harmony_symbol`), sounds from its onset to the next symbol
as `symbolic.theory.voicing.lead_sheet_voicing` places it: the bass (slash bass, else root) in
36-47 and the other tones in close position within 55-66; N.C. is silent. Velocities are
fixed (melody 90, bass 72, chord 64): the sheets have no dynamics.

The form is played as a musician reads it (`play_order`): repeats taken, first and second
endings honoured (a first-ending bracket that stops one bar short of its repeat sign, as
Wikifonia writes them, is extended to it); D.C. and D.S. are not followed. Each pass sings
its own verse (`lyric` number = pass, else the latest verse before it); `meta["syllables"]`
lists them as [onset beats, duration beats, pitch, text, syllabic]. Ties are merged, grace
notes dropped, a pickup starts on its upbeat. Meter: the file's (else 4/4); tempo: its
metronome mark, else 120; key: the signature, with the mode the file gives when it says
minor; when it says major (Wikifonia's default, 465 of 475 sheets) or nothing, the mode that
fits the notes better (`symbolic.data.meta.score_key`).

Style: the database's style mapped by `STYLE_OF_STYLE`, or when that says nothing about the
music ("Vocal", "Easy Listening") or is missing, its genre by `STYLE_OF_GENRE`; "pop" when
neither is known. Labels are the REMI style vocabulary's (songs from stage and screen are
"song"); both raw labels are kept (`genre`, `ewld_style`).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
from symusic import KeySignature, Note, Score, Tempo, TextMeta, TimeSignature, Track

from symbolic.data.meta import score_key
from symbolic.data.sources.base import Item, Piece, Source, require_folder
from symbolic.errors import SymgenError
from symbolic.score import TPQ, key_signature
from symbolic.theory.chords import Chord, parse_chord
from symbolic.theory.keys import key_label, signature_key
from symbolic.theory.voicing import lead_sheet_voicing

# music21's chord kinds (MusicXML <kind>, some spelled music21's way) → lead-sheet suffixes.
KIND_SUFFIX: dict[str, str] = {
    "major": "", "minor": "m", "augmented": "aug", "diminished": "dim", "dominant": "7",
    "dominant-seventh": "7", "major-seventh": "maj7", "minor-seventh": "m7",
    "diminished-seventh": "dim7", "augmented-seventh": "aug7", "half-diminished": "m7b5",
    "half-diminished-seventh": "m7b5", "major-minor": "mmaj7", "minor-major": "mmaj7",
    "minor-major-seventh": "mmaj7", "major-sixth": "6", "minor-sixth": "m6",
    "dominant-ninth": "9", "major-ninth": "maj9", "minor-ninth": "m9", "augmented-ninth": "aug9",
    "dominant-11th": "11", "major-11th": "maj11", "minor-11th": "m11", "dominant-13th": "13",
    "major-13th": "maj13", "minor-13th": "m13", "suspended-second": "sus2",
    "suspended-fourth": "sus4", "suspended-fourth-seventh": "7sus4", "power": "5", "pedal": "1",
    "maj69": "69", "6/9": "69",
}  # fmt: skip
STYLE_OF_STYLE: dict[str, str] = {
    **dict.fromkeys(["Swing", "Big Band"], "swing"),
    "Ballad": "ballad",
    **dict.fromkeys(["Hard Bop", "Bop", "Post Bop", "Cool Jazz", "Soul-Jazz", "Jazz-Funk",
                     "Dixieland", "Ragtime", "Contemporary Jazz", "Smooth Jazz", "Modal",
                     "Gypsy Jazz", "Jazz-Rock", "Jazzdance"], "jazz"),
    **dict.fromkeys(["Rock & Roll", "Rockabilly", "Pop Rock", "Blues Rock", "Classic Rock",
                     "Folk Rock", "Southern Rock", "Soft Rock", "Psychedelic Rock", "Prog Rock",
                     "Indie Rock", "Alternative Rock", "Punk", "Oi"], "rock"),
    **dict.fromkeys(["Rhythm & Blues", "Delta Blues", "Country Blues"], "blues"),
    **dict.fromkeys(["Soul", "Doo Wop", "Disco"], "soul"),
    **dict.fromkeys(["Gospel", "Religious"], "gospel"),
    **dict.fromkeys(["Country", "Country Rock", "Bluegrass", "Honky Tonk"], "country"),
    **dict.fromkeys(["Folk", "Celtic", "Chanson", "Canzone Napoletana", "Polka", "Pacific",
                     "Marches", "Military"], "folk"),
    **dict.fromkeys(["Latin Jazz", "Cha-Cha", "Tango", "Samba", "Bossa Nova", "Mambo", "MPB",
                     "Flamenco"], "latin"),
    **dict.fromkeys(["Reggae", "Reggae-Pop", "Ska", "Dub"], "reggae"),
    **dict.fromkeys(["Musical", "Soundtrack", "Theme", "Score", "Operetta", "Music Hall"],
                    "song"),  # songs from stage and screen
    **dict.fromkeys(["Romantic", "Classical", "Neo-Romantic", "Modern Classical", "Baroque",
                     "Renaissance", "Neo-Classical", "Opera", "Contemporary", "Avantgarde",
                     "Experimental"], "classical"),
    # Old songs that a dance or electronic record covered: the song is still a pop song.
    **dict.fromkeys(["Synth-pop", "House", "Euro House", "Deep House", "IDM", "New Beat",
                     "Downtempo", "Ambient", "Industrial", "Ethereal", "Space-Age", "Novelty",
                     "Comedy"], "pop"),
}  # fmt: skip
STYLE_OF_GENRE: dict[str, str] = {
    "Pop": "pop", "Jazz": "jazz", "Rock": "rock", "Stage & Screen": "song",
    "Folk, World, & Country": "folk", "Funk / Soul": "soul", "Classical": "classical",
    "Latin": "latin", "Electronic": "pop", "Reggae": "reggae", "Brass & Military": "folk",
    "Non-Music": "pop", "Blues": "blues",
}  # fmt: skip
_VELOCITY = {"melody": 90, "bass": 72, "chord": 64}
_ALTERED_TENSIONS = {9: 2, 11: 5, 13: 9}  # an altered tension replaces this plain interval
_DEGREE_AS_TENSION = {2: 9, 4: 11, 6: 13}


def ewld_style(genre: str | None, style: str | None) -> str:
    """The style label of a work from the database's style, else its genre, else "pop"."""
    if style in STYLE_OF_STYLE:
        return STYLE_OF_STYLE[style]
    return STYLE_OF_GENRE.get(genre or "", "pop")


def _db_rows(db: Path) -> dict[str, dict]:
    """path_leadsheet → title, year, language, genre and style, from OpenEWLD.db."""
    if not db.exists():
        return {}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT w.path_leadsheet, w.title, w.first_performance_date, w.language,"
            " (SELECT genre FROM work_genres g WHERE g.id = w.id),"
            " (SELECT style FROM work_style s WHERE s.id = w.id) FROM works w"
        ).fetchall()
    keys = ("title", "date", "language", "genre", "style")
    return {r[0]: dict(zip(keys, r[1:], strict=True)) for r in rows}


def _openewld_items(data_root: Path, content: str) -> list[Item]:
    folder = require_folder(data_root / "openewld", "OpenEWLD")
    rows = _db_rows(folder / "OpenEWLD.db")
    items = []
    for path in sorted((folder / "dataset").glob("*/*/*.mxl")):
        rel = path.relative_to(folder).as_posix()
        info = rows.get(rel, {})
        authors = path.parent.parent.name.replace("_", " ").replace("[", "").replace("]", "")
        info["composer"] = ", ".join(a.strip() for a in authors.split("-") if a.strip())
        items.append((str(path), json.dumps(info, sort_keys=True)))
    return items


def harmony_symbol(h) -> str:
    """A music21 `ChordSymbol` as a lead-sheet symbol `parse_chord` reads ("Bb7addb9/D");
    ValueError for a kind it has no suffix for."""
    if h.chordKind not in KIND_SUFFIX or h.root() is None:
        raise ValueError(f"chord kind {h.chordKind!r} (root {h.root()})")
    mods = ""
    for mod in h.getChordStepModifications():
        if mod.modType == "subtract":
            continue
        shift = int(mod.interval.semitones) if mod.interval is not None else 0
        degree = _DEGREE_AS_TENSION.get(mod.degree, mod.degree)
        mods += {1: "#", -1: "b"}.get(shift, "") + str(degree)
    root = h.root().name.replace("-", "b")
    text = root + KIND_SUFFIX[h.chordKind] + (f"add{mods}" if mods else "")
    bass = h.bass()
    if bass is not None and bass.name != h.root().name:
        text += "/" + bass.name.replace("-", "b")
    return text


def harmony_chord(h) -> Chord:
    """The `Chord` of a music21 `ChordSymbol`; an altered 9th, 11th or 13th replaces the plain
    one (an "alter"; an "add" keeps both)."""
    chord = parse_chord(harmony_symbol(h))
    for mod in h.getChordStepModifications():
        plain = _ALTERED_TENSIONS.get(mod.degree)
        if mod.modType == "alter" and plain is not None:
            chord = replace(chord, tensions=tuple(t for t in chord.tensions if t != plain))
    return chord


def play_order(part) -> tuple[list, list[tuple[int, int]]]:
    """The measures of a music21 part, and (measure index, pass) in the order a player reads
    them: repeat signs taken (`times`, default twice), numbered endings on their passes."""
    from music21 import bar, spanner, stream

    measures = list(part.getElementsByClass(stream.Measure))
    n = len(measures)
    index = {id(m): i for i, m in enumerate(measures)}
    starts = [isinstance(m.leftBarline, bar.Repeat) and m.leftBarline.direction == "start"
              for m in measures]  # fmt: skip
    ends = [isinstance(m.rightBarline, bar.Repeat) and m.rightBarline.direction == "end"
            for m in measures]  # fmt: skip
    times = [int(getattr(m.rightBarline, "times", None) or 2) for m in measures]
    spans = []
    for bracket in part.recurse().getElementsByClass(spanner.RepeatBracket):
        idx = sorted(index[id(m)] for m in bracket.getSpannedElements() if id(m) in index)
        if idx:
            spans.append((idx, {k for k in bracket.numberRange if k > 0} or {1}))
    spans.sort(key=lambda span: span[0][0])
    endings: dict[int, set[int]] = {}
    previous: tuple[int, set[int]] = (-2, set())
    for k, (idx, numbers) in enumerate(spans):
        if k + 1 < len(spans) and not any(ends[i] for i in idx):
            # An ending followed by another one closes with a repeat sign: reach it.
            gap = range(idx[-1] + 1, spans[k + 1][0][0])
            close = next((j for j in gap if ends[j] or starts[j]), None)
            if close is not None and ends[close]:
                idx = [*idx, *range(idx[-1] + 1, close + 1)]
        if numbers == previous[1] and idx[0] == previous[0] + 1:
            numbers = {max(numbers) + 1}  # the next ending, numbered "1" again
        for i in idx:
            endings[i] = endings.get(i, set()) | numbers
        previous = (idx[-1], numbers)
    order: list[tuple[int, int]] = []
    taken: dict[int, int] = {}
    i, section, passno = 0, 0, 1
    while i < n and len(order) < 8 * n:
        if starts[i] and i != section:
            section, passno = i, 1
        if i in endings and passno not in endings[i]:
            i += 1
            continue
        if i not in endings and i - 1 in endings and order and order[-1][0] == i - 1:
            section, passno = i, 1  # past the last ending: a new section begins
        order.append((i, passno))
        if ends[i] and taken.get(i, 0) < times[i] - 1:
            taken[i] = taken.get(i, 0) + 1
            i, passno = section, passno + 1
            continue
        if ends[i]:
            section, passno = i + 1, 1
        i += 1
    return measures, order


def lyric(note, passno: int) -> tuple[str, str] | None:
    """(text, syllabic) a note sings on a pass: the verse numbered as the pass, else the
    latest verse before it; None when it sings none then."""
    verses = {(ly.number or 1): ly for ly in note.lyrics if ly.text and ly.text.strip()}
    earlier = [k for k in verses if k <= passno]
    if not earlier:
        return None
    chosen = verses[max(earlier)]
    return chosen.text.strip(), chosen.syllabic or "single"


def read_sheet(part) -> dict:
    """Melody notes [onset, duration, pitch, (text, syllabic) | None] and harmonies
    [onset, music21 ChordSymbol | None for N.C.] in quarter notes along `play_order`, the
    end, and the written and played measure counts."""
    from music21 import chord, harmony, note

    measures, order = play_order(part)
    now = float(measures[0].paddingLeft) if measures else 0.0
    notes: list[list] = []
    harmonies: list[list] = []
    for idx, passno in order:
        m = measures[idx]
        for el in m.recurse():
            if isinstance(el, harmony.ChordSymbol):
                on = now + float(el.getOffsetInHierarchy(m))
                harmonies.append([on, None if isinstance(el, harmony.NoChord) else el])
                continue
            if isinstance(el, chord.Chord) and el.pitches:
                pitch = max(p.midi for p in el.pitches)
            elif isinstance(el, note.Note):
                pitch = el.pitch.midi
            else:
                continue
            length = float(el.quarterLength)
            if length <= 0:
                continue  # a grace note
            on = now + float(el.getOffsetInHierarchy(m))
            tie = el.tie.type if el.tie is not None else None
            last = notes[-1] if notes else None
            tied = tie in ("stop", "continue") and last is not None and last[2] == pitch
            if tied and abs(last[0] + last[1] - on) < 1e-6:
                last[1] += length
                continue
            notes.append([on, length, pitch, lyric(el, passno)])
        now += float(m.duration.quarterLength)
    return {"notes": notes, "harmonies": harmonies, "end": now,
            "measures": len(measures), "played": len(order)}  # fmt: skip


def _ticks(quarters: float) -> int:
    return int(round(quarters * TPQ))


def _track(name: str, program: int, rows: list[tuple[int, int, int, int]]) -> Track:
    track = Track(name=name, program=program, is_drum=False)
    if rows:
        time, duration, pitch, velocity = np.asarray(rows, dtype=np.int64).T
        order = np.lexsort((pitch, time))
        track.notes = Note.from_numpy(
            time=time[order].astype(np.int32),
            duration=np.maximum(duration[order], 1).astype(np.int32),
            pitch=pitch[order].astype(np.int8),
            velocity=velocity[order].astype(np.int8),
        )
    return track


def _chord_rows(harmonies: list[list], end: float) -> tuple[list, list[list], int]:
    """Chords-track notes, [onset, end, symbol] in beats, and the count of unread symbols."""
    rows: list[tuple[int, int, int, int]] = []
    spans: list[list] = []
    unread = 0
    for k, (on, h) in enumerate(harmonies):
        stop = harmonies[k + 1][0] if k + 1 < len(harmonies) else end
        if h is None or stop <= on:
            continue
        try:
            chord = harmony_chord(h)
        except ValueError:
            unread += 1
            continue
        spans.append([round(on, 4), round(stop, 4), harmony_symbol(h)])
        t, d = _ticks(on), _ticks(stop) - _ticks(on)
        bass, *upper = lead_sheet_voicing(chord)
        rows.append((t, d, bass, _VELOCITY["bass"]))
        rows.extend((t, d, p, _VELOCITY["chord"]) for p in upper)
    return rows, spans, unread


def _sheet_key(part, score: Score) -> tuple[int, str]:
    """The key: signature and the file's mode when minor; else the better-fitting mode."""
    from music21 import key

    found = next(iter(part.recurse().getElementsByClass(key.KeySignature)), None)
    if found is None:
        return score_key(score)
    if getattr(found, "mode", None) == "minor":
        return signature_key(found.sharps, True)
    score.key_signatures.append(KeySignature(0, found.sharps, 0))
    return score_key(score)


def _meter_tempo(part) -> tuple[int, int, float]:
    from music21 import meter, tempo

    sig = next(iter(part.recurse().getElementsByClass(meter.TimeSignature)), None)
    mark = next(iter(part.recurse().getElementsByClass(tempo.MetronomeMark)), None)
    qpm = mark.getQuarterBPM() if mark is not None and mark.number else None
    num, den = (sig.numerator, sig.denominator) if sig is not None else (4, 4)
    return num, den, float(qpm) if qpm else 120.0


def _load_openewld(item: Item, data_root: Path, content: str) -> Piece | None:
    """A lead sheet: melody ("Voice" or "Melody") and "Chords"; key, meter, tempo, genre and
    style, title, composer, syllables (see the module doc)."""
    from music21 import converter, stream

    path, info_text = item
    info = json.loads(info_text)
    name = Path(path).name
    try:
        parsed = converter.parse(path)
    except Exception as err:  # music21 raises anything from zipfile to its own exceptions
        first = str(err).splitlines()[0][:80] if str(err) else "no message"
        kind = type(err).__name__
        raise SymgenError(f"{name}: not a readable MusicXML file ({kind}: {first})") from None
    if isinstance(parsed, stream.Opus):
        parsed = parsed.scores[0]
    if not parsed.parts:
        raise SymgenError(f"{name}: no part in this MusicXML file")
    part = parsed.parts[0]
    sheet = read_sheet(part)
    if not sheet["notes"]:
        return None
    num, den, qpm = _meter_tempo(part)
    chord_rows, chords, unread = _chord_rows(sheet["harmonies"], sheet["end"])
    sung = [n for n in sheet["notes"] if n[3] is not None]
    voice = ("Voice", 53) if sung else ("Melody", 0)
    melody = _track(*voice, [(_ticks(on), _ticks(on + d) - _ticks(on), p, _VELOCITY["melody"])
                             for on, d, p, _ in sheet["notes"]])  # fmt: skip
    for on, _, _, (text, syllabic) in sung:
        joined = syllabic in ("begin", "middle") and not text.endswith("-")
        melody.lyrics.append(TextMeta(_ticks(on), text + ("-" if joined else "")))
    score = Score(TPQ)
    score.tempos.append(Tempo(0, qpm))
    score.time_signatures.append(TimeSignature(0, num, den))
    score.tracks.append(melody)
    if chord_rows:
        score.tracks.append(_track("Chords", 0, chord_rows))
    tonic, mode = _sheet_key(part, score)
    score.key_signatures.clear()
    score.key_signatures.append(key_signature(tonic, mode))
    lyrics_file = Path(path).with_suffix(".txt")
    meta = {
        "title": info.get("title") or (parsed.metadata and parsed.metadata.title) or name[:-4],
        "composer": info.get("composer"),
        "genre": info.get("genre"),
        "ewld_style": info.get("style"),
        "language": info.get("language"),
        "date": info.get("date"),
        "key": key_label(tonic, mode),
        "chords": chords,
        "syllables": [[round(on, 4), round(d, 4), p, *lyr] for on, d, p, lyr in sung],
        "lyrics_text": lyrics_file.exists() and bool(lyrics_file.read_text("utf-8").strip()),
        "measures": sheet["measures"],
        "measures_played": sheet["played"],
        "file": Path(path).relative_to(Path(path).parents[3]).as_posix(),
    }
    if unread:
        meta["chords_unread"] = unread
        meta["flags"] = ["chord symbols unread"]
    pid = "openewld/" + "/".join(Path(path).parts[-3:-1])
    return Piece(pid, "openewld", ewld_style(info.get("genre"), info.get("style")), meta, score)


SOURCE = Source("openewld", "pop", _openewld_items, _load_openewld, parse_version="1")
