"""REMI tokens for multi-track MIDI: miditok's REMI plus control tokens, and a grammar for sampling.

The spec lives in `symbolic/specs/remi.json` (miditok config + control token values), so the
vocabulary is data and ids never shift. Control tokens (style, key, instruments, density,
length) are miditok special tokens placed after BOS; they condition the language models.
No torch here: tokenizers stay importable without it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from symusic import Note, Score

from symbolic.errors import SymgenError
from symbolic.paths import spec_path
from symbolic.theory.gm import DRUM_NAMES, DRUMS, family

MAX_CHORD = 10  # notes one instrument may start at one onset
# Notes a part may start at one onset, by role: a drummer has four limbs (99% of the band
# songs' drum onsets and all of Groove's hold at most 4 hits), a bass line plays one note at
# a time (98.5% of the band songs' bass onsets). `role_limits=False` samples without them.
ROLE_LIMITS = {"Drums": 4, "Bass": 1}
DRUM_BEATS = 0.5  # the longest drum hit the grammar allows (they are encoded a 16th long)


class RemiTokenizer:
    """miditok REMI (programs, tempos, time signatures, velocity) with conditioning tokens.

    With the spec's `compact_programs`, a Program token stands only where the instrument
    changes or a bar starts (miditok's decoder carries the current program), and drum hits have
    no Duration (miditok's `use_note_duration_programs` without -1): a bar of band music takes
    about a sixth fewer tokens, and a window cut at any Bar still names its instruments.
    """

    name = "remi"

    def __init__(self, spec: dict) -> None:
        from miditok import REMI, TokenizerConfig

        self.spec = spec
        controls = spec["controls"]
        special = ["PAD", "BOS", "EOS", "MASK"] + [
            f"{kind}_{value}" for kind, values in controls.items() for value in values
        ]
        cfg = dict(spec["config"])
        cfg["beat_res"] = {tuple(map(int, k.split("-"))): v for k, v in cfg["beat_res"].items()}
        cfg["pitch_range"] = tuple(cfg["pitch_range"])
        cfg["tempo_range"] = tuple(cfg["tempo_range"])
        cfg["time_signature_range"] = {int(k): v for k, v in cfg["time_signature_range"].items()}
        self.miditok = REMI(TokenizerConfig(special_tokens=special, **cfg))
        self.vocab: dict[str, int] = dict(self.miditok.vocab)
        self.id_to_token: list[str] = [""] * len(self.vocab)
        for token, idx in self.vocab.items():
            self.id_to_token[idx] = token
        self.pad_id, self.bos_id, self.eos_id = (
            self.vocab[t] for t in ("PAD_None", "BOS_None", "EOS_None")
        )
        self.styles: tuple[str, ...] = tuple(controls["Style"])
        self.density_edges = np.array(spec["density_edges"], dtype=float)
        self.length_edges = np.array(spec["length_edges"], dtype=int)
        self.positions_per_beat = max(cfg["beat_res"].values())
        self.types = np.array([t.split("_", 1)[0] for t in self.id_to_token])
        self.has_velocity = bool(cfg.get("use_velocities"))
        self.compact = bool(spec.get("compact_programs"))
        self.drum_durations = -1 in self.miditok.config.use_note_duration_programs
        self.grammar_tables: dict | None = None  # the sampling grammar's masks, made once

    @property
    def vocab_size(self) -> int:
        return len(self.id_to_token)

    def encode(self, score: Score) -> list[int]:
        """REMI ids of a score (one stream for all tracks), without BOS/EOS."""
        ids = np.asarray(self.miditok.encode(self.prepare(score)).ids, dtype=np.int64)
        return (self.drop_repeated_programs(ids) if self.compact else ids).tolist()

    def drop_repeated_programs(self, ids: np.ndarray) -> np.ndarray:
        """`ids` without the Program tokens that repeat the previous one inside the same bar."""
        kinds = self.types[ids]
        programs = np.flatnonzero(kinds == "Program")
        bar = np.cumsum(kinds == "Bar")[programs]
        repeat = (ids[programs[1:]] == ids[programs[:-1]]) & (bar[1:] == bar[:-1])
        keep = np.ones(len(ids), dtype=bool)
        keep[programs[1:][repeat]] = False
        return ids[keep]

    def prepare(self, score: Score) -> Score:
        """The score as it is encoded: with velocities in the vocabulary, drum hits are a 16th
        long (their length is not heard, so the model need not learn it)."""
        if not (self.has_velocity and any(t.is_drum for t in score.tracks)):
            return score
        score = score.copy()
        for track in score.tracks:
            if track.is_drum and track.note_num():
                notes = track.notes.numpy()
                notes["duration"][:] = max(score.tpq // 4, 1)
                track.notes = Note.from_numpy(**notes)
        return score

    def decode(self, ids: Sequence[int]) -> Score:
        """A score from REMI ids; special and control tokens are skipped."""
        from miditok import TokSequence

        body = [int(i) for i in ids if not self.is_special(int(i))]
        seq = TokSequence(ids=body, are_ids_encoded=self.miditok.is_trained)
        return self.miditok.decode(seq)

    def is_special(self, idx: int) -> bool:
        """Conditioning or special token (BPE ids, above the base vocabulary, never are)."""
        if idx >= len(self.types):
            return False
        return self.types[idx] in self.control_types or self.types[idx] in (
            "PAD",
            "BOS",
            "EOS",
            "MASK",
        )

    @property
    def control_types(self) -> tuple[str, ...]:
        return tuple(self.spec["controls"])

    @property
    def bar_ids(self) -> list[int]:
        """The one token that opens a bar, ``Bar_None`` (training windows start there)."""
        return [self.vocab["Bar_None"]]

    def tokens(self, ids: Iterable[int]) -> list[str]:
        return [self.id_to_token[int(i)] for i in ids]

    def prefix(
        self,
        style: str | None = None,
        key: str | None = None,
        programs: Sequence[int] | None = None,
        density: float | None = None,
        bars: int | None = None,
    ) -> list[int]:
        """BOS followed by the control tokens that are given (each optional, in a fixed order)."""
        ids = [self.bos_id]
        if style is not None:
            ids.append(self._control("Style", style))
        if key is not None:
            ids.append(self._control("Key", key))
        for program in sorted(set(programs or [])):
            ids.append(self._control("Inst", "drums" if program == DRUMS else str(program)))
        if density is not None:
            ids.append(
                self._control("Density", str(int(np.searchsorted(self.density_edges, density))))
            )
        if bars is not None:
            ids.append(self._control("Length", str(int(np.searchsorted(self.length_edges, bars)))))
        return ids

    def _control(self, kind: str, value: str) -> int:
        token = f"{kind}_{value}"
        if token not in self.vocab:
            known = ", ".join(self.spec["controls"][kind][:30])
            raise SymgenError(f"unknown {kind.lower()} {value!r}; known: {known}")
        return self.vocab[token]

    def grammar(self, **constraints) -> RemiGrammar:
        """A fresh grammar state for sampling one sequence (see `RemiGrammar`)."""
        if self.miditok.is_trained:
            raise SymgenError("the sampling grammar works on base REMI ids, not on BPE ids")
        return RemiGrammar(self, **constraints)

    def train_bpe(self, files: Sequence[str | Path], vocab_size: int) -> None:
        """Learn BPE merges with miditok's `train` (fewer, longer tokens for research models).

        `encode`/`decode` then work on BPE ids; the grammar (and so the shipped models)
        stays on the base vocabulary. miditok learns the merges on its own streams, so a
        `compact_programs` spec cannot be used.
        """
        if self.compact:
            raise SymgenError("BPE needs a REMI spec without compact_programs")
        self.miditok.train(vocab_size=vocab_size, model="BPE", files_paths=[str(f) for f in files])

    @property
    def trained_vocab_size(self) -> int:
        """Vocabulary size of encoded ids: the BPE vocabulary once trained."""
        return len(self.miditok) if self.miditok.is_trained else self.vocab_size

    def save(self, path: str | Path) -> Path:
        """Write the spec as JSON (beside a checkpoint); learned BPE merges go in a sibling file."""
        path = Path(path)
        spec = {"name": self.name, **self.spec}
        if self.miditok.is_trained:
            bpe = path.with_name(path.stem + ".bpe.json")
            self.miditok.save(bpe)
            spec["bpe_file"] = bpe.name
        path.write_text(json.dumps(spec, indent=1))
        return path


def load_remi_tokenizer(path: str | Path | None = None) -> RemiTokenizer:
    """The REMI tokenizer from a spec file (default: `symbolic/specs/remi.json`)."""
    path = Path(path or spec_path("remi"))
    spec = json.loads(path.read_text())
    spec.pop("name", None)
    bpe = spec.pop("bpe_file", None)
    tok = RemiTokenizer(spec)
    if bpe:
        from miditok import REMI

        tok.miditok = REMI(params=path.with_name(bpe))
    return tok


class RemiGrammar:
    """Which REMI token may come next, so that every sampled sequence decodes.

    Order inside a bar: Bar, TimeSig, then per onset Position (strictly increasing, inside the
    bar), an optional Tempo, then notes as Program, Pitch (PitchDrum for drums), Velocity,
    Duration; compact streams leave out a Program that repeats the current one within a bar,
    and drum Durations.
    Constraints: `programs` (allowed GM programs, 128 = drums), `meter` ("3/4"), `tempo` (bpm:
    forced on the first onset, no changes after), `max_bars` (EOS instead of the next Bar),
    `require_programs` (a bar closes only once every allowed program has played in it),
    `role_limits` (at most `ROLE_LIMITS` notes per onset for drums and bass, else `MAX_CHORD`).
    """

    def __init__(
        self,
        tok: RemiTokenizer,
        programs: Sequence[int] | None = None,
        meter: str | None = None,
        tempo: float | None = None,
        max_bars: int | None = None,
        require_programs: bool = False,
        role_limits: bool = True,
    ) -> None:
        self.tok = tok
        self.max_bars = max_bars
        self.bars = 0
        self.position = -1
        self.positions_in_bar = 4 * tok.positions_per_beat
        self.prev = "BOS"
        self.program: int | None = None
        self.finished = False
        self.tempo_done = False
        self.sounding: set[tuple[int, int]] = set()  # (Program id, Pitch id) at this onset
        self.program_id = -1
        cache = _masks(tok)
        self.masks = cache
        self.onset_limit = cache["onset_limit"] if role_limits else cache["chord_limit"]
        self.position_values = cache["position_values"]
        self.timesig_mask = cache["TimeSig"].copy()
        if meter is not None:
            token = f"TimeSig_{meter}"
            if token not in tok.vocab:
                raise SymgenError(f"meter {meter} is not one the REMI tokenizer knows")
            self.timesig_mask[:] = False
            self.timesig_mask[tok.vocab[token]] = True
        self.tempo_mask = cache["Tempo"].copy()
        if tempo is not None:
            values = cache["tempo_values"]
            best = int(np.argmin(np.where(cache["Tempo"], np.abs(values - tempo), np.inf)))
            self.tempo_mask[:] = False
            self.tempo_mask[best] = True
        self.forced_tempo = tempo is not None
        self.program_mask = cache["Program"].copy()
        if programs is not None:
            self.program_mask[:] = False
            for p in programs:
                name = "Program_-1" if p == DRUMS else f"Program_{p}"
                if name in tok.vocab:
                    self.program_mask[tok.vocab[name]] = True
        self.required = set(np.flatnonzero(self.program_mask)) if require_programs else set()
        self.played: set[int] = set()

    def feed(self, ids: Iterable[int]) -> None:
        """Force a prefix (controls, or the tokens of a score to continue)."""
        for i in ids:
            self.advance(int(i))

    def allowed(self) -> np.ndarray:
        """Boolean mask over the vocabulary of tokens valid next."""
        m = self.masks
        p = self.prev
        if self.finished:
            return m["PAD"]
        if p == "BOS" or p in self.tok.control_types:
            return m["Bar"]
        if p == "Bar":
            return self.timesig_mask
        if p == "Position":
            if self.forced_tempo and not self.tempo_done:
                return self.tempo_mask
            tempo = self.tempo_mask if not self.forced_tempo else m["none"]
            return self._note_starts(self.program_mask) | tempo
        if p == "Program":
            return self._pitch_mask()
        if p in ("Pitch", "PitchDrum"):
            if self.tok.has_velocity:
                return m["Velocity"]
            p = "Velocity"
        if p == "Velocity":
            if self.program != -1 or self.tok.drum_durations:
                return self._duration_mask()
            p = "Duration"  # a drum hit without a Duration token ends at its velocity
        # after TimeSig, Tempo or a note: a later position, the next bar, or the end
        mask = m["none"].copy()
        missing = self.required - self.played if self.bars else set()
        if p in ("Duration", "Tempo"):
            if missing:  # only what the bar still lacks: no endless notes of one instrument
                programs = m["none"].copy()
                programs[list(missing)] = True
            else:
                programs = self.program_mask.copy()
            sizes = Counter(prog for prog, _ in self.sounding)
            full = [prog for prog, n in sizes.items() if n >= self.onset_limit[prog]]
            programs[full] = False  # a bounded chord per instrument and onset: no runaway stacks
            mask |= self._note_starts(programs)
        start = self.position + 1
        mask[self.position_ids[start : self.positions_in_bar]] = True
        if missing:
            return mask  # no Bar, no EOS: an instrument the request needs is missing
        if self.max_bars is not None and self.bars >= self.max_bars:
            mask[self.tok.eos_id] = True
        else:
            mask[self.tok.vocab["Bar_None"]] = True
            if p == "Duration" and self.max_bars is None:
                mask[self.tok.eos_id] = True
        return mask

    def _note_starts(self, programs: np.ndarray) -> np.ndarray:
        """How a note of one of `programs` may start: its Program token, or in a compact stream
        the current program's pitches directly (its Program token is not repeated)."""
        if not (self.tok.compact and self.program_id >= 0):
            return programs
        mask = programs.copy()
        mask[self.program_id] = False
        return mask | self._pitch_mask() if programs[self.program_id] else mask

    def _pitch_mask(self) -> np.ndarray:
        mask = self.masks["PitchDrum"] if self.program == -1 else self.masks["Pitch"]
        used = [i for prog, i in self.sounding if prog == self.program_id]
        if used:  # the same note twice at one onset is an error miditok counts
            mask = mask.copy()
            mask[used] = False
        return mask

    def _duration_mask(self) -> np.ndarray:
        return self.masks["DrumDuration" if self.program == -1 else "Duration"]

    def bias(self) -> None:
        """No logit prior: the mask alone constrains REMI."""
        return None

    def temperature(self) -> None:
        """The sampler's temperature at every step."""
        return None

    @property
    def position_ids(self) -> np.ndarray:
        return self.masks["position_ids"]

    def advance(self, idx: int) -> None:
        """Move the state past token `idx`."""
        kind = self.tok.types[idx]
        token = self.tok.id_to_token[idx]
        if kind == "EOS":
            self.finished = True
        elif kind == "Bar":
            self.bars += 1
            self.position = -1
            self.sounding.clear()
            self.played.clear()
            if self.tok.compact:  # a bar names its first instrument again
                self.program, self.program_id = None, -1
        elif kind == "TimeSig":
            num, den = token.split("_")[1].split("/")
            self.positions_in_bar = int(num) * self.tok.positions_per_beat
        elif kind == "Position":
            self.position = int(self.position_values[idx])
            self.sounding.clear()
        elif kind in ("Pitch", "PitchDrum"):
            self.sounding.add((self.program_id, idx))
        elif kind == "Tempo":
            self.tempo_done = True
        elif kind == "Program":
            self.program = int(token.split("_")[1])
            self.played.add(idx)
            self.program_id = idx
        if kind != "PAD":
            self.prev = kind


def _masks(tok: RemiTokenizer) -> dict:
    """Per-type masks and value tables of a tokenizer, computed once and kept on it."""
    if tok.grammar_tables is not None:
        return tok.grammar_tables
    n = tok.vocab_size
    types = tok.types
    out: dict = {"none": np.zeros(n, dtype=bool)}
    for kind in (
        "PAD",
        "Bar",
        "TimeSig",
        "Tempo",
        "Program",
        "Pitch",
        "PitchDrum",
        "Velocity",
        "Duration",
        "Position",
    ):
        out[kind] = types == kind
    positions = np.full(n, -1)
    tempos = np.zeros(n)
    for i, token in enumerate(tok.id_to_token):
        if types[i] == "Position":
            positions[i] = int(token.split("_")[1])
        elif types[i] == "Tempo":
            tempos[i] = float(token.split("_")[1])
    order = np.argsort(np.where(positions >= 0, positions, 1 << 30))
    out["position_ids"] = order[: int((positions >= 0).sum())]
    out["position_values"] = positions
    out["tempo_values"] = tempos
    out["chord_limit"] = np.full(n, MAX_CHORD)
    out["onset_limit"] = out["chord_limit"].copy()
    for i in np.flatnonzero(out["Program"]):
        program = int(tok.id_to_token[i].split("_")[1])
        role = family(max(program, 0), is_drum=program == -1)
        out["onset_limit"][i] = ROLE_LIMITS.get(role, MAX_CHORD)
    # Drums: only the GM percussion notes, each with the one short duration drum notes get.
    kit = out["PitchDrum"].copy()
    for i in np.flatnonzero(kit):
        kit[i] = int(tok.id_to_token[i].split("_")[1]) in DRUM_NAMES
    out["PitchDrum"] = kit
    out["DrumDuration"] = out["Duration"].copy()
    if tok.has_velocity:  # drum hits are encoded a 16th long (an 8th where miditok rounds up)
        for i in np.flatnonzero(out["Duration"]):
            whole, num, den = map(int, tok.id_to_token[i].split("_")[1].split("."))
            out["DrumDuration"][i] = whole + num / den <= DRUM_BEATS
    tok.grammar_tables = out
    return out
