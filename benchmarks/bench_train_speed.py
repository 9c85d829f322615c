"""Training-loop speed on this CPU: tokens/s of the LM training step under fp32 and bf16
autocast, with 1 and 2 threads, and with torch.compile, on a recipe's model shape.

Each setting runs the same optimizer steps from the same initial weights on the same batches
of real shards (or random ids without `--shards`), so the loss after those steps shows whether
a faster setting still learns the same: "keeps the loss" means within 2% of fp32's.

    python benchmarks/bench_train_speed.py [--shards data_cache/remi2] [--seq-len 2048] [--record]
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402
from _results import append_section  # noqa: E402

from symbolic.train.module import LMModule  # noqa: E402

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def batches(shards: str | None, vocab: int, n: int, batch: int, seq_len: int) -> list:
    """`n` (ids, labels) batches: windows of real shards, or random ids."""
    rng = np.random.default_rng(0)
    if shards is None:
        ids = rng.integers(3, vocab, size=(n, batch, seq_len + 1))
    else:
        from symbolic.data.build import Shards

        data = Shards(Path(shards), "train")
        flat = np.concatenate([data.sequence(i) for i in rng.permutation(len(data))[:400]])
        starts = rng.integers(0, len(flat) - seq_len - 1, size=(n, batch))
        ids = np.stack([[flat[s : s + seq_len + 1] for s in row] for row in starts])
    ids = torch.from_numpy(ids.astype(np.int64))
    return [(x[:, :-1], x[:, 1:]) for x in ids]


def run(setting: dict, hparams: dict, data: list, warmup: int) -> tuple[float, float]:
    """(tokens/s over the timed steps, loss at the last step) for one setting."""
    torch.manual_seed(0)
    torch.set_num_threads(setting["threads"])
    module = LMModule(**hparams)
    opt = torch.optim.AdamW(module.parameters(), lr=hparams["lr"])
    step = module._loss
    if setting["compile"]:
        step = torch.compile(step)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if setting["bf16"] else nullcontext()
    tokens, elapsed, loss = 0, 0.0, float("nan")
    for i, batch in enumerate(data):
        start = time.perf_counter()
        with autocast:
            value, _ = step(batch)
        value.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if i >= warmup:
            elapsed += time.perf_counter() - start
            tokens += batch[0].numel()
        loss = float(value)
    return tokens / elapsed, loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="remi-multi-v2", help="recipes/NAME.yaml to size by")
    parser.add_argument("--shards", help="a shard folder of `symgen data build` (default: random)")
    parser.add_argument("--seq-len", type=int, default=None, help="default: the recipe's")
    parser.add_argument("--batch", type=int, default=None, help="default: the recipe's")
    parser.add_argument("--steps", type=int, default=8, help="timed steps per setting")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    recipe = yaml.safe_load((RECIPES / f"{args.recipe}.yaml").read_text())
    hparams = {
        k: v for k, v in recipe["model"].items() if k in LMModule.__init__.__code__.co_varnames
    }
    seq_len = args.seq_len or recipe["data"]["seq_len"]
    batch = args.batch or recipe["data"]["batch_size"]
    hparams["max_len"] = max(hparams.get("max_len", 1024), seq_len)
    data = batches(args.shards, hparams["vocab_size"], args.warmup + args.steps, batch, seq_len)
    settings = [
        {"name": "fp32, 2 threads", "bf16": False, "threads": 2, "compile": False},
        {"name": "bf16 autocast, 2 threads", "bf16": True, "threads": 2, "compile": False},
        {"name": "fp32, 1 thread", "bf16": False, "threads": 1, "compile": False},
        {"name": "fp32, 2 threads, torch.compile", "bf16": False, "threads": 2, "compile": True},
    ]
    rows, base = [["setting", "tokens/s", "vs fp32", f"loss after {len(data)} steps"]], None
    for setting in settings:
        try:
            speed, loss = run(setting, hparams, data, args.warmup)
        except Exception as err:  # torch.compile needs a C compiler; say so rather than stop
            rows.append([setting["name"], f"failed: {str(err).splitlines()[0][:60]}", "", ""])
            continue
        base = base or speed
        rows.append([setting["name"], f"{speed:,.0f}", f"{speed / base:.2f}x", f"{loss:.4f}"])
        print(" | ".join(rows[-1]), flush=True)
    notes = (
        f"Model: recipes/{args.recipe}.yaml ({hparams['d_model']} wide, "
        f"{hparams['n_layers']} layers), "
        f"batch {batch} x {seq_len} tokens, {args.steps} timed steps after {args.warmup} warm-up "
        f"steps, {'real shards ' + args.shards if args.shards else 'random ids'}. The CPU is "
        "shared with other jobs when they run: compare rows of one run only."
    )
    if args.record:
        append_section("Training speed (issue 12)", rows, notes)
    print(notes)


if __name__ == "__main__":
    main()
