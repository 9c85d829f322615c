"""Append a benchmark section (date, machine, cores, command, table) to benchmarks/RESULTS.md."""

from __future__ import annotations

import os
import platform
import shlex
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\n"
    "Appended by the scripts in `benchmarks/`; newest last. Each section names the command that "
    "made it.\n"
)


def append_section(title: str, table: list[list[str]], notes: str = "") -> str:
    """Format a markdown section and append it to RESULTS.md (created with a header if missing)."""
    command = "python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *sys.argv[1:]])
    lines = [
        f"\n## {title}\n",
        f"- date: {time.strftime('%Y-%m-%d %H:%M')}",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        f"- command: `{command}`",
        "",
        "| " + " | ".join(table[0]) + " |",
        "|" + "|".join("---" for _ in table[0]) + "|",
        *("| " + " | ".join(row) + " |" for row in table[1:]),
    ]
    if notes:
        lines += ["", notes]
    text = "\n".join(lines) + "\n"
    if not RESULTS.exists():
        RESULTS.write_text(HEADER)
    with RESULTS.open("a") as handle:
        handle.write(text)
    return text


def report(title: str, table: list[list[str]], notes: str, record: bool) -> None:
    """Print a result table and its notes; with `record`, also append them to RESULTS.md."""
    for row in table:
        print(" | ".join(row))
    print(notes)
    if record:
        append_section(title, table, notes)
