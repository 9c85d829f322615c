"""Build pre-tokenized, memory-mappable training shards from the sources.

Output folder:

- ``train.bin`` / ``val.bin``: np.uint16 tokens, pieces concatenated; each piece is
  ``prefix + body + [eos]`` (prefix = BOS + control tokens for REMI, BOS + header + ``<body>``
  for ABC).
- ``train.idx.npy`` / ``val.idx.npy``: int64 ``(n, 3)``: start offset, prefix length, total length.
- ``meta.jsonl``: one line per piece (normalized metadata, split, transpose, tokens).
- ``build.json``: sources, tokenizer name, vocab size, eos id, counts, seconds, date; per
  source also ``flagged``, the pieces its loader flags (``meta["flags"]``, e.g. "no drums"),
  and ``missing``, why a source of a several-source build was left out (its folder is absent).

Pieces are parsed and tokenized in worker processes (music21 is slow); the main process only
writes, in item order, so the same inputs give the same shards. Only REMI transposes: ABC
tunes are kept in their written key (the tokenizer reads the key from the ``K:`` header, and
transposing ABC text would mean respelling every note).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from symbolic.data.meta import normalize, programs_of
from symbolic.data.sources import Piece, list_items, load_piece, source_names
from symbolic.data.split import piece_split
from symbolic.errors import SymgenError
from symbolic.paths import data_root as default_data_root
from symbolic.score import key_signature
from symbolic.theory.keys import key_label, parse_key
from symbolic.tokenize.base import SequenceTokenizer

TOKENIZERS = ("remi", "abc")
PITCH_RANGE = (21, 108)
ABC_SOURCES = ("folk", "nottingham")
_TOKENIZER_CACHE: dict[str, Any] = {}


def parse_transpose(spec: str | int) -> list[int]:
    """ "0" → [0]; "-3..3" → [-3..3]; "-2,0,2" → those. 0 is always included."""
    text = str(spec).strip()
    try:
        if ".." in text:
            lo, hi = (int(x) for x in text.split("..", 1))
            shifts = list(range(min(lo, hi), max(lo, hi) + 1))
        else:
            shifts = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SymgenError(
            f"transpose {spec!r}: write a range like -3..3 or a list like -2,0,2"
        ) from None
    if any(abs(s) > 11 for s in shifts):
        raise SymgenError(f"transpose {spec!r}: shifts must lie within -11..11 semitones")
    return sorted(set(shifts) | {0})


def get_tokenizer(name: str) -> SequenceTokenizer:
    """The tokenizer by name, loaded once per process."""
    if name not in _TOKENIZER_CACHE:
        if name == "remi":
            from symbolic.tokenize.remi import load_remi_tokenizer

            _TOKENIZER_CACHE[name] = load_remi_tokenizer()
        elif name == "abc":
            from symbolic.tokenize.abc import load_abc_tokenizer

            _TOKENIZER_CACHE[name] = load_abc_tokenizer()
        else:
            raise SymgenError(f"unknown tokenizer {name!r}: choose {' or '.join(TOKENIZERS)}")
    return _TOKENIZER_CACHE[name]


def _jsonable(value: Any) -> Any:
    """Tuples → lists, floats rounded: compact JSON lines."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, np.generic):
        return value.item()
    return value


def transposed(score, shift: int):
    """A copy with every pitched track moved by `shift` semitones (drums untouched), or None
    if a note would leave the piano range 21-108."""
    out = score.copy()
    for track in out.tracks:
        if track.is_drum or track.note_num() == 0:
            continue
        pitch = track.notes.numpy()["pitch"]
        if pitch.min() + shift < PITCH_RANGE[0] or pitch.max() + shift > PITCH_RANGE[1]:
            return None
        track.shift_pitch(shift, inplace=True)
    return out


def _records(
    piece: Piece, tokenizer: str, shifts: list[int]
) -> list[tuple[dict, np.ndarray, np.ndarray]]:
    """Metadata + prefix + body ids for a piece and its transposed copies."""
    tok = get_tokenizer(tokenizer)
    meta = normalize(piece.id, piece.source, piece.style, piece.meta, piece.score)
    extras = {k: v for k, v in piece.meta.items() if k not in meta}
    split = piece_split(piece)
    out = []
    if tokenizer == "abc":
        if not piece.abc:
            return []
        ids = tok.encode(piece.abc)
        cut = ids.index(tok.vocab["<body>"]) + 1  # the header ends at <body>
        body = ids[cut:-1] if ids and ids[-1] == tok.eos_id else ids[cut:]
        record = {**meta, "split": split, "transpose": 0, **extras}
        out.append((record, np.asarray(ids[:cut]), np.asarray(body)))
        return out
    score = piece.score
    if score is None or score.note_num() == 0:
        return []
    tonic, mode = parse_key(meta["key"])
    for shift in shifts if split == "train" else [0]:
        current = score if shift == 0 else transposed(score, shift)
        if current is None:
            continue
        key = key_label(tonic + shift, mode)
        if shift:
            current.key_signatures.clear()
            current.key_signatures.append(key_signature((tonic + shift) % 12, mode))
        prefix = tok.prefix(
            style=piece.style,
            key=key,
            programs=programs_of(current),
            density=meta["density"],
            bars=meta["bars"],
        )
        body = tok.encode(current)
        if not body:
            continue
        pid = piece.id if shift == 0 else f"{piece.id}#t{shift:+d}"
        record = {**meta, "id": pid, "key": key, "split": split, "transpose": shift, **extras}
        if shift:
            record["original"] = piece.id
        out.append((record, np.asarray(prefix), np.asarray(body)))
    return out


def _work(job: tuple) -> tuple[str, str, list | str]:
    """Worker: load and tokenize one item; errors come back as text, never kill the build."""
    name, item, root, content, tokenizer, shifts = job
    try:
        piece = load_piece(name, item, root, content)
        if piece is None:
            return name, "skip", "no usable music"
        return name, "ok", _records(piece, tokenizer, shifts)
    except Exception as err:  # one bad file must not stop a build of thousands
        return name, "error", f"{type(err).__name__}: {str(err)[:160]}"


# Rough relative cost of one item: heavy items start first so that no worker idles at the end.
_COST = {"quartets": 100.0, "monteverdi": 5.0, "palestrina": 2.0, "chorales": 2.0, "folk": 1.0}


def _results(jobs: list[tuple], workers: int, progress) -> Iterator[tuple[str, str, list | str]]:
    """Results in job order (deterministic shards), computed heaviest-first in `workers`
    processes; `progress` (a tqdm bar) advances as each job completes."""
    if workers <= 1:
        for job in jobs:
            yield _work(job)
            progress.update()
        return
    order = sorted(range(len(jobs)), key=lambda i: -_COST.get(jobs[i][0], 0.1))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_work, jobs[i]): i for i in order}
        done: dict[int, tuple] = {}
        head = 0
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            progress.update()
            while head in done:
                yield done.pop(head)
                head += 1


def build(
    source: str,
    out: Path,
    tokenizer: str = "remi",
    transpose: str = "0",
    workers: int = 2,
    data_root: Path | None = None,
    limit: int | None = None,
) -> dict:
    """Tokenize the pieces of `source` ("all", a name, or a comma list) into shards in `out`.

    `transpose` ("0", "-3..3", "-2,0,2") adds transposed copies of train pieces (REMI only);
    `limit` caps the items read per source. Returns the summary also written to build.json.
    """
    from tqdm import tqdm

    started = time.time()
    names = source_names(source)
    if tokenizer not in TOKENIZERS:
        raise SymgenError(f"unknown tokenizer {tokenizer!r}: choose {' or '.join(TOKENIZERS)}")
    if tokenizer == "abc":
        wrong = [n for n in names if n not in ABC_SOURCES]
        if wrong:
            raise SymgenError(
                f"source {', '.join(wrong)} has no ABC text; with --tokenizer abc use "
                f"{' or '.join(ABC_SOURCES)}"
            )
    shifts = parse_transpose(transpose) if tokenizer == "remi" else [0]
    root = Path(data_root) if data_root is not None else default_data_root()
    content = "abc" if tokenizer == "abc" else "score"
    tok = get_tokenizer(tokenizer)
    if tok.vocab_size > 65535:
        raise SymgenError(f"vocabulary of {tok.vocab_size} does not fit in uint16 shards")
    jobs, missing = [], {}
    for name in names:
        try:
            items = list_items(name, root, limit, content)
        except SymgenError as err:
            if len(names) == 1:
                raise
            missing[name] = str(err)  # one absent corpus does not stop a build of several
            continue
        jobs += [(name, item, str(root), content, tokenizer, shifts) for item in items]
    if len(missing) == len(names):
        raise SymgenError(
            f"none of {', '.join(names)} was found in {root}: set SYMGEN_DATA (or --data-root) "
            "to the shared data folder"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, list[tuple[int, int, int]]] = {"train": [], "val": []}
    offsets = {"train": 0, "val": 0}
    stats = {
        n: {"items": 0, "pieces": 0, "copies": 0, "skipped": 0, "errors": 0, "tokens": 0}
        for n in names
    }
    for name, reason in missing.items():
        stats[name]["missing"] = reason
    stats_split = {s: {"pieces": 0, "tokens": 0} for s in ("train", "val")}
    errors: list[str] = []
    eos = np.array([tok.eos_id], dtype=np.uint16)
    with ExitStack() as stack:
        handles = {
            s: stack.enter_context(open(out / f"{s}.bin.part", "wb")) for s in ("train", "val")
        }
        meta_file = stack.enter_context(open(out / "meta.jsonl.part", "w", encoding="utf-8"))
        progress = stack.enter_context(
            tqdm(total=len(jobs), desc=f"build {source}", unit="piece", mininterval=2.0)
        )
        for (name, status, payload), job in zip(
            _results(jobs, workers, progress), jobs, strict=True
        ):
            stats[name]["items"] += 1
            if status != "ok":
                stats[name]["skipped" if status == "skip" else "errors"] += 1
                if status == "error" and len(errors) < 50:
                    errors.append(f"{name} {str(job[1][0])[-60:]}: {payload}")
                continue
            for record, prefix, body in payload:
                split = record["split"]
                seq = np.concatenate([prefix.astype(np.uint16), body.astype(np.uint16), eos])
                handles[split].write(seq.tobytes())
                index[split].append((offsets[split], len(prefix), len(seq)))
                offsets[split] += len(seq)
                record["tokens"] = len(seq)
                meta_file.write(json.dumps(_jsonable(record), ensure_ascii=False) + "\n")
                key = "copies" if record.get("transpose") else "pieces"
                stats[name][key] += 1
                for flag in record.get("flags", []) if key == "pieces" else []:
                    flagged = stats[name].setdefault("flagged", {})  # e.g. "no drums": 3
                    flagged[flag] = flagged.get(flag, 0) + 1
                stats[name]["tokens"] += len(seq)
                stats_split[split]["pieces"] += 1
                stats_split[split]["tokens"] += len(seq)
    for split in ("train", "val"):
        os.replace(out / f"{split}.bin.part", out / f"{split}.bin")
        idx = np.asarray(index[split], dtype=np.int64).reshape(-1, 3)
        np.save(out / f"{split}.idx.npy", idx)
    os.replace(out / "meta.jsonl.part", out / "meta.jsonl")
    summary = {
        "source": source,
        "sources": names,
        "tokenizer": tokenizer,
        "vocab_size": int(tok.vocab_size),
        "eos_id": int(tok.eos_id),
        "dtype": "uint16",
        "transpose": shifts,
        "limit": limit,
        "workers": workers,
        "per_source": stats,
        "splits": stats_split,
        "errors": errors,
        "seconds": round(time.time() - started, 1),
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    (out / "build.json").write_text(json.dumps(summary, indent=1))
    return summary


class Shards:
    """Read-only view of one split of a built folder: `tokens` is a uint16 memmap."""

    def __init__(self, folder: str | Path, split: str = "train") -> None:
        folder = Path(folder)
        bin_path = folder / f"{split}.bin"
        if not bin_path.exists():
            raise SymgenError(f"{bin_path}: no shard here; build it first (symbolic.data.build)")
        self.index = np.load(folder / f"{split}.idx.npy")
        self.info = json.loads((folder / "build.json").read_text())
        self.tokens = (
            np.memmap(bin_path, dtype=np.uint16, mode="r")
            if bin_path.stat().st_size
            else np.zeros(0, dtype=np.uint16)
        )

    def __len__(self) -> int:
        return len(self.index)

    def sequence(self, i: int) -> np.ndarray:
        """The whole piece: prefix + body + eos."""
        start, _, total = self.index[i]
        return self.tokens[start : start + total]

    def piece(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(prefix, body) of piece `i`; the body excludes the final eos."""
        start, plen, total = (int(x) for x in self.index[i])
        return self.tokens[start : start + plen], self.tokens[start + plen : start + total - 1]


def summary_line(summary: dict, out: Path | str) -> str:
    """What a build made, and per source what it left out and why, in one line."""
    pieces = sum(s["pieces"] for s in summary["splits"].values())
    tokens = sum(s["tokens"] for s in summary["splits"].values())
    notes = []
    for name, st in summary["per_source"].items():
        if "missing" in st:
            notes.append(f"{name} not found, left out")
            continue
        left = [f"{st[k]} {k}" for k in ("skipped", "errors") if st[k]]
        left += [f"{n} {flag}" for flag, n in st.get("flagged", {}).items()]
        if left:
            notes.append(f"{name}: {', '.join(left)}")
    text = f"{pieces} pieces, {tokens} tokens in {out}"
    return text + (f" ({'; '.join(notes)})" if notes else "")
