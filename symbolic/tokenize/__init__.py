"""Tokenizers by name: `remi` (multi-track MIDI), `abc` (folk tunes as ABC text),
`lyric2melody` (syllables interleaved with the melody sung to them) and `grid` (the
diffusion model's track x 16th grid). Each is a `symbolic.tokenize.base.Tokenizer`."""

from __future__ import annotations

from pathlib import Path

from symbolic.errors import SymgenError
from symbolic.tokenize.base import Tokenizer

NAMES = ("remi", "abc", "lyric2melody", "grid")


def get_tokenizer(name: str) -> Tokenizer:
    """The tokenizer called `name`, built from its spec under `symbolic/specs/`."""
    if name == "remi":
        from symbolic.tokenize.remi import load_remi_tokenizer

        return load_remi_tokenizer()
    if name == "abc":
        from symbolic.tokenize.abc import load_abc_tokenizer

        return load_abc_tokenizer()
    if name == "lyric2melody":
        from symbolic.tokenize.lyric import load_lyric_tokenizer

        return load_lyric_tokenizer()
    if name == "grid":
        from symbolic.tokenize.grid import GridTokenizer

        return GridTokenizer()
    raise SymgenError(f"unknown tokenizer {name!r}; choose one of {', '.join(NAMES)}")


def tokenize_file(path: str | Path, name: str) -> list[str]:
    """The tokens of a music file: REMI of any score, or ABC of an .abc file's first tune."""
    path = Path(path)
    if name == "abc":
        from symbolic.score import load

        load(path)  # validates the file and gives a plain error for anything unreadable
        if path.suffix.lower() != ".abc":
            raise SymgenError(f"{path}: the abc tokenizer reads .abc files; use --tokenizer remi")
        from symbolic.score import abc_tune

        tok = get_tokenizer("abc")
        return tok.tokenize(tok.normalize(abc_tune(path.read_text(encoding="utf-8"))))
    from symbolic.score import load

    tok = get_tokenizer(name)
    return tok.tokens(tok.encode(load(path)))
