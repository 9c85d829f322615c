"""ABC quality of `abc-folk`: 200 samples across jigs, reels, waltzes and slip jigs.

Each sample is judged by music21 alone (`symbolic.eval.abc.judge_abc`): parsed without
error, meter and key as asked, share of bars that fill the meter (a short bar counts when it
pairs with a neighbour into a full one). Real Nottingham tunes of the validation split are
judged by the same rule in the same run.

    python benchmarks/bench_abc_quality.py [--samples 200] [--record]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import report  # noqa: E402

from symbolic.eval.abc import judge_abc  # noqa: E402

PROMPTS = [  # (rhythm, meter, keys)
    ("jig", "6/8", ["D", "G", "A", "Em", "Ador"]),
    ("reel", "4/4", ["D", "G", "A", "Em", "Bm"]),
    ("waltz", "3/4", ["D", "G", "C", "F", "Am"]),
    ("slip jig", "9/8", ["D", "G", "A", "Em", "Edor"]),
]


def sample_tunes(n: int, seed: int) -> list[dict]:
    from symbolic.models.checkpoint import load_model
    from symbolic.models.sampling import SampleConfig, sample

    lm = load_model("abc-folk")
    tok = lm.tokenizer
    per = n // sum(len(k) for _, _, k in PROMPTS)
    out = []
    for rhythm, meter, keys in PROMPTS:
        for key in keys:
            header = f"M:{meter}\nK:{key}\nR:{rhythm}"
            ids = tok.prefix(header)
            grammars = [tok.grammar(meter=meter, key=key) for _ in range(per)]
            cfg = SampleConfig(max_new_tokens=lm.decoder.max_len, seed=seed, top_p=0.95)
            for new in sample(lm.decoder, ids, grammars, cfg, num_samples=per):
                out.append(
                    {"rhythm": rhythm, "meter": meter, "key": key, "text": tok.decode(ids + new)}
                )
    return out


def real_tunes(limit: int) -> list[dict]:
    from symbolic.data.abc_corpus import iter_tunes
    from symbolic.data.split import split_of

    tunes = [t for t in iter_tunes("nottingham") if split_of(t.id) == "val"][:limit]
    return [
        {
            "rhythm": t.meta.get("rhythm") or "?",
            "meter": t.meta.get("meter"),
            "key": t.meta.get("key"),
            "text": t.text,
        }
        for t in tunes
    ]


def judge(items: list[dict]) -> dict:
    results = [judge_abc(x["text"], x["meter"], x["key"]) for x in items]
    parsed = [r for r in results if r["parsed"]]
    return {
        "n": len(results),
        "parsed": len(parsed) / max(len(results), 1),
        "meter": np.mean([r.get("meter_ok", False) for r in results]),
        "key": np.mean([r.get("key_ok", False) for r in results]),
        "bar_fill": float(np.mean([r["bar_fill"] for r in parsed])) if parsed else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    start = time.perf_counter()
    generated = sample_tunes(args.samples, args.seed)
    seconds = time.perf_counter() - start
    rows = [
        [
            "set",
            "tunes",
            "parsed by music21",
            "meter as asked",
            "key as asked",
            "bars filling the meter",
        ]
    ]
    groups = {"abc-folk, all": generated}
    for rhythm, _, _ in PROMPTS:
        groups[f"abc-folk, {rhythm}"] = [g for g in generated if g["rhythm"] == rhythm]
    groups["Nottingham validation tunes (real)"] = real_tunes(200)
    for name, items in groups.items():
        r = judge(items)
        rows.append(
            [
                name,
                str(r["n"]),
                f"{r['parsed']:.1%}",
                f"{r['meter']:.1%}",
                f"{r['key']:.1%}",
                f"{r['bar_fill']:.1%}",
            ]
        )
    note = (
        f"Sampling {len(generated)} tunes took {seconds:.0f} s (batches of "
        f"{args.samples // 20}, temperature 1, top-p 0.95, seed {args.seed})."
    )
    report("ABC quality of abc-folk (issue 3)", rows, note, args.record)


if __name__ == "__main__":
    main()
