"""The one tokenizer contract: what the sampler, the training code and the tasks may rely on.

Every tokenizer (remi, abc, lyric2melody, grid) is a `Tokenizer`: a name, a vocabulary of
token names to ids, `encode` of its input (a score, an ABC tune, a sung melody) to ids,
`decode` back, and a `grammar` for sampling. The language-model tokenizers (remi, abc,
lyric2melody) are also `SequenceTokenizer`s: their ids form one sequence with pad, BOS and EOS
ids, a conditioning prefix, bar tokens that training windows start on, and a spec saved beside
a model. A `Grammar` is the state of one sequence being sampled: `sample`
(`symbolic.models.sampling`) calls exactly `feed`, `bias`, `allowed`, `advance` and
`finished`, nothing else. These are structural `Protocol`s (no base class to inherit) and
`runtime_checkable`, so tests can `isinstance` them. No torch here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Grammar(Protocol):
    """Sampling state of one sequence: which ids may come next so that it always decodes."""

    finished: bool  # True once the sequence is complete (nothing more may be sampled)

    def feed(self, ids: Iterable[int]) -> None:
        """Take a forced prefix (the prompt) before sampling starts."""
        ...

    def allowed(self) -> np.ndarray:
        """Boolean mask over the vocabulary (length `vocab_size`) of the ids valid next."""
        ...

    def advance(self, idx: int) -> None:
        """Move the state past id `idx` (one that `allowed` let through)."""
        ...

    def bias(self) -> np.ndarray | None:
        """A float logit bias over the vocabulary for the next step, or None for none."""
        ...

    def temperature(self) -> float | None:
        """The sampling temperature of the next step in place of the sampler's, or None."""
        ...


@runtime_checkable
class Tokenizer(Protocol):
    """A vocabulary with `encode`/`decode` of its input and a sampling `grammar`."""

    name: str  # the name `symbolic.tokenize.get_tokenizer` and build.json know it by

    @property
    def vocab(self) -> Mapping[str, int]:
        """Token name → id."""
        ...

    @property
    def vocab_size(self) -> int:
        """Number of ids (ids are 0..vocab_size - 1)."""
        ...

    def encode(self, x: Any) -> Any:
        """The ids of an input (a score, an ABC tune, a sung melody)."""
        ...

    def decode(self, ids: Any) -> Any:
        """The input back from ids, as far as the ids hold it."""
        ...

    def grammar(self, **constraints: Any) -> Grammar:
        """A fresh grammar state for sampling one sequence under `constraints`."""
        ...


@runtime_checkable
class SequenceTokenizer(Tokenizer, Protocol):
    """A tokenizer whose ids are one sequence a language model reads and writes."""

    pad_id: int
    bos_id: int
    eos_id: int

    @property
    def bar_ids(self) -> list[int]:
        """Ids of the tokens that open a bar (where training windows may start)."""
        ...

    def prefix(self, **controls: Any) -> list[int]:
        """BOS and the conditioning tokens a sequence starts with (controls per tokenizer)."""
        ...

    def save(self, path: str | Path) -> object:
        """Write the spec beside a model, so that the model's folder rebuilds this tokenizer."""
        ...
