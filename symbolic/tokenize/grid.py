"""GETScore-style grid: track rows x 16th-note columns, for discrete diffusion (fill in tracks).

Layout (the spec as data is `symbolic/specs/grid.json`):

- **Columns** are 16th notes of the score's own quarter-note grid from tick 0: at 480 tpq a
  column is 120 ticks, column `c` holds the notes whose onset is tick `120 c`. Time stays in
  ticks, not seconds, so tempo changes are kept untouched as score meta. A pickup is simply
  where its notes are (absolute ticks): a file that pads the first bar (music21, DAWs) or
  starts with a short bar (a 1/4 meter, then 4/4) both round-trip, and `bar_starts` follows
  the file's time signatures, meter changes included (3/4, 6/8, 5/8, ...).
- **Rows** are tracks, at most `max_rows` (8). Each row carries a `GridTrack` (GM program,
  drum flag, name, index of the track in the source score), embedded by the model as a
  program id (`program_id`: 0-127, 128 drums) instead of a fixed role. Tracks beyond the
  limit are not rows: `score_to_grid` returns their indices so that the caller keeps them
  unchanged and tells the user. Empty tracks are never rows and never reported.
- **Cells** hold up to `max_polyphony` (K = 8) notes starting there, as K slots, each slot a
  (pitch, duration, velocity) triple of small ids, sorted by pitch with empty slots last.
  A fixed-width slot array instead of GETMusic's compound pitch-set token keeps the
  vocabulary bounded (a bidirectional transformer embeds a cell as the sum of its slot
  embeddings) and lets notes of one chord have their own length and loudness. Ids: 0 empty,
  1 mask; pitch `2 + MIDI pitch`; duration `1 + 16ths` for 1..64 16ths (4 bars of 4/4; a
  longer note holds 64 and its exact length is kept in `Grid.long_notes`, which decoding
  applies only while that cell still holds that pitch with duration 64); velocity
  `2 + (velocity - 1) // 8`, 16 bins decoded to their centre. More than K onsets in one
  cell of one track (seen in none of the real data tested) keeps the lowest note and the
  K - 1 highest; `Grid.dropped` counts the others.
- **Chord row**: one id per column (0 not given, 1 mask, 2 N, `3 + root * 8 + quality`,
  qualities maj, min, dom7, maj7, min7, dim, aug, sus4), estimated per beat from a
  pitch-class histogram (sounding time, lowest note weighted as bass, template matching)
  or parsed from the user's text (`parse_chords`, one chord per bar, or `|`-separated bars
  that split evenly).

The round trip `grid_to_score(score_to_grid(quantize(s))[0])` gives back exactly the notes
of `quantize(s)` (per track: program, drum flag, name, pitch, onset, duration, velocity bin)
and its tempos, time and key signatures and markers. `quantize` snaps onsets and ends to the
nearest 16th (triplets, swing and live playing included), makes every note at least one 16th
long, snaps velocity to its bin centre and merges duplicates (same track, pitch and onset).
Lyrics are not part of the grid: the caller keeps untouched tracks from the source score.
No torch here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from symusic import Note, Score, Track

from symbolic.errors import SymgenError
from symbolic.paths import spec_path
from symbolic.score import TPQ
from symbolic.theory import chords as theory_chords
from symbolic.theory.gm import DRUMS

EMPTY, MASK = 0, 1
PITCH_OFFSET, DURATION_OFFSET, VELOCITY_OFFSET = 2, 1, 2
NO_CHORD, CHORD_OFFSET = 2, 3
DRUM_PROGRAM, PAD_PROGRAM = DRUMS, DRUMS + 1


@cache
def spec() -> dict:
    """The grid spec (`symbolic/specs/grid.json`)."""
    return json.loads(spec_path("grid").read_text())


def _s(key: str) -> int:
    return int(spec()[key])


QUALITIES: tuple[str, ...] = tuple(spec()["chord"]["qualities"])
MAX_ROWS, MAX_POLYPHONY, MAX_DURATION = _s("max_rows"), _s("max_polyphony"), _s("max_duration")
VELOCITY_BINS, BIN_WIDTH = _s("velocity_bins"), _s("velocity_bin_width")
STEP = TPQ // _s("columns_per_quarter")  # ticks per column at 480 tpq


@dataclass(frozen=True)
class GridTrack:
    """What a row is: GM program, drum flag, name, and its track index in the source score."""

    program: int
    is_drum: bool = False
    name: str = ""
    index: int | None = None

    @property
    def program_id(self) -> int:
        """The row's embedding id: the GM program, or 128 for drums."""
        return DRUM_PROGRAM if self.is_drum else int(self.program)


@dataclass
class Grid:
    """A score as arrays: `pitch`, `duration`, `velocity` (rows, cols, K) int16 ids, `chords`
    (cols,) int16 ids, `bar_starts` (bars,) column indices, plus what restores the score."""

    pitch: np.ndarray
    duration: np.ndarray
    velocity: np.ndarray
    tracks: list[GridTrack]
    chords: np.ndarray
    bar_starts: np.ndarray
    meta: Score  # tempos, time/key signatures and markers of the source, no tracks
    tpq: int = TPQ
    # (n, 4) int64 rows (row, column, MIDI pitch, length in 16ths) of notes longer than
    # max_duration; `dropped` counts notes left out of over-full cells
    long_notes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.int64))
    dropped: int = 0

    @property
    def rows(self) -> int:
        return int(self.pitch.shape[0])

    @property
    def cols(self) -> int:
        return int(self.pitch.shape[1])

    @property
    def programs(self) -> np.ndarray:
        """(rows,) program embedding ids (128 drums)."""
        return np.array([t.program_id for t in self.tracks], dtype=np.int16)

    def bar_position(self) -> np.ndarray:
        """(cols,) each column's offset in 16ths from the start of its bar."""
        cols = np.arange(self.cols)
        bar = np.searchsorted(self.bar_starts, cols, side="right") - 1
        return cols - self.bar_starts[np.maximum(bar, 0)]


# ---------------------------------------------------------------- row roles

# A row's role: its register (median pitch in 6-semitone bands from C1 up, 14 bands) and
# texture (notes per onset: under 1.15, 1.75, 2.75, or more), id `1 + band * 4 + texture`,
# 0 when not known (a track still to be written). GM programs alone cannot tell POP909's
# melody from its piano (both program 0) or a chorale's alto from its tenor.
ROLES = tuple(range(1 + 14 * 4))


def row_roles(pitch: np.ndarray) -> np.ndarray:
    """(rows,) role ids of the pitch ids (rows, cols, K) of a grid or window; 0 for a row
    without notes."""
    notes = pitch >= PITCH_OFFSET
    count = notes.sum(axis=(1, 2))
    onsets = notes.any(-1).sum(-1)
    out = np.zeros(len(pitch), np.int64)
    for r in np.flatnonzero(count):
        band = int(np.clip((np.median(pitch[r][notes[r]]) - PITCH_OFFSET - 24) // 6, 0, 13))
        texture = int(np.searchsorted([1.15, 1.75, 2.75], count[r] / onsets[r]))
        out[r] = 1 + band * 4 + texture
    return out


# ---------------------------------------------------------------- quantize and bars


def _snap(ticks: np.ndarray) -> np.ndarray:
    """Nearest column boundary in ticks (halves round up)."""
    return (ticks + STEP // 2) // STEP * STEP


def velocity_bin(velocity: np.ndarray) -> np.ndarray:
    """Velocity 1-127 → bin 0..15."""
    return (np.clip(velocity, 1, 127) - 1) // BIN_WIDTH


def bin_velocity(bins: np.ndarray) -> np.ndarray:
    """Bin 0..15 → the velocity at its centre."""
    return np.clip(bins, 0, VELOCITY_BINS - 1) * BIN_WIDTH + BIN_WIDTH // 2 + 1


def _note_arrays(track: Track) -> dict[str, np.ndarray]:
    arr = track.notes.numpy()
    return {k: arr[k].astype(np.int64) for k in ("time", "duration", "pitch", "velocity")}


def _set_notes(track: Track, time, duration, pitch, velocity) -> None:
    order = np.lexsort((pitch, time))
    track.notes = Note.from_numpy(
        time=np.asarray(time)[order].astype(np.int32),
        duration=np.asarray(duration)[order].astype(np.int32),
        pitch=np.asarray(pitch)[order].astype(np.int8),
        velocity=np.asarray(velocity)[order].astype(np.int8),
    )


def quantize(score: Score) -> Score:
    """A copy at 480 tpq with onsets and ends on the nearest 16th (a note lasts at least one),
    velocities at their bin centre, and duplicates (track, pitch, onset) merged (the longest
    wins). Meta events are untouched. This is what the grid holds exactly."""
    score = score.resample(TPQ, min_dur=0) if score.tpq != TPQ else score.copy()
    for track in score.tracks:
        if track.note_num() == 0:
            continue
        n = _note_arrays(track)
        onset = _snap(n["time"])
        dur = np.maximum(_snap(n["time"] + n["duration"]) - onset, STEP)
        order = np.lexsort((-dur, n["pitch"], onset))
        onset, dur, pitch = onset[order], dur[order], n["pitch"][order]
        vel = bin_velocity(velocity_bin(n["velocity"][order]))
        first = np.r_[True, (onset[1:] != onset[:-1]) | (pitch[1:] != pitch[:-1])]
        _set_notes(track, onset[first], dur[first], pitch[first], vel[first])
    return score


def _signatures(score: Score) -> list[tuple[int, int, int]]:
    """(column, numerator, denominator) of each meter, snapped to columns, one per column."""
    by_col: dict[int, tuple[int, int]] = {}
    for sig in score.time_signatures:
        if sig.numerator > 0 and sig.denominator > 0:
            by_col[int(_snap(np.int64(sig.time * TPQ // score.tpq))) // STEP] = (
                int(sig.numerator),
                int(sig.denominator),
            )
    sigs = sorted((c, n, d) for c, (n, d) in by_col.items())
    if not sigs or sigs[0][0] > 0:
        sigs.insert(0, (0, 4, 4))
    return sigs


def _bar_len(num: int, den: int) -> int:
    """Bar length in columns (at least one)."""
    return max(round(num * 4 * _s("columns_per_quarter") / den), 1)


def _beat_len(num: int, den: int) -> int:
    """Beat length in columns: a dotted quarter in compound 6/8, 9/8, 12/8; else 4 / den."""
    if den == 8 and num % 3 == 0 and num > 3:
        return 6
    return max(16 // den, 1)


def bar_starts(score: Score, cols: int) -> np.ndarray:
    """Bar start columns from the time signatures, covering `cols` columns (at least one bar)."""
    sigs = _signatures(score)
    starts: list[np.ndarray] = []
    for i, (col, num, den) in enumerate(sigs):
        stop = sigs[i + 1][0] if i + 1 < len(sigs) else max(cols, col + 1)
        starts.append(np.arange(col, stop, _bar_len(num, den)))
    out = np.concatenate(starts).astype(np.int64)
    return out[(out < cols) | (out == 0)]


def chord_segments(score: Score, cols: int, per: str) -> np.ndarray:
    """Start columns of chord segments: every beat, half bar or bar."""
    if per not in ("beat", "half", "bar"):
        raise SymgenError(f"chords per {per!r}: choose beat, half or bar")
    sigs = _signatures(score)
    out = []
    for i, (col, num, den) in enumerate(sigs):
        stop = sigs[i + 1][0] if i + 1 < len(sigs) else max(cols, col + 1)
        bar = _bar_len(num, den)
        unit = {"beat": _beat_len(num, den), "half": max(bar // 2, 1), "bar": bar}[per]
        bars = np.arange(col, stop, bar)
        within = np.arange(0, bar, unit)
        starts = (bars[:, None] + within[None, :]).ravel()
        out.append(starts[starts < stop])
    seg = np.unique(np.concatenate(out))
    return seg[seg < max(cols, 1)]


def end_col(score: Score) -> int:
    """Columns up to the first bar line at or after the last note end (at least one bar)."""
    ends = [int(_snap(np.int64(t.end()))) // STEP for t in score.tracks if t.note_num() > 0]
    last = max(ends, default=0)
    longest = max(_bar_len(n, d) for _c, n, d in _signatures(score))
    starts = bar_starts(score, last + longest + 1)
    after = starts[starts >= max(last, 1)]
    return int(after[0]) if len(after) else last + longest


# ---------------------------------------------------------------- score <-> grid


def score_to_grid(
    score: Score,
    max_rows: int = MAX_ROWS,
    *,
    rows: Sequence[int] | None = None,
    chords: str | np.ndarray | None = "beat",
) -> tuple[Grid, list[int]]:
    """The grid of a score and the indices of the tracks left out (beyond `max_rows`).

    `rows` picks the tracks (by index) that become rows, in that order; by default the first
    `max_rows` tracks with notes. `chords` is "beat"/"half"/"bar" to estimate the chord row,
    an array of per-column ids, or None for an empty (not given) chord row. Onsets and ends
    are snapped to 16ths on the way (the grid of `s` equals the grid of `quantize(s)`).
    """
    score = quantize(score)
    with_notes = [i for i, t in enumerate(score.tracks) if t.note_num() > 0]
    if rows is None:
        rows = with_notes[:max_rows]
    else:
        rows = list(rows)
        bad = [i for i in rows if not 0 <= i < len(score.tracks)]
        if bad:
            raise SymgenError(f"no track {bad[0]}: the score has {len(score.tracks)} tracks")
        if len(rows) > max_rows:
            raise SymgenError(f"{len(rows)} tracks chosen, the model has {max_rows} rows")
    skipped = [i for i in with_notes if i not in rows]
    cols = end_col(score)
    k = MAX_POLYPHONY
    shape = (len(rows), cols, k)
    pitch = np.zeros(shape, np.int16)
    duration = np.zeros(shape, np.int16)
    velocity = np.zeros(shape, np.int16)
    long_notes, dropped = [], 0
    for r, index in enumerate(rows):
        track = score.tracks[index]
        if track.note_num() == 0:
            continue
        n = _note_arrays(track)
        col = n["time"] // STEP
        order = np.lexsort((n["pitch"], col))
        col, p = col[order], n["pitch"][order]
        d16, v = n["duration"][order] // STEP, n["velocity"][order]
        first = np.r_[True, col[1:] != col[:-1]]
        start = np.flatnonzero(first)
        count = np.diff(np.r_[start, len(col)])
        rank = np.arange(len(col)) - np.repeat(start, count)
        size = np.repeat(count, count)
        slot = np.where(size > k, np.where(rank == 0, 0, rank - (size - k)), rank)
        keep = (slot >= 0) & ((rank == 0) | (size <= k) | (rank >= size - (k - 1)))
        dropped += int((~keep).sum())
        col, p, d16, v, slot = col[keep], p[keep], d16[keep], v[keep], slot[keep]
        pitch[r, col, slot] = PITCH_OFFSET + p
        duration[r, col, slot] = DURATION_OFFSET + np.minimum(d16, MAX_DURATION)
        velocity[r, col, slot] = VELOCITY_OFFSET + velocity_bin(v)
        held = d16 > MAX_DURATION
        if held.any():
            long_notes.append(
                np.stack([np.full(held.sum(), r), col[held], p[held], d16[held]], axis=1)
            )
    if isinstance(chords, str):
        chord_row = estimate_chords(score, per=chords, cols=cols)
    elif chords is None:
        chord_row = np.zeros(cols, np.int16)
    else:
        chord_row = np.zeros(cols, np.int16)
        given = np.asarray(chords, dtype=np.int16)[:cols]
        chord_row[: len(given)] = given
    meta = Score(TPQ)
    meta.tempos = score.tempos.copy()
    meta.time_signatures = score.time_signatures.copy()
    meta.key_signatures = score.key_signatures.copy()
    meta.markers = score.markers.copy()
    tracks = [
        GridTrack(
            int(score.tracks[i].program), bool(score.tracks[i].is_drum), score.tracks[i].name, i
        )
        for i in rows
    ]
    grid = Grid(
        pitch=pitch,
        duration=duration,
        velocity=velocity,
        tracks=tracks,
        chords=chord_row,
        bar_starts=bar_starts(score, cols),
        meta=meta,
        long_notes=(
            np.concatenate(long_notes).astype(np.int64)
            if long_notes
            else np.zeros((0, 4), np.int64)
        ),
        dropped=dropped,
    )
    return grid, skipped


def grid_to_score(grid: Grid) -> Score:
    """The score of a grid: one track per row (empty rows give empty tracks), the meta back.

    Tolerant of model output: slots whose pitch is empty or masked give no note; a masked or
    empty duration gives one 16th, a masked or empty velocity the spec's default velocity;
    a pitch repeated within a cell gives one note (the first slot).
    """
    step = grid.tpq // _s("columns_per_quarter")
    score = Score(grid.tpq)
    score.tempos = grid.meta.tempos.copy()
    score.time_signatures = grid.meta.time_signatures.copy()
    score.key_signatures = grid.meta.key_signatures.copy()
    score.markers = grid.meta.markers.copy()
    r, c, s = np.nonzero(grid.pitch >= PITCH_OFFSET)
    p = grid.pitch[r, c, s].astype(np.int64) - PITCH_OFFSET
    d = grid.duration[r, c, s].astype(np.int64) - DURATION_OFFSET
    d = np.where(d >= 1, np.minimum(d, MAX_DURATION), 1)
    v = grid.velocity[r, c, s].astype(np.int64)
    default = velocity_bin(np.int64(_s("default_velocity")))
    v = bin_velocity(np.where(v >= VELOCITY_OFFSET, v - VELOCITY_OFFSET, default))
    key = (r * grid.cols + c) * 128 + p
    _, first = np.unique(key, return_index=True)
    r, c, p, d, v, key = r[first], c[first], p[first], d[first], v[first], key[first]
    if len(grid.long_notes) and len(key):
        ln = grid.long_notes
        lkey = (ln[:, 0] * grid.cols + ln[:, 1]) * 128 + ln[:, 2]
        at = np.clip(np.searchsorted(key, lkey), 0, len(key) - 1)
        hit = (key[at] == lkey) & (d[at] == MAX_DURATION)
        d[at[hit]] = ln[hit, 3]
    bounds = np.searchsorted(r, np.arange(grid.rows + 1))
    for row, info in enumerate(grid.tracks):
        track = Track(name=info.name, program=int(info.program), is_drum=bool(info.is_drum))
        a, b = bounds[row], bounds[row + 1]
        if b > a:
            _set_notes(track, c[a:b] * step, d[a:b] * step, p[a:b], v[a:b])
        score.tracks.append(track)
    return score


def windows(
    grid: Grid, width: int | None = None, overlap: int | None = None
) -> Iterator[tuple[int, int]]:
    """Column ranges [start, stop) of overlapping windows covering the grid.

    Each window after the first starts on the last bar line at or before `previous start +
    width - overlap` (so at least `overlap` columns are shared and windows begin on bars),
    falling back to that exact column when no bar line lies past the previous start.
    """
    width = int(width or spec()["window"]["width"])
    overlap = int(spec()["window"]["overlap"] if overlap is None else overlap)
    if not 0 <= overlap < width:
        raise SymgenError(f"window overlap {overlap} must be >= 0 and below the width {width}")
    start = 0
    while True:
        stop = min(start + width, grid.cols)
        yield start, stop
        if stop >= grid.cols:
            return
        target = start + width - overlap
        bars = grid.bar_starts[(grid.bar_starts > start) & (grid.bar_starts <= target)]
        start = int(bars[-1]) if len(bars) else target


# ---------------------------------------------------------------- chords

_TEMPLATES = np.zeros((len(QUALITIES), 12))
for _q, _name in enumerate(QUALITIES):
    _TEMPLATES[_q, spec()["chord"]["qualities"][_name]] = 1.0
# (96, 12): template of chord id 3 + root * 8 + quality
_ALL_TEMPLATES = np.stack(
    [np.roll(_TEMPLATES[q], root) for root in range(12) for q in range(len(QUALITIES))]
)


def chord_templates() -> np.ndarray:
    """(96, 12) 0/1 pitch classes of chord ids 3..98 (row `id - 3`)."""
    return _ALL_TEMPLATES.copy()


def chord_id(root: int, quality: str | int) -> int:
    """The chord row id of a root pitch class and a quality (name or index)."""
    q = QUALITIES.index(quality) if isinstance(quality, str) else int(quality)
    return CHORD_OFFSET + (root % 12) * len(QUALITIES) + q


def chord_name(cid: int) -> str:
    """ "C", "Am", "G7", "Fmaj7", "Dm7", "Bdim", "Caug", "Dsus4", "N"; "" empty, "?" mask."""
    if cid == EMPTY:
        return ""
    if cid == MASK:
        return "?"
    if cid == NO_CHORD:
        return "N"
    root, q = divmod(int(cid) - CHORD_OFFSET, len(QUALITIES))
    return theory_chords.chord(root, QUALITIES[q]).symbol


def chord_parts(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root (0-11) and quality index of chord ids; -1 for both where not a chord."""
    ids = np.asarray(ids, dtype=np.int64)
    is_chord = ids >= CHORD_OFFSET
    root, q = np.divmod(np.where(is_chord, ids - CHORD_OFFSET, 0), len(QUALITIES))
    return np.where(is_chord, root, -1), np.where(is_chord, q, -1)


def segment_pitches(
    score: Score, cols: int, seg: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per segment (start columns `seg`): how many 16ths each pitch class sounds (n, 12), how
    many notes of each pitch class start (n, 12), and the lowest and highest sounding MIDI
    pitch (n,) (128 and -1 where silent). Drums are left out; notes are snapped to 16ths."""
    n_seg = len(seg)
    hist = np.zeros((n_seg, 12))
    onsets = np.zeros((n_seg, 12))
    low = np.full(n_seg, 128)
    high = np.full(n_seg, -1)
    for track in score.tracks:
        if track.is_drum or track.note_num() == 0:
            continue
        n = _note_arrays(track)
        on = _snap(n["time"]) // STEP
        length = np.maximum(_snap(n["time"] + n["duration"]) // STEP - on, 1)
        first = on < cols
        np.add.at(
            onsets, (np.searchsorted(seg, on[first], side="right") - 1, n["pitch"][first] % 12), 1.0
        )
        total = int(length.sum())
        col = (
            np.repeat(on, length) + np.arange(total) - np.repeat(np.cumsum(length) - length, length)
        )
        pitch = np.repeat(n["pitch"], length)
        inside = col < cols
        col, pitch = col[inside], pitch[inside]
        s = np.searchsorted(seg, col, side="right") - 1
        np.add.at(hist, (s, pitch % 12), 1.0)
        np.minimum.at(low, s, pitch)
        np.maximum.at(high, s, pitch)
    return hist, onsets, low, high


def estimate_chords(score: Score, per: str = "beat", *, cols: int | None = None) -> np.ndarray:
    """(cols,) chord ids estimated per beat / half bar / bar by template matching.

    Each segment's pitch-class histogram counts how many 16ths each pitch class sounds
    (drums left out), plus an optional bass bonus on the lowest sounding pitch class and a
    share of the neighbouring segments of the same bar (weights in the spec, tuned on
    POP909); the chord whose template covers most of it, less a small cost per template
    tone, wins. Silent segments get N.
    """
    cfg = spec()["chord"]["estimate"]
    score = score.resample(TPQ, min_dur=0) if score.tpq != TPQ else score
    cols = end_col(score) if cols is None else cols
    seg = chord_segments(score, cols, per)
    n_seg = len(seg)
    hist, _, bass, _ = segment_pitches(score, cols, seg)
    mass = hist.sum(axis=1)
    sounding = mass > cfg["min_weight"]
    h = hist / np.maximum(mass, 1e-9)[:, None]
    has_bass = bass < 128
    h[np.flatnonzero(has_bass), bass[has_bass] % 12] += cfg["bass_weight"]
    h /= h.sum(axis=1, keepdims=True).clip(1e-9)
    context = float(cfg.get("context", 0.0))
    if context > 0 and n_seg > 1:  # neighbours of the same bar lend a little weight
        bar = np.searchsorted(bar_starts(score, cols), seg, side="right")
        same_prev = np.r_[False, bar[1:] == bar[:-1]][:, None]
        same_next = np.r_[bar[1:] == bar[:-1], False][:, None]
        prev = np.vstack([h[:1], h[:-1]]) * same_prev
        nxt = np.vstack([h[1:], h[-1:]]) * same_next
        h = h + context * (prev + nxt)
        h /= h.sum(axis=1, keepdims=True).clip(1e-9)
    scores = h @ _ALL_TEMPLATES.T - cfg["tone_penalty"] * _ALL_TEMPLATES.sum(axis=1)
    ids = np.where(sounding, CHORD_OFFSET + scores.argmax(axis=1), NO_CHORD).astype(np.int16)
    return spread(ids, seg, cols)


def spread(values: np.ndarray, seg: np.ndarray, cols: int) -> np.ndarray:
    """(cols, ...) the per-segment `values` repeated over each segment's columns."""
    return np.repeat(values, np.diff(np.r_[seg, cols]), axis=0)


# Beats in a bar told apart by the chord features (later beats share the last one).
FEATURE_BEATS = 8
CHORD_FEATURES = 4 * 12 + FEATURE_BEATS + 1


def chord_features(score: Score, cols: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Beat start columns (n,) and what a chord recogniser reads of each beat (n, 57) float32:
    the sounding-time and onset pitch-class shares, the lowest and highest pitch class
    (one-hot), the beat's place in its bar (one-hot, the 8th and later together) and a
    silence flag. The four 12-wide blocks come first, so transposing rolls each of them."""
    score = score.resample(TPQ, min_dur=0) if score.tpq != TPQ else score
    cols = end_col(score) if cols is None else cols
    seg = chord_segments(score, cols, "beat")
    hist, onsets, low, high = segment_pitches(score, cols, seg)
    n = len(seg)
    feats = np.zeros((n, CHORD_FEATURES), np.float32)
    feats[:, :12] = hist / np.maximum(hist.sum(1, keepdims=True), 1e-9)
    feats[:, 12:24] = onsets / np.maximum(onsets.sum(1, keepdims=True), 1e-9)
    sounding = low < 128
    rows = np.flatnonzero(sounding)
    feats[rows, 24 + low[rows] % 12] = 1.0
    feats[rows, 36 + high[rows] % 12] = 1.0
    bar = np.searchsorted(bar_starts(score, cols), seg, side="right") - 1
    beat = np.arange(n) - np.searchsorted(bar, bar)
    feats[np.arange(n), 48 + np.minimum(beat, FEATURE_BEATS - 1)] = 1.0
    feats[:, -1] = ~sounding
    return seg, feats


def parse_chord(symbol: str) -> int:
    """One chord symbol → chord id: "C", "F#m", "Bb7", "Ebmaj7", "Am7", "Bdim", "Caug",
    "Dsus4", "G/B" (bass ignored), POP909/Harte "C:min7", "N" / "NC" for no chord; the
    quality is the nearest of the grid's eight (`symbolic.theory.chords.Chord.quality`)."""
    try:
        chord = theory_chords.parse_chord(symbol)
    except ValueError:
        raise SymgenError(
            f"cannot read the chord {symbol!r}; write chords like C, Am, G7, Fmaj7, Dm7, Bdim, "
            "Caug, Dsus4 or N"
        ) from None
    return NO_CHORD if chord is None else chord_id(chord.root, chord.quality)


def chord_bars(text: str) -> list[list[int]]:
    """Chord ids per bar: "C G Am F" is one chord per bar; with "|", each |-separated group
    is one bar whose chords split it evenly ("C G | Am F": two per bar)."""
    text = text.strip()
    if not text:
        raise SymgenError('no chords given; write them like "C G Am F" or "C G | Am F"')
    if "|" in text:
        groups = [g.split() for g in text.strip("|").split("|")]
        if any(not g for g in groups):
            raise SymgenError(
                f"an empty bar in the chords {text!r}; write one chord or more per bar"
            )
        return [[parse_chord(c) for c in g] for g in groups]
    return [[parse_chord(c)] for c in text.replace(",", " ").split()]


def parse_chords(
    text: str,
    bars: np.ndarray | Grid,
    cols: int | None = None,
    *,
    first_bar: int = 0,
    last_bar: int | None = None,
) -> np.ndarray:
    """(cols,) chord ids from the user's text, laid over bars `first_bar`..`last_bar`
    (0-based, inclusive; default to the end), repeating the progression when it is shorter
    than the range. Columns outside the range are 0 (not given). `bars` is a grid or its
    bar start columns (then `cols` is needed)."""
    if isinstance(bars, Grid):
        cols = bars.cols if cols is None else cols
        bars = bars.bar_starts
    if cols is None:
        raise SymgenError("parse_chords needs the number of columns with bare bar starts")
    starts = np.asarray(bars, dtype=np.int64)
    ends = np.r_[starts[1:], cols]
    last_bar = len(starts) - 1 if last_bar is None else min(last_bar, len(starts) - 1)
    progression = chord_bars(text)
    out = np.zeros(cols, np.int16)
    for i, bar in enumerate(range(first_bar, last_bar + 1)):
        chords = progression[i % len(progression)]
        a, b = int(starts[bar]), int(ends[bar])
        edges = a + np.arange(len(chords) + 1) * (b - a) // len(chords)
        for cid, lo, hi in zip(chords, edges[:-1], edges[1:], strict=True):
            out[lo:hi] = cid
    return out


# ---------------------------------------------------------------- the Tokenizer contract

FIELDS = ("pitch", "duration", "velocity", "chord")  # the id spaces of the grid, in vocab order


def _value_names(name: str) -> list[str]:
    """The token names of one field's ids, in id order."""
    size = int(spec()[name]["size"])
    if name == "chord":
        return ["Chord_empty", "Chord_mask"] + [f"Chord_{chord_name(i)}" for i in range(2, size)]
    first = {"pitch": PITCH_OFFSET, "duration": DURATION_OFFSET + 1, "velocity": VELOCITY_OFFSET}
    shift = {"pitch": PITCH_OFFSET, "duration": DURATION_OFFSET, "velocity": VELOCITY_OFFSET}
    tag = name.capitalize()
    return [f"{tag}_empty", f"{tag}_mask"] + [
        f"{tag}_{i - shift[name]}" for i in range(first[name], size)
    ]


class GridTokenizer:
    """The grid as a `symbolic.tokenize.base.Tokenizer`: `encode` a score to its `Grid` (the
    cell arrays and what restores the score), `decode` a grid to a score, and `vocab`, the
    field id spaces (pitch, duration, velocity, chord) laid end to end: a field's id `i` is
    `offsets[field] + i` there, so one mask covers every field."""

    name = "grid"

    def __init__(self) -> None:
        names = [_value_names(f) for f in FIELDS]
        starts = np.cumsum([0, *map(len, names)])
        self.offsets: dict[str, int] = {f: int(a) for f, a in zip(FIELDS, starts, strict=False)}
        self.sizes: dict[str, int] = {f: len(n) for f, n in zip(FIELDS, names, strict=True)}
        self.id_to_token: list[str] = [t for n in names for t in n]
        self.vocab: dict[str, int] = {t: i for i, t in enumerate(self.id_to_token)}

    @property
    def vocab_size(self) -> int:
        return len(self.id_to_token)

    def encode(self, score: Score, **options) -> Grid:
        """The grid of a score (`score_to_grid` and its options; tracks beyond the rows are
        left out: `score_to_grid` also returns their indices)."""
        return score_to_grid(score, **options)[0]

    def decode(self, grid: Grid) -> Score:
        """The score of a grid (`grid_to_score`)."""
        return grid_to_score(grid)

    def grammar(self, **constraints) -> GridGrammar:
        """A fresh grammar for the slots of sampled cells (`GridGrammar`; no constraints)."""
        return GridGrammar(self, **constraints)


class GridGrammar:
    """What a sampled cell slot may hold, read as three ids: pitch, duration, velocity.

    A pitch is a note or a rest (empty), never the mask; a note's duration and velocity are
    real values (neither empty nor mask), a rest's are empty; chords are conditions, never
    sampled. The diffusion sampler draws every slot of a cell at once, so it applies
    `field_mask` to each row of its logits (`symbolic.models.diffusion`); `allowed` is the
    same rule over the flat vocabulary, one id at a time. A grid has no end: never finished.
    """

    def __init__(self, tok: GridTokenizer) -> None:
        self.tok = tok
        self.field = 0  # index into FIELDS of the next id: pitch, duration, velocity
        self.sounding = False
        self.finished = False

    def field_mask(self, name: str, sounding: bool = True) -> np.ndarray:
        """Bool mask over one field's own ids: allowed pitches, or the allowed durations and
        velocities of a slot that holds a note (`sounding`) or a rest."""
        ids = np.arange(self.tok.sizes[name])
        if name == "pitch":
            return ids != MASK
        if name == "chord":
            return np.zeros(len(ids), dtype=bool)
        return ids > MASK if sounding else ids == EMPTY

    def feed(self, ids: Iterable[int]) -> None:
        """Take slots already written (flat ids, three per slot)."""
        for i in ids:
            self.advance(int(i))

    def allowed(self) -> np.ndarray:
        """Bool mask over the flat vocabulary of the next id of the slot."""
        name = FIELDS[self.field]
        out = np.zeros(self.tok.vocab_size, dtype=bool)
        start = self.tok.offsets[name]
        out[start : start + self.tok.sizes[name]] = self.field_mask(name, self.sounding)
        return out

    def advance(self, idx: int) -> None:
        """Move past flat id `idx` (the slot's next field)."""
        name = FIELDS[self.field]
        local = int(idx) - self.tok.offsets[name]
        if not 0 <= local < self.tok.sizes[name]:
            raise SymgenError(f"grid id {idx} is not a {name} id")
        if name == "pitch":
            self.sounding = local >= PITCH_OFFSET
        self.field = (self.field + 1) % 3

    def bias(self) -> None:
        """No logit prior here (the infill task passes its harmonic prior to the sampler)."""
        return None

    def temperature(self) -> None:
        """The sampler's temperature at every step."""
        return None
