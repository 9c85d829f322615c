"""Time `symbolic.data.build` for every source (REMI; folk and nottingham also as ABC).

Writes a table (source, tokenizer, pieces, tokens, seconds, pieces/s) to stdout and appends
it to benchmarks/RESULTS.md under "Data build" with the date and machine. Full sources by
default; `--limit N` for a quick run. Usage:

    python benchmarks/bench_build.py [--limit 20] [--workers 2] [--sources a,b] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from pathlib import Path

from symbolic.data.build import ABC_SOURCES, build
from symbolic.data.sources import REGISTRY, source_names
from symbolic.errors import SymgenError

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def run(sources: list[str], workers: int, limit: int | None) -> list[dict]:
    """One build per (source, tokenizer) into a temporary folder; a row of timings each."""
    rows = []
    jobs = [(s, "remi") for s in sources] + [(s, "abc") for s in sources if s in ABC_SOURCES]
    for source, tokenizer in jobs:
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            try:
                summary = build(
                    source, Path(out), tokenizer=tokenizer, workers=workers, limit=limit
                )
            except SymgenError as err:  # e.g. the shared data folder is absent
                rows.append({"source": source, "tokenizer": tokenizer, "error": str(err)})
                continue
            seconds = time.perf_counter() - started
        stats = summary["per_source"][source]
        rows.append(
            {
                "source": source,
                "tokenizer": tokenizer,
                "pieces": stats["pieces"],
                "failed": stats["errors"] + stats["skipped"],
                "tokens": stats["tokens"],
                "seconds": seconds,
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    """A Markdown table of the rows."""
    lines = [
        "| source | tokenizer | pieces | failed | tokens | seconds | pieces/s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(
                f"| {r['source']} | {r['tokenizer']} | - | - | - | - | {r['error'][:60]} |"
            )
            continue
        rate = r["pieces"] / r["seconds"] if r["seconds"] else 0.0
        lines.append(
            f"| {r['source']} | {r['tokenizer']} | {r['pieces']} | {r['failed']} | "
            f"{r['tokens']:,} | {r['seconds']:.1f} | {rate:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default="all", help="all or a comma list")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="items per source")
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    args = parser.parse_args()
    names = source_names(args.sources) if args.sources != "all" else list(REGISTRY)
    rows = run(names, args.workers, args.limit)
    text = table(rows)
    print(text)
    if args.no_write:
        return
    header = (
        f"\n## Data build\n\n{dt.date.today().isoformat()}, {platform.machine()}, "
        f"{os.cpu_count()} cores, workers={args.workers}, "
        f"limit={args.limit if args.limit is not None else 'none (full sources)'}\n\n"
    )
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(header + text + "\n")


if __name__ == "__main__":
    main()
