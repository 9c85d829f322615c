"""The optimiser all symgen modules share: AdamW (no decay on norms and biases), linear
warm-up, cosine decay to 10% of the peak rate, stepped per batch."""

from __future__ import annotations

import math

import torch


def adamw_cosine(
    module: torch.nn.Module, lr: float, weight_decay: float, warmup_steps: int, total_steps: int
) -> dict:
    """The `configure_optimizers` answer for `module` over `total_steps` steps."""
    params = list(module.named_parameters())
    opt = torch.optim.AdamW(
        [
            {"params": [p for _, p in params if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for _, p in params if p.ndim < 2], "weight_decay": 0.0},
        ],
        lr=lr,
        betas=(0.9, 0.95),
    )
    total = max(int(total_steps), 1)

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = min((step - warmup_steps) / max(total - warmup_steps, 1), 1.0)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
