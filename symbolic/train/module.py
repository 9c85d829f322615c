"""LightningModule around the `transformers` Llama decoder (next-token prediction)."""

from __future__ import annotations

import json
import math
import time

import lightning as L
import torch

from symbolic.models.lm import build_lm
from symbolic.train.data import IGNORE
from symbolic.train.optim import adamw_cosine


class LMModule(L.LightningModule):
    """A causal language model over token windows.

    Args:
        vocab_size: tokenizer vocabulary size (the recipe states it; checked at fit start).
        d_model, n_layers, n_heads, d_ff, max_len: decoder shape.
        lr, weight_decay, warmup_steps: AdamW with linear warm-up and cosine decay to 10%.
        text_dim, text_prefix: with text_dim > 0, each batch carries a sentence embedding that a
            small MLP turns into `text_prefix` vectors placed before BOS (Text2midi-style
            conditioning without a cross-attention stack).
        init_from: a shipped model folder whose decoder weights start this run (fine-tuning).
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 256,
        n_layers: int = 4,
        n_heads: int = 4,
        d_ff: int = 768,
        max_len: int = 1024,
        lr: float = 1e-3,
        weight_decay: float = 0.05,
        warmup_steps: int = 200,
        text_dim: int = 0,
        text_prefix: int = 4,
        init_from: str = "",
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = build_lm(
            vocab_size=vocab_size,
            d_model=d_model,
            n_layers=n_layers,
            n_heads=n_heads,
            d_ff=d_ff,
            max_len=max_len,
        )
        self.text_proj = (
            torch.nn.Sequential(
                torch.nn.Linear(text_dim, d_model),
                torch.nn.GELU(),
                torch.nn.Linear(d_model, text_prefix * d_model),
            )
            if text_dim
            else None
        )
        self.tokens_seen = 0  # every run of this model together (kept in its checkpoints)
        self.warm_start: list[str] = []  # the model folders this one started from, newest first
        if init_from:
            self._init_from(init_from)
        self._tick = time.perf_counter()

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["tokens_seen"] = self.tokens_seen
        checkpoint["warm_start"] = self.warm_start

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.tokens_seen = int(checkpoint.get("tokens_seen", 0))
        self.warm_start = list(checkpoint.get("warm_start", self.warm_start))

    def _init_from(self, folder: str) -> None:
        from safetensors.torch import load_file

        from symbolic.models.checkpoint import resolve

        weights = load_file(str(resolve(folder) / "model.safetensors"))
        own = self.model.state_dict()
        weights = {k: _grown(v.float(), own[k]) if k in own else v for k, v in weights.items()}
        missing, unexpected = self.model.load_state_dict(weights, strict=False)
        if unexpected or set(missing) - {"lm_head.weight"}:
            raise ValueError(f"{folder}: weights do not fit this model ({missing + unexpected})")
        self.model.tie_weights()
        prefix = resolve(folder) / "text_prefix.safetensors"
        if self.text_proj is not None and prefix.exists():
            text = load_file(str(prefix))
            self.text_proj.load_state_dict(
                {k.removeprefix("text_proj."): v.float() for k, v in text.items()}
            )
        card_path = resolve(folder) / "card.json"
        card = json.loads(card_path.read_text()) if card_path.exists() else {}
        self.tokens_seen = int(card.get("tokens_seen") or 0)
        chain = [str(folder), *card.get("warm_start", [])]
        # a run resumed from its own last export is one more session of it, not a new link
        self.warm_start = [f for i, f in enumerate(chain) if i == 0 or f != chain[i - 1]]

    def extra_weights(self) -> dict[str, torch.Tensor]:
        """Weights outside the `transformers` decoder, exported beside it (text_prefix.*)."""
        if self.text_proj is None:
            return {}
        return {f"text_proj.{k}": v for k, v in self.text_proj.state_dict().items()}

    def _loss(self, batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, int]:
        ids, labels = batch[0], batch[1]
        keep = ids != self.model.config.pad_token_id
        if self.text_proj is None:
            logits = self.model(input_ids=ids, attention_mask=keep).logits
        else:
            b, d = ids.shape[0], self.hparams.d_model
            prefix = self.text_proj(batch[2].float()).view(b, -1, d)
            embeds = torch.cat([prefix, self.model.get_input_embeddings()(ids)], dim=1)
            keep = torch.cat([keep.new_ones(b, prefix.shape[1]), keep], dim=1)
            logits = self.model(inputs_embeds=embeds, attention_mask=keep).logits
            logits = logits[:, prefix.shape[1] :]
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE
        )
        return loss, int((labels != IGNORE).sum())

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        loss, _ = self._loss(batch)
        now = time.perf_counter()
        tokens = batch[0].numel()
        self.tokens_seen += tokens
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/tokens_per_s", tokens / max(now - self._tick, 1e-6), prog_bar=True)
        self._tick = now
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        loss, n = self._loss(batch)
        self.log("val/loss", loss, prog_bar=True, batch_size=max(n, 1), sync_dist=True)
        self.log("val/bits_per_token", loss / math.log(2), batch_size=max(n, 1), sync_dist=True)

    def configure_optimizers(self):
        h = self.hparams
        steps = self.trainer.estimated_stepping_batches
        return adamw_cosine(self, h.lr, h.weight_decay, h.warmup_steps, steps)


def _grown(old: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
    """`old` with the rows `new` has beyond it: a vocabulary that appended tokens (as every
    spec must) warm-starts from the model before, its new tokens' rows freshly initialised."""
    if old.shape == new.shape or old.shape[1:] != new.shape[1:] or len(old) > len(new):
        return old
    return torch.cat([old, new[len(old) :]])
