"""Tokens/s of symgen's sampler against transformers' `generate()` and a no-cache loop.

Same model (the shipped remi-multi, or a randomly initialised one of the same shape), same
length, CPU, batch 1 and 8, rounds interleaved in one run so machine load hits all alike.
The no-cache loop re-runs the whole sequence for every token, as Text2midi's generator does.

    python benchmarks/bench_sampling.py [--tokens 1000] [--rounds 2] [--record]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import report  # noqa: E402

from symbolic.models.lm import build_lm  # noqa: E402
from symbolic.models.sampling import FastDecoder, SampleConfig, sample  # noqa: E402
from symbolic.paths import checkpoint_dir  # noqa: E402


def load_model():
    folder = checkpoint_dir("remi-multi")
    if (folder / "config.json").exists():
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(
            folder, dtype=torch.float32
        ).eval(), "remi-multi"
    torch.manual_seed(0)
    model = build_lm(vocab_size=672, d_model=256, n_layers=4, n_heads=4, d_ff=768, max_len=1024)
    return model.eval(), "random init, remi-multi shape"


def ours(model, batch: int, tokens: int) -> float:
    fast = FastDecoder.from_hf(model)
    start = time.perf_counter()
    out = sample(fast, [1], config=SampleConfig(max_new_tokens=tokens, seed=0), num_samples=batch)
    assert all(len(x) == tokens for x in out)
    return batch * tokens / (time.perf_counter() - start)


def hf_generate(model, batch: int, tokens: int) -> float:
    ids = torch.ones(batch, 1, dtype=torch.long)
    start = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(
            ids,
            max_new_tokens=tokens,
            min_new_tokens=tokens,
            do_sample=True,
            top_k=0,
            pad_token_id=0,
        )
    assert out.shape[1] == tokens + 1
    return batch * tokens / (time.perf_counter() - start)


def no_cache(model, batch: int, tokens: int) -> float:
    ids = torch.ones(batch, 1, dtype=torch.long)
    start = time.perf_counter()
    with torch.inference_mode():
        for _ in range(tokens):
            logits = model(ids, use_cache=False).logits[:, -1]
            nxt = torch.multinomial(logits.softmax(-1), 1)
            ids = torch.cat([ids, nxt], dim=1)
    return batch * tokens / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--no-cache-tokens", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model, label = load_model()
    params = sum(p.numel() for p in model.parameters()) / 1e6
    runs: dict[tuple[str, int], list[float]] = {}
    for _ in range(args.rounds):
        for batch in (1, 8):
            for name, fn, n in (
                ("symgen sampler", ours, args.tokens),
                ("transformers generate()", hf_generate, args.tokens),
                ("no KV cache (Text2midi-style)", no_cache, args.no_cache_tokens),
            ):
                if name.startswith("no KV") and batch == 8:
                    continue
                runs.setdefault((name, batch), []).append(fn(model, batch, n))
    best = {k: max(v) for k, v in runs.items()}
    rows = [["sampler", "batch", "tokens/s", "vs generate()"]]
    for (name, batch), tps in best.items():
        base = best[("transformers generate()", batch)]
        rows.append([name, str(batch), f"{tps:.0f}", f"{tps / base:.2f}x"])
    note = (
        f"Model: {label}, {params:.1f} M parameters, {args.tokens} new tokens "
        f"({args.no_cache_tokens} for the no-cache loop), best of {args.rounds} interleaved rounds."
    )
    report("Sampling speed (issue 3)", rows, note, args.record)


if __name__ == "__main__":
    main()
