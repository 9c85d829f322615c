"""The sampler every task uses: a lean Llama forward with a preallocated KV cache, plus a grammar.

On a 2-core CPU the cost per token is mostly framework overhead, so `FastDecoder` runs the
same math as `transformers`' Llama with fused QKV and gate/up projections, one cache tensor
per layer written in place, and no module dispatch. It reads a `save_pretrained` folder
(config.json + model.safetensors) directly, so a cold start never imports transformers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from symbolic.errors import SymgenError
from symbolic.tokenize.base import Grammar


class FastDecoder:
    """Llama inference with fused weights and an in-place KV cache."""

    def __init__(
        self,
        config: dict,
        weights: dict[str, torch.Tensor],
        text_proj: dict[str, torch.Tensor] | None = None,
    ) -> None:
        self.config = config
        self.d = config["hidden_size"]
        self.n_heads = config["num_attention_heads"]
        self.head_dim = self.d // self.n_heads
        self.n_layers = config["num_hidden_layers"]
        self.max_len = config["max_position_embeddings"]
        self.eps = config.get("rms_norm_eps", 1e-5)
        if config.get("num_key_value_heads", self.n_heads) != self.n_heads:
            raise SymgenError("FastDecoder needs as many key/value heads as query heads")
        w = {k.removeprefix("model."): v.float() for k, v in weights.items()}
        self.embed = w["embed_tokens.weight"]
        self.lm_head = w.get("lm_head.weight", self.embed)
        # RMSNorm gains are folded into the matrices that follow them: fewer ops per token.
        self.lm_head_t = (w["norm.weight"][:, None] * self.lm_head.t()).contiguous()
        self.layers = []
        for i in range(self.n_layers):
            p = f"layers.{i}."
            qkv = torch.cat([w[p + f"self_attn.{n}_proj.weight"] for n in "qkv"]).t()
            gate_up = torch.cat([w[p + "mlp.gate_proj.weight"], w[p + "mlp.up_proj.weight"]]).t()
            self.layers.append(
                (
                    (w[p + "input_layernorm.weight"][:, None] * qkv).contiguous(),
                    w[p + "self_attn.o_proj.weight"].t().contiguous(),
                    (w[p + "post_attention_layernorm.weight"][:, None] * gate_up).contiguous(),
                    w[p + "mlp.down_proj.weight"].t().contiguous(),
                )
            )
        rope = config.get("rope_parameters") or {}
        theta = rope.get("rope_theta", config.get("rope_theta", 10000.0))
        inv_freq = 1.0 / theta ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim)
        freqs = torch.outer(torch.arange(self.max_len).float(), inv_freq)
        emb = torch.cat([freqs, freqs], dim=-1)
        self.cos, self.sin = emb.cos(), emb.sin()
        self.cache: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.length = 0
        self.text_proj = {
            k.removeprefix("text_proj."): v.float() for k, v in (text_proj or {}).items()
        }

    @classmethod
    def from_folder(cls, folder: str | Path) -> FastDecoder:
        """Load config.json + model.safetensors (+ text_prefix.safetensors when the model is
        text-conditioned); no pickle, no transformers import."""
        from safetensors.torch import load_file

        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text())
        text = folder / "text_prefix.safetensors"
        extra = load_file(str(text)) if text.exists() else None
        return cls(config, load_file(str(folder / "model.safetensors")), extra)

    @torch.inference_mode()
    def text_prefix(self, embedding: np.ndarray) -> torch.Tensor:
        """The prefix vectors (n, d) standing for a sentence embedding (text-conditioned models)."""
        if not self.text_proj:
            raise SymgenError("this model is not text-conditioned")
        w = self.text_proj
        h = F.gelu(
            F.linear(torch.as_tensor(embedding, dtype=torch.float32), w["0.weight"], w["0.bias"])
        )
        return F.linear(h, w["2.weight"], w["2.bias"]).view(-1, self.d)

    @classmethod
    def from_hf(cls, model) -> FastDecoder:
        """Wrap a live `transformers` Llama (e.g. right after training)."""
        return cls(model.config.to_dict(), {k: v.detach() for k, v in model.state_dict().items()})

    def reset(self, batch: int) -> None:
        """Allocate an empty cache for `batch` sequences."""
        shape = (batch, self.n_heads, self.max_len, self.head_dim)
        self.cache = [(torch.zeros(shape), torch.zeros(shape)) for _ in range(self.n_layers)]
        self.length = 0

    def _rms(self, x: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, (self.d,), eps=self.eps)

    def _rope(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        half = self.head_dim // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rotated * sin

    @torch.inference_mode()
    def forward(self, ids: torch.Tensor, prefix: torch.Tensor | None = None) -> torch.Tensor:
        """Logits for the last position after appending `ids` (batch, new) to the cache,
        preceded by `prefix` vectors (n, d) if given (the text prefix, first call only)."""
        x = self.embed[ids]
        if prefix is not None:
            x = torch.cat([prefix.expand(x.shape[0], -1, -1), x], dim=1)
        b, t = x.shape[:2]
        start, end = self.length, self.length + t
        if end > self.max_len:
            raise SymgenError(f"sequence longer than the model's {self.max_len} positions")
        cos, sin = self.cos[start:end], self.sin[start:end]
        causal = t > 1
        for (qkv_w, o_w, gu_w, down_w), (k_cache, v_cache) in zip(
            self.layers, self.cache, strict=True
        ):
            qkv = (self._rms(x) @ qkv_w).view(b, t, 3, self.n_heads, self.head_dim)
            qkv = qkv.permute(2, 0, 3, 1, 4)
            q, k = self._rope(qkv[:2], cos, sin)  # queries and keys rotated in one go
            k_cache[:, :, start:end] = k
            v_cache[:, :, start:end] = qkv[2]
            if causal:
                mask = torch.ones(t, end, dtype=torch.bool).tril(diagonal=start)
                att = F.scaled_dot_product_attention(
                    q, k_cache[:, :, :end], v_cache[:, :, :end], attn_mask=mask
                )
            else:
                att = F.scaled_dot_product_attention(q, k_cache[:, :, :end], v_cache[:, :, :end])
            x = x + att.transpose(1, 2).reshape(b, t, self.d) @ o_w
            gate, up = (self._rms(x) @ gu_w).chunk(2, dim=-1)
            x = x + (F.silu(gate) * up) @ down_w
        self.length = end
        return self._rms(x[:, -1]) @ self.lm_head_t


@dataclass
class SampleConfig:
    """How to pick each token."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    max_new_tokens: int = 1024
    seed: int = 0


def _filter_logits(logits: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    if top_k > 0:
        kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[..., -1:]
        logits = logits.masked_fill(logits < kth, -math.inf)
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        cum = sorted_logits.softmax(-1).cumsum(-1)
        drop = cum - sorted_logits.softmax(-1) > top_p
        logits = logits.masked_fill(drop.scatter(-1, order, drop), -math.inf)
    return logits


def sample(
    decoder: FastDecoder,
    prompt: Sequence[int],
    grammars: Sequence[Grammar] | None = None,
    config: SampleConfig | None = None,
    num_samples: int = 1,
    eos_id: int | None = None,
    progress: Callable[[int], None] | None = None,
    prefix: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
) -> list[list[int]]:
    """Sample `num_samples` continuations of `prompt` (ids); returns the new ids of each.

    `grammars` (`symbolic.tokenize.base.Grammar`), one per sample, restrict every step to the
    tokens `allowed()` (so the sequence stays decodable) and add their `bias()` to the step's
    logits where it is not None (a prior that depends on where the sequence is, e.g. stressed
    syllables towards strong beats), and sample at their `temperature()` where it is not None
    (a sharper choice at some steps, e.g. a line's length). They are fed the prompt here. A
    sequence stops when its grammar finishes, at `eos_id`, or at `max_new_tokens`.
    `prefix` (n, d) vectors go before the prompt (a text-conditioned model's text prefix);
    `bias` (vocab,) is added to every step's logits (a soft preference, e.g. for a key's scale).
    The seed alone fixes the output: same inputs and seed give the same ids.
    """
    config = config or SampleConfig()
    if not prompt:
        raise SymgenError("the prompt must hold at least one token (BOS)")
    used = len(prompt) + (0 if prefix is None else len(prefix))
    room = decoder.max_len - used
    if room <= 0:
        raise SymgenError(
            f"the input is {used} tokens, more than the model's {decoder.max_len}; "
            "give a shorter file or fewer bars"
        )
    steps = min(config.max_new_tokens, room)
    gen = torch.Generator().manual_seed(config.seed)
    if grammars is not None:
        for g in grammars:
            g.feed(prompt)
    decoder.reset(num_samples)
    logits = decoder.forward(torch.tensor([list(prompt)] * num_samples, dtype=torch.long), prefix)
    out: list[list[int]] = [[] for _ in range(num_samples)]
    done = np.zeros(num_samples, dtype=bool)
    for step in range(steps):
        if bias is not None:
            logits = logits + bias
        if grammars is not None:
            biases = [g.bias() for g in grammars]
            if any(b is not None for b in biases):
                zero = np.zeros(logits.shape[-1], dtype=np.float32)
                stacked = np.stack([zero if b is None else b for b in biases])
                logits = logits + torch.from_numpy(stacked)
        if grammars is not None:
            mask = torch.from_numpy(
                np.stack(
                    [
                        g.allowed() if not d else np.ones_like(g.allowed())
                        for g, d in zip(grammars, done, strict=True)
                    ]
                )
            )
            if not mask.any(-1).all():
                raise SymgenError("the grammar allows no next token (a bug); try another --seed")
            logits = logits.masked_fill(~mask, -math.inf)
        own = [None if grammars is None or d else g.temperature() for g, d in
               zip(grammars or [None] * num_samples, done, strict=True)]  # fmt: skip
        if config.temperature <= 0:
            nxt = logits.argmax(-1)
        elif all(t is None for t in own):
            probs = _filter_logits(logits / config.temperature, config.top_k, config.top_p)
            nxt = torch.multinomial(probs.softmax(-1), 1, generator=gen).squeeze(-1)
        else:
            temps = torch.tensor([config.temperature if t is None else t for t in own])
            scaled = logits / temps.clamp(min=1e-6)[:, None]
            probs = _filter_logits(scaled, config.top_k, config.top_p)
            drawn = torch.multinomial(probs.softmax(-1), 1, generator=gen).squeeze(-1)
            nxt = torch.where(temps > 0, drawn, logits.argmax(-1))
        ids = nxt.tolist()
        for i, idx in enumerate(ids):
            if done[i]:
                continue
            out[i].append(idx)
            if grammars is not None:
                grammars[i].advance(idx)
                done[i] = grammars[i].finished
            done[i] |= idx == eos_id
        if progress is not None:
            progress(step)
        if done.all() or step == steps - 1:
            break
        logits = decoder.forward(nxt.view(-1, 1))
    return out
