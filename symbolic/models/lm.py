"""The decoder: a small Llama (rotary positions, RMSNorm, SwiGLU) from `transformers`.

Training and saving use the `transformers` class, so any checkpoint loads with
`AutoModelForCausalLM.from_pretrained`; sampling uses `symbolic.models.sampling.FastDecoder`,
a lean re-implementation of the same forward pass with a preallocated KV cache.
"""

from __future__ import annotations

from transformers import LlamaConfig, LlamaForCausalLM


def llama_config(
    vocab_size: int,
    d_model: int = 256,
    n_layers: int = 4,
    n_heads: int = 4,
    d_ff: int = 768,
    max_len: int = 1024,
    pad_id: int = 0,
    bos_id: int = 1,
    eos_id: int = 2,
) -> LlamaConfig:
    """A Llama config sized for CPU: a few million parameters, few wide layers (fewer ops/token)."""
    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=d_model,
        intermediate_size=d_ff,
        num_hidden_layers=n_layers,
        num_attention_heads=n_heads,
        num_key_value_heads=n_heads,
        max_position_embeddings=max_len,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        tie_word_embeddings=True,
        pad_token_id=pad_id,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        attention_bias=False,
        mlp_bias=False,
    )


def build_lm(**kwargs) -> LlamaForCausalLM:
    """A freshly initialised decoder (see `llama_config` for the arguments)."""
    return LlamaForCausalLM(llama_config(**kwargs))
