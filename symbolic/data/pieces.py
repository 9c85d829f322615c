"""What the per-piece array builders (`symbolic.data.grids`, `symbolic.data.chords`) share: the
items of the sources sent through a worker in parallel processes with a progress bar, the
results gathered per split in item order (so the same inputs give the same arrays), and the
command line that runs a builder."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from symbolic.data.sources import list_items
from symbolic.paths import data_root as default_data_root

SPLITS = ("train", "val")
# A worker takes (source name, item, data root) and answers (split, result), or (a status
# such as "skip" or "error ...", None) for a piece that gives nothing.
Worker = Callable[[tuple], tuple[str, Any]]


def gather(
    worker: Worker, names: list[str], workers: int = 2, data_root: Path | None = None
) -> tuple[dict[str, list[tuple[int, Any]]], dict[str, int]]:
    """{split: [(source index in `names`, result), ...]} in item order, and counts of each
    source's statuses ("pop909/train", "chorales/skip", ...)."""
    from tqdm import tqdm

    root = Path(data_root or default_data_root())
    jobs = [(n, item, root) for n in names for item in list_items(n, root)]
    parts: dict[str, list[tuple[int, Any]]] = {s: [] for s in SPLITS}
    counts: dict[str, int] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(worker, jobs, chunksize=4)
        for (name, *_), (status, result) in tqdm(zip(jobs, results, strict=True), total=len(jobs)):
            key = f"{name}/{status.split()[0]}"
            counts[key] = counts.get(key, 0) + 1
            if result is not None:
                parts[status].append((names.index(name), result))
    return parts, counts


def main(build: Callable[..., dict], description: str, default_out: str) -> None:
    """`python -m symbolic.data.NAME SOURCES [--out DIR] [--workers N] [--data-root DIR]`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("sources", help='"all" or a comma list of source names')
    parser.add_argument("--out", type=Path, default=Path(default_out))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-root", type=Path, default=None)
    args = parser.parse_args()
    print(json.dumps(build(args.sources, args.out, args.workers, args.data_root), indent=1))
