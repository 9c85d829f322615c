"""The sentence encoder as a matcher: embeddings of texts, and the label of the exemplar phrase
nearest to a text, which `symbolic.prompt.parse_prompt` takes as its `nearest`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

MAX_ENCODER_CHARS = 512  # the encoder sees at most this much (it truncates at 256 tokens anyway)

_LABEL_CACHE: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length sentence embeddings (numpy, 384-dim) of some texts, truncated first."""
    from symbolic.models.text_encoder import load_encoder

    return load_encoder().encode([t[:MAX_ENCODER_CHARS] for t in texts])


def nearest_all(
    texts: list[str], exemplars: Mapping[str, tuple[str, ...]]
) -> list[tuple[str, float]]:
    """For each text, the label of the nearest exemplar (cosine similarity) and that similarity."""
    cache_key = repr(sorted(exemplars.items()))
    if cache_key not in _LABEL_CACHE:
        labels = tuple(label for label, phrases in exemplars.items() for _ in phrases)
        phrases = [p for ps in exemplars.values() for p in ps]
        _LABEL_CACHE[cache_key] = (labels, embed(phrases))
    labels, matrix = _LABEL_CACHE[cache_key]
    sims = embed(texts) @ matrix.T
    best = sims.argmax(axis=1)
    return [(labels[int(b)], float(row[int(b)])) for b, row in zip(best, sims, strict=True)]


def nearest(text: str, exemplars: Mapping[str, tuple[str, ...]]) -> tuple[str, float]:
    """The label of the exemplar nearest to `text` and the cosine similarity."""
    return nearest_all([text], exemplars)[0]
