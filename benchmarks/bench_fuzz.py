"""Fuzzing symgen's entry points (issue 14, item 6): the properties of tests/test_fuzz.py, run
to many more cases, counting failures instead of stopping at the first.

Each case runs `symbolic.cli.main(argv)` in this process on a mutated MIDI, ABC, MusicXML or
MXL file or on adversarial text (see tests/test_fuzz.py for what is drawn and what is checked)
and counts: cases, exit codes, uncaught exceptions (a user would see a traceback), tracebacks
printed, partial or temporary output files left, and other breaks of the contract (stderr not
one "symgen ..." line on exit 1, an output that does not load, a changed input, a timeout, a
prompt parsed into unusable attributes). The first examples of each kind of failure are
written to --failures DIR. With --record, a run with zero failures appends its table to
RESULTS.md; a run with failures is never recorded (exit status 1).

    python benchmarks/bench_fuzz.py [--scale 1.0] [--only NAME ...] [--seed 14]
                                    [--failures DIR] [--record]
"""

from __future__ import annotations

import argparse
import collections
import math
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import report  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from test_fuzz import PROPERTIES, SEEDS, Outcome, Property, warm_seeds  # noqa: E402

CRASH_KINDS = ("uncaught exception", "traceback", "partial")
KEEP_PER_SIGNATURE = 3


def signature(outcome: Outcome) -> str:
    """What kind of failure: its problems with numbers, paths and quoted text blanked."""
    text = "; ".join(sorted(outcome.problems))
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    return re.sub(r"\d+", "N", text)[:160]


def run_property(prop: Property, cases: int, seed: int, failures: Path, log=None) -> dict:
    """Run `cases` examples of `prop` (generation only: no shrinking, no database)."""
    counts: collections.Counter = collections.Counter()
    kept: collections.Counter = collections.Counter()
    start = time.perf_counter()

    @hypothesis_seed(seed)
    @settings(
        max_examples=cases,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(prop.strategy)
    def case(value) -> None:
        began = time.perf_counter()
        outcome = prop.run(value)
        if log is not None:
            took = time.perf_counter() - began
            print(f"{prop.name}\t{took:.2f}\t{outcome.code}\t{outcome.problems}\t{outcome.input[:300]}",
                  file=log, flush=True)  # fmt: skip
        counts["cases"] += 1
        counts[f"exit {outcome.code}"] += 1
        kinds = outcome.kinds()
        for kind in kinds:
            counts[kind] += 1
        if kinds - set(CRASH_KINDS):
            counts["other"] += 1
        if outcome.problems:
            counts["failed"] += 1
            sig = signature(outcome)
            if kept[sig] < KEEP_PER_SIGNATURE:
                kept[sig] += 1
                name = f"{prop.name}-{len(kept)}-{kept[sig]}.txt"
                text = f"{sig}\n\nvalue: {value!r}\n\n{outcome.report()}\n"
                (failures / name).write_text(text, encoding="utf-8", errors="replace")
        if counts["cases"] % max(cases // 10, 1) == 0:
            print(
                f"  {prop.name}: {counts['cases']}/{cases} cases, {counts['failed']} failed, "
                f"{time.perf_counter() - start:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    case()
    counts["seconds"] = time.perf_counter() - start
    counts["signatures"] = len(kept)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every case count")
    parser.add_argument("--only", nargs="+", choices=list(PROPERTIES), help="these properties")
    parser.add_argument("--seed", type=int, default=14, help="hypothesis seed (same cases)")
    parser.add_argument("--failures", type=Path, help="folder for failing examples (default: tmp)")
    parser.add_argument("--log", type=Path, help="write one line per case to this file")
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    failures = args.failures or Path(tempfile.mkdtemp(prefix="symgen-fuzz-failures-"))
    failures.mkdir(parents=True, exist_ok=True)
    warm_seeds()
    chosen = [PROPERTIES[n] for n in args.only or PROPERTIES]
    results = {}
    log = args.log.open("w", encoding="utf-8", errors="replace") if args.log else None
    for prop in chosen:
        cases = max(1, math.ceil(prop.bench * args.scale))
        print(f"{prop.name}: {cases} cases ({prop.what})", file=sys.stderr, flush=True)
        results[prop.name] = run_property(prop, cases, args.seed, failures, log)
    header = ["property", "what", "cases", "exit 0", "exit 1", "exit 2", "uncaught exceptions",
              "tracebacks", "partial outputs", "other failures", "seconds"]  # fmt: skip
    rows = [header]
    total: collections.Counter = collections.Counter()
    for prop in chosen:
        c = results[prop.name]
        total.update(c)
        rows.append(_row(prop.name, prop.what, c))
    rows.append(_row("all", f"{len(chosen)} properties", total))
    failed = total["failed"]
    note = (
        f"hypothesis seed {args.seed}, scale {args.scale:g}; every case calls symbolic.cli.main "
        "in-process (tests/test_fuzz.py says what is drawn and checked). Mutated inputs: seed "
        f"files {', '.join(s for s in SEEDS if s != 'none')} (written by the tests), bit flips, "
        "byte sets, insertions, deletions, truncations, repeated slices, huge MIDI chunk lengths "
        "and VLQs, ABC/MusicXML tokens and numbers, garbage, empty files. "
        f"{failed} failing cases"
        + (f" ({total['signatures']} kinds; examples in {failures})." if failed else ".")
    )
    report("Fuzzing the entry points (issue 14)", rows, note, args.record and not failed)
    if failed:
        if args.record:
            print("not recorded: the run has failures", file=sys.stderr)
        print(f"failing examples: {failures}", file=sys.stderr)
        sys.exit(1)


def _row(name: str, what: str, c: collections.Counter) -> list[str]:
    return [
        name,
        what.replace("|", "\\|"),
        str(c["cases"]),
        str(c["exit 0"]),
        str(c["exit 1"]),
        str(c["exit 2"]),
        str(c["uncaught exception"]),
        str(c["traceback"]),
        str(c["partial"]),
        str(c["other"]),
        f"{c['seconds']:.0f}",
    ]


if __name__ == "__main__":
    main()
