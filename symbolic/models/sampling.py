"""The sampler every task uses: a lean Llama forward with a preallocated KV cache, plus a grammar.

On a 2-core CPU the cost per token is mostly framework overhead, so `FastDecoder` runs the
same math as `transformers`' Llama in numpy, whose per-call overhead is a fraction of
torch's, with fused QKV and gate/up projections, RMSNorm gains folded into the matrices that
follow them and one cache array per layer written in place. It reads a `save_pretrained`
folder (config.json + model.safetensors) directly, so a cold start never imports transformers.
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

QUERY_CHUNK = 256  # prefill attention rows at a time: bounds the score matrix's memory


class FastDecoder:
    """Llama inference in numpy with fused weights and an in-place KV cache."""

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

        def folded(gain: torch.Tensor, matrix: torch.Tensor) -> np.ndarray:
            return np.ascontiguousarray((gain[:, None] * matrix).numpy())

        self.embed = np.ascontiguousarray(w["embed_tokens.weight"].numpy())
        self.lm_head_t = folded(
            w["norm.weight"], w.get("lm_head.weight", w["embed_tokens.weight"]).t()
        )
        self.layers = []
        for i in range(self.n_layers):
            p = f"layers.{i}."
            qkv = torch.cat([w[p + f"self_attn.{n}_proj.weight"] for n in "qkv"]).t()
            gate_up = torch.cat([w[p + "mlp.gate_proj.weight"], w[p + "mlp.up_proj.weight"]]).t()
            self.layers.append(
                (
                    folded(w[p + "input_layernorm.weight"], qkv),
                    np.ascontiguousarray(w[p + "self_attn.o_proj.weight"].t().numpy()),
                    folded(w[p + "post_attention_layernorm.weight"], gate_up),
                    np.ascontiguousarray(w[p + "mlp.down_proj.weight"].t().numpy()),
                )
            )
        rope = config.get("rope_parameters") or {}
        theta = rope.get("rope_theta", config.get("rope_theta", 10000.0))
        inv_freq = 1.0 / theta ** (np.arange(0, self.head_dim, 2, dtype=np.float32) / self.head_dim)
        freqs = np.outer(np.arange(self.max_len, dtype=np.float32), inv_freq.astype(np.float32))
        emb = np.concatenate([freqs, freqs], axis=-1)
        self.cos, self.sin = np.cos(emb), np.sin(emb)
        self.cache: list[tuple[np.ndarray, np.ndarray]] = []
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
    def text_prefix(self, embedding: np.ndarray) -> np.ndarray:
        """The prefix vectors (n, d) standing for a sentence embedding (text-conditioned models)."""
        if not self.text_proj:
            raise SymgenError("this model is not text-conditioned")
        w = self.text_proj
        h = F.gelu(
            F.linear(torch.as_tensor(embedding, dtype=torch.float32), w["0.weight"], w["0.bias"])
        )
        return F.linear(h, w["2.weight"], w["2.bias"]).view(-1, self.d).numpy()

    @classmethod
    def from_hf(cls, model) -> FastDecoder:
        """Wrap a live `transformers` Llama (e.g. right after training)."""
        return cls(model.config.to_dict(), {k: v.detach() for k, v in model.state_dict().items()})

    def reset(self, batch: int) -> None:
        """Allocate an empty cache for `batch` sequences."""
        shape = (batch, self.n_heads, self.max_len, self.head_dim)
        self.cache = [
            (np.zeros(shape, np.float32), np.zeros(shape, np.float32)) for _ in range(self.n_layers)
        ]
        self.length = 0

    def _rms(self, x: np.ndarray) -> np.ndarray:
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps)

    def _rope(self, x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
        half = self.head_dim // 2
        rotated = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
        return x * cos + rotated * sin

    def _attend(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, start: int) -> np.ndarray:
        """Softmax attention of queries at positions start.. over the cached keys, causal."""
        t, end = q.shape[2], k.shape[2]
        out = np.empty_like(q)
        scale = np.float32(1.0 / math.sqrt(self.head_dim))
        for lo in range(0, t, QUERY_CHUNK):
            hi = min(t, lo + QUERY_CHUNK)
            scores = (q[:, :, lo:hi] * scale) @ k.swapaxes(-1, -2)
            if t > 1:
                rows = np.arange(start + lo, start + hi)[:, None]
                scores[..., np.arange(end)[None, :] > rows] = -np.inf
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            out[:, :, lo:hi] = (scores / scores.sum(axis=-1, keepdims=True)) @ v
        return out

    def forward(self, ids: np.ndarray, prefix: np.ndarray | None = None) -> np.ndarray:
        """Logits for the last position after appending `ids` (batch, new) to the cache,
        preceded by `prefix` vectors (n, d) if given (the text prefix, first call only)."""
        x = self.embed[np.asarray(ids)]
        if prefix is not None:
            vectors = np.asarray(prefix, dtype=np.float32)
            x = np.concatenate([np.broadcast_to(vectors, (x.shape[0], *vectors.shape)), x], 1)
        b, t = x.shape[:2]
        start, end = self.length, self.length + t
        if end > self.max_len:
            raise SymgenError(f"sequence longer than the model's {self.max_len} positions")
        cos, sin = self.cos[start:end], self.sin[start:end]
        x = x.reshape(b * t, self.d)  # 2-D rows: one matrix product per layer, not one per row
        for (qkv_w, o_w, gu_w, down_w), (k_cache, v_cache) in zip(
            self.layers, self.cache, strict=True
        ):
            qkv = (self._rms(x) @ qkv_w).reshape(b, t, 3, self.n_heads, self.head_dim)
            qkv = qkv.transpose(2, 0, 3, 1, 4)
            q, k = self._rope(qkv[:2], cos, sin)  # queries and keys rotated in one go
            k_cache[:, :, start:end] = k
            v_cache[:, :, start:end] = qkv[2]
            att = self._attend(q, k_cache[:, :, :end], v_cache[:, :, :end], start)
            x = x + att.transpose(0, 2, 1, 3).reshape(b * t, self.d) @ o_w
            gate, up = np.split(self._rms(x) @ gu_w, 2, axis=-1)
            x = x + (gate * (0.5 + 0.5 * np.tanh(0.5 * gate)) * up) @ down_w  # SiLU
        self.length = end
        last = x.reshape(b, t, self.d)[:, -1]
        return self._rms(last) @ self.lm_head_t


@dataclass
class SampleConfig:
    """How to pick each token."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    max_new_tokens: int = 1024
    seed: int = 0


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _filter_logits(logits: np.ndarray, top_k: int, top_p: float) -> np.ndarray:
    """-inf outside the `top_k` likeliest tokens and outside the nucleus of mass `top_p`."""
    n = logits.shape[-1]
    if 0 < top_k < n:
        kth = np.partition(logits, n - top_k, axis=-1)[..., n - top_k : n - top_k + 1]
        logits = np.where(logits < kth, -np.inf, logits)
    if top_p < 1.0:
        order = np.argsort(-logits, axis=-1, kind="stable")
        probs = _softmax(np.take_along_axis(logits, order, axis=-1))
        drop = np.empty(logits.shape, dtype=bool)
        np.put_along_axis(drop, order, probs.cumsum(-1) - probs > top_p, axis=-1)
        logits = np.where(drop, -np.inf, logits)
    return logits


def _draw(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One token per row by inverse CDF; a token of probability 0 is never drawn."""
    cdf = np.cumsum(probs, axis=-1, dtype=np.float64)
    u = rng.random(len(probs)) * cdf[:, -1]
    return np.minimum((cdf <= u[:, None]).sum(-1), probs.shape[-1] - 1)


def sample(
    decoder: FastDecoder,
    prompt: Sequence[int],
    grammars: Sequence[Grammar] | None = None,
    config: SampleConfig | None = None,
    num_samples: int = 1,
    eos_id: int | None = None,
    progress: Callable[[int], None] | None = None,
    prefix: np.ndarray | None = None,
    bias: np.ndarray | None = None,
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
    rng = np.random.default_rng(config.seed)
    if grammars is not None:
        for g in grammars:
            g.feed(prompt)
    decoder.reset(num_samples)
    logits = decoder.forward(np.array([list(prompt)] * num_samples, dtype=np.int64), prefix)
    out: list[list[int]] = [[] for _ in range(num_samples)]
    done = np.zeros(num_samples, dtype=bool)
    for step in range(steps):
        if bias is not None:
            logits = logits + bias
        if grammars is not None:
            biases = [g.bias() for g in grammars]
            if any(b is not None for b in biases):
                zero = np.zeros(logits.shape[-1], dtype=np.float32)
                logits = logits + np.stack([zero if b is None else b for b in biases])
            every = np.ones(logits.shape[-1], dtype=bool)
            mask = np.stack(
                [every if d else g.allowed() for g, d in zip(grammars, done, strict=True)]
            )
            if not mask.any(-1).all():
                raise SymgenError("the grammar allows no next token (a bug); try another --seed")
            logits = np.where(mask, logits, -np.inf)
        own = [None if grammars is None or d else g.temperature() for g, d in
               zip(grammars or [None] * num_samples, done, strict=True)]  # fmt: skip
        temps = np.array([config.temperature if t is None else t for t in own], dtype=np.float32)
        greedy = logits.argmax(-1)
        if (temps > 0).any():
            scaled = logits / np.maximum(temps, 1e-6)[:, None]
            drawn = _draw(_softmax(_filter_logits(scaled, config.top_k, config.top_p)), rng)
            nxt = np.where(temps > 0, drawn, greedy)
        else:
            nxt = greedy
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
        logits = decoder.forward(nxt.reshape(-1, 1))
    return out
