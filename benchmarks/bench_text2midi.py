"""Control accuracy of `symgen text2midi` on prompts made from held-out pieces.

For each validation piece of the REMI shards (hash split, never trained on) a plain-English
prompt names its style, key, tempo, meter and instruments; the output MIDI alone is judged:
key by music21's `analyze('key')` (tonic and mode as asked), tempo within ±5%, first time
signature as asked, a track with notes in every asked GM family. Timings are split into
parse, load, sample and write.

    python benchmarks/bench_text2midi.py --shards data_cache/remi [--prompts 100] [--record]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from itertools import zip_longest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import report  # noqa: E402

from symbolic.gm import family, program_name  # noqa: E402

STYLE_WORDS = {
    "chorale": "a Bach chorale",
    "renaissance": "renaissance polyphony",
    "madrigal": "a madrigal",
    "pop": "a pop song",
    "folk": "a folk tune",
    "jazz": "a jazz piece",
    "classical": "a classical string quartet",
}
KEY_WORDS = {"b": "-flat", "#": "-sharp"}


def key_words(key: str) -> str:
    minor = key.endswith("m")
    tonic = key[:-1] if minor else key
    tonic = tonic[0] + KEY_WORDS.get(tonic[1:], "")
    return f"{tonic} {'minor' if minor else 'major'}"


def prompts(shards: Path, limit: int) -> list[dict]:
    out = []
    for line in (shards / "meta.jsonl").read_text().splitlines():
        meta = json.loads(line)
        if meta["split"] != "val" or meta.get("transpose") or not meta.get("key"):
            continue
        programs = list(dict.fromkeys(meta["programs"]))[:4]
        names = [program_name(p % 128, p == 128).lower() for p in programs]
        tempo = round(float(meta["tempo"]))
        text = (
            f"{STYLE_WORDS.get(meta['style'], meta['style'])} in {key_words(meta['key'])} "
            f"at {tempo} bpm in {meta['meter']} for {', '.join(names)}"
        )
        out.append(
            {
                "prompt": text,
                "key": meta["key"],
                "tempo": tempo,
                "meter": meta["meter"],
                "programs": programs,
                "style": meta["style"],
            }
        )
    by_style: dict[str, list[dict]] = {}
    for item in out:  # round-robin over styles, so every style is in the first `limit`
        by_style.setdefault(item["style"], []).append(item)
    mixed = [x for group in zip_longest(*by_style.values()) for x in group if x]
    return mixed[:limit]


def judge(path: Path, asked: dict) -> dict:
    import music21

    from symbolic.score import describe, load

    desc = describe(load(path))
    m21 = music21.converter.parse(str(path)).analyze("key")
    tonic = asked["key"].rstrip("m")
    mode = "minor" if asked["key"].endswith("m") else "major"
    want = music21.pitch.Pitch(tonic.replace("b", "-")).pitchClass
    families = {t["family"] for t in desc["tracks"] if t["notes"]}
    asked_families = {family(p % 128, p == 128) for p in asked["programs"]}
    return {
        "key": m21.tonic.pitchClass == want and m21.mode == mode,
        "tempo": abs(desc["tempo"] - asked["tempo"]) <= 0.05 * asked["tempo"],
        "meter": desc["meter"] == asked["meter"],
        "instruments": asked_families <= families,
    }


def main() -> None:
    from symbolic.tasks.text2midi import text2midi

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=Path, default=Path("data_cache/remi"))
    parser.add_argument("--prompts", type=int, default=100)
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--model", default="text2midi")
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    items = prompts(args.shards, args.prompts)
    verdicts, timings = [], []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, item in enumerate(items):
            res = text2midi(
                item["prompt"], Path(tmp) / f"{i}.mid", args.bars, seed=i, model=args.model
            )
            timings.append(res["timings"])
            verdicts.append({**judge(Path(res["outputs"][0]), item), "style": item["style"]})
    seconds = time.perf_counter() - start
    rows = [["check (from the MIDI file alone)", "share as asked", "target"]]
    for field, target in (
        ("key", "90%"),
        ("tempo", "95%"),
        ("meter", "95%"),
        ("instruments", "95%"),
    ):
        share = sum(v[field] for v in verdicts) / max(len(verdicts), 1)
        rows.append([field, f"{share:.1%}", target])
    per_style = {}
    for v in verdicts:
        per_style.setdefault(v["style"], []).append(v["key"])
    split = {k: statistics.median(t[k] for t in timings) for k in timings[0]}
    note = (
        f"{len(items)} prompts from validation pieces of {args.shards} ({args.bars} bars each, "
        f"seeds 0..{len(items) - 1}), {seconds:.0f} s in all. Key agreement per style: "
        + ", ".join(f"{k} {sum(v) / len(v):.0%} of {len(v)}" for k, v in sorted(per_style.items()))
        + ". Median seconds per prompt (model loaded once, kept in memory): "
        + ", ".join(f"{k} {v:.2f}" for k, v in split.items())
        + "."
    )
    report("text2midi control accuracy (issue 5, on remi-multi)", rows, note, args.record)


if __name__ == "__main__":
    main()
