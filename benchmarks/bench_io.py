"""Load + tokenize throughput: symgen (`score.load` + `RemiTokenizer.encode`) against
miditok called directly (`miditok.REMI(same config).encode(path)`) on the same MIDI files.

Bach chorales are converted to MIDI once (not timed; cached beside pytest's cache), POP909 is
read as is. The two paths run interleaved, file by file, alternating which goes first, so
machine load affects both alike. Usage: python benchmarks/bench_io.py [--limit N] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import append_section  # noqa: E402

from symbolic.paths import data_root  # noqa: E402


def chorale_midis(cache: Path, limit: int | None) -> list[Path]:
    """Every Bach chorale of music21's corpus as a MIDI file in `cache` (converted if missing)."""
    import music21

    from symbolic.score import from_music21

    cache.mkdir(parents=True, exist_ok=True)
    paths = sorted(
        (p for p in music21.corpus.getComposer("bach") if p.suffix != ".rntxt"),
        key=lambda p: p.name,
    )[:limit]
    out = []
    for path in paths:
        midi = cache / f"{path.name}.mid"
        if not midi.exists():
            midi.write_bytes(from_music21(music21.corpus.parse(path)).dumps_midi())
        out.append(midi)
    return out


def run(files: list[Path], tok, direct) -> dict[str, float]:
    """Interleaved timings of both paths over `files`: seconds and token counts per path."""
    from symbolic.score import load

    totals = {"symgen_s": 0.0, "miditok_s": 0.0, "symgen_tokens": 0, "miditok_tokens": 0}

    def ours(path: Path) -> int:
        return len(tok.encode(load(path)))

    def theirs(path: Path) -> int:
        return len(direct.encode(path).ids)

    for i, path in enumerate(files):
        order = [("symgen", ours), ("miditok", theirs)]
        for name, fn in order if i % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            n = fn(path)
            totals[f"{name}_s"] += time.perf_counter() - start
            totals[f"{name}_tokens"] += n
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N files of each set")
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--cache", type=Path, default=REPO / ".pytest_cache" / "d" / "chorale_midi")
    args = parser.parse_args()

    import miditok

    from symbolic.tokenize import get_tokenizer

    tok = get_tokenizer("remi")
    direct = miditok.REMI(tok.miditok.config)
    sets = {"Bach chorales (music21)": chorale_midis(args.cache, args.limit)}
    pop = sorted((data_root() / "pop909").glob("*/*.mid"))[: args.limit]
    if pop:
        sets["POP909"] = pop
    else:
        print(f"POP909 not found under {data_root()}: skipped", file=sys.stderr)
    for files in sets.values():  # warm up both paths (imports, caches)
        run(files[:3], tok, direct)
    table = [["set", "files", "path", "files/s", "tokens/s", "ratio symgen/miditok"]]
    for name, files in sets.items():
        t = run(files, tok, direct)
        ratio = t["miditok_s"] / t["symgen_s"]
        for path in ("symgen", "miditok"):
            seconds = t[f"{path}_s"]
            table.append(
                [
                    name,
                    str(len(files)),
                    path,
                    f"{len(files) / seconds:.1f}",
                    f"{t[f'{path}_tokens'] / seconds:,.0f}",
                    f"{ratio:.2f}" if path == "symgen" else "",
                ]
            )
    notes = (
        "symgen reads with `symbolic.score.load` (resample to 480 tpq, lyric merge, validation) "
        "then encodes; miditok reads the path itself. Ratio = miditok time / symgen time "
        "(target >= 0.9). Token counts differ slightly where symgen's validation/cleanup "
        "changes the input."
    )
    text = "\n".join("| " + " | ".join(r) + " |" for r in table)
    print(text)
    if not args.no_write:
        append_section("I/O: load + REMI tokenize (bench_io.py)", table, notes)


if __name__ == "__main__":
    main()
