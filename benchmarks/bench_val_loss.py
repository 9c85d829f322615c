"""Validation loss per source (issue 12): a REMI model's next-token loss on the held-out pieces
of a data build, source by source.

Each validation piece's first `--window` tokens (the training window) are scored with the
model's own `transformers` class; the loss is the mean over predicted tokens of a source, in
nats and bits per token, and the same sum per predicted note (Pitch or PitchDrum token): a
per-note loss compares builds whose streams differ (the compact REMI of remi3 has fewer, less
predictable tokens per note than remi2's). The pieces are those `symgen data build` put in `val.bin`
(`symbolic.data.split.piece_split`), never trained on.

    python benchmarks/bench_val_loss.py --model runs/remi-multi-v2 --data data_cache/remi3
                                        [--window 3072] [--max-tokens 60000] [--record]
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _results import report  # noqa: E402

from symbolic.data.build import Shards  # noqa: E402
from symbolic.models.checkpoint import resolve  # noqa: E402
from symbolic.tokenize.remi import load_remi_tokenizer  # noqa: E402


def main() -> None:
    from transformers import AutoModelForCausalLM

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="runs/remi-multi-v2")
    parser.add_argument("--data", type=Path, default=Path("data_cache/remi3"))
    parser.add_argument("--window", type=int, default=3072)
    parser.add_argument("--max-tokens", type=int, default=60_000, help="per source")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    folder = resolve(args.model)
    model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32).eval()
    tok = load_remi_tokenizer(folder / "tokenizer.json")
    is_note = torch.from_numpy(np.isin(tok.types, ["Pitch", "PitchDrum"]))
    shards = Shards(args.data, "val")
    records = [json.loads(line) for line in (args.data / "meta.jsonl").open(encoding="utf-8")]
    sources = [r["source"] for r in records if r["split"] == "val"]
    nll: collections.Counter = collections.Counter()
    count: collections.Counter = collections.Counter()
    notes: collections.Counter = collections.Counter()
    started = time.perf_counter()
    with torch.inference_mode():
        for i, source in enumerate(sources):
            if count[source] >= args.max_tokens:
                continue
            ids = torch.from_numpy(shards.sequence(i)[: args.window].astype("int64"))[None]
            logits = model(input_ids=ids).logits[0, :-1].float()
            loss = torch.nn.functional.cross_entropy(logits, ids[0, 1:], reduction="sum")
            nll[source] += float(loss)
            count[source] += ids.shape[1] - 1
            notes[source] += int(is_note[ids[0, 1:]].sum())
    card = json.loads((folder / "card.json").read_text())
    rows = [["source", "tokens scored", "loss (nats/token)", "bits/token", "nats/note"]]
    for source in [*sorted(count), "all"]:
        n, total, k = (
            (count[source], nll[source], notes[source])
            if source != "all"
            else (sum(count.values()), sum(nll.values()), sum(notes.values()))
        )
        loss = total / max(n, 1)
        rows.append(
            [source, str(n), f"{loss:.3f}", f"{loss / math.log(2):.3f}", f"{total / max(k, 1):.3f}"]
        )
    note = (
        f"{args.model}: {card.get('train_steps')} steps, {card.get('tokens_seen')} tokens seen; "
        f"validation pieces of {args.data} (first {args.window} tokens each, at most "
        f"{args.max_tokens} tokens per source), {time.perf_counter() - started:.0f} s."
    )
    report(f"Validation loss per source of {args.model} (issue 12)", rows, note, args.record)


if __name__ == "__main__":
    main()
