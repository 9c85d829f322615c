"""`symgen text2midi` judged from its MIDI files: control accuracy, repetition, style, speed.

For each validation piece of the REMI shards (hash split, never trained on) a plain-English
prompt names its style, key, tempo (a bpm, or for every third prompt a tempo word), meter and
instruments; the output MIDI alone is judged: key by music21's `analyze('key')` (tonic and mode
as asked; also for the raw model, `--raw`, which samples without the key prior and redraws),
tempo within ±5% of the bpm or inside the word's range, first time signature as asked, a track
with notes in every asked GM family; where the prompt names drums or a bass, the drum and bass
measures of `symbolic.eval.band` (kit share, kick+snare share, groove consistency, hits per bar;
bass median pitch, one note at a time). Also: compression ratio (CR, `symbolic.eval.text2midi`)
of the outputs beside the same number of bars of real pieces; a style classifier fitted on
training pieces applied to the outputs (confusion matrix, with its accuracy on real validation
pieces for reference) for the styles with at least `--min-train` training pieces; a cold `symgen
text2midi` process for 16 bars, time split into load, parse, sample and write.

    python benchmarks/bench_text2midi.py --shards data_cache/remi3 [--prompts 100] [--record]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from itertools import zip_longest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import report  # noqa: E402

from symbolic.prompt import TEMPO_WORDS  # noqa: E402
from symbolic.theory.gm import family, program_name  # noqa: E402

STYLE_WORDS = {
    "chorale": "a Bach chorale",
    "renaissance": "renaissance polyphony",
    "madrigal": "a madrigal",
    "pop": "a pop song",
    "folk": "a folk tune",
    "jazz": "a jazz piece",
    "classical": "a classical string quartet",
    "rock": "a rock song",
    "funk": "a funk groove",
    "latin": "a latin groove",
    "hip-hop": "a hip-hop beat",
    "swing": "a swing tune",
    "metal": "a heavy metal song",
    "electronic": "an electronic track",
    "soul": "a soul song",
    "blues": "a blues",
}
KEY_WORDS = {"b": "-flat", "#": "-sharp"}
DRUM_FIELDS = ["kit_share", "kick_snare_share", "groove_consistency", "hits_per_bar"]
BASS_FIELDS = ["median_pitch", "one_note_share"]
DRUM_TARGETS = {"kit_share": "≥ 0.85", "kick_snare_share": "≥ 0.25",
                "groove_consistency": "≥ 0.6", "hits_per_bar": "6-32"}  # fmt: skip
BASS_TARGETS = {"median_pitch": "28-55", "one_note_share": "≥ 0.85"}


def key_words(key: str) -> str:
    minor = key.endswith("m")
    tonic = key[:-1] if minor else key
    tonic = tonic[0] + KEY_WORDS.get(tonic[1:], "")
    return f"{tonic} {'minor' if minor else 'major'}"


def styles_with_data(shards: Path, minimum: int) -> set[str]:
    """The styles of at least `minimum` training pieces (the ones the targets cover)."""
    metas = [json.loads(x) for x in (shards / "meta.jsonl").read_text().splitlines()]
    counts = Counter(m["style"] for m in metas if m["split"] == "train")
    return {style for style, n in counts.items() if n >= minimum and style in STYLE_WORDS}


def prompts(shards: Path, limit: int, styles: set[str]) -> list[dict]:
    out = []
    for line in (shards / "meta.jsonl").read_text().splitlines():
        meta = json.loads(line)
        if meta["split"] != "val" or meta.get("transpose") or not meta.get("key"):
            continue
        if meta["style"] not in styles:
            continue
        programs = list(dict.fromkeys(meta["programs"]))[:4]
        names = [program_name(p % 128, p == 128).lower() for p in programs]
        tempo = round(float(meta["tempo"]))
        words = [w for w, (lo, hi, _) in TEMPO_WORDS.items() if lo <= tempo <= hi and " " not in w]
        tempo_range = (tempo * 0.95, tempo * 1.05)
        tempo_text = f"at {tempo} bpm"
        if words and len(out) % 3 == 2:  # every third prompt names a tempo word instead
            word = words[len(out) % len(words)]
            tempo_range, tempo_text = TEMPO_WORDS[word][:2], f"{word}"
        text = (
            f"{STYLE_WORDS.get(meta['style'], meta['style'])} in {key_words(meta['key'])}, "
            f"{tempo_text}, in {meta['meter']} for {', '.join(names)}"
        )
        out.append(
            {
                "prompt": text,
                "key": meta["key"],
                "tempo": tempo_range,
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


def real_pieces(
    shards: Path, split: str, bars: int, per_style: int, judged: set[str]
) -> tuple[list, list[str]]:
    """The first `bars` bars of up to `per_style` pieces per style in `judged` of a split, and
    their styles."""
    from symbolic.data.build import Shards
    from symbolic.tokenize.remi import load_remi_tokenizer

    tok = load_remi_tokenizer()
    data = Shards(shards, split)
    metas = [json.loads(x) for x in (shards / "meta.jsonl").read_text().splitlines()]
    metas = [m for m in metas if m["split"] == split]
    scores, styles, count = [], [], {}
    for i, meta in enumerate(metas):
        if meta["style"] not in judged or count.get(meta["style"], 0) >= per_style:
            continue
        score = tok.decode(data.piece(i)[1].tolist())
        num, den = map(int, meta["meter"].split("/"))
        score = score.clip(0, bars * score.tpq * 4 * num // den, clip_end=True)
        if score.note_num() == 0:
            continue
        count[meta["style"]] = count.get(meta["style"], 0) + 1
        scores.append(score)
        styles.append(meta["style"])
    return scores, styles


def cold_run(bars: int, model: str) -> dict:
    """One `symgen text2midi` process, wall time and its own split."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        res = subprocess.run(
            [sys.executable, "-m", "symbolic.cli", "text2midi", "jazz in C minor", "--bars",
             str(bars), "--model", model, "--json", "-o", str(Path(tmp) / "x.mid")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        wall = time.perf_counter() - start
    return {"total": wall, **json.loads(res.stdout)["timings"]}


def judge(path: Path, asked: dict) -> dict:
    import music21

    from symbolic.score import describe, load

    score = load(path)
    desc = describe(score)
    m21 = music21.converter.parse(str(path)).analyze("key")
    tonic = asked["key"].rstrip("m")
    mode = "minor" if asked["key"].endswith("m") else "major"
    want = music21.pitch.Pitch(tonic.replace("b", "-")).pitchClass
    families = {t["family"] for t in desc["tracks"] if t["notes"]}
    asked_families = {family(p % 128, p == 128) for p in asked["programs"]}
    return {
        "key": m21.tonic.pitchClass == want and m21.mode == mode,
        "tempo": asked["tempo"][0] <= desc["tempo"] <= asked["tempo"][1],
        "meter": desc["meter"] == asked["meter"],
        "instruments": asked_families <= families,
        **band_parts(score, asked_families),
    }


def band_parts(score, asked_families: set[str]) -> dict:
    """Drum and bass measures of an output whose prompt named drums or a bass (NaN if not)."""
    from symbolic.eval.band import bass_measures, bass_tracks, drum_measures, drum_tracks

    out = dict.fromkeys(DRUM_FIELDS + BASS_FIELDS, float("nan"))
    drums, basses = drum_tracks(score), bass_tracks(score)
    if "Drums" in asked_families:
        measured = drum_measures(score, drums[0]) if drums else {}
        out.update({k: float(measured.get(k, 0.0)) for k in DRUM_FIELDS})
    if "Bass" in asked_families and basses:
        out.update({k: bass_measures(basses[0])[k] for k in BASS_FIELDS})
    return out


def main() -> None:
    from symbolic.tasks.text2midi import Text2MidiRequest, text2midi

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=Path, default=Path("data_cache/remi"))
    parser.add_argument("--prompts", type=int, default=100)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--per-style", type=int, default=200, help="real pieces per style")
    parser.add_argument("--min-train", type=int, default=50, help="styles judged: training pieces")
    parser.add_argument("--model", default="text2midi")
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    from symbolic.eval.text2midi import StyleClassifier, compression_ratio
    from symbolic.score import load

    cold = [cold_run(16, args.model) for _ in range(3)]
    styles = styles_with_data(args.shards, args.min_train)
    items = prompts(args.shards, args.prompts, styles)
    verdicts, timings, outputs = [], [], []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, item in enumerate(items):
            res = text2midi(
                Text2MidiRequest(
                    item["prompt"], Path(tmp) / f"{i}.mid", args.bars, seed=i, model=args.model
                )
            )
            timings.append(res["timings"])
            verdict = {**judge(Path(res["outputs"][0]), item), "style": item["style"]}
            outputs.append(load(res["outputs"][0]))
            raw = text2midi(
                Text2MidiRequest(
                    item["prompt"], Path(tmp) / f"{i}-raw.mid", args.bars, seed=i, raw=True,
                    model=args.model,
                )
            )  # fmt: skip
            verdicts.append({**verdict, "raw_key": judge(Path(raw["outputs"][0]), item)["key"]})
    seconds = time.perf_counter() - start
    train_scores, train_styles = real_pieces(
        args.shards, "train", args.bars, args.per_style, styles
    )
    val_scores, val_styles = real_pieces(args.shards, "val", args.bars, args.per_style, styles)
    clf = StyleClassifier().fit(train_scores, train_styles)
    val_acc = sum(p == s for p, s in zip(clf.predict(val_scores), val_styles, strict=True))
    predicted = clf.predict(outputs)
    rows = [["check (from the MIDI file alone)", "share as asked", "target"]]
    for field, target in (
        ("key", "90%"),
        ("tempo", "95%"),
        ("meter", "95%"),
        ("instruments", "95%"),
    ):
        share = sum(v[field] for v in verdicts) / max(len(verdicts), 1)
        rows.append([field, f"{share:.1%}", target])
        if field == "key":
            share = sum(v["raw_key"] for v in verdicts) / max(len(verdicts), 1)
            rows.append(["key, raw model (--raw: no key prior, no redraws)", f"{share:.1%}", ""])
    cr_out = statistics.median(compression_ratio(x) for x in outputs)
    cr_real = statistics.median(compression_ratio(x) for x in val_scores + train_scores[::4])
    rows.append(["compression ratio (CR), median", f"{cr_out:.2f}", f"real pieces {cr_real:.2f}"])
    for fields, targets, part in ((DRUM_FIELDS, DRUM_TARGETS, "drums"),
                                  (BASS_FIELDS, BASS_TARGETS, "bass")):  # fmt: skip
        named = [v for v in verdicts if not math.isnan(v[fields[0]])]
        for field in fields:
            values = [v[field] for v in named]
            median = statistics.median(values) if values else float("nan")
            rows.append([f"{part}: {field} (median of {len(named)} asking for it)",
                         f"{median:.2f}", targets[field]])  # fmt: skip
    rows.append(["style classifier: output resembles the asked style", "", ""])
    labels = clf.labels
    rows.append(["asked \\ resembles", " / ".join(labels), "share (target ≥ 70%)"])
    for style in labels:
        got = [p for p, v in zip(predicted, verdicts, strict=True) if v["style"] == style]
        counts = " / ".join(str(got.count(lab)) for lab in labels)
        rows.append([style, counts, f"{got.count(style) / max(len(got), 1):.0%}"])
    cold_median = {k: statistics.median(c[k] for c in cold) for k in cold[0]}
    rows.append(
        [
            "cold `symgen text2midi` 16 bars, seconds (median of 3)",
            f"{cold_median['total']:.2f}",
            "≤ 10",
        ]
    )
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
        + ". Cold process split (median): "
        + ", ".join(f"{k} {v:.2f}" for k, v in cold_median.items())
        + " (total includes Python start and imports)"
        + f". Style classifier (gradient-boosted trees, {len(train_scores)} training pieces' first "
        + f"{args.bars} bars): {val_acc}/{len(val_scores)} real validation pieces right. "
        + f"CR of real pieces over the same number of bars (train and validation): {cr_real:.2f}."
    )
    report(
        f"text2midi judged from the MIDI (issues 5, 13; model {args.model})",
        rows,
        note,
        args.record,
    )


if __name__ == "__main__":
    main()
