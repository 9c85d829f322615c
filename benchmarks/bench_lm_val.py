"""Validation loss and bits per token of the shipped language models, on splits they never saw.

The validation pieces are those whose id hashes into the 5% validation share
(`symbolic.data.split`); their shards come from `symgen data build` (the commands are in each
recipe). Every validation piece is scored in windows of the training length.

    python benchmarks/bench_lm_val.py --model abc-folk --shards data_cache/abc [--record]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import report  # noqa: E402

from symbolic.train.data import IGNORE, WindowDataset  # noqa: E402


def evaluate(model_name: str, shards: Path, seq_len: int, batch: int = 16) -> dict:
    from transformers import AutoModelForCausalLM

    from symbolic.models.checkpoint import load_tokenizer, resolve

    folder = resolve(model_name)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    tok = load_tokenizer(folder)
    data = WindowDataset(shards, "val", seq_len, tok.pad_id, tok.bar_ids)
    total, count = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(data), batch):
            items = [data[i] for i in range(start, min(start + batch, len(data)))]
            ids = torch.stack([x for x, _ in items])
            labels = torch.stack([y for _, y in items])
            logits = model(input_ids=ids, attention_mask=ids != tok.pad_id).logits
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]),
                labels.reshape(-1),
                ignore_index=IGNORE,
                reduction="sum",
            )
            total += float(loss)
            count += int((labels != IGNORE).sum())
    nll = total / max(count, 1)
    return {
        "pieces": len(data),
        "tokens": count,
        "loss": nll,
        "bits": nll / math.log(2),
        "perplexity": math.exp(nll),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True, help="repeatable")
    parser.add_argument("--shards", action="append", required=True, type=Path, help="one per model")
    parser.add_argument("--seq-len", action="append", type=int, help="one per model (default 512)")
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    lens = args.seq_len or [512] * len(args.model)
    rows = [
        [
            "model",
            "validation pieces",
            "scored tokens",
            "loss (nats/token)",
            "bits/token",
            "perplexity",
        ]
    ]
    for name, shards, seq_len in zip(args.model, args.shards, lens, strict=True):
        r = evaluate(name, shards, seq_len)
        rows.append(
            [
                name,
                str(r["pieces"]),
                str(r["tokens"]),
                f"{r['loss']:.3f}",
                f"{r['bits']:.3f}",
                f"{r['perplexity']:.2f}",
            ]
        )
    note = (
        "Validation split: hash of the piece id (5%), never trained on; the first window of "
        "each piece at the training length, prefix (conditioning) tokens not scored."
    )
    report("Validation loss of the shipped language models (issue 3)", rows, note, args.record)


if __name__ == "__main__":
    main()
